"""What each page shows, and the live views that keep it current; shared by page loads and live updates.

Reads of the delivery log run in a worker thread (the event loop keeps delivering); reads of the Calls API's
state run on the loop, after them, so a page shows calls in progress as they are now.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode, urlsplit

from harness.errors import HarnessError
from harness.server._http import query_flag
from harness.server.console import queries
from harness.server.console.core import Console
from harness.server.console.data import (
    MAX_DELIVERIES,
    CallPage,
    delivery_views,
    page_from_log,
    page_from_record,
    turn_views,
)
from harness.server.console.live import View
from harness.server.console.queries import STATUS_FILTERS, CallFilters, CallRow
from harness.server.console.startform import FAULT_FIELDS, MAX_CALLS, StartForm
from harness.store import DeliveryLog, StoredDelivery

if TYPE_CHECKING:
    from harness.checks import CheckResult

__all__ = [
    "CALL_TABS",
    "MAX_SECRET",
    "call_context",
    "call_view",
    "calls_context",
    "calls_view",
    "deployments_context",
    "new_secret",
    "page_number",
    "parse_filters",
    "resolve_view",
    "shown_status",
    "start_context",
    "started_notice",
    "test_context",
    "test_view",
]

CALL_TABS = ("transcript", "logs", "recording", "webhooks")
MAX_SECRET = 256
MAX_CACHED_VIEWS = 256  # live views whose last fragments are kept (MAX_SUBSCRIBERS streams show at most 64)


# -- the calls list ----------------------------------------------------------------------------------


def page_number(text: str | None) -> int:
    """A 1-based page number from a query parameter (ValueError naming the bound otherwise)."""
    if text is None or text == "":
        return 1
    if not text.isdigit() or not 1 <= int(text) <= queries.MAX_PAGE:
        raise ValueError(f"page must be a whole number from 1 to {queries.MAX_PAGE:,}, got {text!r}.")
    return int(text)


def parse_filters(query: Mapping[str, str]) -> CallFilters:
    """The calls list's filters from the page's query parameters; ValueError naming a bad one."""
    status = query.get("status") or None
    if status is not None and status not in STATUS_FILTERS:
        raise ValueError(f"status must be one of {', '.join(STATUS_FILTERS)}, got {status!r}.")
    return CallFilters(
        status=status,
        agent=query.get("agent") or None,
        deployment=query.get("deployment") or None,
        failed_deliveries=query_flag(query.get("failed"), "failed") or False,
        page=page_number(query.get("page")),
    )


def shown_status(row: CallRow, *, live: bool, since: float) -> str:
    """The status a person reads: queued, in progress, completed, failed, or stopped (its server stopped first)."""
    if row.status in ("completed", "failed"):
        return row.status
    if row.status in ("created", "started"):
        if not live and row.created_at < since:
            return "stopped"
        return "queued" if row.status == "created" else "in progress"
    return "unknown"


async def calls_context(console: Console, filters: CallFilters, *, full: bool) -> dict[str, Any]:
    """The calls list (``full``: the whole page, with the agents to filter by; else its live part, read from
    what the log has committed: the live flush committed it just before)."""
    log = console.services.log

    def read() -> tuple[list[CallRow], bool, int, list[str]]:
        rows, more = queries.list_calls(log, filters, since=console.started_at, fresh=full)
        total = queries.count_calls(log, fresh=full)
        return rows, more, total, queries.list_agents(log) if full else []

    rows, has_more, total, agents = await console.offload(read)
    for row in rows:  # calls still in the Calls API: as they are now, not as at their last status change
        record = console.services.calls.get(row.id)
        if record is not None:
            row.status, row.turns = record.status, len(record.transcript)
            if record.ended and row.duration is None:
                row.duration = record.duration()
        row.shown = shown_status(row, live=record is not None, since=console.started_at)
    first = (filters.page - 1) * queries.PAGE_SIZE
    return {
        "calls": rows,
        "filters": filters,
        "has_more": has_more,
        "total": total,
        "agents": agents,
        "status_filters": {name: label for name, (label, _) in STATUS_FILTERS.items()},
        "first": first + 1,
        "last": first + len(rows),
        "filtered": any((filters.status, filters.agent, filters.deployment, filters.failed_deliveries)),
    }


def started_notice(query: Mapping[str, str]) -> str | None:
    """ "Started 10 calls of happy-path." after the Start calls form redirected here."""
    count, scenario = query.get("started", ""), query.get("scenario", "")
    if not count.isdigit():
        return None
    return f"Started {int(count):,} call{'s' if count != '1' else ''} of {scenario or 'the scenario'}."


def calls_view(console: Console, filters: CallFilters) -> View:
    """The calls list kept live: every call's change may show on it."""

    key = "calls?" + urlencode(filters.query())

    async def render() -> dict[str, str]:
        context = await calls_context(console, filters, full=False)
        signature = ([dataclasses.astuple(row) for row in context["calls"]], context["has_more"], context["total"])

        async def fragments() -> dict[str, str]:
            return {"calls-results": await _fragment(console, "_calls_table.html", context)}

        return await _unless_unchanged(console, key, signature, fragments)

    return View(key=key, render=render)


# -- one call ------------------------------------------------------------------------------------------


