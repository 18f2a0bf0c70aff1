"""The 2025 format: the published shape, one request_id rule, nothing the published example does not show."""

from __future__ import annotations

import json
import re
from typing import Any

from harness.generate import simulate_call
from harness.legacy import LEGACY_TURN_FIELDS, legacy_request_id, to_2025_format
from harness.models import CallCompleted, CallTurn, PostCallAnalysis, parse_event
from tests.conftest import load_fixture

EVENTS = simulate_call(seed=11, turns=3, domain="order_status", outcome="client_hangup")


def wire() -> list[dict[str, Any]]:
    return [event.to_wire() for event in EVENTS]


def test_legacy_2025_matches_the_published_shape() -> None:
    legacy = to_2025_format(wire()[-2])
    assert set(legacy) == {"type", "request_id", "agent_id", "webhook_id", "body", "timestamp"}
    assert set(legacy) == set(load_fixture("legacy_2025_call_completed"))
    assert legacy["body"]
    assert all(turn["role"] in ("user", "assistant") for turn in legacy["body"])
    assert all(set(turn) <= set(LEGACY_TURN_FIELDS) for turn in legacy["body"])
    event = parse_event(json.dumps(legacy))
    assert isinstance(event, CallCompleted)
    assert event.call is None
    assert event.call_id is None
    assert len(event.transcript) == len(legacy["body"])


def test_a_model_and_its_wire_dict_convert_alike() -> None:
    for event, data in zip(EVENTS, wire(), strict=True):
        assert to_2025_format(event) == to_2025_format(data)


def test_every_event_of_a_call_shares_one_request_id_of_the_published_shape() -> None:
    ids = {to_2025_format(event)["request_id"] for event in EVENTS}
    assert ids == {legacy_request_id(EVENTS[0].call_id)}
    (request_id,) = ids
    published = load_fixture("legacy_2025_call_completed")["request_id"]
    assert re.fullmatch(r"MZ[0-9a-f]{32}", request_id)
    assert len(request_id) == len(published)
    assert legacy_request_id("ac_other") != request_id


def test_turns_and_analysis_keep_their_content_without_the_new_objects() -> None:
    converted = [parse_event(to_2025_format(event)) for event in EVENTS]
    for before, after in zip(EVENTS, converted, strict=True):
        assert after.type == before.type
        assert after.call_id is None
        assert after.timestamp == before.timestamp
        assert "call" not in after.to_wire()
        assert "turn" not in after.to_wire()
        if isinstance(before, CallTurn):
            assert isinstance(after, CallTurn)
            assert before.turn is not None
            assert after.body is not None
            assert after.body.text == before.turn.text
        if isinstance(before, PostCallAnalysis):
            assert isinstance(after, PostCallAnalysis)
            assert after.analysis == before.analysis


def test_missing_envelope_fields_stay_out() -> None:
    legacy = to_2025_format({"type": "call_completed", "body": [{"role": "user", "text": "hi", "vad_buffer_ms": 500}]})
    assert legacy == {
        "type": "call_completed",
        "request_id": legacy_request_id(None),
        "body": [{"role": "user", "text": "hi"}],
    }
