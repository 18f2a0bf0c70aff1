"""Property tests of the call simulator: every coherence rule holds for any seed and options."""

from __future__ import annotations

import itertools
import json
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness._deployments import agent_deployments
from harness.errors import ConfigError
from harness.generate import (
    COMPLETED_END_REASONS,
    DOMAINS,
    FAILED_END_REASONS,
    FORM_ANSWER_METRIC,
    LOCALES,
    OUTCOMES,
    derive_seed,
    simulate_call,
    simulate_calls,
)
from harness.models import (
    AGENT_END_REASONS,
    BUILTIN_METRICS,
    DIAL_FAILURE_END_REASONS,
    LOG_LEVELS,
    CallCompleted,
    CallFailed,
    CallStarted,
    CallTurn,
    Event,
    PostCallAnalysis,
    Turn,
    parse_event,
)

SEEDS = st.integers(min_value=0, max_value=2**64)
OPTIONS = st.fixed_dictionaries(
    {},
    optional={
        "outcome": st.sampled_from(OUTCOMES),
        "domain": st.sampled_from(DOMAINS),
        "turns": st.integers(min_value=0, max_value=30),
        "legacy_fields": st.booleans(),
        "locale": st.sampled_from(LOCALES),
    },
)
TOPIC_WORDS = {
    "appointment_scheduling": "appointment",
    "order_status": "order",
    "billing_support": "billing",
    "form_intake": "form",
}
ID_SHAPES = {
    "call_id": r"ac_[0-9A-Za-z]{22}",
    "agent_id": r"agent_[0-9A-Za-z]{22}",
    "webhook_id": r"agent_webhook_[0-9A-Za-z]{22}",
}
PROPERTY = settings(max_examples=60, deadline=None)


def turns_of(events: list[Event]) -> list[Turn]:
    turns = [event.turn for event in events if isinstance(event, CallTurn)]
    assert all(turn is not None for turn in turns)
    return [turn for turn in turns if turn is not None]


def spoken(turns: list[Turn]) -> list[Turn]:
    return [turn for turn in turns if turn.role in ("user", "assistant")]


def ended(events: list[Event]) -> CallCompleted | CallFailed:
    [end] = [event for event in events if isinstance(event, CallCompleted | CallFailed)]
    return end


def seconds(value: float | None) -> float:
    assert value is not None
    return float(value)


@PROPERTY
@given(seed=SEEDS, options=OPTIONS)
def test_same_arguments_give_identical_bytes(seed: int, options: dict[str, Any]) -> None:
    first = [event.to_json() for event in simulate_call(seed=seed, **options)]
    second = [event.to_json() for event in simulate_call(seed=seed, **options)]
    assert first == second


@PROPERTY
@given(seed=SEEDS, options=OPTIONS)
def test_every_event_parses_back_to_the_same_bytes(seed: int, options: dict[str, Any]) -> None:
    for event in simulate_call(seed=seed, **options):
        parsed = parse_event(event.to_json())
        assert type(parsed) is type(event)
        assert parsed.to_json() == event.to_json()


@PROPERTY
@given(seed=SEEDS, options=OPTIONS)
def test_event_order_follows_the_outcome(seed: int, options: dict[str, Any]) -> None:
    events = simulate_call(seed=seed, **options)
    kinds = [event.type for event in events]
    end = ended(events)
    has_turns = bool(turns_of(events))
    assert kinds[0] == "call_started"
    middle = kinds[1 : kinds.index(end.type)]
    assert set(middle) <= {"call_turn"}
    expects_analysis = isinstance(end, CallCompleted) or has_turns
    assert kinds[kinds.index(end.type) + 1 :] == (["post_call_analysis"] if expects_analysis else [])
    if end.effective_end_reason in DIAL_FAILURE_END_REASONS:
        assert isinstance(end, CallFailed)
        assert not has_turns


@pytest.mark.parametrize("reason", DIAL_FAILURE_END_REASONS)
def test_dial_failures_fail_without_turns_even_when_turns_are_asked_for(reason: str) -> None:
    events = simulate_call(seed=3, outcome=reason, turns=6)
    assert [event.type for event in events] == ["call_started", "call_failed"]
    end = ended(events)
    assert end.call is not None
    assert end.call.end_reason == reason
    assert end.call.telephony_params is not None
    assert end.call.telephony_params.direction == "outbound"


