"""The player: order within a call, bounded concurrency, truly concurrent duplicates, drops, stopping."""

from __future__ import annotations

import asyncio
import json
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from harness.delivery import Attempt, Deliverer, Delivery
from harness.models import BaseEvent
from harness.player import play
from harness.scenarios import Plan, PlannedDelivery, load_scenario, scenario_from_dict


class FakeDeliverer(Deliverer):
    """Records what would be sent, without a network; lets a test pause deliveries."""

    def __init__(self, *, pause: float = 0.0) -> None:
        super().__init__("http://127.0.0.1:9/webhooks", "secret")
        self.sent: list[tuple[str | None, bytes]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.pause = pause
        self.gates: dict[bytes, asyncio.Event] = {}
        self.waiting: dict[bytes, int] = defaultdict(int)

    async def deliver(
        self,
        event: BaseEvent | bytes,
        *,
        headers: Mapping[str, str] | None = None,
        url: str | None = None,
        delivery_id: str | None = None,
        event_type: str | None = None,
        call_id: str | None = None,
        **extra: Any,
    ) -> Delivery:
        assert isinstance(event, bytes)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            self.sent.append((call_id, event))
            await asyncio.sleep(self.pause)  # yields, so other calls can interleave
            gate = self.gates.get(event)
            if gate is not None:
                # A concurrent duplicate pair: the first request waits until its twin is in flight too.
                self.waiting[event] += 1
                if self.waiting[event] >= 2:
                    gate.set()
                await asyncio.wait_for(gate.wait(), timeout=10)
        finally:
            self.in_flight -= 1
        delivery = Delivery(
            id=f"dlv_{len(self.sent)}", url=self.url, body=event, event_type=event_type, call_id=call_id
        )
        delivery.attempts.append(Attempt(number=1, url=self.url, request_headers={}, started_at=0.0, status=200))
        return delivery


def per_call(sent: list[tuple[str | None, bytes]]) -> dict[str | None, list[bytes]]:
    calls: dict[str | None, list[bytes]] = defaultdict(list)
    for call_id, body in sent:
        calls[call_id].append(body)
    return calls


async def test_every_event_is_sent_once_in_order_within_its_call() -> None:
    plan = load_scenario("happy-path").with_overrides(calls=5, concurrency=5).plan()
    deliverer = FakeDeliverer()
    result = await play(plan, deliverer)
    calls = per_call(deliverer.sent)
    assert set(calls) == set(plan.call_ids)
    for call in plan.calls:
        assert calls[call.call_id] == [e.to_json() for e in call.events]
    assert result.ok_count == len(deliverer.sent) == sum(len(c.events) for c in plan.calls)
    assert result.failed_count == 0


async def test_calls_in_progress_never_exceed_the_concurrency() -> None:
    plan = load_scenario("happy-path").with_overrides(calls=8, concurrency=3).plan()
    deliverer = FakeDeliverer(pause=0.001)
    await play(plan, deliverer)
    assert deliverer.max_in_flight == 3


async def test_concurrent_duplicates_are_in_flight_at_the_same_time() -> None:
    plan = scenario_from_dict({"calls": 2, "faults": {"concurrent_duplicates": 1.0}}).plan()
    deliverer = FakeDeliverer()
    for item in plan.deliveries():
        if item.fault == "concurrent_duplicate":
            deliverer.gates[item.body] = asyncio.Event()
    assert deliverer.gates
    result = await play(plan, deliverer)  # would time out if a pair were sent one after the other
    assert len(result.deliveries) == len(list(plan.deliveries()))
    assert all(count == 2 for count in deliverer.waiting.values())


async def test_dropped_deliveries_are_not_sent_but_reported() -> None:
    plan = scenario_from_dict({"calls": 3, "faults": {"drop": 0.5}}).plan()
    dropped = [item for item in plan.deliveries() if item.dropped]
    assert dropped
    deliverer = FakeDeliverer()
    seen: list[tuple[PlannedDelivery, Delivery | None]] = []
    result = await play(plan, deliverer, on_sent=lambda item, delivery: seen.append((item, delivery)))
    sent_bodies = [body for _, body in deliverer.sent]
    assert len(sent_bodies) == len(list(plan.deliveries())) - len(dropped)
    assert result.dropped == [item for item, delivery in seen if delivery is None]
    # Plans are generated as they are read, so the same delivery is equal (not identical) across readings.
    assert Counter(result.dropped) == Counter(dropped)


async def test_stop_ends_the_play_before_the_next_delivery() -> None:
    # Realtime pacing at normal speed: without the stop, this would take minutes.
    plan = load_scenario("realtime-demo").with_overrides(calls=1, pacing={"speed": 1.0}).plan()
    stop = asyncio.Event()
    deliverer = FakeDeliverer()
    result = await asyncio.wait_for(play(plan, deliverer, on_sent=lambda item, d: stop.set(), stop=stop), timeout=30)
    assert result.stopped
    assert len(deliverer.sent) == 1
    assert json.loads(deliverer.sent[0][1])["type"] == "call_started"


async def test_an_exception_from_on_sent_propagates_as_itself() -> None:
    plan: Plan = scenario_from_dict({"calls": 1}).plan()

    def broken(item: PlannedDelivery, delivery: Delivery | None) -> None:
        raise ValueError("state update failed")

    with pytest.raises(ValueError, match="state update failed"):
        await play(plan, FakeDeliverer(), on_sent=broken)


async def test_fast_pacing_adds_the_delay_before_every_delivery(monkeypatch: pytest.MonkeyPatch) -> None:
    waits: list[float] = []

    async def record_wait(stop: asyncio.Event, seconds: float) -> bool:
        waits.append(seconds)
        return False

    monkeypatch.setattr("harness.player._stopped_within", record_wait)
    plan = scenario_from_dict({"calls": 2, "faults": {"delay": 0.5}}).plan()
    await play(plan, FakeDeliverer())
    assert waits == [0.5] * len(list(plan.deliveries()))


class BlockingDeliverer(FakeDeliverer):
    """Holds every delivery until ``release`` is set; ``arrived`` is set by the first one."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived = asyncio.Event()
        self.release = asyncio.Event()

    async def deliver(self, event: BaseEvent | bytes, **options: Any) -> Delivery:
        self.arrived.set()
        await self.release.wait()
        return await super().deliver(event, **options)


@pytest.mark.parametrize(("budget", "most_generated"), [(1, 2), (10**9, 40)])
async def test_the_planner_holds_at_most_its_budget_of_planned_calls(budget: int, most_generated: int) -> None:
    generated: list[int] = []

    def counting(**options: Any) -> Sequence[BaseEvent]:
        from harness.generate import simulate_call

        generated.append(1)
        return simulate_call(**options)

    plan = scenario_from_dict({"calls": 40, "concurrency": 40, "generator": {"turns": 0}}).plan(simulate=counting)
    deliverer = BlockingDeliverer()
    task = asyncio.create_task(play(plan, deliverer, budget=budget))
    await asyncio.wait_for(deliverer.arrived.wait(), timeout=30)
    # The first delivery is held: the planner is stuck on its budget (one call, plus the next it made)...
    assert len(generated) == most_generated
    deliverer.release.set()
    result = await asyncio.wait_for(task, timeout=60)
    # ...and every call still goes out in the end.
    assert len(generated) == 40
    assert result.ok_count == len(deliverer.sent)


async def test_counts_are_kept_without_keeping_the_deliveries() -> None:
    plan = scenario_from_dict({"calls": 3, "faults": {"drop": 0.5}}).plan()
    result = await play(plan, FakeDeliverer(), keep=False)
    dropped = sum(1 for item in plan.deliveries() if item.dropped)
    assert result.played == []
    assert (result.ok_count, result.dropped_count) == (len(list(plan.deliveries())) - dropped, dropped)
