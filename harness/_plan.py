"""What a scenario plans: each delivery to make (or to drop on purpose), grouped by call, generated lazily."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import overload

from harness._scenario_settings import Pacing
from harness.models import BaseEvent, parse_event

__all__ = ["Plan", "PlannedCall", "PlannedDelivery"]


@dataclass(frozen=True)
class PlannedDelivery:
    """One POST the player will make (or deliberately drop), ``at`` seconds after its call starts.

    ``seq`` is the position in the call's send order; ``event_index`` the position of the event in
    the call's own (generated) order, or None for an injected unknown event. ``delay`` is added before
    sending: after the planned time in realtime pacing, before every delivery in fast pacing. Only the
    bytes are kept (a parsed event takes several times their memory); :attr:`event` parses them.
    """

    call_index: int
    call_id: str
    seq: int
    body: bytes
    event_type: str
    event_index: int | None = None
    at: float = 0.0
    delay: float = 0.0
    fault: str | None = None
    dropped: bool = False
    concurrent_with_previous: bool = False

    @property
    def event(self) -> BaseEvent:
        """The event this delivery sends, parsed from its bytes."""
        return parse_event(self.body)


@dataclass
class PlannedCall:
    """One simulated call: its events as generated (their bytes), and the deliveries to make for them."""

    index: int
    call_id: str
    agent_id: str | None
    event_bodies: list[bytes]
    deliveries: list[PlannedDelivery]

    @property
    def events(self) -> list[BaseEvent]:
        """The call's events in generated order, parsed from their bytes."""
        return [parse_event(body) for body in self.event_bodies]

    @property
    def size(self) -> int:
        """Bytes this call's planned events hold (the duplicates share their original's bytes)."""
        return sum(len(body) for body in self.event_bodies) + 512 * len(self.deliveries)


class _LazyCalls(Sequence[PlannedCall]):
    """The calls of a plan, each generated when it is read (and not kept)."""

    def __init__(self, count: int, plan_call: Callable[[int], PlannedCall]) -> None:
        self._count = count
        self._plan_call = plan_call

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> PlannedCall: ...
    @overload
    def __getitem__(self, index: slice) -> list[PlannedCall]: ...
    def __getitem__(self, index: int | slice) -> PlannedCall | list[PlannedCall]:
        if isinstance(index, slice):
            return [self._plan_call(i) for i in range(*index.indices(self._count))]
        if index < 0:
            index += self._count
        if not 0 <= index < self._count:
            raise IndexError(index)
        return self._plan_call(index)

    def __iter__(self) -> Iterator[PlannedCall]:
        return (self._plan_call(index) for index in range(self._count))


@dataclass
class Plan:
    """Every call of a scenario, ready for :func:`harness.player.play`; calls are generated as they are read."""

    scenario: str
    call_ids: list[str]
    concurrency: int
    pacing: Pacing = field(default_factory=Pacing)
    plan_call: Callable[[int], PlannedCall] | None = None

    @property
    def calls(self) -> Sequence[PlannedCall]:
        """The planned calls in scenario order; each is generated when read, so read each once."""
        if self.plan_call is None:
            raise ValueError(f"plan {self.scenario!r} has no call planner")
        return _LazyCalls(len(self.call_ids), self.plan_call)

    def deliveries(self) -> Iterator[PlannedDelivery]:
        """Every planned delivery, call by call."""
        for call in self.calls:
            yield from call.deliveries
