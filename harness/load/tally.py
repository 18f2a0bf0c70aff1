"""What load generators sent and what the receiver acknowledged: kept per worker, merged by the master.

A worker's :class:`WorkerLedger` records every request and hands its new records over as a batch of
plain data (:meth:`WorkerLedger.drain`), which Locust carries to the master as a custom message. The
master merges batches into a :class:`LoadTally`, which also round-trips through JSON so ``harness load``
can read it back from the master's results file. Nothing here imports Locust.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "MAX_RECONCILED_CALLS",
    "EventKey",
    "LoadTally",
    "WorkerLedger",
    "WorkerTotals",
    "failure_label",
    "latency_bucket",
    "percentile",
]

# The master remembers every acknowledged event of at most this many calls (about 18 events each) for the
# reconciliation; calls beyond it are counted but not reconciled, and the report says how many.
MAX_RECONCILED_CALLS = 50_000

# (call_id, type, timestamp): how the state probe names an event.
EventKey = tuple[str, str, str]


def failure_label(kind: str, status: int | None = None) -> str:
    """How a failed request is counted: ``HTTP 503`` for a non-2xx answer, else the failure kind (``timeout``)."""
    if status:
        return f"HTTP {status}"
    return kind


def latency_bucket(seconds: float) -> int:
    """A latency in microseconds rounded to two significant digits (1.234 ms -> 1200), for compact histograms."""
    micros = max(1, round(seconds * 1_000_000))
    digits = len(str(micros))
    if digits <= 2:
        return micros
    step: int = 10 ** (digits - 2)
    return round(micros / step) * step


def percentile(histogram: Counter[int], fraction: float) -> float | None:
    """The nearest-rank percentile of a latency histogram, in seconds; None when it is empty."""
    total = sum(histogram.values())
    if total == 0:
        return None
    rank = max(1, math.ceil(round(total * fraction, 9)))  # rounded first: 0.95 * 20 must be rank 19, not 20
    seen = 0
    for bucket in sorted(histogram):
        seen += histogram[bucket]
        if seen >= rank:
            return bucket / 1_000_000
    return max(histogram) / 1_000_000  # pragma: no cover - the loop always reaches the rank


class WorkerLedger:
    """One load generator's records since its last batch."""

    def __init__(self) -> None:
        self._clear()

    def _clear(self) -> None:
        self.calls: list[str] = []
        self.replays = 0
        self.sent: Counter[str] = Counter()
        self.acked: Counter[str] = Counter()
        self.failed: dict[str, Counter[str]] = {}
        self.latency: dict[str, Counter[int]] = {}
        self.acked_events: list[EventKey] = []

    @property
    def pending(self) -> bool:
        """True when something was recorded since the last batch."""
        return bool(self.calls or self.replays or self.sent)

    def call_started(self, call_id: str, *, replay: bool = False) -> None:
        """A call is about to be played (its events follow); ``replay`` when it is played a second time."""
        if replay:
            self.replays += 1
        else:
            self.calls.append(call_id)

    def record(
        self, event_type: str, call_id: str, timestamp: str, *, latency: float | None, failure: str | None
    ) -> None:
        """One request: acknowledged (``failure`` None: a 2xx) or failed as ``failure`` (:func:`failure_label`)."""
        self.sent[event_type] += 1
        if failure is None:
            self.acked[event_type] += 1
            self.acked_events.append((call_id, event_type, timestamp))
        else:
            self.failed.setdefault(event_type, Counter())[failure] += 1
        if latency is not None:
            self.latency.setdefault(event_type, Counter())[latency_bucket(latency)] += 1

    def drain(self, *, final: bool = False) -> dict[str, Any]:
        """The records since the last batch as plain data (lists, dicts, str keys), and start a new batch."""
        batch: dict[str, Any] = {
            "final": final,
            "calls": self.calls,
            "replays": self.replays,
            "sent": dict(self.sent),
            "acked": dict(self.acked),
            "failed": {kind: dict(counts) for kind, counts in self.failed.items()},
            "latency_us": {kind: {str(k): v for k, v in counts.items()} for kind, counts in self.latency.items()},
            "acked_events": [list(key) for key in self.acked_events],
        }
        self._clear()
        return batch


@dataclass
class WorkerTotals:
    """Everything one worker reported."""

    index: int | None = None
    calls: int = 0
    replays: int = 0
    sent: Counter[str] = field(default_factory=Counter)
    acked: Counter[str] = field(default_factory=Counter)
    failed: dict[str, Counter[str]] = field(default_factory=dict)
    final: bool = False

    @property
    def failed_total(self) -> int:
        """Failed requests of every type and kind."""
        return sum(sum(counts.values()) for counts in self.failed.values())


