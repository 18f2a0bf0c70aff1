"""What the Calls API shows: call state advanced by the events that went out."""

from __future__ import annotations

from harness.models import parse_event
from harness.server.state import CallsState
from tests.conftest import load_fixture


def test_a_call_advances_with_each_event() -> None:
    state = CallsState()
    started = parse_event(load_fixture("call_started"))
    call_id = started.call_id
    assert call_id is not None
    state.create(call_id, started.agent_id)
    record = state.get(call_id)
    assert record is not None
    assert record.to_json()["status"] == "created"
    state.apply(call_id, started)
    assert record.to_json()["status"] == "started"
    assert record.to_json()["start_time"] == load_fixture("call_started")["call"]["start_time"]
    state.apply(call_id, parse_event(load_fixture("call_turn")))
    assert record.to_json()["transcript"] == [load_fixture("call_turn")["turn"]]
    completed = load_fixture("call_completed")
    state.apply(call_id, parse_event(completed))
    call = record.to_json()
    assert call["status"] == "completed"
    assert call["transcript"] == completed["call"]["transcript"]
    assert call["end_time"] == completed["call"]["end_time"]
    assert record.duration() > 0
    assert "transcript" not in record.to_json(transcript=False)


def test_a_legacy_2025_end_event_still_ends_the_call() -> None:
    state = CallsState()
    state.apply("ac_legacy", parse_event(load_fixture("legacy_2025_call_completed")))
    record = state.get("ac_legacy")
    assert record is not None
    assert record.status == "completed"
    assert record.transcript == load_fixture("legacy_2025_call_completed")["body"]
    assert record.duration() > 10


def test_the_oldest_ended_calls_are_forgotten_past_the_cap() -> None:
    state = CallsState(max_calls=2)
    failed = parse_event(load_fixture("call_failed_error"))
    for index in range(3):
        state.create(f"ac_{index}", "agent_x")
        if index < 2:
            state.apply(f"ac_{index}", failed)
    assert [c.id for c in state.newest_first()] == ["ac_2", "ac_1"]


def ended_call(state: CallsState, fixture: str = "call_completed") -> str:
    started = parse_event(load_fixture("call_started"))
    call_id = started.call_id
    assert call_id is not None
    state.create(call_id, started.agent_id)
    state.apply(call_id, started)
    state.apply(call_id, parse_event(load_fixture(fixture)))
    return call_id


def test_redaction_erases_content_keeps_the_record_and_survives_a_late_analysis() -> None:
    state = CallsState()
    call_id = ended_call(state)
    record = state.get(call_id)
    assert record is not None
    record.redact()
    stamp = record.redacted_at
    assert stamp is not None
    call = record.to_json()
    assert (call["transcript"], call["metadata"], call["redacted_at"]) == ([], None, stamp)
    assert (call["telephony_params"]["to"], call["telephony_params"]["from"]) == (None, None)
    assert call["end_reason"] == "client_hangup"
    state.apply(call_id, parse_event(load_fixture("post_call_analysis")))  # goes out after the deletion
    assert record.to_json().get("summary") is None
    record.redact()
    assert record.redacted_at == stamp
    assert record.logs == [f"{stamp} call redacted"]


def test_calls_filter_by_batch_and_list_their_agents() -> None:
    state = CallsState()
    call_id = ended_call(state)
    record = state.get(call_id)
    assert record is not None
    record.batch_id = "acb_one"
    other = state.create("ac_other", "agent_other")
    assert [c.id for c in state.newest_first(batch_id="acb_one")] == [call_id]
    assert state.newest_first(batch_id="acb_two") == []
    assert [c.id for c in state.newest_first()] == [other.id, call_id]
    assert state.agent_ids() == {record.agent_id, "agent_other"}


def test_a_failed_call_that_never_connected_has_no_recording() -> None:
    state = CallsState()
    record = state.get(ended_call(state, "call_failed_dial_busy"))
    assert record is not None
    assert record.failed_before_connecting
    other = CallsState()
    completed = other.get(ended_call(other))
    assert completed is not None
    assert not completed.failed_before_connecting
