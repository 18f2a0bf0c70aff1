"""Delivery checks: duplicates, concurrency, order, bursts, latency and redirects, as the platform may deliver."""

from __future__ import annotations

import asyncio
import statistics
from collections import Counter
from typing import Any

from harness.checks.auth import CORRECT
from harness.checks.context import CheckContext
from harness.checks.failures import CheckSkipped
from harness.checks.probe import ProbeEntry, entry_key, event_key_of
from harness.checks.registry import check
from harness.checks.secret import WRONG
from harness.checks.violations import (
    ActedMoreThanOnce,
    BurstFailed,
    CrashedOnDuplicate,
    OrderChangedWhatWasDone,
    OutOfOrderRejected,
    OverLatencyBudget,
    RedirectAnswered,
)
from harness.delivery import Delivery, FailureKind
from harness.models import Event

CONCURRENT_COPIES = 6
BURST_CALLS = 20
# How long to wait for a receiver that acknowledges first and acts later (from a queue, say): give up when
# nothing changed for ACT_PATIENCE seconds, or at SETTLE_DEADLINE.
ACT_PATIENCE = 2.0
SETTLE_DEADLINE = 10.0


def _acted_on_nothing(call_id: str | None) -> CheckSkipped:
    return CheckSkipped(
        f"the probe shows nothing acted on for call {call_id} although its events were accepted, so duplicates "
        "cannot be observed; does the probe list every event the receiver acts on?"
    )


async def _acted_on(ctx: CheckContext, call_id: str | None) -> list[ProbeEntry]:
    """The probe's entries for the call once they settle; skips the check when there are none at all."""
    entries = await ctx.settled([call_id])
    if not entries:
        # Nothing yet: the receiver may act later, from a queue. Wait longer before concluding anything.
        entries = await ctx.settled([call_id], until=bool, quiet=ACT_PATIENCE, deadline=SETTLE_DEADLINE)
        if not entries:
            raise _acted_on_nothing(call_id)
    return entries


def _expect_no_crash(deliveries: list[Delivery], what: str) -> None:
    crashed = [d for d in deliveries if d.last.status is None or d.last.status >= 500]
    if crashed:
        raise CrashedOnDuplicate(crashed, what)


def _twice(entries: list[ProbeEntry], events: list[Event], what: str, deliveries: list[Delivery]) -> None:
    counts = Counter(entry_key(entry) for entry in entries)
    repeated = [event for event in events if counts[event_key_of(event)] > 1]
    if repeated:
        first = repeated[0]
        raise ActedMoreThanOnce(what, first, counts[event_key_of(first)], entries, deliveries)


@check(area="delivery", needs_probe=True)
async def idempotent_under_duplicates(ctx: CheckContext) -> None:
    """An event delivered twice is acted on once (there is no timestamp to refuse replays by)."""
    events = ctx.call(turns=2)
    first = await ctx.send_in_order(events)
    if not all(d.ok for d in first):
        raise CheckSkipped("the receiver did not accept the original events; see accepts_correct_secret")
    again = await ctx.send_in_order(events)
    _expect_no_crash(again, "a duplicate delivery")
    entries = await _acted_on(ctx, events[0].call_id)
    _twice(entries, events, "an event delivered twice", again)


@check(area="delivery", needs_probe=True)
async def idempotent_under_concurrent_duplicates(ctx: CheckContext) -> None:
    """Copies of an event delivered at the same moment are acted on once (no check-then-insert race)."""
    events = ctx.call(turns=1)
    opening = await ctx.send(events[0])
    if not opening.ok:
        raise CheckSkipped("the receiver did not accept call_started; see accepts_correct_secret")
    copies: list[Delivery] = []
    for event in events[1:]:
        copies += await asyncio.gather(*(ctx.send(event) for _ in range(CONCURRENT_COPIES)))
    _expect_no_crash(copies, "concurrent duplicate deliveries")
    entries = await _acted_on(ctx, events[0].call_id)
    _twice(entries, events, f"{CONCURRENT_COPIES} concurrent copies of an event", copies)


