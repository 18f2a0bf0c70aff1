"""The engine's slots: never more holders than slots, served in order, and no slot lost to a cancellation."""

from __future__ import annotations

import asyncio

import pytest

from harness.delivery._slots import Slots


async def test_at_most_size_hold_a_slot_and_waiters_are_served_in_order() -> None:
    slots = Slots(2)
    holding, most, order = 0, 0, []

    async def hold(name: int) -> None:
        nonlocal holding, most
        await slots.acquire()
        try:
            holding += 1
            most = max(most, holding)
            order.append(name)
            await asyncio.sleep(0.001)
            holding -= 1
        finally:
            slots.release()

    await asyncio.gather(*(hold(name) for name in range(10)))

    assert most == 2
    assert order == list(range(10))


async def test_a_waiter_cancelled_while_waiting_takes_no_slot() -> None:
    slots = Slots(1)
    await slots.acquire()
    cancelled = asyncio.create_task(slots.acquire())
    behind = asyncio.create_task(slots.acquire())
    await asyncio.sleep(0)
    cancelled.cancel()
    with pytest.raises(asyncio.CancelledError):
        await cancelled

    slots.release()
    await asyncio.wait_for(behind, 1)  # the slot went past the cancelled waiter
    slots.release()
    await asyncio.wait_for(slots.acquire(), 1)  # and it came back: none was lost


async def test_a_slot_handed_to_a_waiter_cancelled_before_it_ran_is_handed_on() -> None:
    slots = Slots(1)
    await slots.acquire()
    first = asyncio.create_task(slots.acquire())
    second = asyncio.create_task(slots.acquire())
    await asyncio.sleep(0)
    slots.release()  # hands the slot to `first`...
    first.cancel()  # ...which is cancelled before it can run
    with pytest.raises(asyncio.CancelledError):
        await first

    await asyncio.wait_for(second, 1)
    slots.release()
    assert slots._free == 1  # everything given back: one slot, free


async def test_a_free_slot_is_not_taken_past_those_waiting() -> None:
    slots = Slots(1)
    await slots.acquire()
    waiting = asyncio.create_task(slots.acquire())
    await asyncio.sleep(0)
    slots.release()  # handed to `waiting`, not made free
    late = asyncio.create_task(slots.acquire())
    await asyncio.sleep(0)

    assert waiting.done()
    assert not late.done()
    slots.release()
    await asyncio.wait_for(late, 1)