def test_error_fails_after_some_turns() -> None:
    events = simulate_call(seed=11, outcome="error", turns=5)
    assert isinstance(ended(events), CallFailed)
    assert len(spoken(turns_of(events))) == 5
    assert events[-1].type == "post_call_analysis"


@pytest.mark.parametrize("reason", COMPLETED_END_REASONS)
def test_other_end_reasons_complete_the_call_with_that_reason(reason: str) -> None:
    end = ended(simulate_call(seed=5, outcome=reason))
    assert isinstance(end, CallCompleted)
    assert end.call is not None
    assert end.call.end_reason == reason
    assert end.end_reason == reason


@pytest.mark.parametrize(
    ("outcome", "cls", "reasons"),
    [("completed", CallCompleted, COMPLETED_END_REASONS), ("failed", CallFailed, FAILED_END_REASONS)],
)
def test_generic_outcomes_pick_a_matching_end_reason(outcome: str, cls: type[Event], reasons: tuple[str, ...]) -> None:
    for seed in range(40):
        end = ended(simulate_call(seed=seed, outcome=outcome))
        assert isinstance(end, cls)
        assert end.effective_end_reason in reasons


def test_unspecified_outcome_is_mostly_completed() -> None:
    completed = sum(isinstance(ended(simulate_call(seed=seed)), CallCompleted) for seed in range(200))
    assert 140 <= completed < 200


@PROPERTY
@given(seed=SEEDS, options=OPTIONS)
def test_one_set_of_ids_with_platform_shapes(seed: int, options: dict[str, Any]) -> None:
    events = simulate_call(seed=seed, **options)
    for field, shape in ID_SHAPES.items():
        values = {getattr(event, field) for event in events}
        assert len(values) == 1, field
        assert re.fullmatch(shape, values.pop() or ""), field
    started = events[0]
    assert isinstance(started, CallStarted)
    assert started.call is not None
    assert started.call.id == started.call_id
    assert started.call.agent_id == started.agent_id
    assert re.fullmatch(r"ad_[0-9A-Za-z]{16}", started.call.deployment_id or "")
    assert started.call.deployment_region in ("US", "EU", "APAC")
    assert started.call.telephony_account_type in ("cartesia", "twilio", "sip_trunk")
    assert isinstance(started.call.metadata, dict)


@PROPERTY
@given(seed=SEEDS, options=OPTIONS)
def test_pinning_the_ids_changes_nothing_else(seed: int, options: dict[str, Any]) -> None:
    drawn = simulate_call(seed=seed, **options)
    pinned = simulate_call(
        seed=seed, call_id="ac_pinned", agent_id="agent_pinned", webhook_id="agent_webhook_pinned", **options
    )

    # The deployments belong to the agent, so pinning the agent also renames those: nothing else changes.
    renamed = [
        (pinned_deployment[key].encode(), drawn_deployment[key].encode())
        for pinned_deployment, drawn_deployment in zip(
            agent_deployments("agent_pinned"), agent_deployments(drawn[0].agent_id or ""), strict=True
        )
        for key in ("id", "version_id")
    ]

    def rewrite(event: Event) -> bytes:
        data = (
            event.to_json()
            .replace(b"ac_pinned", (drawn[0].call_id or "").encode())
            .replace(b"agent_webhook_pinned", (drawn[0].webhook_id or "").encode())
            .replace(b"agent_pinned", (drawn[0].agent_id or "").encode())
        )
        for old, new in renamed:
            data = data.replace(old, new)
        return data

    assert [rewrite(event) for event in pinned] == [event.to_json() for event in drawn]


def test_given_ids_are_used() -> None:
    events = simulate_call(seed=1, agent_id="agent_mine", webhook_id="agent_webhook_mine", call_id="ac_mine")
    assert {(e.call_id, e.agent_id, e.webhook_id) for e in events} == {("ac_mine", "agent_mine", "agent_webhook_mine")}


