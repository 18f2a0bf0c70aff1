"""Play a delivery plan against a Deliverer: pacing, bounded concurrency across calls, and faults.

Each call's deliveries go out in plan order (which is the event order unless a reorder fault changed
it), at their planned offsets from the call's start. Concurrent duplicates are sent truly at the same
time. Dropped deliveries are not sent, but reported (to ``on_sent`` too, with ``None``), because on the
platform the call still progressed; only its webhook was lost.

Calls are generated on a planner thread just ahead of the player, never all at once: the planner holds
at most ``PLAN_BUDGET`` bytes of planned events, so memory does not grow with the number of calls. The
player starts sending once that much is planned (or the whole plan, if smaller), so generation and
sending compete for the interpreter only on plans too large to plan up front.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from harness.delivery import Deliverer, Delivery
from harness.scenarios import Plan, PlannedCall, PlannedDelivery

__all__ = ["PLAN_BUDGET", "OnPlanned", "OnSent", "PlayResult", "PlayedDelivery", "play"]

# Bytes of planned events held at once, at most (one call larger than this is still played, alone).
PLAN_BUDGET = 32 * 1024 * 1024

# Called as each planned delivery is done: with the Delivery, or None when it was dropped on purpose.
OnSent = Callable[[PlannedDelivery, Delivery | None], None]
# Called when a call is about to start (generated, before its first delivery).
OnPlanned = Callable[[PlannedCall], None]


@dataclass(frozen=True)
class PlayedDelivery:
    """A planned delivery and what happened to it (``delivery`` is None when dropped or not reached)."""

    planned: PlannedDelivery
    delivery: Delivery | None


@dataclass
class PlayResult:
    """What a :func:`play` run did: counts always, every delivery in completion order when kept."""

    played: list[PlayedDelivery] = field(default_factory=list)
    stopped: bool = False
    elapsed: float = 0.0
    ok_count: int = 0
    failed_count: int = 0
    dropped_count: int = 0

    @property
    def deliveries(self) -> list[Delivery]:
        """The deliveries actually made (when kept)."""
        return [item.delivery for item in self.played if item.delivery is not None]

    @property
    def dropped(self) -> list[PlannedDelivery]:
        """Planned deliveries deliberately not sent (the ``drop`` fault; when kept)."""
        return [item.planned for item in self.played if item.planned.dropped]

    def count(self, planned: PlannedDelivery, delivery: Delivery | None, *, keep: bool) -> None:
        """Count one finished planned delivery (and keep it, with ``keep``)."""
        if delivery is None:
            self.dropped_count += planned.dropped
        elif delivery.ok:
            self.ok_count += 1
        else:
            self.failed_count += 1
        if keep:
            self.played.append(PlayedDelivery(planned, delivery))


async def play(
    plan: Plan,
    deliverer: Deliverer,
    *,
    on_sent: OnSent | None = None,
    on_planned: OnPlanned | None = None,
    stop: asyncio.Event | None = None,
    keep: bool = True,
    budget: int = PLAN_BUDGET,
) -> PlayResult:
    """Send every planned delivery; at most ``plan.concurrency`` calls are in progress at once.

    Setting ``stop`` makes every call stop before its next delivery; deliveries already in flight
    finish (and are recorded) first. Exceptions from the callbacks, the planner or the deliverer
    propagate. ``keep=False`` keeps counts only, so a long run's memory stays flat.
    """
    result = PlayResult()
    stop = stop or asyncio.Event()
    planner = _Planner(plan.calls, budget, asyncio.get_running_loop())
    try:
        await planner.ready(stop)
        started = time.perf_counter()
        await _play_calls(plan, planner, deliverer, result, on_sent, on_planned, stop, keep=keep)
        result.elapsed = time.perf_counter() - started
    finally:
        planner.close()
    result.stopped = stop.is_set()
    return result


async def _play_calls(
    plan: Plan,
    planner: _Planner,
    deliverer: Deliverer,
    result: PlayResult,
    on_sent: OnSent | None,
    on_planned: OnPlanned | None,
    stop: asyncio.Event,
    *,
    keep: bool,
) -> None:
    slots = asyncio.Semaphore(max(1, plan.concurrency))

    async def run_call(call: PlannedCall) -> None:
        try:
            await _play_call(call, plan, deliverer, result, on_sent, stop, keep=keep)
        finally:
            slots.release()
            planner.release(call.size)

    try:
        async with asyncio.TaskGroup() as group:
            while (call := await planner.next(stop)) is not None:
                await slots.acquire()
                if stop.is_set():
                    slots.release()
                    planner.release(call.size)
                    break
                if on_planned is not None:
                    on_planned(call)
                group.create_task(run_call(call), name=f"call {call.call_id}")
    except BaseExceptionGroup as group_error:
        # One failing call cancels the others; surface its own exception rather than a group of one.
        if len(group_error.exceptions) == 1:
            raise group_error.exceptions[0] from None
        raise


async def _play_call(
    call: PlannedCall,
    plan: Plan,
    deliverer: Deliverer,
    result: PlayResult,
    on_sent: OnSent | None,
    stop: asyncio.Event,
    *,
    keep: bool,
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
            result.count(item, delivery, keep=keep)
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


_DONE = object()


class _Planner:
    """Generates calls on a daemon thread, ahead of the player, holding at most ``budget`` bytes of them.

    A daemon thread, not the loop's executor: a process told to stop must not wait for a long call
    (5,000 turns take about a second) to finish generating.
    """

    def __init__(self, calls: Iterator[PlannedCall] | object, budget: int, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._budget = budget
        self._room = threading.Condition()
        self._held = 0
        self._closed = False
        self._queue: asyncio.Queue[PlannedCall | BaseException | object] = asyncio.Queue()
        self._full = asyncio.Event()  # the budget is full, or every call is planned
        self._thread = threading.Thread(target=self._run, args=(calls,), name="harness-planner", daemon=True)
        self._thread.start()

    def _run(self, calls: Iterator[PlannedCall]) -> None:
        try:
            for call in calls:
                with self._room:
                    while self._held and self._held + call.size > self._budget and not self._closed:
                        self._signal(self._full.set)
                        self._room.wait()
                    if self._closed:
                        return
                    self._held += call.size
                self._signal(self._queue.put_nowait, call)
            self._signal(self._queue.put_nowait, _DONE)
        except BaseException as exc:  # handed to the player, which raises it
            self._signal(self._queue.put_nowait, exc)
        finally:
            self._signal(self._full.set)

    def _signal(self, callback: Callable[..., object], *args: object) -> None:
        try:
            self._loop.call_soon_threadsafe(callback, *args)
        except RuntimeError:  # the loop is closed: nobody is waiting any more
            with self._room:
                self._closed = True

    async def ready(self, stop: asyncio.Event) -> None:
        """Wait until the budget is full or every call is planned (or ``stop`` is set)."""
        waiters = [asyncio.ensure_future(self._full.wait()), asyncio.ensure_future(stop.wait())]
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()

    async def next(self, stop: asyncio.Event) -> PlannedCall | None:
        """The next planned call, or None once the plan is done or ``stop`` is set."""
        if stop.is_set():
            return None
        if not self._queue.empty():  # usually: the planner runs ahead; no futures to make and cancel
            return self._unwrap(self._queue.get_nowait())
        getter = asyncio.ensure_future(self._queue.get())
        stopper = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait([getter, stopper], return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopper.cancel()
        if not getter.done():
            getter.cancel()
            return None
        return self._unwrap(getter.result())

    @staticmethod
    def _unwrap(item: PlannedCall | BaseException | object) -> PlannedCall | None:
        if isinstance(item, BaseException):
            raise item
        return None if item is _DONE else item  # type: ignore[return-value]

    def release(self, size: int) -> None:
        """A call is done: its bytes make room for the next ones."""
        with self._room:
            self._held -= size
            self._room.notify_all()

    def close(self) -> None:
        """Stop planning (the thread ends before its next call)."""
        with self._room:
            self._closed = True
            self._room.notify_all()
