"""Reconcile what a load run got acknowledged with what the receiver says it acted on (its state probe).

An event acknowledged (2xx) but absent from the probe was lost; an event the probe lists more than once
was acted on twice (duplicated), whether it was sent once or re-sent on purpose. Events are named as the
probe names them: (call_id, type, timestamp). Only the run's own calls are looked at, so earlier traffic
to the same receiver does not count.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from harness.load.tally import EventKey

__all__ = ["MAX_EXAMPLES", "Reconciliation", "reconcile"]

# Events named per type in the JSON report (the counts are always exact).
MAX_EXAMPLES = 1000


@dataclass(frozen=True)
class Reconciliation:
    """The outcome, per event type; ``lost``/``duplicated`` hold up to MAX_EXAMPLES events per type."""

    checked: int
    lost_counts: Mapping[str, int]
    duplicated_counts: Mapping[str, int]
    lost: Mapping[str, list[EventKey]] = field(default_factory=dict)
    # (event, times acted on)
    duplicated: Mapping[str, list[tuple[EventKey, int]]] = field(default_factory=dict)
    unacknowledged: int = 0

    @property
    def lost_total(self) -> int:
        """Events acknowledged but never acted on."""
        return sum(self.lost_counts.values())

    @property
    def duplicated_total(self) -> int:
        """Events acted on more than once."""
        return sum(self.duplicated_counts.values())

    def to_json(self) -> dict[str, Any]:
        """JSON-ready data for ``--report-json``."""
        return {
            "checked": self.checked,
            "lost": {
                kind: {"count": count, "examples": [_named(key) for key in self.lost.get(kind, [])]}
                for kind, count in self.lost_counts.items()
            },
            "duplicated": {
                kind: {
                    "count": count,
                    "examples": [{**_named(key), "times": times} for key, times in self.duplicated.get(kind, [])],
                }
                for kind, count in self.duplicated_counts.items()
            },
            "acted_on_without_acknowledgement": self.unacknowledged,
        }


def reconcile(
    acked: Mapping[EventKey, int], entries: Iterable[Mapping[str, Any]], call_ids: Collection[str]
) -> Reconciliation:
    """Compare acknowledged events with the probe's ``entries``, looking only at ``call_ids``."""
    processed: Counter[EventKey] = Counter()
    for entry in entries:
        call = entry.get("call_id")
        if call in call_ids:
            processed[(str(call), str(entry.get("type")), str(entry.get("timestamp")))] += 1
    lost_counts: Counter[str] = Counter()
    lost: dict[str, list[EventKey]] = {}
    for key in sorted(acked):
        if acked[key] > 0 and processed[key] == 0:
            kind = key[1]
            lost_counts[kind] += 1
            examples = lost.setdefault(kind, [])
            if len(examples) < MAX_EXAMPLES:
                examples.append(key)
    duplicated_counts: Counter[str] = Counter()
    duplicated: dict[str, list[tuple[EventKey, int]]] = {}
    for key in sorted(processed):
        if processed[key] > 1:
            kind = key[1]
            duplicated_counts[kind] += 1
            examples_twice = duplicated.setdefault(kind, [])
            if len(examples_twice) < MAX_EXAMPLES:
                examples_twice.append((key, processed[key]))
    unacknowledged = sum(1 for key in processed if acked.get(key, 0) == 0)
    return Reconciliation(
        checked=sum(1 for count in acked.values() if count > 0),
        lost_counts=dict(lost_counts),
        duplicated_counts=dict(duplicated_counts),
        lost=lost,
        duplicated=duplicated,
        unacknowledged=unacknowledged,
    )


def _named(key: EventKey) -> dict[str, str]:
    call, kind, stamp = key
    return {"call_id": call, "type": kind, "timestamp": stamp}