@PROPERTY
@given(seed=SEEDS, options=OPTIONS)
def test_envelope_timestamps_follow_the_call(seed: int, options: dict[str, Any]) -> None:
    events = simulate_call(seed=seed, **options)
    stamps = [event.timestamp.nanoseconds for event in events if event.timestamp is not None]
    assert len(stamps) == len(events)
    assert stamps == sorted(stamps)
    start = events[0]
    assert isinstance(start, CallStarted)
    assert start.call is not None
    assert start.call.start_time == start.timestamp
    assert start.call.end_time is None
    assert "end_time" not in json.loads(start.to_json())["call"]
    start_ns = stamps[0]
    for event in events:
        if isinstance(event, CallTurn):
            assert event.turn is not None
            assert event.timestamp is not None
            assert event.timestamp.nanoseconds == start_ns + round(seconds(event.turn.end_timestamp) * 1000) * 10**6
    end = ended(events)
    assert end.call is not None
    assert end.timestamp == end.call.end_time
    if isinstance(events[-1], PostCallAnalysis):
        assert events[-1].timestamp is not None
        assert end.timestamp is not None
        delay = events[-1].timestamp.nanoseconds - end.timestamp.nanoseconds
        assert 2 * 10**9 <= delay <= 8 * 10**9


@PROPERTY
@given(seed=SEEDS, options=OPTIONS)
def test_turns_have_realistic_timing(seed: int, options: dict[str, Any]) -> None:
    turns = turns_of(simulate_call(seed=seed, **options))
    talk = spoken(turns)
    for index, turn in enumerate(talk):
        start, end = seconds(turn.start_timestamp), seconds(turn.end_timestamp)
        words = len((turn.text or "").split())
        assert words >= 1
        # Durations are rounded to milliseconds, hence the small tolerance.
        assert 2.0 - 0.01 <= words / (end - start) <= 3.5 + 0.01
        if turn.role == "user":
            assert 0.08 <= seconds(turn.stt_ttfb) <= 0.35
            assert turn.vad_buffer_ms is not None
            assert 400 <= turn.vad_buffer_ms <= 900
            assert turn.tts_ttfb is None
        else:
            assert 0.15 <= seconds(turn.tts_ttfb) <= 0.45
            assert turn.stt_ttfb is None
            assert turn.end_reason in ("tts_completed", "interrupted", "call_ended")
        if index == 0:
            continue
        previous = talk[index - 1]
        gap = start - seconds(previous.end_timestamp)
        if previous.was_interrupted:
            assert previous.end_reason == "interrupted"
            assert turn.role == "user"
            assert -0.7 - 1e-9 <= gap <= -0.15 + 1e-9
            assert seconds(turn.end_timestamp) > seconds(previous.end_timestamp)
        else:
            assert 0.2 - 1e-9 <= gap <= 1.5 + 1e-9


@PROPERTY
@given(seed=SEEDS, options=OPTIONS)
def test_speakers_alternate(seed: int, options: dict[str, Any]) -> None:
    talk = spoken(turns_of(simulate_call(seed=seed, **options)))
    for previous, turn in itertools.pairwise(talk):
        if previous.role == turn.role:
            # Only an assistant speaks twice in a row: once to start a tool call, once with its result.
            assert turn.role == "assistant"
            assert previous.tool_calls


def test_interruptions_occur() -> None:
    interrupted = [
        turn
        for seed in range(60)
        for turn in turns_of(simulate_call(seed=seed, outcome="completed"))
        if turn.was_interrupted
    ]
    assert interrupted
    assert all(turn.end_reason == "interrupted" for turn in interrupted)


@PROPERTY
@given(seed=SEEDS, options=OPTIONS)
def test_text_chunks_cover_assistant_text_in_time_order(seed: int, options: dict[str, Any]) -> None:
    for turn in turns_of(simulate_call(seed=seed, **options)):
        if turn.role != "assistant":
            continue
        assert turn.text_chunks
        assert "".join(chunk.text or "" for chunk in turn.text_chunks) == turn.text
        starts = [seconds(chunk.start_timestamp) for chunk in turn.text_chunks]
        assert starts[0] == turn.start_timestamp
        assert all(a < b for a, b in itertools.pairwise(starts))
        assert starts[-1] < seconds(turn.end_timestamp)


