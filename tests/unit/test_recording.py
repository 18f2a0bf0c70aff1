"""Recorded calls: written and read back, replayed by a scenario with their order, timing and bytes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.errors import ScenarioError
from harness.generate import simulate_call
from harness.recording import RecordedCall, read_recording, write_recording
from harness.scenarios import ScenarioCatalog, load_scenario


def recorded_calls() -> list[RecordedCall]:
    calls = []
    for seed in (1, 2):
        events = simulate_call(seed=seed, outcome="completed", turns=3)
        timed = [(0.5 * position, event.to_json()) for position, event in enumerate(events)]
        calls.append(RecordedCall(events[0].call_id or "", timed))
    return calls


def write_scenario(folder: Path, extra: str = "") -> Path:
    write_recording(folder / "calls.jsonl", recorded_calls())
    path = folder / "captured.toml"
    path.write_text(f'recording = "calls.jsonl"\n{extra}', encoding="utf-8")
    return path


def test_a_recording_reads_back_what_was_written(tmp_path: Path) -> None:
    calls = recorded_calls()
    assert write_recording(tmp_path / "calls.jsonl", calls) == sum(len(call.events) for call in calls)
    again = read_recording(tmp_path / "calls.jsonl")
    assert [call.call_id for call in again] == [call.call_id for call in calls]
    for old, new in zip(calls, again, strict=True):
        assert [at for at, _ in new.events] == [at for at, _ in old.events]
        assert [json.loads(body) for _, body in new.events] == [json.loads(body) for _, body in old.events]


def test_a_recorded_scenario_replays_every_call_in_order_with_its_timing(tmp_path: Path) -> None:
    scenario = load_scenario(write_scenario(tmp_path, '[pacing]\nmode = "realtime"\nspeed = 2.0\n'))
    assert scenario.calls == 2
    plan = scenario.plan()
    calls = recorded_calls()
    assert plan.call_ids == [call.call_id for call in calls]
    for planned, original in zip(plan.calls, calls, strict=True):
        assert [d.body for d in planned.deliveries] == [body for _, body in original.events]
        assert [d.at for d in planned.deliveries] == [at / 2.0 for at, _ in original.events]


def test_replays_in_another_id_space_or_beyond_the_recording_get_fresh_ids(tmp_path: Path) -> None:
    scenario = load_scenario(write_scenario(tmp_path, "calls = 5\n"))
    plan = scenario.plan(id_space="run-1")
    originals = [call.call_id for call in recorded_calls()]
    assert len(set(plan.call_ids)) == 5
    assert set(plan.call_ids).isdisjoint(originals)
    for index, call in enumerate(plan.calls):
        source = recorded_calls()[index % 2]
        assert [d.event_type for d in call.deliveries] == [json.loads(b)["type"] for _, b in source.events]
        assert all(json.loads(d.body)["call_id"] == call.call_id for d in call.deliveries)
        assert all(source.call_id.encode() not in d.body for d in call.deliveries)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", "not a JSON object"),
        ('{"call_id": "ac_1", "at": -1, "event": {"type": "call_started"}}', 'field "at"'),
        ('{"at": 1, "event": {"type": "call_started"}}', 'field "call_id"'),
        ('{"call_id": "ac_1", "at": 1, "event": {"type": 7}}', 'field "type"'),
    ],
)
def test_a_broken_recording_names_its_line(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "calls.jsonl"
    path.write_text(line + "\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=rf"^{path}:1: .*{message}"):
        read_recording(path)


async def test_the_server_replays_only_recordings_inside_its_scenario_folders(tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    write_scenario(mine)
    (mine / "sneaky.toml").write_text('recording = "../secret.jsonl"\n', encoding="utf-8")
    (tmp_path / "secret.jsonl").write_text("top secret\n", encoding="utf-8")
    catalog = ScenarioCatalog([mine])
    assert (await catalog.load("captured")).calls == 2
    with pytest.raises(ScenarioError) as refused:
        await catalog.load("sneaky")
    assert "top secret" not in str(refused.value)
    assert 'field "recording": expected a file in the same scenario folders' in str(refused.value)
