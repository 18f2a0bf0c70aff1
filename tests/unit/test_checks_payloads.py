"""Payload variations: each changes only what the platform may change, and still parses as the same events."""

from __future__ import annotations

import json
from typing import Any

import pytest

from harness.checks import payloads
from harness.generate import simulate_call
from harness.models import BUILTIN_METRICS, TRUNCATION_LIMIT, CallCompleted, CallTurn, parse_event

EVENTS = simulate_call(seed=11, turns=3, domain="order_status", outcome="client_hangup")


def wire() -> list[dict[str, Any]]:
    return payloads.call_wire(EVENTS)


def all_turns(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for event in events:
        if isinstance(event.get("turn"), dict):
            found += [event["turn"], event["body"]]
        if isinstance(event.get("body"), list):
            found += event["body"]
        found += (event.get("call") or {}).get("transcript") or []
    return found


def test_map_turns_reaches_turn_legacy_body_and_transcripts_without_changing_the_input() -> None:
    original = wire()
    changed = payloads.map_turns(original, lambda turn: {**turn, "marked": True})
    assert original == wire()
    assert all_turns(changed)
    assert all(turn["marked"] for turn in all_turns(changed))


def test_stripped_events_keep_the_envelope_call_identity_and_roles_only() -> None:
    stripped = payloads.strip_optionals(wire())
    for before, after in zip(wire(), stripped, strict=True):
        assert {k: after[k] for k in ("type", "call_id", "agent_id", "webhook_id", "timestamp")} == {
            k: before[k] for k in ("type", "call_id", "agent_id", "webhook_id", "timestamp")
        }
        if "call" in after:
            assert set(after["call"]) <= payloads.CALL_KEEP
            assert after["call"]["id"] == before["call"]["id"]
    assert all(set(turn) == {"role"} for turn in all_turns(stripped))
    ended = parse_event(json.dumps(stripped[-2]))
    assert isinstance(ended, CallCompleted)
    assert ended.effective_end_reason == "client_hangup"


def test_null_optionals_send_null_for_exactly_the_fields_strip_leaves_out() -> None:
    nulled = payloads.null_optionals(wire())
    for turn in all_turns(nulled):
        assert turn["role"] is not None
        assert all(value is None for key, value in turn.items() if key != "role")
    for event in nulled:
        if "call" in event:
            assert all(v is None for k, v in event["call"].items() if k not in payloads.CALL_KEEP)
        assert parse_event(json.dumps(event)).type == event["type"]


def test_unknown_fields_are_added_at_every_depth_but_not_inside_user_data() -> None:
    injected = payloads.inject_unknown_fields(wire())
    started = injected[0]
    assert started["x_added_later"] == payloads.UNKNOWN_FIELDS["x_added_later"]
    assert "sentiment_score" in started["call"]
    assert all("sentiment_score" in turn for turn in all_turns(injected))
    metadata = started["call"].get("metadata")
    assert metadata is None or "sentiment_score" not in metadata
    for event in injected:
        assert parse_event(json.dumps(event)).type == event["type"]


def test_noncanonical_json_is_the_same_value_written_differently() -> None:
    for event in wire():
        body = payloads.noncanonical_json(event)
        assert json.loads(body) == event
        assert body != json.dumps(event).encode()
        assert body.isascii()
        assert b"\r\n" in body
    assert list(json.loads(payloads.noncanonical_json({"a": 1, "b": 2}))) == ["b", "a"]


def test_with_end_reason_changes_the_call_and_the_legacy_copy() -> None:
    changed = payloads.with_end_reason(wire(), "voicemail_detected")
    ended = changed[-2]
    assert (ended["call"]["end_reason"], ended["end_reason"]) == ("voicemail_detected", "voicemail_detected")


def test_truncated_tool_calls_take_both_sdk_forms_and_still_parse() -> None:
    changed = payloads.truncated_tool_calls(wire())
    turn_event = next(parse_event(json.dumps(e)) for e in changed if e.get("turn", {}).get("role") == "assistant")
    assert isinstance(turn_event, CallTurn)
    assert turn_event.turn is not None
    tools = {tool.id: tool for tool in turn_event.turn.tool_calls or []}
    assert isinstance(tools["call_trunc_args"].arguments, str)
    assert tools["call_trunc_args"].arguments.endswith("... [truncated]")
    assert len(tools["call_trunc_args"].arguments) == TRUNCATION_LIMIT + len("... [truncated]")
    folded = tools["call_trunc_obj"].arguments
    assert isinstance(folded, dict)
    assert folded["_truncated"] is True
    assert folded["_preview"]
    transcript_tools = [t for turn in changed[-2]["call"]["transcript"] for t in turn.get("tool_calls") or []]
    assert {"call_trunc_args", "call_trunc_obj"} <= {t["id"] for t in transcript_tools}


def test_with_text_puts_non_ascii_lines_in_spoken_turns() -> None:
    events = payloads.call_wire(simulate_call(seed=3, turns=len(payloads.UNICODE_LINES)))
    changed = payloads.with_text(events, payloads.UNICODE_LINES)
    texts = {turn["text"] for turn in all_turns(changed) if turn["role"] in ("user", "assistant")}
    assert texts == set(payloads.UNICODE_LINES)  # every line is used once there are enough turns


def system_turns(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [turn for turn in all_turns(events) if turn.get("role") == "system"]


def form_call() -> list[dict[str, Any]]:
    return payloads.call_wire(simulate_call(seed=4, domain="form_intake", turns=6, outcome="agent_hangup"))


@pytest.mark.parametrize("text", payloads.SYSTEM_TEXT_SHAPES)
def test_system_turn_shapes_change_only_system_turns(text: str) -> None:
    original = form_call()
    shaped = payloads.with_system_turn_shape(original, text=text, sdk_log_events=True, metric_values=[True, [1]])
    turns = system_turns(shaped)
    assert turns
    expected = {"empty": "", "null": None}.get(text)
    assert all(("text" not in t) if text == "omitted" else (t["text"] == expected) for t in turns)
    spoken_before = [t for t in all_turns(original) if t.get("role") != "system"]
    assert [t for t in all_turns(shaped) if t.get("role") != "system"] == spoken_before
    for turn in turns:
        if "log_event" in turn:
            assert {"level", "message", "metadata"} <= set(turn["log_event"]["metadata"])
        metric = turn.get("log_metric")
        if metric and metric["name"] in BUILTIN_METRICS:
            assert isinstance(metric["value"], int)
        elif metric:
            assert metric["value"] in (True, [1])
    for event in shaped:
        parse_event(json.dumps(event))  # still the platform's shapes


def test_log_events_can_be_unwrapped_to_the_bare_websocket_shape() -> None:
    sdk = payloads.with_system_turn_shape(form_call(), text="empty", sdk_log_events=True)
    bare = payloads.with_system_turn_shape(sdk, text="empty", sdk_log_events=False)
    events = [t["log_event"] for t in system_turns(bare) if "log_event" in t]
    assert events
    assert all("level" not in event["metadata"] for event in events)
    with pytest.raises(ValueError, match="text"):
        payloads.with_system_turn_shape(bare, text="blank", sdk_log_events=False)
