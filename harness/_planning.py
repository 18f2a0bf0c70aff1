"""Planning a scenario: its calls' ids, each call's events (generated or replayed), their send times and faults.

Every random choice comes from seeds derived from the scenario's seed and the call's position, so the same
scenario, seed and id space always give the same plan, call by call, in any order.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import harness._ids as _ids
from harness._faults import inject_faults
from harness._plan import Plan, PlannedCall
from harness._scenario_settings import Pacing
from harness._seeds import derive_seed
from harness.legacy import to_2025_format
from harness.models import BaseEvent, parse_event
from harness.recording import RecordedCall, read_recording

if TYPE_CHECKING:
    from harness._scenario import Scenario

__all__ = ["Simulator", "call_ids", "plan_scenario"]

# Builds one call's events; harness.generate.simulate_call by default, replaceable in tests.
Simulator = Callable[..., Sequence[BaseEvent]]


def call_ids(scenario: Scenario, id_space: str = "", recorded: Sequence[RecordedCall] = ()) -> list[str]:
    """The ids the calls of ``scenario`` get in ``id_space``, without generating the calls.

    A recorded call keeps its own id in the default id space, the first time it is replayed.
    """
    return [
        recorded[index].call_id
        if index < len(recorded) and not id_space
        else _call_id(id_space, scenario.name, scenario.generator.seed, index)
        for index in range(scenario.calls)
    ]


def plan_scenario(
    scenario: Scenario,
    *,
    start: datetime | None = None,
    agent_id: str | None = None,
    webhook_id: str | None = None,
    simulate: Simulator | None = None,
    id_space: str = "",
) -> Plan:
    """The plan of ``scenario``: what :meth:`Scenario.plan <harness.scenarios.Scenario.plan>` returns."""
    if simulate is None:
        from harness.generate import simulate_call  # faker loads here, when a plan is made, not on import

        simulate = simulate_call
    recorded = read_recording(Path(scenario.recording)) if scenario.recording else []
    ids = call_ids(scenario, id_space, recorded)

    def plan_call(index: int) -> PlannedCall:
        if recorded:
            return _replay_call(scenario, index, ids[index], recorded[index % len(recorded)])
        return _generate_call(
            scenario, index, ids[index], start=start, agent_id=agent_id, webhook_id=webhook_id, simulate=simulate
        )

    return Plan(
        scenario=scenario.name,
        call_ids=ids,
        concurrency=scenario.concurrency,
        pacing=scenario.pacing,
        plan_call=plan_call,
    )


def _generate_call(
    scenario: Scenario,
    index: int,
    call_id: str,
    *,
    start: datetime | None,
    agent_id: str | None,
    webhook_id: str | None,
    simulate: Simulator,
) -> PlannedCall:
    settings = scenario.generator
    rng = _planner(settings.seed, index)
    # Call i of a scenario is call i of `harness fixtures --seed` with the same seed and options.
    options: dict[str, Any] = {
        "seed": derive_seed(settings.seed, index),
        "legacy_fields": settings.legacy_fields,
        "call_id": call_id,
    }
    if settings.webhook_request_id:
        options["webhook_request_id"] = True
    if settings.outcomes:
        names = list(settings.outcomes)
        options["outcome"] = rng.choices(names, weights=[settings.outcomes[n] for n in names])[0]
    if settings.domains:
        options["domain"] = rng.choice(settings.domains)
    if settings.turns is not None:
        low, high = (settings.turns, settings.turns) if isinstance(settings.turns, int) else settings.turns
        options["turns"] = rng.randint(low, high)
    pins = (("outbound_to", settings.outbound_to), ("metadata", settings.metadata))
    for name, value in (("start", start), ("locale", settings.locale), ("agent_id", agent_id), *pins):
        if value is not None:
            options[name] = value
    if webhook_id is not None:
        options["webhook_id"] = webhook_id
    events = list(simulate(**options))
    if settings.format == "legacy-2025":
        events = [parse_event(to_2025_format(event)) for event in events]
    return inject_faults(index, call_id, events, _offsets(events, scenario.pacing), scenario.faults, rng)


def _replay_call(scenario: Scenario, index: int, call_id: str, recorded: RecordedCall) -> PlannedCall:
    """A recorded call's events, under ``call_id``, at their recorded offsets (realtime) or at once."""
    rename = (recorded.call_id.encode(), call_id.encode())
    events: list[BaseEvent] = [parse_event(body.replace(*rename)) for _, body in recorded.events]
    pacing = scenario.pacing
    offsets = [at / pacing.speed if pacing.mode == "realtime" else 0.0 for at, _ in recorded.events]
    return inject_faults(index, call_id, events, offsets, scenario.faults, _planner(scenario.generator.seed, index))


def _planner(seed: int, index: int) -> random.Random:
    """The generator of call ``index``'s planning choices (outcome, domain, turns, faults)."""
    return random.Random(derive_seed(seed, index, "plan"))


def _call_id(id_space: str, scenario: str, seed: int, index: int) -> str:
    """A call id fixed by its id space, scenario, seed and position; different spaces never share one."""
    return _ids.call_id(random.Random(derive_seed(id_space, scenario, seed, index)))


def _offsets(events: Sequence[BaseEvent], pacing: Pacing) -> list[float]:
    """When each event is sent, in seconds after its call starts: at once, or its envelope time divided by speed."""
    if pacing.mode == "fast":
        return [0.0] * len(events)
    first = next((e.timestamp for e in events if e.timestamp is not None), None)
    offsets: list[float] = []
    last = 0.0
    for event in events:
        if first is not None and event.timestamp is not None:
            last = max(last, (event.timestamp.nanoseconds - first.nanoseconds) / 1e9 / pacing.speed)
        offsets.append(last)
    return offsets
