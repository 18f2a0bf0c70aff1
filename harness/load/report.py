"""The end-of-run report of ``harness load``: counts, failures by kind, latency per event type, the
reconciliation, and the verdict (exit code 1 when anything was lost, duplicated, or failed beyond the
allowed ratio, or when a worker's report is missing)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from harness._console import paint
from harness.load.reconcile import Reconciliation
from harness.load.settings import LoadSettings
from harness.load.tally import LoadTally, percentile
from harness.models import EVENT_TYPES

__all__ = ["PERCENTILES", "LoadReport", "display_url"]

PERCENTILES = (("p50", 0.50), ("p95", 0.95), ("p99", 0.99))
# Events named per type in the terminal report; --report-json has more.
TEXT_EXAMPLES = 3


def display_url(url: str) -> str:
    """``url`` with any password replaced by ``***``, fit to print."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))


@dataclass
class LoadReport:
    """A finished (or interrupted) load run."""

    settings: LoadSettings
    tally: LoadTally
    reconciliation: Reconciliation | None = None
    probe_url: str | None = None
    interrupted: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def sent(self) -> int:
        """Requests sent, every type."""
        return sum(self.tally.total("sent").values())

    @property
    def acked(self) -> int:
        """Requests answered with a 2xx."""
        return sum(self.tally.total("acked").values())

    @property
    def failed(self) -> int:
        """Requests that failed: a non-2xx answer, a timeout or a connection error."""
        return sum(sum(counts.values()) for counts in self.tally.failures().values())

    def failures_by_label(self) -> Counter[str]:
        """Failed requests by label (``HTTP 503``, ``timeout``, ``refused``, ...), every type together."""
        labels: Counter[str] = Counter()
        for counts in self.tally.failures().values():
            labels.update(counts)
        return labels

    def problems(self) -> list[str]:
        """Why the run failed; empty when it passed."""
        found: list[str] = []
        if self.sent == 0:
            found.append("nothing was sent")
        reporting = [worker for worker, totals in self.tally.workers.items() if totals.sent or totals.calls]
        if len(reporting) < self.settings.workers:
            found.append(f"only {len(reporting)} of {self.settings.workers} workers reported")
        missing_final = [worker for worker, totals in self.tally.workers.items() if not totals.final]
        if missing_final:
            found.append(f"{len(missing_final)} workers sent no final report: their last records are missing")
        if self.sent and self.failed / self.sent > self.settings.max_fail_ratio:
            found.append(
                f"{self.failed} of {self.sent} requests failed ({self.failed / self.sent:.2%}), "
                f"more than --max-fail-ratio {self.settings.max_fail_ratio:g}"
            )
        if self.reconciliation is not None:
            if self.reconciliation.lost_total:
                found.append(f"{self.reconciliation.lost_total} acknowledged events were never acted on (lost)")
            if self.reconciliation.duplicated_total:
                found.append(f"{self.reconciliation.duplicated_total} events were acted on more than once")
        return found

    @property
    def exit_code(self) -> int:
        """0 passed, 1 failed, 130 interrupted."""
        if self.interrupted:
            return 130
        return 1 if self.problems() else 0

    def event_types(self) -> list[str]:
        """Event types seen, the platform's order first."""
        seen = set(self.tally.total("sent")) | set(self.tally.latency)
        return [kind for kind in EVENT_TYPES if kind in seen] + sorted(seen - set(EVENT_TYPES))

    def latency(self, kind: str) -> dict[str, float | None]:
        """p50/p95/p99 in seconds for one event type (None without answers)."""
        histogram = self.tally.latency.get(kind, Counter())
        return {name: percentile(histogram, fraction) for name, fraction in PERCENTILES}

    def to_json(self) -> dict[str, Any]:
        """The report as JSON-ready data (``--report-json``)."""
        settings = self.settings
        sent, acked, failures = self.tally.total("sent"), self.tally.total("acked"), self.tally.failures()
        return {
            "url": display_url(settings.url),
            "probe": display_url(self.probe_url) if self.probe_url else None,
            "settings": {
                "users": settings.users,
                "spawn_rate": settings.spawn_rate,
                "run_time_s": settings.run_time,
                "workers": settings.workers,
                "speed": settings.speed,
                "fast": settings.speed is None,
                "pool": settings.pool,
                "duplicates": settings.duplicates,
                "seed": settings.seed,
                "timeout_s": settings.timeout,
                "max_fail_ratio": settings.max_fail_ratio,
            },
            "elapsed_s": round(self.tally.elapsed, 3),
            "calls": self.tally.calls,
            "calls_replayed": self.tally.replays,
            "sent": self.sent,
            "acknowledged": self.acked,
            "failed": self.failed,
            "failures": dict(self.failures_by_label()),
            "events_per_second": round(self.sent / self.tally.elapsed, 1) if self.tally.elapsed > 0 else None,
            "by_type": {
                kind: {
                    "sent": sent[kind],
                    "acknowledged": acked[kind],
                    "failed": dict(failures.get(kind, Counter())),
                    "latency_s": self.latency(kind),
                }
                for kind in self.event_types()
            },
            "workers": {
                worker: {
                    "index": totals.index,
                    "calls": totals.calls,
                    "sent": sum(totals.sent.values()),
                    "acknowledged": sum(totals.acked.values()),
                    "failed": totals.failed_total,
                    "final_report": totals.final,
                }
                for worker, totals in sorted(self.tally.workers.items(), key=lambda item: (item[1].index or 0, item[0]))
            },
            "reconciliation": self.reconciliation.to_json() if self.reconciliation is not None else None,
            "calls_not_reconciled": self.tally.unreconciled_calls,
            "notes": self.notes,
            "interrupted": self.interrupted,
            "problems": self.problems(),
            "passed": not self.problems() and not self.interrupted,
        }

    def render(self, *, color: bool = False) -> str:
        """The terminal report."""
        settings, tally = self.settings, self.tally
        pace = "fast" if settings.speed is None else f"speed x{settings.speed:g}"
        lines = [
            f"load: {display_url(settings.url)}  {settings.workers} workers, {settings.users} users "
            f"(spawn {settings.spawn_rate:g}/s), {settings.run_time} s, {pace}, seed {settings.seed}"
        ]
        rate = f" ({self.sent / tally.elapsed:,.0f} events/s)" if tally.elapsed > 0 else ""
        replayed = f" ({tally.replays:,} played twice)" if tally.replays else ""
        lines.append(
            f"calls: {tally.calls:,} started{replayed}; events: {self.sent:,} sent, {self.acked:,} acknowledged (2xx), "
            f"{self.failed:,} failed in {tally.elapsed:.1f} s{rate}"
        )
        if self.failed:
            kinds = ", ".join(f"{label}: {count:,}" for label, count in self.failures_by_label().most_common())
            lines.append(f"failed by kind: {kinds}")
        for worker, totals in sorted(tally.workers.items(), key=lambda item: (item[1].index or 0, item[0])):
            final = "" if totals.final else "  (no final report)"
            lines.append(
                f"  worker {totals.index if totals.index is not None else '?'} ({worker}): {totals.calls:,} calls, "
                f"{sum(totals.sent.values()):,} sent, {sum(totals.acked.values()):,} acknowledged, "
                f"{totals.failed_total:,} failed{final}"
            )
        lines.append("")
        header = f"{'event type':<20} {'sent':>9} {'acked':>9} {'failed':>7}"
        lines.append(header + "".join(f" {name + ' ms':>8}" for name, _ in PERCENTILES))
        sent, acked, failures = tally.total("sent"), tally.total("acked"), tally.failures()
        for kind in self.event_types():
            latency = self.latency(kind)
            cells = " ".join(f"{_ms(latency[name]):>8}" for name, _ in PERCENTILES)
            failed = sum(failures.get(kind, Counter()).values())
            lines.append(f"{kind:<20} {sent[kind]:>9,} {acked[kind]:>9,} {failed:>7,} {cells}")
        lines.extend(self._render_reconciliation())
        lines.extend(f"note: {note}" for note in self.notes)
        lines.append("")
        problems = self.problems()
        if self.interrupted:
            lines.append(paint("INTERRUPTED: the figures cover the run until the stop", "yellow", enabled=color))
        elif problems:
            lines.append(paint("FAILED: " + "; ".join(problems), "red", enabled=color))
        else:
            lines.append(paint("PASSED", "green", enabled=color))
        return "\n".join(lines)

    def _render_reconciliation(self) -> list[str]:
        result = self.reconciliation
        if result is None:
            hint = "no reconciliation: pass --probe URL (the receiver's state probe) to find lost or duplicated events"
            return ["", hint]
        lines = [
            "",
            f"reconciliation with {display_url(self.probe_url or '')}: {result.checked:,} acknowledged events checked",
            f"  lost (acknowledged, never acted on): {result.lost_total:,}",
        ]
        for kind, count in sorted(result.lost_counts.items()):
            examples = ", ".join(f"{call} @ {stamp}" for call, _, stamp in result.lost.get(kind, [])[:TEXT_EXAMPLES])
            lines.append(f"    {kind}: {count:,}  e.g. {examples}")
        lines.append(f"  duplicated (acted on more than once): {result.duplicated_total:,}")
        for kind, count in sorted(result.duplicated_counts.items()):
            twice = result.duplicated.get(kind, [])[:TEXT_EXAMPLES]
            examples = ", ".join(f"{call} @ {stamp} x{times}" for (call, _, stamp), times in twice)
            lines.append(f"    {kind}: {count:,}  e.g. {examples}")
        if result.unacknowledged:
            lines.append(
                f"  acted on but never acknowledged: {result.unacknowledged:,} "
                "(failed, or in flight at the stop; not an error)"
            )
        if self.tally.unreconciled_calls:
            lines.append(
                f"  {self.tally.unreconciled_calls:,} calls beyond the first {self.tally.max_calls:,} "
                "were not reconciled"
            )
        return lines


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.1f}"