class LoadTally:
    """The master's merge of every worker's batches."""

    def __init__(self, *, max_calls: int = MAX_RECONCILED_CALLS) -> None:
        self.max_calls = max_calls
        self.workers: dict[str, WorkerTotals] = {}
        self.latency: dict[str, Counter[int]] = {}
        self.acked_events: Counter[EventKey] = Counter()
        self.call_ids: set[str] = set()
        self.unreconciled_calls = 0
        self.elapsed = 0.0

    def merge(self, worker: str, batch: dict[str, Any], *, index: int | None = None) -> None:
        """Add one batch from ``worker`` (a worker id); tolerates missing keys from other versions."""
        totals = self.workers.setdefault(worker, WorkerTotals())
        if index is not None:
            totals.index = index
        totals.final = totals.final or bool(batch.get("final"))
        calls = [str(call) for call in batch.get("calls", ())]
        totals.calls += len(calls)
        totals.replays += int(batch.get("replays", 0))
        for call in calls:
            if call in self.call_ids:
                continue
            if len(self.call_ids) < self.max_calls:
                self.call_ids.add(call)
            else:
                self.unreconciled_calls += 1
        totals.sent.update(_counts(batch.get("sent")))
        totals.acked.update(_counts(batch.get("acked")))
        for kind, counts in _mapping(batch.get("failed")).items():
            totals.failed.setdefault(str(kind), Counter()).update(_counts(counts))
        for kind, counts in _mapping(batch.get("latency_us")).items():
            histogram = self.latency.setdefault(str(kind), Counter())
            histogram.update({int(bucket): n for bucket, n in _counts(counts).items()})
        for entry in batch.get("acked_events", ()):
            call, kind, stamp = (str(part) for part in entry)
            if call in self.call_ids:
                self.acked_events[(call, kind, stamp)] += 1

    def total(self, what: str) -> Counter[str]:
        """Per event type, summed over workers: ``sent`` or ``acked``."""
        summed: Counter[str] = Counter()
        for totals in self.workers.values():
            summed.update(getattr(totals, what))
        return summed

    def failures(self) -> dict[str, Counter[str]]:
        """Per event type, failed requests by label, summed over workers."""
        summed: dict[str, Counter[str]] = {}
        for totals in self.workers.values():
            for kind, counts in totals.failed.items():
                summed.setdefault(kind, Counter()).update(counts)
        return summed

    @property
    def calls(self) -> int:
        """Calls started, over all workers (a call played twice counts once)."""
        return sum(totals.calls for totals in self.workers.values())

    @property
    def replays(self) -> int:
        """Calls played a second time on purpose (``duplicates``)."""
        return sum(totals.replays for totals in self.workers.values())

    def to_json(self) -> dict[str, Any]:
        """The tally as JSON-ready data (read back by :meth:`from_json`)."""
        return {
            "elapsed_s": self.elapsed,
            "max_calls": self.max_calls,
            "unreconciled_calls": self.unreconciled_calls,
            "workers": {
                worker: {
                    "index": totals.index,
                    "calls": totals.calls,
                    "replays": totals.replays,
                    "final": totals.final,
                    "sent": dict(totals.sent),
                    "acked": dict(totals.acked),
                    "failed": {kind: dict(counts) for kind, counts in totals.failed.items()},
                }
                for worker, totals in self.workers.items()
            },
            "latency_us": {kind: {str(k): v for k, v in counts.items()} for kind, counts in self.latency.items()},
            "call_ids": sorted(self.call_ids),
            "acked_events": [[*key, count] for key, count in self.acked_events.items()],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LoadTally:
        """Rebuild a tally written by :meth:`to_json`; raises ValueError (or KeyError, TypeError) on another shape."""
        tally = cls(max_calls=int(data["max_calls"]))
        tally.elapsed = float(data["elapsed_s"])
        tally.unreconciled_calls = int(data["unreconciled_calls"])
        for worker, entry in _mapping(data["workers"]).items():
            index = entry.get("index")
            tally.workers[str(worker)] = WorkerTotals(
                index=int(index) if index is not None else None,
                calls=int(entry["calls"]),
                replays=int(entry["replays"]),
                final=bool(entry["final"]),
                sent=Counter(_counts(entry["sent"])),
                acked=Counter(_counts(entry["acked"])),
                failed={str(kind): Counter(_counts(counts)) for kind, counts in _mapping(entry["failed"]).items()},
            )
        for kind, counts in _mapping(data["latency_us"]).items():
            tally.latency[str(kind)] = Counter({int(bucket): n for bucket, n in _counts(counts).items()})
        tally.call_ids = {str(call) for call in data["call_ids"]}
        for call, kind, stamp, count in data["acked_events"]:
            tally.acked_events[(str(call), str(kind), str(stamp))] = int(count)
        return tally


def _mapping(value: Any) -> dict[Any, Any]:
    return value if isinstance(value, dict) else {}


def _counts(value: Any) -> dict[str, int]:
    return {str(key): int(count) for key, count in _mapping(value).items()}