@check(area="delivery", needs_probe=True)
async def tolerates_out_of_order_events(ctx: CheckContext) -> None:
    """A call's events delivered in reverse order are all accepted and acted on as when they come in order."""
    in_order = ctx.call(label="in-order", turns=2)
    reverse = list(reversed(ctx.call(label="in-order", turns=2)))  # the same call under another call id
    first = await ctx.send_in_order(in_order)
    if not all(d.ok for d in first):
        raise CheckSkipped("the receiver did not accept the call's events in order; see accepts_correct_secret")
    later = await ctx.send_in_order(reverse)
    bad = [d for d in later if not d.ok]
    if bad:
        raise OutOfOrderRejected(bad)
    ids = (in_order[0].call_id, reverse[0].call_id)

    def acted(entries: list[ProbeEntry], call_id: str | None) -> Counter[tuple[Any, Any]]:
        return Counter((e.get("type"), e.get("timestamp")) for e in entries if e.get("call_id") == call_id)

    def same(entries: list[ProbeEntry]) -> bool:
        wanted = acted(entries, ids[0])
        return bool(wanted) and wanted == acted(entries, ids[1])

    entries = await ctx.settled(ids, until=same, quiet=ACT_PATIENCE, deadline=SETTLE_DEADLINE)
    wanted, got = acted(entries, ids[0]), acted(entries, ids[1])
    if not wanted:
        raise _acted_on_nothing(ids[0])
    if got != wanted:
        lost = sorted(str(k[0]) for k in (wanted - got).elements())
        extra = sorted(str(k[0]) for k in (got - wanted).elements())
        raise OrderChangedWhatWasDone(
            in_order=sum(wanted.values()),
            in_reverse=sum(got.values()),
            lost=lost,
            extra=extra,
            entries=entries,
            deliveries=later,
        )


@check(area="delivery")
async def handles_burst(ctx: CheckContext) -> None:
    """Many calls delivered at once are all acknowledged with a 2xx."""
    calls = [ctx.call(label=f"burst-{index}", turns=1) for index in range(BURST_CALLS)]
    deliveries = [d for call in await ctx.send_calls(calls) for d in call]
    bad = [d for d in deliveries if not d.ok]
    if bad:
        raise BurstFailed(bad, sent=len(deliveries), calls=BURST_CALLS)


@check(area="delivery")
async def responds_within_budget(ctx: CheckContext) -> None:
    """Every event type is answered within the latency budget (default 10 s, the assumed platform timeout)."""
    calls = [ctx.call(label="budget-completed", turns=2), ctx.call(label="budget-failed", outcome="error", turns=1)]
    deliveries = [d for call in calls for d in await ctx.send_in_order(call)]
    budget = ctx.settings.latency_budget
    stats = _latency_stats(deliveries)
    ctx.observed.update(budget_s=budget, latency_by_type=stats)
    slow = [d for d in deliveries if d.last.failure == FailureKind.TIMEOUT or d.last.latency > budget]
    if slow:
        raise OverLatencyBudget(max(slow, key=lambda d: d.last.latency), budget)


def _latency_stats(deliveries: list[Delivery]) -> dict[str, dict[str, Any]]:
    by_type: dict[str, list[float]] = {}
    for delivery in deliveries:
        by_type.setdefault(delivery.event_type or "?", []).append(delivery.last.latency * 1000)
    stats: dict[str, dict[str, Any]] = {}
    for kind, values in by_type.items():
        ordered = sorted(values)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        stats[kind] = {
            "count": len(values),
            "p50_ms": round(statistics.median(ordered), 1),
            "p95_ms": round(p95, 1),
            "max_ms": round(ordered[-1], 1),
        }
    return stats


@check(area="delivery")
async def no_redirects(ctx: CheckContext) -> None:
    """The webhook URL answers directly: the platform never follows a redirect, so a 3xx loses the event."""
    event = ctx.call(turns=1)[0]
    for auth in (CORRECT, WRONG):
        delivery = await ctx.send(event, auth=auth)
        status = delivery.last.status
        if status is not None and 300 <= status < 400:
            raise RedirectAnswered(delivery, auth)
