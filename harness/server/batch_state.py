"""Call batches as ``/agents/calls/batches`` shows them: recipients, their calls, and the derived progress.

A recipient is ``queued`` until the batch dials it, ``dispatched`` once its call was started (its
``agent_call_id`` set), then ``completed`` or ``failed`` as its call ended; recipients a cancel caught
still queued are ``cancelled``. The batch's status and counters are derived from its recipients at
read time, as the platform documents: ``pending`` (nothing dispatched), ``in_progress``, ``completed``
(every recipient dispatched, whatever the calls' outcomes), ``cancelled`` (cancelled before every
recipient was dispatched), ``failed`` (every recipient failed before a call could be placed).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["BATCH_STATUSES", "MAX_BATCHES", "RECIPIENT_STATUSES", "BatchRegistry", "CallBatch", "Recipient"]

BATCH_STATUSES = ("pending", "in_progress", "completed", "failed", "cancelled")
# Not published (the docs show "<string>"): the harness's own names, open strings on the wire.
RECIPIENT_STATUSES = ("queued", "dispatched", "completed", "failed", "cancelled")
# Batches the server remembers; past this the oldest that are no longer dialling are forgotten.
MAX_BATCHES = 100

# call id -> its Calls API status ("created", "started", "completed", "failed"), None once forgotten
CallStatus = Callable[[str], str | None]


@dataclass
class Recipient:
    """One number a batch dials, and the call its latest attempt placed."""

    id: str
    to_number: str
    metadata: dict[str, Any] | None
    created_at: str
    status: str = "queued"
    agent_call_id: str | None = None
    error_message: str | None = None

    def refresh(self, call_status: CallStatus) -> None:
        """Follow the placed call: its recipient is completed or failed once the call ended."""
        if self.status == "dispatched" and self.agent_call_id is not None:
            status = call_status(self.agent_call_id)
            if status in ("completed", "failed"):
                self.status = status

    def to_json(self) -> dict[str, Any]:
        """The recipient as ``GET /agents/calls/batches/{id}`` lists it."""
        data: dict[str, Any] = {
            "id": self.id,
            "to_number": self.to_number,
            "status": self.status,
            "created_at": self.created_at,
            "agent_call_id": self.agent_call_id,
            "metadata": self.metadata if self.metadata is not None else {},
        }
        if self.error_message is not None:
            data["error_message"] = self.error_message
        return data


@dataclass
class CallBatch:
    """A batch of outbound calls and where its dialling stands."""

    id: str
    name: str
    agent_id: str
    from_number_id: str | None
    region: str
    target_concurrency_limit: int
    created_at: str
    recipients: list[Recipient]
    scheduled_at: str | None = None
    last_updated_at: str = ""
    admitted_at: str | None = None
    cancelled: bool = False
    retry_count: int = 0
    # The task dialling the recipients; None before it starts and once it is done.
    task: asyncio.Task[None] | None = None

    @property
    def dialling(self) -> bool:
        """True while recipients are still being dialled."""
        return self.task is not None and not self.task.done()

    def status(self) -> str:
        """The lifecycle status, derived from the recipients."""
        queued = sum(1 for r in self.recipients if r.status == "queued")
        placed = sum(1 for r in self.recipients if r.agent_call_id is not None)
        if self.cancelled and any(r.status == "cancelled" for r in self.recipients):
            return "cancelled"
        if queued == len(self.recipients):
            return "pending"
        if queued:
            return "in_progress"
        return "failed" if placed == 0 else "completed"

    def to_json(self, call_status: CallStatus, *, recipients: bool = False) -> dict[str, Any]:
        """The batch object; ``recipients`` only on ``GET /agents/calls/batches/{id}``."""
        for recipient in self.recipients:
            recipient.refresh(call_status)
        data: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "agent_id": self.agent_id,
            "from_number_id": self.from_number_id,
            "region": self.region,
            "target_concurrency_limit": self.target_concurrency_limit,
            "status": self.status(),
            "total_calls_scheduled": len(self.recipients),
            "total_calls_dispatched": sum(1 for r in self.recipients if r.status not in ("queued", "cancelled")),
            "total_calls_finished": sum(1 for r in self.recipients if r.status in ("completed", "failed")),
            "retry_count": self.retry_count,
            "created_at": self.created_at,
            "last_updated_at": self.last_updated_at or self.created_at,
        }
        if self.scheduled_at is not None:
            data["scheduled_at"] = self.scheduled_at
        if self.admitted_at is not None:
            data["admitted_at"] = self.admitted_at
        if recipients:
            data["recipients"] = [recipient.to_json() for recipient in self.recipients]
        return data


@dataclass
class BatchRegistry:
    """The batches created on this server, oldest first, at most :data:`MAX_BATCHES`."""

    _batches: dict[str, CallBatch] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self._batches)

    def add(self, batch: CallBatch) -> bool:
        """Keep a new batch, forgetting the oldest idle ones past the cap; False when every kept one still dials."""
        if len(self._batches) >= MAX_BATCHES:
            idle = [b.id for b in self._batches.values() if not b.dialling]
            if not idle:
                return False
            for batch_id in idle[: len(self._batches) - MAX_BATCHES + 1]:
                del self._batches[batch_id]
        self._batches[batch.id] = batch
        return True

    def get(self, batch_id: str) -> CallBatch | None:
        """The batch with this id, if kept."""
        return self._batches.get(batch_id)

    def newest_first(self, *, agent_id: str | None = None) -> list[CallBatch]:
        """Every batch kept, newest first, optionally of one agent."""
        return [b for b in reversed(self._batches.values()) if agent_id is None or b.agent_id == agent_id]

    def clear(self) -> None:
        """Forget every batch; batches still dialling stop dialling."""
        for batch in self._batches.values():
            if batch.task is not None:
                batch.task.cancel()
        self._batches.clear()
