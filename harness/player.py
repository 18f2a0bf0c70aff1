"""Play a delivery plan against a Deliverer: pacing, bounded concurrency across calls, and faults.

Each call's deliveries go out in plan order (which is the event order unless a reorder fault changed
it), at their planned offsets from the call's start. Concurrent duplicates are sent truly at the same
time. Dropped deliveries are not sent, but reported (to ``on_sent`` too, with ``None``), because on the
platform the call still progressed; only its webhook was lost.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from harness.delivery import Deliverer, Delivery
from harness.scenarios import Plan, PlannedCall, PlannedDelivery

__all__ = ["OnSent", "PlayResult", "PlayedDelivery", "play"]

# Called as each planned delivery is done: with the Delivery, or None when it was dropped on purpose.
OnSent = Callable[[PlannedDelivery, Delivery | None], None]


@dataclass(frozen=True)
class PlayedDelivery:
    """A planned delivery and what happened to it (``delivery`` is None when dropped or not reached)."""

    planned: PlannedDelivery
    delivery: Delivery | None


@dataclass
class PlayResult:
    """Everything a :func:`play` run did, in completion order."""

    played: list[PlayedDelivery] = field(default_factory=list)
    stopped: bool = False
    elapsed: float = 0.0

    @property
    def deliveries(self) -> list[Delivery]:
        """The deliveries actually made."""
        return [item.delivery for item in self.played if item.delivery is not None]

    @property
    def dropped(self) -> list[PlannedDelivery]:
        """Planned deliveries deliberately not sent (the ``drop`` fault)."""
        return [item.planned for item in self.played if item.planned.dropped]

    @property
    def ok_count(self) -> int:
        """Deliveries answered with a 2xx."""
        return sum(1 for delivery in self.deliveries if delivery.ok)

    @property
    def failed_count(self) -> int:
        """Deliveries that did not get a 2xx (after any retries)."""
        return sum(1 for delivery in self.deliveries if not delivery.ok)


async def play(
    plan: Plan,
    deliverer: Deliverer,
    *,
    on_sent: OnSent | None = None,
    stop: asyncio.Event | None = None,
) -> PlayResult:
    """Send every planned delivery; at most ``plan.concurrency`` calls are in progress at once.

    Setting ``stop`` makes every call stop before its next delivery; deliveries already in flight
    finish (and are recorded) first. Exceptions from ``on_sent`` or the deliverer propagate.
    """
    result = PlayResult()
    slots = asyncio.Semaphore(max(1, plan.concurrency))
    stop = stop or asyncio.Event()
    started = time.perf_counter()

    async def run_call(call: PlannedCall) -> None:
        async with slots:
            await _play_call(call, plan, deliverer, result, on_sent, stop)

    try:
        async with asyncio.TaskGroup() as group:
            for call in plan.calls:
                group.create_task(run_call(call), name=f"call {call.call_id}")
    except BaseExceptionGroup as group_error:
        # One failing call cancels the others; surface its own exception rather than a group of one.
        if len(group_error.exceptions) == 1:
            raise group_error.exceptions[0] from None
        raise
    result.stopped = stop.is_set()
    result.elapsed = time.perf_counter() - started
    return result


async def _play_call(
    call: PlannedCall,
    plan: Plan,
    deliverer: Deliverer,
    result: PlayResult,
    on_sent: OnSent | None,
    stop: asyncio.Event,
) -> None:
    loop = asyncio.get_running_loop()
    call_start = loop.time()
    for group in _groups(call.deliveries):
        if stop.is_set():
            return
        first = group[0]
        # Fast pacing: the delay fault comes before every delivery. Realtime: on top of the planned time.
        due = first.delay if plan.pacing.mode == "fast" else call_start + first.at + first.delay - loop.time()
        if due > 0 and await _stopped_within(stop, due):
            return
        if len(group) == 1:
            done = [await _deliver(first, deliverer)]
        else:
            # Concurrent duplicates: start every request of the group before awaiting any of them.
            done = list(await asyncio.gather(*(_deliver(item, deliverer) for item in group)))
        for item, delivery in zip(group, done, strict=True):
            result.played.append(PlayedDelivery(item, delivery))
            if on_sent is not None:
                on_sent(item, delivery)


def _groups(deliveries: list[PlannedDelivery]) -> list[list[PlannedDelivery]]:
    groups: list[list[PlannedDelivery]] = []
    for item in deliveries:
        if item.concurrent_with_previous and groups:
            groups[-1].append(item)
        else:
            groups.append([item])
    return groups


async def _deliver(item: PlannedDelivery, deliverer: Deliverer) -> Delivery | None:
    if item.dropped:
        return None
    return await deliverer.deliver(item.body, event_type=item.event_type, call_id=item.call_id)


async def _stopped_within(stop: asyncio.Event, seconds: float) -> bool:
    """Wait ``seconds`` unless ``stop`` is set first; True when it was."""
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        return False
    return True
