"""The payload models: every fixture parses, round-trips losslessly, and bad input names its field."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

import harness
from harness import (
    CallCompleted,
    CallFailed,
    CallStarted,
    CallTurn,
    PayloadError,
    PostCallAnalysis,
    Timestamp,
    UnknownEvent,
    parse_event,
)
from tests.conftest import EVENT_FIXTURES, load_fixture

EXPECTED_CLASS = {
    "call_started": CallStarted,
    "call_turn": CallTurn,
    "call_completed": CallCompleted,
    "call_failed": CallFailed,
    "post_call_analysis": PostCallAnalysis,
}


@pytest.mark.parametrize("path", EVENT_FIXTURES, ids=lambda p: p.stem)
def test_fixture_parses_into_its_class_and_round_trips(path: Path) -> None:
    raw = path.read_bytes()
    source = json.loads(raw)
    event = parse_event(raw)
    assert type(event) is EXPECTED_CLASS.get(source["type"], UnknownEvent)
    assert event.to_wire() == source
    assert json.loads(event.to_json()) == source
    # Dumping again from the re-parsed bytes is a fixed point.
    assert parse_event(event.to_json()).to_json() == event.to_json()


@pytest.mark.parametrize("path", EVENT_FIXTURES, ids=lambda p: p.stem)
def test_round_trip_keeps_key_order_free_json_identical_to_source(path: Path) -> None:
    source = json.loads(path.read_bytes())
    canonical = json.dumps(source, sort_keys=True, ensure_ascii=False)
    assert json.dumps(parse_event(source).to_wire(), sort_keys=True, ensure_ascii=False) == canonical


def test_accepts_str_bytes_and_mapping_alike() -> None:
    source = load_fixture("call_turn")
    text = json.dumps(source)
    assert parse_event(text) == parse_event(text.encode()) == parse_event(source)


def test_nanosecond_timestamp_is_kept_and_parsed() -> None:
    event = parse_event(load_fixture("legacy_2025_call_completed"))
    assert event.timestamp == "2025-06-24T23:36:40.360473878Z"
    assert event.timestamp is not None
    assert event.timestamp.nanoseconds == 1_750_808_200_360_473_878
    assert event.timestamp.datetime == datetime(2025, 6, 24, 23, 36, 40, 360473, tzinfo=UTC)


def test_timestamp_from_datetime_uses_z_and_nine_digits() -> None:
    stamp = Timestamp.from_datetime(datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC))
    assert stamp == "2026-01-02T03:04:05.000006000Z"
    assert Timestamp.from_datetime(datetime(2026, 1, 2, tzinfo=UTC), nanoseconds=7) == "2026-01-02T00:00:00.000000007Z"
    with pytest.raises(ValueError, match="timezone-aware"):
        Timestamp.from_datetime(datetime(2026, 1, 2))


def test_timestamp_from_datetime_converts_offsets_to_utc_and_refuses_out_of_range_nanoseconds() -> None:
    two_hours_ahead = timezone(timedelta(hours=2))
    local = datetime(2026, 1, 2, 1, 0, 0, 250000, tzinfo=two_hours_ahead)
    assert Timestamp.from_datetime(local) == "2026-01-01T23:00:00.250000000Z"
    assert Timestamp.from_datetime(datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC)) == "1969-12-31T23:59:59.000000000Z"
    with pytest.raises(ValueError, match="nanoseconds"):
        Timestamp.from_datetime(datetime(2026, 1, 2, tzinfo=UTC), nanoseconds=1_000_000_000)


def test_timestamp_from_epoch_ns_round_trips_through_nanoseconds() -> None:
    ns = 1_750_808_200_360_473_878
    stamp = Timestamp.from_epoch_ns(ns)
    assert stamp == "2025-06-24T23:36:40.360473878Z"
    assert stamp.nanoseconds == ns
    assert Timestamp.from_epoch_ns(ns, digits=3) == "2025-06-24T23:36:40.360Z"
    assert Timestamp.from_epoch_ns(ns, digits=0) == "2025-06-24T23:36:40Z"
    assert Timestamp.from_epoch_ns(-1) == "1969-12-31T23:59:59.999999999Z"


def test_timestamp_now_is_a_current_utc_timestamp() -> None:
    before = datetime.now(UTC)
    stamp = Timestamp.now()
    after = datetime.now(UTC)
    assert Timestamp.parse(stamp) == stamp
    assert stamp.endswith("Z")
    assert before.replace(microsecond=0) <= stamp.datetime <= after


def test_offset_timestamp_is_kept_verbatim() -> None:
    event = parse_event({"type": "call_started", "timestamp": "2026-03-02T17:04:05.5+02:00"})
    assert event.to_wire()["timestamp"] == "2026-03-02T17:04:05.5+02:00"
    assert event.timestamp is not None
    assert event.timestamp.datetime == datetime(2026, 3, 2, 15, 4, 5, 500000, tzinfo=UTC)


def test_from_is_the_wire_name_of_the_caller_number() -> None:
    event = parse_event(load_fixture("call_started"))
    assert isinstance(event, CallStarted)
    assert event.call is not None
    assert event.call.telephony_params is not None
    assert event.call.telephony_params.from_ == "+14155550123"
    assert "from" in event.to_wire()["call"]["telephony_params"]
    assert "from_" not in event.to_json().decode()


def test_omitted_and_null_are_kept_apart() -> None:
    event = parse_event({"type": "call_started", "call": {"id": "ac_1", "end_time": None}})
    assert event.to_wire() == {"type": "call_started", "call": {"id": "ac_1", "end_time": None}}


def test_unknown_fields_survive_at_every_depth() -> None:
    source = {
        "type": "call_turn",
        "future": {"a": [1, {"b": None}]},
        "turn": {"role": "user", "new_metric": 0.5, "tool_calls": [{"id": "t1", "extra": True}]},
    }
    assert parse_event(source).to_wire() == source


def test_ints_stay_ints_and_floats_stay_floats() -> None:
    out = parse_event({"type": "call_turn", "turn": {"start_timestamp": 1, "end_timestamp": 2.0}}).to_json()
    assert b'"start_timestamp":1,' in out
    assert b'"end_timestamp":2.0' in out


@pytest.mark.parametrize(
    ("field", "value"),
    [("end_reason", "voicemail_detected"), ("status", "on_hold"), ("deployment_region", "MARS")],
)
def test_vocabularies_are_open_strings(field: str, value: str) -> None:
    event = parse_event({"type": "call_completed", "call": {field: value}})
    assert isinstance(event, CallCompleted)
    assert event.call is not None
    assert getattr(event.call, field) == value


def test_turn_role_and_direction_are_open() -> None:
    event = parse_event(
        {"type": "call_turn", "turn": {"role": "supervisor"}, "call": {"telephony_params": {"direction": "sideways"}}}
    )
    assert isinstance(event, CallTurn)
    assert event.turn is not None
    assert event.turn.role == "supervisor"


def test_known_vocabularies_are_exported() -> None:
    assert len(harness.END_REASONS) == 10
    assert set(harness.DIAL_FAILURE_END_REASONS) <= set(harness.END_REASONS)
    assert tuple(harness.EVENT_CLASSES) == harness.EVENT_TYPES
    assert "system" in harness.TURN_ROLES


def test_unknown_type_becomes_unknown_event() -> None:
    event = parse_event(load_fixture("unknown_event_type"))
    assert isinstance(event, UnknownEvent)
    assert event.type == "call_transferred"


def test_legacy_2025_transcript_and_end_reason_come_from_body() -> None:
    event = parse_event(load_fixture("legacy_2025_call_completed"))
    assert isinstance(event, CallCompleted)
    assert event.call is None
    assert event.call_id is None
    assert event.request_id == "MZ4958bfe4940bf0ef6cc92f8c6cfa1a1f"
    assert [turn.role for turn in event.transcript] == ["assistant"]
    assert event.effective_end_reason is None


def test_current_format_prefers_call_over_legacy_fields() -> None:
    source = load_fixture("call_completed")
    source["end_reason"] = "legacy_value"
    event = parse_event(source)
    assert isinstance(event, CallCompleted)
    assert event.effective_end_reason == "client_hangup"
    assert len(event.transcript) == len(source["call"]["transcript"])


def test_call_turn_falls_back_to_legacy_body() -> None:
    source = load_fixture("call_turn")
    del source["turn"]
    event = parse_event(source)
    assert isinstance(event, CallTurn)
    assert event.effective_turn is not None
    assert event.effective_turn.text == source["body"]["text"]


def test_constructed_event_dumps_its_type() -> None:
    assert CallStarted(call_id="ac_1").to_wire() == {"type": "call_started", "call_id": "ac_1"}


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b"\xff\xfe\x00", "payload is not"),
        (b'{"type": "x", "a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "payload is nested too deeply"),
        (b"[1, 2]", "must be a JSON object, got an array"),
        (b'"call_started"', "must be a JSON object, got the string"),
        (b"{}", 'field "type": required'),
        (b'{"type": 3}', 'field "type": expected a string, got the number 3'),
        (b'{"type": "call_completed", "call": {"transcript": "x"}}', 'field "call.transcript": expected a list'),
        (
            b'{"type": "call_turn", "turn": {"start_timestamp": "1.5"}}',
            'field "turn.start_timestamp": expected a number',
        ),
        (b'{"type": "call_turn", "turn": {"vad_buffer_ms": "5"}}', 'field "turn.vad_buffer_ms": expected an integer'),
        (
            b'{"type": "call_turn", "turn": {"was_interrupted": "true"}}',
            'field "turn.was_interrupted": expected a boolean',
        ),
        (b'{"type": "call_started", "timestamp": "yesterday"}', 'field "timestamp": expected an RFC 3339 timestamp'),
        (b'{"type": "call_started", "timestamp": "2025-13-01T00:00:00Z"}', "month must be in 1..12"),
        (b'{"type": "call_started", "call": []}', 'field "call": expected an object, got an array'),
        (
            b'{"type": "call_failed", "body": [{"tool_calls": [{"arguments": 5}]}]}',
            'field "body[0].tool_calls[0].arguments": expected an object or a string, got the number 5',
        ),
    ],
)
def test_invalid_payload_names_the_field(payload: bytes, message: str) -> None:
    with pytest.raises(PayloadError) as info:
        parse_event(payload)
    assert message in str(info.value)
    assert isinstance(info.value, harness.HarnessError)


def test_validation_error_is_chained() -> None:
    with pytest.raises(PayloadError) as info:
        parse_event({"type": "call_turn", "turn": []})
    assert info.value.__cause__ is not None


def _nested_payload(levels: int) -> dict[str, Any]:
    """A call_started whose total nesting is exactly ``levels`` (the payload object is level 1)."""
    deep: Any = []
    for _ in range(levels - 4):  # the payload, "call" and "metadata" are levels 1-3; the innermost [] is the last
        deep = [deep]
    return {"type": "call_started", "call": {"metadata": {"deep": deep}}}


def test_nesting_up_to_the_limit_round_trips() -> None:
    from harness.models import MAX_NESTING

    source = _nested_payload(MAX_NESTING)
    assert json.loads(parse_event(json.dumps(source)).to_json()) == source


def test_one_level_past_the_limit_is_a_payload_error() -> None:
    from harness.models import MAX_NESTING

    with pytest.raises(PayloadError, match=f"nested more than {MAX_NESTING} levels"):
        parse_event(_nested_payload(MAX_NESTING + 1))


@pytest.mark.parametrize("depth", [260, 2000])
def test_nesting_beyond_the_limit_is_a_payload_error(depth: int) -> None:
    payload = '{"type": "ping", "x": ' + "[" * depth + "]" * depth + "}"
    with pytest.raises(PayloadError, match="nested"):
        parse_event(payload)
