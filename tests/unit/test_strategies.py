"""The hypothesis strategies: everything drawn parses back to the same bytes, and the options take effect."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st

from harness import strategies
from harness.generate import DOMAINS
from harness.models import (
    BUILTIN_METRICS,
    EVENT_TYPES,
    TRUNCATION_LIMIT,
    Analysis,
    BaseEvent,
    Call,
    CallCompleted,
    CallFailed,
    CallStarted,
    CallTurn,
    Event,
    LogEvent,
    LogMetric,
    PostCallAnalysis,
    TelephonyParams,
    TextChunk,
    Timestamp,
    ToolCall,
    Turn,
    UnknownEvent,
    WireModel,
    parse_event,
)

# Edge cases draw 30,000+ character texts on purpose; the size health checks would flag exactly that.
PROPERTY = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
OPTION_SETS = [
    {},
    {"unknown_fields": True},
    {"edge_cases": True},
    {"unknown_fields": True, "edge_cases": True},
]


def assert_round_trips(event: Event) -> None:
    wire = event.to_json()
    parsed = parse_event(wire)
    assert type(parsed) is type(event)
    assert parsed.to_json() == wire


def keys_at_every_depth(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {key for item in value.values() for key in keys_at_every_depth(item)}
    if isinstance(value, list):
        return {key for item in value for key in keys_at_every_depth(item)}
    return set()


@pytest.mark.parametrize("options", OPTION_SETS, ids=lambda o: "-".join(o) or "plain")
@PROPERTY
@given(data=st.data())
def test_every_event_drawn_parses_back_to_the_same_bytes(options: dict[str, bool], data: st.DataObject) -> None:
    event = data.draw(strategies.events(**options))
    assert_round_trips(event)


@PROPERTY
@given(event=strategies.events(unknown_fields=True))
def test_unknown_fields_are_injected(event: Event) -> None:
    assert any(key.startswith("x_") for key in json.loads(event.to_json()))


@PROPERTY
@given(event=strategies.events())
def test_plain_events_have_known_types_and_vocabulary_and_no_nulls(event: Event) -> None:
    wire = json.loads(event.to_json())
    assert not any(key.startswith("x_") for key in keys_at_every_depth(wire))
    for key in ("call_id", "agent_id", "webhook_id", "timestamp"):
        assert isinstance(wire[key], str)
    if isinstance(event, CallTurn | CallCompleted | CallFailed) and event.type != "call_turn":
        assert event.call is not None


def test_edge_cases_cover_the_awkward_shapes() -> None:
    seen: set[str] = set()

    @settings(max_examples=300, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(event=strategies.events(edge_cases=True))
    def collect(event: Event) -> None:
        text = event.to_json().decode()
        wire = json.loads(text)
        if ":null" in text:
            seen.add("null")
        if len(text) > TRUNCATION_LIMIT:
            seen.add("long")
        if any(ord(char) > 0xFFFF for char in text) or "\\u" in text or any(ord(char) > 127 for char in text):
            seen.add("unicode")
        if wire["type"] not in EVENT_TYPES:
            seen.add("unknown type")
        if '"text":""' in text:
            seen.add("empty text")
        if any(f'"{value}"' in text for value in strategies.UNKNOWN_VOCABULARY if value):
            seen.add("unknown vocabulary")

    collect()
    assert seen == {"null", "long", "unicode", "unknown type", "empty text", "unknown vocabulary"}


@PROPERTY
@given(event=strategies.call_turn_events(legacy_fields=True))
def test_legacy_turn_body_mirrors_the_turn(event: CallTurn) -> None:
    wire = json.loads(event.to_json())
    assert wire["body"] == wire["turn"]


@pytest.mark.parametrize("strategy", [strategies.call_completed_events, strategies.call_failed_events])
@PROPERTY
@given(data=st.data())
def test_legacy_end_fields_follow_the_option(strategy: Any, data: st.DataObject) -> None:
    with_legacy = json.loads(data.draw(strategy(legacy_fields=True)).to_json())
    assert with_legacy["body"] == with_legacy["call"].get("transcript", [])
    assert with_legacy.get("end_reason") == with_legacy["call"].get("end_reason")
    without = json.loads(data.draw(strategy(legacy_fields=False)).to_json())
    assert "body" not in without
    assert "end_reason" not in without


@PROPERTY
@given(event=strategies.call_started_events())
def test_call_started_has_no_end_time(event: CallStarted) -> None:
    assert event.call is not None
    assert event.call.status == "started"
    assert "end_time" not in event.call.model_fields_set


@PROPERTY
@given(turn=strategies.turns(role="system"))
def test_role_option_pins_the_role(turn: Turn) -> None:
    assert turn.role == "system"


@PROPERTY
@given(stamp=strategies.timestamps(edge_cases=True))
def test_timestamps_are_rfc3339(stamp: Timestamp) -> None:
    assert Timestamp.parse(str(stamp)) == stamp
    assert stamp.datetime.tzinfo is not None


@settings(PROPERTY, max_examples=15)
@given(events=strategies.simulated_calls(unknown_fields=True, domain="order_status"))
def test_simulated_calls_are_coherent_and_parse(events: list[Event]) -> None:
    assert events[0].type == "call_started"
    assert len({event.call_id for event in events}) == 1
    for event in events:
        assert_round_trips(event)
        assert any(key.startswith("x_") for key in json.loads(event.to_json()))


@PROPERTY
@given(sequence=strategies.call_sequences(min_calls=2, max_calls=4))
def test_call_sequences_share_one_agent(sequence: list[list[Event]]) -> None:
    assert 2 <= len(sequence) <= 4
    assert len({call[0].call_id for call in sequence}) == len(sequence)
    assert len({event.agent_id for call in sequence for event in call}) == 1
    assert len({event.webhook_id for call in sequence for event in call}) == 1
    for call in sequence:
        for event in call:
            assert_round_trips(event)


@PROPERTY
@given(sequence=strategies.call_sequences(min_calls=3, max_calls=3, same_agent=False, domain=DOMAINS[0]))
def test_call_sequences_can_span_agents(sequence: list[list[Event]]) -> None:
    assert len({call[0].agent_id for call in sequence}) == 3


@pytest.mark.parametrize(
    "cls",
    [
        CallStarted,
        CallTurn,
        CallCompleted,
        CallFailed,
        PostCallAnalysis,
        UnknownEvent,
        Call,
        Turn,
        ToolCall,
        TextChunk,
        LogEvent,
        LogMetric,
        TelephonyParams,
        Analysis,
        Timestamp,
    ],
)
def test_from_type_uses_the_registered_strategies(cls: type[Any]) -> None:
    drawn: list[Any] = []

    @settings(max_examples=10, deadline=None, database=None)
    @given(value=st.from_type(cls))
    def collect(value: Any) -> None:
        drawn.append(value)

    collect()
    assert drawn
    for value in drawn:
        assert type(value) is cls
        if isinstance(value, BaseEvent):
            assert_round_trips(value)  # type: ignore[arg-type]  # every drawn event is one of Event's members
        elif isinstance(value, WireModel):
            assert type(value).model_validate_json(value.to_json()).to_json() == value.to_json()


def test_from_type_base_event_draws_every_known_type() -> None:
    types: set[str] = set()

    @settings(max_examples=150, deadline=None, database=None)
    @given(event=st.from_type(BaseEvent))
    def collect(event: BaseEvent) -> None:
        types.add(event.type if event.type in EVENT_TYPES else "unknown")

    collect()
    assert types == {*EVENT_TYPES, "unknown"}


def test_importing_hypothesis_does_not_load_the_simulator() -> None:
    import subprocess
    import sys

    heavy = "('harness.generate', 'harness.strategies')"
    code = f"import sys, hypothesis; print(sorted(m for m in {heavy} if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == "[]"


def _sdk_shaped(event: LogEvent | None) -> bool:
    metadata = event.metadata if event is not None else None
    return isinstance(metadata, dict) and {"level", "message", "metadata"} <= set(metadata)


@pytest.mark.parametrize(
    ("strategy", "condition"),
    [
        (strategies.turns(role="system"), lambda turn: "text" not in turn.model_fields_set),
        (strategies.turns(role="system"), lambda turn: "text" in turn.model_fields_set and turn.text is None),
        (strategies.turns(role="system"), lambda turn: turn.text == ""),
        (strategies.log_events(), lambda event: _sdk_shaped(event)),
        (strategies.log_events(), lambda event: event.metadata is not None and not _sdk_shaped(event)),
        (strategies.log_metrics(), lambda metric: isinstance(metric.value, str) and metric.name != ""),
        (strategies.log_metrics(), lambda metric: isinstance(metric.value, dict | list | bool)),
        (strategies.calls(max_turns=0), lambda call: call.end_reason in ("agent_ended", "voicemail_detected")),
    ],
)
def test_every_shape_the_platform_may_send_is_drawn(strategy: st.SearchStrategy[Any], condition: Any) -> None:
    # Found is enough: shrinking a whole call would take a minute and prove nothing more.
    found = find(strategy, condition, settings=settings(max_examples=2000, database=None, phases=[Phase.generate]))
    assert condition(found)


@PROPERTY
@given(metric=strategies.log_metrics())
def test_builtin_timing_metrics_stay_numbers(metric: LogMetric) -> None:
    if metric.name in BUILTIN_METRICS and "value" in metric.model_fields_set and metric.value is not None:
        assert isinstance(metric.value, int | float)
