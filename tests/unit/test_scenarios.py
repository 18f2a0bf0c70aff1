"""Scenario files: bundled set, validation errors with file:line, and seeded, fault-annotated plans."""

from __future__ import annotations

import concurrent.futures
import json
import os
from collections import Counter
from pathlib import Path

import pytest

from harness.errors import ScenarioError
from harness.generate import simulate_calls
from harness.models import EVENT_TYPES, UnknownEvent, parse_event
from harness.scenarios import (
    Plan,
    Scenario,
    list_scenarios,
    load_scenario,
    scenario_from_dict,
    scenarios_dir,
)

REQUIRED = {
    "happy-path",
    "failed-calls",
    "long-call",
    "tool-heavy",
    "duplicates",
    "out-of-order",
    "burst",
    "unknown-events",
    "legacy-2025",
    "realtime-demo",
}


def small(name: str, **overrides: object) -> Scenario:
    """A bundled scenario cut down to a few calls, so tests stay quick."""
    scenario = load_scenario(name)
    return scenario.with_overrides(**{"calls": min(scenario.calls, 4), **overrides})


def bodies(plan: Plan) -> list[bytes]:
    return [item.body for item in plan.deliveries()]


def test_every_required_scenario_is_bundled_and_valid() -> None:
    names = {scenario.name for scenario in list_scenarios()}
    assert names >= REQUIRED
    assert {path.stem for path in scenarios_dir().glob("*.toml")} == names


def test_a_bare_name_and_a_path_load_the_same_scenario() -> None:
    assert load_scenario("burst") == load_scenario(scenarios_dir() / "burst.toml")


def test_an_unknown_name_lists_the_bundled_scenarios() -> None:
    with pytest.raises(ScenarioError, match=r"no scenario named 'nope'.*happy-path"):
        load_scenario("nope")


def test_the_same_seed_gives_the_same_plan_and_another_seed_another() -> None:
    scenario = small("duplicates")
    assert bodies(scenario.plan()) == bodies(scenario.plan())
    assert [i.fault for i in scenario.plan().deliveries()] == [i.fault for i in scenario.plan().deliveries()]
    assert bodies(scenario.with_overrides(seed=99).plan()) != bodies(scenario.plan())


def test_happy_path_delivers_each_event_once_in_order() -> None:
    plan = small("happy-path").plan()
    for call in plan.calls:
        assert [d.body for d in call.deliveries] == [e.to_json() for e in call.events]
        assert call.deliveries[0].event_type == "call_started"
        assert all(d.fault is None for d in call.deliveries)
        assert {d.call_id for d in call.deliveries} == {call.call_id}
        assert call.events[-1].type in ("call_completed", "post_call_analysis")


def test_failed_calls_all_end_in_call_failed() -> None:
    plan = small("failed-calls").plan()
    for call in plan.calls:
        assert "call_failed" in [e.type for e in call.events]
        assert "call_completed" not in [e.type for e in call.events]


def test_long_call_has_more_than_300_turns() -> None:
    plan = load_scenario("long-call").plan()
    assert len(plan.calls) == 1
    turns = [d for d in plan.deliveries() if d.event_type == "call_turn"]
    assert len(turns) >= 300


def test_burst_starts_more_than_100_calls_at_once() -> None:
    scenario = load_scenario("burst")
    assert scenario.calls >= 100
    assert scenario.concurrency >= 100
    assert scenario.pacing.mode == "fast"


def test_tool_heavy_calls_make_tool_calls() -> None:
    plan = small("tool-heavy").plan()
    with_tools = [d for d in plan.deliveries() if d.event_type == "call_turn" and b'"tool_calls":[{' in d.body]
    assert len(with_tools) >= len(plan.calls)


def test_duplicates_resend_identical_bytes_some_concurrently() -> None:
    plan = load_scenario("duplicates").plan()
    items = list(plan.deliveries())
    kinds = Counter(item.fault for item in items)
    assert kinds["duplicate"] > 0
    assert kinds["concurrent_duplicate"] > 0
    for position, item in enumerate(items):
        if item.fault in ("duplicate", "concurrent_duplicate"):
            original = next(i for i in reversed(items[:position]) if i.fault is None and i.seq == item.seq)
            assert item.body == original.body
            assert item.concurrent_with_previous == (item.fault == "concurrent_duplicate")


def test_out_of_order_permutes_events_within_each_call() -> None:
    plan = small("out-of-order").plan()
    reordered = 0
    for call in plan.calls:
        sent = [d.body for d in call.deliveries]
        expected = [e.to_json() for e in call.events]
        assert sorted(sent) == sorted(expected)
        assert sent[0] == expected[0]  # call_started always first: only later events are swapped
        reordered += sent != expected
    # A call of two events (a dial failure: started, failed) has nothing to swap after call_started.
    assert reordered == sum(1 for call in plan.calls if len(call.events) >= 3)
    assert reordered > 0


