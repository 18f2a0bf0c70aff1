"""What the Calls API shows: calls as far as their events have gone out.

A call is ``created`` when it is scheduled, ``started`` once its ``call_started`` went out, its
transcript grows turn by turn, and it is ``completed``/``failed`` when its end event went out. An
ended call can be redacted (``DELETE /agents/calls/{id}``): its content is erased, the record stays.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeGuard

from harness.models import (
    DIAL_FAILURE_END_REASONS,
    BaseEvent,
    Timestamp,
)
from harness.server.batch_state import BatchRegistry

__all__ = ["CallListener", "CallRecord", "CallsState", "now"]


def now() -> str:
    """The current time as the platform writes it (RFC 3339, nanoseconds, ``Z``)."""
    return str(Timestamp.now())


@dataclass
class CallRecord:
    """One call as the Calls API reports it."""

    id: str
    agent_id: str | None
    sequence: int
    status: str = "created"
    call: dict[str, Any] = field(default_factory=dict)
    transcript: list[dict[str, Any]] = field(default_factory=list)
    logs: list[str] = field(default_factory=list)
    start_time: str | None = None
    end_time: str | None = None
    updated_at: str = field(default_factory=now)
    # The call batch that placed this call, if any (GET /agents/calls?batch_id=).
    batch_id: str | None = None
    redacted_at: str | None = None

    @property
    def ended(self) -> bool:
        """True once the call's end event went out."""
        return self.status in ("completed", "failed")

    @property
    def failed_before_connecting(self) -> bool:
        """A failed call that never connected (busy, no answer, ...): it has neither transcript nor recording."""
        if self.status != "failed":
            return False
        return self.call.get("end_reason") in DIAL_FAILURE_END_REASONS or not self.transcript

    def redact(self) -> None:
        """Erase what the platform erases (transcript, recording, summary, metadata, dynamic variables, phone
        numbers); the record stays, with ``redacted_at`` set. Only for ended calls; a second call changes nothing.
        """
        if self.redacted_at is not None:
            return
        self.redacted_at = self.updated_at = now()
        self.transcript = []
        self.call.pop("transcript", None)
        if "summary" in self.call:
            self.call["summary"] = None
        if "metadata" in self.call:
            self.call["metadata"] = None
        telephony = self.call.get("telephony_params")
        if isinstance(telephony, dict):
            erased: dict[str, Any] = {key: None for key in ("to", "from") if key in telephony}
            erased |= {key: {} for key in ("parameters", "headers") if key in telephony}
            self.call["telephony_params"] = {**telephony, **erased}
        # Log lines quote what was said and logged (metric values may be a caller's answers).
        self.logs = [f"{self.redacted_at} call redacted"]

    def to_json(self, *, transcript: bool = True) -> dict[str, Any]:
        """The call object of ``GET /agents/calls/{id}``."""
        data: dict[str, Any] = {**self.call, "id": self.id, "agent_id": self.agent_id, "status": self.status}
        data["start_time"] = data.get("start_time") or self.start_time
        data["end_time"] = data.get("end_time") or self.end_time
        if self.redacted_at is not None:
            data["redacted_at"] = self.redacted_at
        if transcript:
            data["transcript"] = list(self.transcript)
        else:
            data.pop("transcript", None)
        return data

    def duration(self) -> float:
        """The call's length in seconds: end minus start time, else the end of its last turn."""
        start, end = self.to_json(transcript=False).get("start_time"), self.end_time or self.call.get("end_time")
        if isinstance(start, str) and isinstance(end, str):  # a captured payload may hold anything there
            try:
                seconds = (Timestamp.parse(end).nanoseconds - Timestamp.parse(start).nanoseconds) / 1e9
            except ValueError:
                seconds = 0.0
            if seconds > 0:
                return seconds
        ends = [float(end) for t in self.transcript if _finite_number(end := t.get("end_timestamp"))]
        return max([0.0, *ends])  # a captured turn may end "before" the call started


def _finite_number(value: Any) -> TypeGuard[float]:
    # JSON from a receiver-facing endpoint may carry NaN or Infinity (Python's json module reads them).
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


# Called with a call that was created or advanced, and its status before (None when it was just created).
CallListener = Callable[["CallRecord", str | None], None]