def string_leaves(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in string_leaves(item)]
    if isinstance(value, list):
        return [leaf for item in value for leaf in string_leaves(item)]
    return []


@PROPERTY
@given(seed=SEEDS, options=OPTIONS)
def test_tool_calls_use_what_the_caller_said_and_feed_the_next_answer(seed: int, options: dict[str, Any]) -> None:
    talk = spoken(turns_of(simulate_call(seed=seed, **options)))
    heard: list[str] = []  # what the caller said and the tools returned so far
    for index, turn in enumerate(talk):
        if turn.role == "user":
            heard.append(turn.text or "")
        for tool_call in turn.tool_calls or []:
            assert re.fullmatch(r"call_[0-9A-Za-z]{8}", tool_call.id or "")
            assert isinstance(tool_call.arguments, dict)
            for value in string_leaves(tool_call.arguments):
                assert any(value in text for text in heard), (tool_call.name, value)
            assert isinstance(tool_call.result, str)
            result = json.loads(tool_call.result)
            heard.extend(string_leaves(result))
            following = [later for later in talk[index + 1 :] if later.role == "assistant"][:1]
            if following:
                assert any(leaf in (following[0].text or "") for leaf in string_leaves(result)), tool_call.name


def test_order_lookup_uses_the_number_the_caller_gave() -> None:
    talk = spoken(turns_of(simulate_call(seed=8, domain="order_status", outcome="agent_hangup")))
    [lookup] = [call for turn in talk for call in turn.tool_calls or [] if call.name == "lookup_order"]
    assert isinstance(lookup.arguments, dict)
    number = lookup.arguments["order_number"]
    said = re.search(
        r"order (\d+)", next(turn.text or "" for turn in talk if turn.role == "user" and "order" in (turn.text or ""))
    )
    assert said is not None
    assert said.group(1) == number


@PROPERTY
@given(seed=SEEDS, options=OPTIONS)
def test_system_turns_carry_log_entries(seed: int, options: dict[str, Any]) -> None:
    for turn in turns_of(simulate_call(seed=seed, **options)):
        if turn.role != "system":
            continue
        logs = [log for log in (turn.log_event, turn.log_metric) if log is not None]
        assert len(logs) == 1
        assert logs[0].timestamp == turn.start_timestamp == turn.end_timestamp
        if turn.log_metric is not None:
            assert turn.log_metric.name in (*BUILTIN_METRICS, FORM_ANSWER_METRIC)
            # Built-in timing metrics are numbers; the form-filling agent logs each answer as a string.
            expected = int if turn.log_metric.name in BUILTIN_METRICS else str
            assert isinstance(turn.log_metric.value, expected)
        if turn.log_event is not None:
            metadata = turn.log_event.metadata
            assert isinstance(metadata, dict)
            if {"level", "message", "metadata"} <= set(metadata):  # the agent SDK's LogMessage shape
                assert metadata["level"] in LOG_LEVELS
                assert isinstance(metadata["message"], str)
                assert isinstance(metadata["metadata"], dict)


def test_all_builtin_metrics_are_logged_in_a_full_call() -> None:
    names = {
        turn.log_metric.name
        for turn in turns_of(simulate_call(seed=2, domain="order_status", outcome="client_hangup", turns=12))
        if turn.log_metric is not None
    }
    assert set(BUILTIN_METRICS) <= names


@PROPERTY
@given(seed=SEEDS, options=OPTIONS)
def test_final_call_holds_the_transcript_and_legacy_fields_mirror_it(seed: int, options: dict[str, Any]) -> None:
    events = simulate_call(seed=seed, **options)
    transcript = turns_of(events)
    end = ended(events)
    assert end.call is not None
    assert end.call.transcript == transcript
    assert end.call.status == ("failed" if isinstance(end, CallFailed) else "completed")
    wire = json.loads(end.to_json())
    if options.get("legacy_fields", True):
        assert wire["body"] == wire["call"]["transcript"]
        assert wire["end_reason"] == wire["call"]["end_reason"]
        for event in events:
            if isinstance(event, CallTurn):
                assert json.loads(event.to_json())["body"] == json.loads(event.to_json())["turn"]
    else:
        assert "body" not in wire
        assert "end_reason" not in wire
        assert all("body" not in json.loads(event.to_json()) for event in events)
    if isinstance(end, CallFailed):
        assert end.call.error_message
        assert end.call.end_reason in FAILED_END_REASONS
    else:
        assert "error_message" not in wire["call"]


