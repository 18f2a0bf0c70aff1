"""The console's lists, read from the delivery log: filters, pages, status of calls from an earlier run."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.server.console.queries import (
    PAGE_SIZE,
    CallFilters,
    count_calls,
    find_call,
    list_agents,
    list_calls,
    list_deployments,
)
from harness.store import CallState, DeliveryLog
from tests.unit.test_store import make_delivery, record

NOW = 1_800_000_000.0


@pytest.fixture
def log() -> Iterator[DeliveryLog]:
    """A log with calls ac_0..ac_4 of two agents: ac_0 failed, ac_1 with a failed delivery, ac_4 in progress."""
    with DeliveryLog(":memory:") as opened:
        for index in range(5):
            call_id = f"ac_{index}"
            opened.record_call(call_id, agent_id=f"agent_{index % 2}", scenario="s", events=4)
            status = "failed" if index == 0 else "started" if index == 4 else "completed"
            opened.record_call_state(
                CallState(id=call_id, status=status, deployment_id=f"ad_{index % 2}", deployment_region="EU", turns=2)
            )
            record(opened, make_delivery(f"dlv_{index}a", call_id=call_id))
            record(opened, make_delivery(f"dlv_{index}b", call_id=call_id, statuses=(None,) if index == 1 else (200,)))
        opened.flush()
        # record_call stamps time.time(): make the order and "this server's start" deterministic.
        for index in range(5):
            opened._connection.execute("UPDATE calls SET created_at = ? WHERE id = ?", (NOW + index, f"ac_{index}"))
        yield opened


def ids(log: DeliveryLog, since: float = NOW, **filters: object) -> list[str]:
    rows, _ = list_calls(log, CallFilters(**filters), since=since)  # type: ignore[arg-type]
    return [row.id for row in rows]


def test_calls_are_listed_newest_first_with_their_state_and_delivery_health(log: DeliveryLog) -> None:
    rows, more = list_calls(log, CallFilters(), since=NOW)
    assert [row.id for row in rows] == ["ac_4", "ac_3", "ac_2", "ac_1", "ac_0"]
    assert more is False
    failing = rows[3]
    assert (failing.status, failing.deliveries, failing.failed, failing.delivered) == ("completed", 2, 1, 1)
    assert (failing.agent_id, failing.deployment_id, failing.deployment_region, failing.turns) == (
        "agent_1",
        "ad_1",
        "EU",
        2,
    )


def test_filters_combine(log: DeliveryLog) -> None:
    assert ids(log, status="failed") == ["ac_0"]
    assert ids(log, status="completed") == ["ac_3", "ac_2", "ac_1"]
    assert ids(log, status="in_progress") == ["ac_4"]
    assert ids(log, agent="agent_1") == ["ac_3", "ac_1"]
    assert ids(log, deployment="ad_0") == ["ac_4", "ac_2", "ac_0"]
    assert ids(log, failed_deliveries=True) == ["ac_1"]
    assert ids(log, agent="agent_0", status="completed") == ["ac_2"]


def test_a_call_left_unfinished_by_an_earlier_server_is_stopped_not_in_progress(log: DeliveryLog) -> None:
    later = NOW + 100  # this server started after every call was created
    assert ids(log, since=later, status="in_progress") == []
    assert ids(log, since=later, status="stopped") == ["ac_4"]


def test_pages_of_fifty_say_whether_older_calls_follow() -> None:
    with DeliveryLog(":memory:") as log:
        for index in range(PAGE_SIZE + 3):
            log.record_call(f"ac_{index:03d}", agent_id="agent", scenario=None, events=1)
        log.flush()
        for index in range(PAGE_SIZE + 3):
            log._connection.execute("UPDATE calls SET created_at = ? WHERE id = ?", (NOW + index, f"ac_{index:03d}"))
        first, more = list_calls(log, CallFilters(), since=NOW)
        second, last = list_calls(log, CallFilters(page=2), since=NOW)
        assert (len(first), more, first[0].id) == (PAGE_SIZE, True, f"ac_{PAGE_SIZE + 2:03d}")
        assert ([row.id for row in second], last) == (["ac_002", "ac_001", "ac_000"], False)
        assert second[0].status is None  # logged without a state (an older harness): listed all the same
        assert count_calls(log) == PAGE_SIZE + 3


def test_one_call_agents_and_deployments(log: DeliveryLog) -> None:
    found = find_call(log, "ac_1")
    assert found is not None
    assert (found.id, found.failed) == ("ac_1", 1)
    assert find_call(log, "ac_nope") is None
    assert list_agents(log) == ["agent_0", "agent_1"]
    deployments, more = list_deployments(log)
    assert sorted((d.deployment_id, d.calls, d.region) for d in deployments) == [("ad_0", 3, "EU"), ("ad_1", 2, "EU")]
    assert more is False


def test_filters_round_trip_through_the_query_string() -> None:
    filters = CallFilters(status="failed", agent="agent_1", failed_deliveries=True, page=3)
    assert filters.query() == {"status": "failed", "agent": "agent_1", "failed": "1", "page": "3"}
    assert filters.query(page=1) == {"status": "failed", "agent": "agent_1", "failed": "1"}
    assert CallFilters().query() == {}
