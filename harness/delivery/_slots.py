"""Slots: at most ``size`` holders at once, served in order; what ``asyncio.Semaphore`` does for the engine.

Why not ``asyncio.Semaphore``: the engine takes a slot for every delivery, and an uncontended
``async with semaphore`` costs two coroutine frames and, in the Python versions the harness supports, a
generator over the waiters on every acquire. Here it is a comparison and a subtraction.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib

__all__ = ["Slots"]


class Slots:
    """``await slots.acquire()``, then ``slots.release()`` (in a ``finally``): first come, first served."""

    def __init__(self, size: int) -> None:
        self._free = size
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    async def acquire(self) -> None:
        """Take a slot, waiting behind those already waiting when none is free."""
        if self._free > 0 and not self._waiters:
            self._free -= 1
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter  # release() hands its slot over by setting this
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # handed a slot as it was cancelled: hand it on
            else:
                with contextlib.suppress(ValueError):  # release() may have dropped it already
                    self._waiters.remove(waiter)
            raise

    def release(self) -> None:
        """Give a slot back: to the first still waiting, or to the free ones."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self._free += 1