class CallsState:
    """The calls the server knows, in creation order; the oldest ended ones are forgotten past ``max_calls``.

    The cap keeps a long-running server's memory bounded; the delivery log keeps every delivery anyway.
    ``listeners`` are told of every change (the web console follows calls with them); they must be cheap
    and must not raise, as they run inside the delivery loop.
    """

    def __init__(self, *, max_calls: int = 1000) -> None:
        self._calls: dict[str, CallRecord] = {}
        # Calls scheduled but not reached yet (plans are generated as they play): just their ids and agents,
        # so a request for 100,000 calls costs a few bytes per call until each one starts.
        self._scheduled: dict[str, str | None] = {}
        self._ended: dict[str, None] = {}  # ids of ended calls, oldest first: the ones to forget
        self._sequence = 0
        self.max_calls = max_calls
        self.listeners: list[CallListener] = []
        self.batches = BatchRegistry()
        # Calls a batch placed that are scheduled but not reached yet: their record takes the batch id when created.
        self._batch_of: dict[str, str] = {}

    def __len__(self) -> int:
        return len(self._calls) + len(self._scheduled)

    def clear(self) -> None:
        """Forget every call, and every call batch (batches still dialling stop)."""
        self._calls.clear()
        self._scheduled.clear()
        self._ended.clear()
        self._batch_of.clear()
        self.batches.clear()

    def get(self, call_id: str) -> CallRecord | None:
        """The call with this id, if known (a scheduled call not reached yet is ``created``)."""
        record = self._calls.get(call_id)
        if record is None and call_id in self._scheduled:
            scheduled = CallRecord(id=call_id, agent_id=self._scheduled[call_id], sequence=0)
            scheduled.batch_id = self._batch_of.get(call_id)
            return scheduled
        return record

    def assign_batch(self, call_id: str, batch_id: str) -> None:
        """Mark a call as placed by a call batch (``GET /agents/calls?batch_id=``), whether it started yet or not."""
        record = self._calls.get(call_id)
        if record is not None:
            record.batch_id = batch_id
        elif call_id in self._scheduled:
            self._batch_of[call_id] = batch_id

    def schedule(self, call_ids: list[str], agent_id: str | None) -> None:
        """Know these calls as ``created`` until :meth:`create` registers each as it starts."""
        self._scheduled.update(dict.fromkeys(call_ids, agent_id))

    def create(self, call_id: str, agent_id: str | None) -> CallRecord:
        """Register a call that is starting (status ``created`` until its first event goes out)."""
        self._scheduled.pop(call_id, None)
        self._sequence += 1
        record = CallRecord(id=call_id, agent_id=agent_id, sequence=self._sequence)
        record.batch_id = self._batch_of.pop(call_id, None)
        self._calls[call_id] = record
        while len(self._calls) > self.max_calls and self._ended:
            oldest = next(iter(self._ended))  # the call that ended first
            del self._ended[oldest]
            self._calls.pop(oldest, None)
        for listener in self.listeners:
            listener(record, None)
        return record

    def newest_first(self, *, agent_id: str | None = None, batch_id: str | None = None) -> list[CallRecord]:
        """Calls, newest first, optionally of one agent and of one call batch."""
        calls = [
            c
            for c in self._calls.values()
            if (agent_id is None or c.agent_id == agent_id) and (batch_id is None or c.batch_id == batch_id)
        ]
        return sorted(calls, key=lambda c: c.sequence, reverse=True)

    def agent_ids(self) -> set[str]:
        """The agents of the calls known."""
        return {c.agent_id for c in self._calls.values() if c.agent_id is not None}

    def apply(self, call_id: str, event: BaseEvent | Mapping[str, Any]) -> None:
        """Advance the call's state now that ``event`` went out (or was deliberately dropped).

        ``event`` is a parsed event or its JSON object: the server passes the object, which costs a
        fraction of validating the event again, for every delivery.
        """
        wire = event.to_wire() if isinstance(event, BaseEvent) else event
        kind = wire.get("type")
        agent = wire.get("agent_id")
        record = self._calls.get(call_id) or self.create(call_id, agent if isinstance(agent, str) else None)
        if record.redacted_at is not None:
            return  # erased for good: what goes out after the redaction (the analysis) is not kept either
        before = record.status
        record.updated_at = now()
        stamp = _string(wire.get("timestamp"))
        call = _object(wire.get("call"))
        if kind == "call_started":
            record.call.update(call)
            record.call.pop("transcript", None)
            record.status = "started"
            record.start_time = record.start_time or _string(record.call.get("start_time")) or stamp
            record.logs.append(f"{stamp} call started")
        elif kind == "call_turn":
            # The turn, from "turn" or else the legacy "body" (the only one in 2025 payloads).
            turn = _object(wire.get("turn")) or _object(wire.get("body"))
            if record.start_time is None:
                record.start_time = stamp
            if record.status == "created":
                record.status = "started"
            if turn:
                record.transcript.append(turn)
                record.logs.append(_turn_log(turn, stamp))
        elif kind in ("call_completed", "call_failed"):
            transcript = call.get("transcript") if isinstance(call.get("transcript"), list) else wire.get("body")
            record.transcript = [turn for turn in _list(transcript) if isinstance(turn, dict)]
            record.call.update({key: value for key, value in call.items() if key != "transcript"})
            record.status = str(kind).removeprefix("call_")
            self._ended[record.id] = None
            record.start_time = record.start_time or stamp
            record.end_time = _string(record.call.get("end_time")) or stamp
            reason = call.get("end_reason") or wire.get("end_reason")
            record.logs.append(f"{stamp} call {record.status}" + (f" ({reason})" if reason else ""))
        elif kind == "post_call_analysis":
            summary = _object(wire.get("analysis")).get("summary")
            if summary is not None:
                record.call["summary"] = summary
            record.logs.append(f"{stamp} post-call analysis ready")
        else:
            record.logs.append(f"{stamp} {kind}")
        for listener in self.listeners:
            listener(record, before)


def _object(value: Any) -> dict[str, Any]:
    """``value`` if it is a JSON object, else an empty one (a payload may hold anything anywhere)."""
    return value if isinstance(value, dict) else {}


def _string(value: Any) -> str | None:
    """``value`` if it is a string, else None (a time in a payload may be anything; it is not converted)."""
    return value if isinstance(value, str) else None


def _list(value: Any) -> list[Any]:
    """``value`` if it is a JSON array, else an empty one."""
    return value if isinstance(value, list) else []


def _turn_log(turn: dict[str, Any], stamp: str | None) -> str:
    role = turn.get("role", "?")
    if "log_metric" in turn:
        metric = _object(turn["log_metric"])
        return f"{stamp} metric {metric.get('name')}={metric.get('value')}"
    if "log_event" in turn:
        return f"{stamp} event {_object(turn['log_event']).get('event')}"
    tools = [_object(tool).get("name") for tool in _list(turn.get("tool_calls"))]
    return f"{stamp} {role} turn" + (f" (tools: {', '.join(map(str, tools))})" if tools else "")
