"""What the console lists, read from the delivery log with SQL (the Calls API keeps only the last calls).

Every query is paged (``PAGE_SIZE`` rows) and uses an index, so lists stay fast with any number of calls:
calls newest first by ``calls_created``, failed deliveries by the partial index ``deliveries_failed``.
These run in a worker thread: :meth:`DeliveryLog.query` waits for the log's writer to commit first, unless
told not to (live updates commit the log once per flush, then read).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.store import DeliveryLog

__all__ = [
    "PAGE_SIZE",
    "STATUS_FILTERS",
    "CallFilters",
    "CallRow",
    "DeploymentRow",
    "count_calls",
    "find_call",
    "list_agents",
    "list_calls",
    "list_deployments",
]

PAGE_SIZE = 50
MAX_PAGE = 100_000  # bounds OFFSET: 5 million calls deep
MAX_AGENTS = 100  # agent ids offered in the filter
# The status filter's choices: label shown, SQL condition (``:since`` is when this server started).
STATUS_FILTERS: dict[str, tuple[str, str]] = {
    "in_progress": ("In progress", "s.status IN ('created', 'started') AND c.created_at >= :since"),
    "completed": ("Completed", "s.status = 'completed'"),
    "failed": ("Failed", "s.status = 'failed'"),
    "stopped": ("Stopped unfinished", "s.status IN ('created', 'started') AND c.created_at < :since"),
}

_CALL_COLUMNS = """
    c.id, c.agent_id, c.scenario, c.events, c.created_at,
    s.status, s.agent_name, s.start_time, s.end_time, s.end_reason,
    s.deployment_id, s.deployment_version_id, s.deployment_region, s.turns, s.duration,
    (SELECT count(*) FROM deliveries d WHERE d.call_id = c.id),
    (SELECT count(*) FROM deliveries d WHERE d.call_id = c.id AND d.ok = 0)
"""


@dataclass(frozen=True)
class CallFilters:
    """The calls list's filters and page (1-based)."""

    status: str | None = None
    agent: str | None = None
    deployment: str | None = None
    failed_deliveries: bool = False
    page: int = 1

    def query(self, **changes: Any) -> dict[str, str]:
        """The filters as URL query parameters (with ``changes``), leaving out the defaults."""
        values = {
            "status": self.status,
            "agent": self.agent,
            "deployment": self.deployment,
            "failed": "1" if self.failed_deliveries else None,
            "page": str(self.page) if self.page > 1 else None,
        }
        values.update(changes)
        if values.get("page") in (1, "1"):
            values["page"] = None
        return {key: str(value) for key, value in values.items() if value is not None and value != ""}


@dataclass
class CallRow:
    """One call as the console lists it; ``status`` is None for a call logged by an older harness."""

    id: str
    agent_id: str | None
    scenario: str | None
    events: int
    created_at: float
    status: str | None
    agent_name: str | None
    start_time: str | None
    end_time: str | None
    end_reason: str | None
    deployment_id: str | None
    deployment_version_id: str | None
    deployment_region: str | None
    turns: int | None
    duration: float | None
    deliveries: int
    failed: int
    shown: str = ""  # the status as the console shows it (see pages.shown_status)

    @property
    def delivered(self) -> int:
        """Deliveries answered with a 2xx."""
        return self.deliveries - self.failed


@dataclass(frozen=True)
class DeploymentRow:
    """A deployment seen in the calls: its version and region, how many calls, when it was last seen."""

    deployment_id: str
    version_id: str | None
    region: str | None
    calls: int
    last_seen: float


def list_calls(
    log: DeliveryLog, filters: CallFilters, *, since: float, fresh: bool = True
) -> tuple[list[CallRow], bool]:
    """One page of calls matching ``filters``, newest first, and whether an older page follows.

    ``fresh=False`` reads what the log has committed without waiting for its writer (see DeliveryLog.query).
    """
    conditions: list[str] = []
    parameters: dict[str, Any] = {"since": since, "limit": PAGE_SIZE + 1}
    if filters.status in STATUS_FILTERS:
        conditions.append(STATUS_FILTERS[filters.status][1])
    if filters.agent:
        conditions.append("c.agent_id = :agent")
        parameters["agent"] = filters.agent
    if filters.deployment:
        conditions.append("s.deployment_id = :deployment")
        parameters["deployment"] = filters.deployment
    if filters.failed_deliveries:
        conditions.append("c.id IN (SELECT call_id FROM deliveries WHERE ok = 0)")
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    parameters["offset"] = (min(max(filters.page, 1), MAX_PAGE) - 1) * PAGE_SIZE
    rows = log.query(
        f"SELECT {_CALL_COLUMNS} FROM calls c LEFT JOIN call_states s ON s.id = c.id {where}"
        " ORDER BY c.created_at DESC, c.rowid DESC LIMIT :limit OFFSET :offset",
        parameters,
        fresh=fresh,
    )
    calls = [CallRow(*row) for row in rows]
    return calls[:PAGE_SIZE], len(calls) > PAGE_SIZE


def find_call(log: DeliveryLog, call_id: str, fresh: bool = True) -> CallRow | None:
    """The call with this id as the log has it, if logged."""
    rows = log.query(
        f"SELECT {_CALL_COLUMNS} FROM calls c LEFT JOIN call_states s ON s.id = c.id WHERE c.id = :id",
        {"id": call_id},
        fresh=fresh,
    )
    return CallRow(*rows[0]) if rows else None


def count_calls(log: DeliveryLog, *, fresh: bool = True) -> int:
    """Every call in the log."""
    return int(log.query("SELECT count(*) FROM calls", fresh=fresh)[0][0])


def list_agents(log: DeliveryLog) -> list[str]:
    """Agent ids of the logged calls, most calls first (at most ``MAX_AGENTS``)."""
    rows = log.query(
        "SELECT agent_id FROM calls WHERE agent_id IS NOT NULL GROUP BY agent_id ORDER BY count(*) DESC LIMIT ?",
        (MAX_AGENTS,),
    )
    return [str(row[0]) for row in rows]


def list_deployments(log: DeliveryLog, page: int = 1) -> tuple[list[DeploymentRow], bool]:
    """Deployments (id, version, region) seen in calls, most recently seen first, a page at a time."""
    offset = (min(max(page, 1), MAX_PAGE) - 1) * PAGE_SIZE
    rows = log.query(
        "SELECT deployment_id, deployment_version_id, deployment_region, count(*), max(updated_at)"
        " FROM call_states WHERE deployment_id IS NOT NULL"
        " GROUP BY deployment_id, deployment_version_id, deployment_region"
        " ORDER BY max(updated_at) DESC LIMIT ? OFFSET ?",
        (PAGE_SIZE + 1, offset),
    )
    deployments = [DeploymentRow(*row) for row in rows]
    return deployments[:PAGE_SIZE], len(deployments) > PAGE_SIZE
