"""What a delivery leaves behind: each attempt's request and answer, and where attempts are recorded."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Protocol

from harness.failure_kind import FailureKind, Source

__all__ = ["Attempt", "AttemptRecorder", "Delivery", "WriteAheadRecorder"]


@dataclass
class Attempt:
    """One HTTP request of a delivery, and what came back (or why nothing did)."""

    number: int
    url: str
    request_headers: dict[str, str]
    started_at: float
    latency: float = 0.0
    status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: bytes = b""
    response_truncated: bool = False
    failure: FailureKind | None = None
    error: str | None = None
    # Read back from the log: the intent is recorded but its outcome not yet (the sender is still waiting).
    in_flight: bool = False

    @property
    def ok(self) -> bool:
        """True when the receiver answered with a 2xx."""
        return self.failure is None and self.status is not None and 200 <= self.status < 300

    def header(self, name: str) -> str | None:
        """A response header's value, whatever the casing of its name (servers differ: ``location``, ``Location``)."""
        wanted = name.lower()
        return next((value for key, value in self.response_headers.items() if key.lower() == wanted), None)


@dataclass
class Delivery:
    """One event sent to one target, with every attempt made for it."""

    id: str
    url: str
    body: bytes
    event_type: str | None = None
    call_id: str | None = None
    attempts: list[Attempt] = field(default_factory=list)
    replay_of: str | None = None
    created_at: float = field(default_factory=time.time)
    source: Source = Source.PLAYED

    @property
    def ok(self) -> bool:
        """True when the last attempt got a 2xx."""
        return bool(self.attempts) and self.attempts[-1].ok

    @property
    def last(self) -> Attempt:
        """The last attempt made."""
        return self.attempts[-1]


class AttemptRecorder(Protocol):
    """Where attempts are logged (the SQLite delivery log implements this)."""

    def record_attempt(self, delivery: Delivery, attempt: Attempt) -> None: ...


class WriteAheadRecorder(AttemptRecorder, Protocol):
    """A recorder that also logs each attempt before it is sent (the SQLite delivery log does).

    The Deliverer awaits :meth:`record_intent` before the request's first byte is written, and records the
    outcome with ``record_attempt`` afterwards; a recorder without ``record_intent`` gets only outcomes.
    """

    async def record_intent(self, delivery: Delivery, attempt: Attempt) -> None: ...