def test_unknown_events_inject_one_unknown_type_per_call() -> None:
    plan = small("unknown-events").plan()
    for call in plan.calls:
        unknown = [d for d in call.deliveries if d.fault == "unknown_event"]
        assert len(unknown) == 1
        event = parse_event(unknown[0].body)
        assert isinstance(event, UnknownEvent)
        assert event.type not in EVENT_TYPES
        assert event.call_id == call.call_id


def test_legacy_2025_payloads_have_no_call_or_turn_objects() -> None:
    plan = small("legacy-2025").plan()
    for item in plan.deliveries():
        data = json.loads(item.body)
        assert "call" not in data
        assert "turn" not in data
        assert "call_id" not in data
        assert data["request_id"].startswith("MZ")
        if data["type"] in ("call_turn", "call_completed", "call_failed"):
            assert "body" in data
    ended = [json.loads(i.body) for i in plan.deliveries() if i.event_type == "call_completed"]
    assert ended
    assert all(isinstance(d["body"], list) and d["body"] for d in ended)


def test_realtime_pacing_follows_envelope_timestamps_divided_by_speed() -> None:
    plan = small("realtime-demo").plan()
    speed = load_scenario("realtime-demo").pacing.speed
    for call in plan.calls:
        first = call.events[0].timestamp
        assert first is not None
        for item in call.deliveries:
            stamp = item.event.timestamp
            assert stamp is not None
            assert item.at == pytest.approx((stamp.nanoseconds - first.nanoseconds) / 1e9 / speed)
    assert max(item.at for item in plan.deliveries()) > 0


def test_fast_pacing_schedules_everything_at_once() -> None:
    plan = small("realtime-demo", pacing={"mode": "fast"}).plan()
    assert {item.at for item in plan.deliveries()} == {0.0}


def test_drop_and_delay_faults_are_annotated() -> None:
    scenario = small("happy-path", faults={"drop": 0.5, "delay": 0.25, "jitter": 0.1})
    items = list(scenario.plan().deliveries())
    dropped = [i for i in items if i.dropped]
    assert dropped
    assert all(i.fault == "dropped" for i in dropped)
    assert all(0.25 <= i.delay <= 0.35 for i in items)


def test_a_scenario_from_parameters() -> None:
    scenario = scenario_from_dict({"calls": 2, "generator": {"seed": 3, "outcomes": {"dial_busy": 1}}})
    plan = scenario.plan()
    assert len(plan.calls) == 2
    assert all(
        [e.type for e in call.events] == ["call_failed"] or "call_failed" in [e.type for e in call.events]
        for call in plan.calls
    )


# -- bad files ----------------------------------------------------------------------------------------


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_wrong_type_names_file_line_field_expectation_and_value(tmp_path: Path) -> None:
    path = write(tmp_path, 'name = "x"\n# comment\ncalls = "ten"\n')
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert str(info.value) == f'{path}:3: field "calls": expected an integer, got "ten"'


def test_a_value_out_of_range_in_a_table_gets_the_line_of_its_key(tmp_path: Path) -> None:
    path = write(tmp_path, 'calls = 2\n\n[pacing]\nmode = "fast"\n\n[faults]\nduplicates = 1.5\n')
    with pytest.raises(ScenarioError, match=rf'^{path}:7: field "faults.duplicates": expected <= 1, got 1.5$'):
        load_scenario(path)


def test_an_unknown_field_is_reported_where_it_is(tmp_path: Path) -> None:
    path = write(tmp_path, "calls = 2\n[generator]\nseed = 1\nsede = 2\n")
    with pytest.raises(ScenarioError, match=rf'^{path}:4: field "generator.sede": unknown field'):
        load_scenario(path)


def test_an_unknown_outcome_in_an_inline_table(tmp_path: Path) -> None:
    path = write(tmp_path, "[generator]\noutcomes = { completed = 1.0, exploded = 1.0 }\n")
    with pytest.raises(ScenarioError, match=rf"^{path}:2: field \"generator.outcomes\": expected an outcome among"):
        load_scenario(path)


def test_a_toml_syntax_error_carries_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "calls = 2\n[faults\n")
    with pytest.raises(ScenarioError, match=rf"^{path}: invalid TOML: .*line 2"):
        load_scenario(path)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="cannot read the scenario file"):
        load_scenario(tmp_path / "absent.toml")


def test_a_bad_turn_range(tmp_path: Path) -> None:
    path = write(tmp_path, "[generator]\nturns = [9, 3]\n")
    with pytest.raises(ScenarioError, match=rf'^{path}:2: field "generator.turns": expected a number of turns'):
        load_scenario(path)