@PROPERTY
@given(seed=SEEDS, options=OPTIONS)
def test_telephony_shapes(seed: int, options: dict[str, Any]) -> None:
    call = ended(simulate_call(seed=seed, **options)).call
    assert call is not None
    phone = call.telephony_params
    if phone is None:
        assert call.telephony_account_type == "cartesia"
        return
    assert re.fullmatch(r"\+[1-9]\d{6,14}", phone.to or "")
    assert re.fullmatch(r"\+[1-9]\d{6,14}", phone.from_ or "")
    assert phone.to != phone.from_
    assert re.fullmatch(r"CA[0-9a-f]{32}", phone.call_sid or "")
    assert phone.direction in ("inbound", "outbound")
    assert phone.connection_type == "phone"
    assert "from" in json.loads(phone.to_json())


def test_inbound_outbound_and_websocket_calls_all_occur() -> None:
    kinds = set()
    for seed in range(80):
        call = ended(simulate_call(seed=seed, outcome="completed")).call
        assert call is not None
        kinds.add(call.telephony_params.direction if call.telephony_params else "websocket")
    assert kinds == {"inbound", "outbound", "websocket"}


@PROPERTY
@given(seed=SEEDS, options=OPTIONS.map(lambda o: {**o, "domain": "form_intake"}))
def test_form_intake_logs_a_metric_per_answered_question(seed: int, options: dict[str, Any]) -> None:
    turns = turns_of(simulate_call(seed=seed, **options))
    answers = [index for index, turn in enumerate(turns) if turn.role == "user" and _answers_question(turns, index)]
    metrics = [turn for turn in turns if turn.log_metric is not None and turn.log_metric.name == FORM_ANSWER_METRIC]
    assert len(metrics) == len(answers)
    # Each metric's value is the answer itself, as the caller said it.
    for metric, index in zip(metrics, answers, strict=True):
        assert metric.log_metric is not None
        assert isinstance(metric.log_metric.value, str)
        assert metric.log_metric.value in (turns[index].text or "")


def _answers_question(turns: list[Turn], index: int) -> bool:
    """A user turn right after a form question (the opening "Which form ...?" is not one)."""
    previous = [turn for turn in turns[:index] if turn.role != "system"]
    asked = previous[-1].text or "" if previous and previous[-1].role == "assistant" else ""
    return asked.endswith("?") and "Which form" not in asked


@PROPERTY
@given(seed=SEEDS, options=OPTIONS)
def test_summary_names_the_topic(seed: int, options: dict[str, Any]) -> None:
    events = simulate_call(seed=seed, **options)
    if not isinstance(events[-1], PostCallAnalysis):
        return
    assert events[-1].analysis is not None
    summary = events[-1].analysis.summary or ""
    intents = [
        turn.log_event.metadata
        for turn in turns_of(events)
        if turn.log_event is not None and turn.log_event.event == "intent_detected" and turn.log_event.metadata
    ]
    # The intent is in the event's metadata, or in its "metadata" when the agent SDK's LogMessage logged it.
    details = [metadata.get("metadata", metadata) for metadata in intents]
    domain = options.get("domain") or (details[0]["intent"] if details else None)
    if domain is not None:
        assert TOPIC_WORDS[domain] in summary


@PROPERTY
@given(seed=SEEDS, turns=st.integers(min_value=0, max_value=40), domain=st.sampled_from(DOMAINS))
def test_turns_option_sets_the_number_of_spoken_turns(seed: int, turns: int, domain: str) -> None:
    events = simulate_call(seed=seed, turns=turns, domain=domain, outcome="client_hangup")
    assert len(spoken(turns_of(events))) == turns


