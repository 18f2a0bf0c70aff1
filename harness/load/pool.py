"""A pool of pre-generated calls for load generators, so generation never limits the sending rate.

Each call is generated once, through :func:`harness.generate.simulate_call`, and kept as the exact JSON
bytes of its events with the pause before each one at the call's own pace. When every template has been
played once, templates are played again under fresh call ids (a byte replacement, no generation), so a
load generator never sends the same call twice unless asked to.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

import harness._ids as _ids
from harness._seeds import derive_seed
from harness.errors import ConfigError
from harness.generate import simulate_call

__all__ = ["MAX_POOL_CALLS", "CallPool", "PooledCall", "PooledEvent"]

MAX_POOL_CALLS = 10_000
# Seed draws that give a call whose events share a (type, timestamp) are skipped: the reconciliation
# names events by (call_id, type, timestamp), as the state probe does. They are rare; this bounds the search.
_MAX_DRAWS_PER_CALL = 8


@dataclass(frozen=True, slots=True)
class PooledEvent:
    """One event of a pooled call: its type, envelope timestamp, wire bytes and pause before it at real pace."""

    type: str
    timestamp: str
    body: bytes
    gap: float


@dataclass(frozen=True, slots=True)
class PooledCall:
    """A whole call's events, in delivery order."""

    call_id: str
    events: tuple[PooledEvent, ...]

    @property
    def duration(self) -> float:
        """Seconds from ``call_started`` to the last event, at real pace."""
        return sum(event.gap for event in self.events)

    def with_call_id(self, call_id: str) -> PooledCall:
        """The same call under another id (the id's bytes replaced in every event)."""
        old, new = self.call_id.encode(), call_id.encode()
        events = tuple(
            PooledEvent(event.type, event.timestamp, event.body.replace(old, new), event.gap) for event in self.events
        )
        return PooledCall(call_id, events)


class CallPool:
    """``size`` calls generated from ``seed``, handed out one after another by :meth:`next_call`.

    ``pause`` is called after each generated call; a gevent load generator passes ``gevent.sleep`` so its
    heartbeats keep running while the pool is built.
    """

    def __init__(self, *, seed: int, size: int, pause: Callable[[], object] | None = None) -> None:
        if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_POOL_CALLS:
            raise ConfigError(f"pool size: expected a number of calls from 1 to {MAX_POOL_CALLS}, got {size!r}")
        self.seed = seed
        self.calls: list[PooledCall] = []
        draw = 0
        while len(self.calls) < size:
            if draw >= size * _MAX_DRAWS_PER_CALL:
                raise ConfigError(f"seed {seed}: could not draw {size} calls with distinct events")  # pragma: no cover
            call = _pooled(derive_seed(seed, draw))
            draw += 1
            if call is not None:
                self.calls.append(call)
            if pause is not None:
                pause()
        self._served = 0
        self._ids = random.Random(derive_seed(seed, -1))

    def next_call(self) -> PooledCall:
        """The next call to play: every template once, then templates again under fresh call ids."""
        index, self._served = self._served, self._served + 1
        template = self.calls[index % len(self.calls)]
        return template if index < len(self.calls) else template.with_call_id(_ids.call_id(self._ids))


def _pooled(seed: int) -> PooledCall | None:
    events = simulate_call(seed=seed)
    pooled: list[PooledEvent] = []
    previous_ns: int | None = None
    for event in events:
        stamp = event.timestamp
        if stamp is None:  # pragma: no cover - the simulator stamps every event
            return None
        now_ns = stamp.nanoseconds
        gap = 0.0 if previous_ns is None else max(0.0, (now_ns - previous_ns) / 1e9)
        pooled.append(PooledEvent(event.type, str(stamp), event.to_json(), gap))
        previous_ns = now_ns
    keys = {(event.type, event.timestamp) for event in pooled}
    if len(keys) != len(pooled):
        return None
    call_id = events[0].call_id
    assert call_id is not None  # the simulator always names the call
    return PooledCall(call_id, tuple(pooled))