def test_an_unknown_locale_is_refused_at_load_time(tmp_path: Path) -> None:
    path = write(tmp_path, '[generator]\nseed = 1\nlocale = "xx_XX"\n')
    with pytest.raises(ScenarioError, match=rf'^{path}:3: field "generator.locale": expected a locale among en_US'):
        load_scenario(path)


def test_a_scenario_can_add_webhook_request_ids_which_redeliveries_keep() -> None:
    scenario = load_scenario("duplicates").with_overrides(calls=3, generator={"webhook_request_id": True})
    items = list(scenario.plan().deliveries())
    ids = [json.loads(item.body)["webhook_request_id"] for item in items]
    originals = {i for i, item in zip(ids, items, strict=True) if item.fault is None}
    assert len(originals) == sum(1 for item in items if item.fault is None)  # one id per event
    assert set(ids) == originals  # a duplicate carries its original's id
    assert any(item.fault for item in items)
    assert all(b"webhook_request_id" not in item.body for item in load_scenario("duplicates").plan().deliveries())


# -- bounds and hostile files ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("calls = 100000000000000000000000000000\n", 'field "calls": expected <= 100000'),
        ("calls = 1e29\n", 'field "calls": expected an integer, got 1e+29'),
        ("concurrency = 10001\n", 'field "concurrency": expected <= 10000'),
        ("[generator]\nturns = 5001\n", 'field "generator.turns": expected a number of turns from 0 to 5,000'),
        ("[generator]\noutcomes = { completed = inf }\n", 'field "generator.outcomes.completed": expected a finite'),
        ("[generator]\noutcomes = { completed = 1e308, failed = 1e308 }\n", "expected <= 1000000"),
        ("[faults]\ndelay = 1e300\n", 'field "faults.delay": expected <= 3600'),
        ("[faults]\njitter = nan\n", 'field "faults.jitter": expected a finite number'),
        ('[pacing]\nmode = "realtime"\nspeed = 1e-300\n', 'field "pacing.speed": expected >= 0.01'),
        ('[generator]\nturns = ["a", 2]\n', 'field "generator.turns[0]": expected an integer, got "a"'),
    ],
)
def test_absurd_values_are_refused_with_file_line_and_field(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert str(info.value).startswith(f"{path}:")
    assert message in str(info.value)


def test_a_file_larger_than_1_mib_is_refused_unread(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="/dev/zero: the scenario file is larger than 1,024 KiB"):
        load_scenario(Path("/dev/zero"))


def test_a_named_pipe_is_refused_at_once_not_waited_on(tmp_path: Path) -> None:
    # Opening a pipe nobody writes to blocks for ever: a server thread stuck there ignored SIGTERM.
    pipe = tmp_path / "scenario.toml"
    os.mkfifo(pipe)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        loading = pool.submit(load_scenario, pipe)
        try:
            error = loading.exception(timeout=10)
        finally:
            if not loading.done():  # unblock the thread, so the test fails instead of hanging
                os.close(os.open(pipe, os.O_WRONLY | os.O_NONBLOCK))
    assert isinstance(error, ScenarioError)
    assert str(error) == f"{pipe}: is a pipe, not a file; pass the path of a regular scenario file"


def test_a_plan_generates_its_calls_only_when_they_are_read() -> None:
    generated: list[int] = []

    def simulate(**options: object) -> list[object]:
        from harness.generate import simulate_call

        generated.append(1)
        return list(simulate_call(**options))  # type: ignore[arg-type]

    plan = scenario_from_dict({"calls": 100_000, "generator": {"turns": 0}}).plan(simulate=simulate)  # type: ignore[arg-type]
    assert len(plan.call_ids) == len(set(plan.call_ids)) == 100_000
    assert generated == []
    first = next(iter(plan.calls))
    assert first.call_id == plan.call_ids[0]
    assert generated == [1]


def test_call_ids_depend_on_the_id_space_and_nothing_else_changes() -> None:
    scenario = small("happy-path")
    one, other = scenario.plan(id_space="a"), scenario.plan(id_space="b")
    assert set(one.call_ids).isdisjoint(other.call_ids)
    assert one.call_ids == scenario.plan(id_space="a").call_ids
    first, second = next(iter(one.calls)), next(iter(other.calls))
    assert [d.event_type for d in first.deliveries] == [d.event_type for d in second.deliveries]
    assert first.events[0].call_id == one.call_ids[0]


def test_call_i_of_a_scenario_is_call_i_of_the_generator_with_the_same_seed() -> None:
    scenario = scenario_from_dict({"name": "same-seed", "calls": 3, "generator": {"seed": 7, "turns": 2}})
    generated = simulate_calls(seed=7, count=3, turns=2)
    for planned, events in zip(scenario.plan().calls, generated, strict=True):
        own_id = events[0].call_id
        assert own_id is not None
        renamed = [event.to_json().replace(own_id.encode(), planned.call_id.encode()) for event in events]
        assert planned.event_bodies == renamed