@PROPERTY
@given(seed=SEEDS, turns=st.integers(min_value=1, max_value=20))
def test_a_seeded_outcome_keeps_the_turns_asked_for(seed: int, turns: int) -> None:
    events = simulate_call(seed=seed, turns=turns)
    assert ended(events).effective_end_reason not in DIAL_FAILURE_END_REASONS
    assert len(spoken(turns_of(events))) == turns


def test_several_locales_give_non_ascii_text() -> None:
    texts = "".join(e.to_json().decode() for seed in range(6) for e in simulate_call(seed=seed, locale="ja_JP"))
    assert any(ord(char) > 127 for char in texts)
    for locale in ("fr_FR", "de_DE", "es_ES"):
        texts = "".join(e.to_json().decode() for seed in range(20) for e in simulate_call(seed=seed, locale=locale))
        assert re.search(r"[éèàâäöüßñçÉÖÜ]", texts), locale


def test_start_is_used_and_default_start_depends_only_on_the_seed() -> None:
    start = datetime(2026, 3, 2, 16, 4, 5, 123456, tzinfo=timezone(timedelta(hours=1)))
    first = simulate_call(seed=4, start=start)[0]
    assert first.timestamp == "2026-03-02T15:04:05.123456000Z"
    assert simulate_call(seed=4)[0].timestamp == simulate_call(seed=4)[0].timestamp
    assert simulate_call(seed=4)[0].timestamp != simulate_call(seed=5)[0].timestamp


def test_simulate_calls_derives_one_seed_per_call() -> None:
    calls = list(simulate_calls(seed=9, count=3, domain="billing_support"))
    assert len(calls) == 3
    for index, events in enumerate(calls):
        expected = simulate_call(seed=derive_seed(9, index), domain="billing_support")
        assert [e.to_json() for e in events] == [e.to_json() for e in expected]
    assert len({events[0].call_id for events in calls}) == 3


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"outcome": "exploded"}, "outcome: expected one of completed, failed"),
        ({"domain": "weather"}, "domain: expected one of appointment_scheduling"),
        ({"turns": -1}, "turns: expected an integer >= 0, got -1"),
        ({"locale": "xx_XX"}, "locale: expected one of en_US"),
        ({"start": datetime(2026, 1, 1)}, "start: expected a timezone-aware datetime"),
    ],
)
def test_bad_options_are_clear_errors(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        simulate_call(seed=1, **options)


def test_start_default_is_not_now() -> None:
    stamp = simulate_call(seed=0)[0].timestamp
    assert stamp is not None
    assert datetime(2026, 1, 5, tzinfo=UTC) <= stamp.datetime < datetime(2026, 4, 6, tzinfo=UTC)


def test_simulating_in_threads_gives_the_same_bytes_as_in_sequence() -> None:
    from concurrent.futures import ThreadPoolExecutor

    seeds = list(range(24))

    def dump(seed: int) -> list[bytes]:
        return [event.to_json() for event in simulate_call(seed=seed, locale="fr_FR")]

    expected = [dump(seed) for seed in seeds]
    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(dump, seeds)) == expected


@pytest.mark.parametrize("reason", AGENT_END_REASONS)
def test_the_agent_sdk_end_reasons_complete_the_call(reason: str) -> None:
    for seed in range(10):
        events = simulate_call(seed=seed, outcome=reason)
        end = ended(events)
        assert isinstance(end, CallCompleted)
        assert end.effective_end_reason == reason
        last_assistant = [turn for turn in turns_of(events) if turn.role == "assistant"][-1]
        assert last_assistant.end_reason == "call_ended"  # the agent ended the call


def test_seeded_completed_calls_include_the_agent_sdk_end_reasons() -> None:
    reasons = {ended(simulate_call(seed=seed, outcome="completed")).effective_end_reason for seed in range(300)}
    assert set(AGENT_END_REASONS) <= reasons