async def call_context(console: Console, call_id: str, tab: str) -> dict[str, Any] | None:
    """The call page's data for ``tab``; None when neither the Calls API nor the log knows the call."""
    services = console.services
    log = services.log
    hidden = console.secrets()
    needs_deliveries = tab == "webhooks" or services.calls.get(call_id) is None

    def read() -> tuple[CallRow | None, list[StoredDelivery]]:
        row = queries.find_call(log, call_id)
        deliveries = _deliveries(log, call_id) if needs_deliveries else []
        return row, deliveries

    row, deliveries = await console.offload(read)
    record = services.calls.get(call_id)
    call: CallPage
    if record is not None:
        call = page_from_record(record, row)
    elif row is not None:
        call = page_from_log(row, deliveries)
    else:
        return None
    if row is not None:
        row.status = call.status
        call_status = shown_status(row, live=record is not None, since=console.started_at)
    else:  # scheduled, not reached yet: the log has no row for it so far
        call_status = {"created": "queued", "started": "in progress"}.get(call.status, call.status)
    return {
        "call": call,
        "shown_status": call_status,
        "tab": tab,
        "tabs": CALL_TABS,
        "turns": turn_views(call.transcript) if tab == "transcript" else [],
        "deliveries": await console.offload(delivery_views, deliveries, hidden) if tab == "webhooks" else [],
        "max_deliveries": MAX_DELIVERIES,
        "csrf_token": console.csrf_token,
        "replayed": None,
    }


def _deliveries(log: DeliveryLog, call_id: str) -> list[StoredDelivery]:
    # Newest first from the log, so the cap keeps the latest ones; shown oldest first.
    return list(reversed(log.list_deliveries(call_id=call_id, limit=MAX_DELIVERIES)))


def call_view(console: Console, call_id: str, tab: str) -> View:
    """A call page kept live: its summary and the open tab change with each of its events."""
    key = f"call/{call_id}?" + urlencode({"tab": tab})

    async def render() -> dict[str, str]:
        # Cheap to read, and changes whenever anything on the page does: its events and its deliveries.
        row = await console.offload(queries.find_call, console.services.log, call_id, False)
        record = console.services.calls.get(call_id)
        signature = (
            record and (record.status, record.updated_at, len(record.transcript)),
            row and (row.status, row.deliveries, row.failed),
        )

        async def fragments() -> dict[str, str]:
            context = await call_context(console, call_id, tab)
            if context is None:
                return {}
            return {
                "call-summary": await _fragment(console, "_call_summary.html", context),
                "call-tab": await _fragment(console, f"_call_{tab}.html", context),
            }

        return await _unless_unchanged(console, key, signature, fragments)

    return View(key=key, render=render, calls=frozenset({call_id}))


# -- deployments, start, test ---------------------------------------------------------------------------


async def deployments_context(console: Console, page: int) -> dict[str, Any]:
    """Deployments seen in the logged calls, a page at a time."""
    rows, has_more = await console.offload(queries.list_deployments, console.services.log, page)
    return {"deployments": rows, "page": page, "has_more": has_more}


def new_secret() -> str:
    """A fresh webhook secret."""
    return "whsec_" + secrets.token_urlsafe(24)


async def start_context(console: Console, form: StartForm, *, error: str | None = None) -> dict[str, Any]:
    """The Start calls form: the scenarios this server offers, domains, fault fields, and what was typed."""
    from harness.generate import DOMAINS

    offered: list[tuple[str, str]] = []
    for name in console.services.scenarios.paths():
        try:
            offered.append((name, (await console.services.scenarios.load(name)).description))
        except HarnessError as exc:  # a broken file in a --scenarios folder: named, with what is wrong
            offered.append((name, f"cannot be started: {exc}"))
    return {
        "scenarios": offered,
        "domains": DOMAINS,
        "fault_fields": FAULT_FIELDS,
        "max_calls": MAX_CALLS,
        "form": form,
        "error": error,
    }


def test_context(console: Console) -> dict[str, Any]:
    """The contract check page: the webhook it would check, the last run and its results by area."""
    run = console.checks.last
    groups: list[tuple[str, list[CheckResult]]] = []
    if run is not None and run.report is not None:
        from harness.checks import AREAS

        results = run.report.results
        groups = [(area, [r for r in results if r.area == area]) for area in AREAS]
        groups = [(area, members) for area, members in groups if members]
    return {
        "hook": console.services.webhooks.active,
        "run": run,
        "groups": groups,
        "error": None,
        "probe": run.probe if run is not None and run.probe else "",
        "csrf_token": console.csrf_token,
    }


def test_view(console: Console) -> View:
    """The contract check page kept live: it changes when a run starts and when it ends."""

    async def render() -> dict[str, str]:
        return {"test-result": await _fragment(console, "_test_result.html", test_context(console))}

    return View(key="test", render=render, calls=frozenset(), topics=frozenset({"test"}))


def resolve_view(console: Console, key: str) -> View | None:
    """The live view a page was rendered with, from its key (None for a key no page makes)."""
    parts = urlsplit(key)
    query = {name: values[0] for name, values in parse_qs(parts.query).items()}
    try:
        if parts.path == "calls":
            return calls_view(console, parse_filters(query))
        if parts.path.startswith("call/") and query.get("tab", "transcript") in CALL_TABS:
            return call_view(console, parts.path.removeprefix("call/"), query.get("tab", "transcript"))
    except ValueError:
        return None
    return test_view(console) if parts.path == "test" else None


async def _unless_unchanged(
    console: Console, key: str, signature: Any, render: Callable[[], Awaitable[dict[str, str]]]
) -> dict[str, str]:
    """The view's fragments as last rendered when what they show has not changed since, else rendered anew.

    Most open views do not change in a given flush (a finished call, an empty filter): they cost a read.
    """
    cached = console.rendered.get(key)
    if cached is not None and cached[0] == signature:
        return cached[1]
    fragments = await render()
    if len(console.rendered) >= MAX_CACHED_VIEWS:
        console.rendered.clear()
    console.rendered[key] = (signature, fragments)
    return fragments


async def _fragment(console: Console, template: str, context: dict[str, Any]) -> str:
    """Render a partial template off the event loop."""
    assert console.env is not None
    return await console.offload(console.env.get_template(template).render, context)