def test_a_voicemail_is_an_outbound_call_with_the_greeting_and_the_agents_message() -> None:
    for seed in range(10):
        events = simulate_call(seed=seed, outcome="voicemail_detected", turns=None if seed % 2 else 8)
        call = ended(events).call
        assert call is not None
        assert call.telephony_params is not None
        assert call.telephony_params.direction == "outbound"
        talk = spoken(turns_of(events))
        assert [turn.role for turn in talk] == ["user", "assistant"]
        assert "leave a message" in (talk[0].text or "")
        analysis = events[-1]
        assert isinstance(analysis, PostCallAnalysis)
        assert analysis.analysis is not None
        assert "voicemail" in (analysis.analysis.summary or "")
    assert len(spoken(turns_of(simulate_call(seed=1, outcome="voicemail_detected", turns=1)))) == 1


def test_log_events_come_in_both_the_websocket_and_the_agent_sdk_shapes() -> None:
    shapes = set()
    levels = set()
    for seed in range(40):
        for turn in turns_of(simulate_call(seed=seed, outcome="error" if seed % 4 == 0 else "completed", turns=4)):
            metadata = turn.log_event.metadata if turn.log_event is not None else None
            if metadata is None:
                continue
            sdk = {"level", "message", "metadata"} <= set(metadata)
            shapes.add("sdk" if sdk else "websocket")
            if sdk:
                levels.add(metadata["level"])
    assert shapes == {"sdk", "websocket"}
    assert levels == set(LOG_LEVELS)  # errors are logged at level "error"


def test_system_turn_text_is_empty_omitted_or_null() -> None:
    shapes = set()
    for seed in range(40):
        for event in simulate_call(seed=seed, turns=2):
            if isinstance(event, CallTurn) and event.turn is not None and event.turn.role == "system":
                wire = json.loads(event.to_json())["turn"]
                shapes.add("omitted" if "text" not in wire else repr(wire["text"]))
    assert shapes == {"omitted", "''", "None"}


def test_outbound_to_and_metadata_pin_the_call_and_change_nothing_else() -> None:
    for seed in range(20):
        plain = simulate_call(seed=seed, outcome="agent_hangup")
        pinned = simulate_call(seed=seed, outcome="agent_hangup", outbound_to="+15555550123", metadata={"k": "v"})
        call = ended(pinned).call
        assert call is not None
        assert call.telephony_params is not None
        assert (call.telephony_params.direction, call.telephony_params.to) == ("outbound", "+15555550123")
        assert call.metadata == {"k": "v"}
        plain_call = ended(plain).call
        assert plain_call is not None
        assert (plain_call.deployment_id, plain_call.zdr) == (call.deployment_id, call.zdr)
        assert ended(plain).transcript[-1].end_timestamp == ended(pinned).transcript[-1].end_timestamp or (
            plain_call.telephony_params is None or plain_call.telephony_params.direction == "inbound"
        )


@pytest.mark.parametrize(
    ("options", "message"),
    [({"outbound_to": "555-0100"}, "outbound_to: expected an E.164"), ({"metadata": ["x"]}, "metadata: expected")],
)
def test_bad_pins_are_clear_errors(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        simulate_call(seed=1, **options)


@PROPERTY
@given(seed=SEEDS, options=OPTIONS)
def test_every_call_runs_on_one_of_its_agents_deployments(seed: int, options: dict[str, Any]) -> None:
    call = ended(simulate_call(seed=seed, **options)).call
    assert call is not None
    assert call.agent_id is not None
    served = {
        (d["id"], d["version_id"]) for d in agent_deployments(call.agent_id) if d["status"] in ("deployed", "inactive")
    }
    assert (call.deployment_id, call.deployment_version_id) in served


@PROPERTY
@given(seed=SEEDS, options=OPTIONS)
def test_webhook_request_ids_are_off_by_default_and_change_nothing_else_when_on(
    seed: int, options: dict[str, Any]
) -> None:
    plain = simulate_call(seed=seed, **options)
    tagged = simulate_call(seed=seed, webhook_request_id=True, **options)
    assert all(event.webhook_request_id is None for event in plain)
    ids = [event.webhook_request_id for event in tagged]
    assert all(
        re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", i or "") for i in ids
    )
    assert len(set(ids)) == len(ids)
    for before, after in zip(plain, tagged, strict=True):
        wire = json.loads(after.to_json())
        del wire["webhook_request_id"]
        assert wire == json.loads(before.to_json())
    assert [e.webhook_request_id for e in simulate_call(seed=seed, webhook_request_id=True, **options)] == ids
