"""The delivery log's additions for the web console: call states, the additive migration, read-only queries."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from harness.errors import ConfigError, DeliveryError
from harness.store import CallState, DeliveryLog
from tests.unit.test_store import SCHEMA_1_TABLES, make_delivery, record

# The schema of a log written before the console existed (harness 0.1 as first released).
OLD_SCHEMA = (
    SCHEMA_1_TABLES
    + """
INSERT INTO calls VALUES ('ac_old', 'agent_1', 'happy-path', 6, 1700000000.0);
PRAGMA user_version = 1;
"""
)


def test_an_older_log_gains_the_call_states_table_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    connection = sqlite3.connect(path)
    connection.executescript(OLD_SCHEMA)
    connection.close()
    for _ in range(2):  # opening again changes nothing: the migration is idempotent
        with DeliveryLog(path) as log:
            assert [call.id for call in log.list_calls()] == ["ac_old"]
            assert log.query("SELECT count(*) FROM call_states") == [(0,)]
    connection = sqlite3.connect(path)
    indexes = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    connection.close()
    assert {"calls_created", "call_states_deployment", "deliveries_failed"} <= indexes


def test_call_states_are_replaced_by_the_latest_and_cleared_with_the_log() -> None:
    with DeliveryLog(":memory:") as log:
        log.record_call("ac_1", agent_id="agent_1", scenario="s", events=3)
        log.record_call_state(CallState(id="ac_1", status="created", updated_at=1.0))
        log.record_call_state(
            CallState(id="ac_1", status="completed", end_reason="client_hangup", turns=4, duration=12.5, updated_at=2.0)
        )
        rows = log.query("SELECT id, status, end_reason, turns, duration FROM call_states")
        assert rows == [("ac_1", "completed", "client_hangup", 4, 12.5)]
        log.clear()
        assert log.query("SELECT count(*) FROM call_states") == [(0,)]


def test_query_sees_what_was_recorded_before_it_and_takes_named_parameters() -> None:
    with DeliveryLog(":memory:") as log:
        record(log, make_delivery("dlv_a", call_id="ac_1", statuses=(500,)))
        record(log, make_delivery("dlv_b", call_id="ac_1"))
        rows = log.query("SELECT id FROM deliveries WHERE call_id = :call AND ok = 0", {"call": "ac_1"})
        assert rows == [("dlv_a",)]


@pytest.mark.parametrize("sql", ["DELETE FROM calls", "  drop table calls", "PRAGMA user_version = 7"])
def test_query_refuses_anything_but_a_select(sql: str) -> None:
    with DeliveryLog(":memory:") as log, pytest.raises(ConfigError, match="SELECT statements only"):
        log.query(sql)


def test_a_query_that_need_not_be_fresh_does_not_wait_for_the_writer(tmp_path: Path) -> None:
    with DeliveryLog(tmp_path / "log.db") as log:
        log.record_call("ac_1", agent_id=None, scenario=None, events=1)
        log.flush()
        with log._lock:  # the writer is in the middle of a commit: a fresh read would wait for it
            assert log.query("SELECT id FROM calls", fresh=False) == [("ac_1",)]
        assert log.query("SELECT count(*) FROM calls") == [(1,)]
    with pytest.raises(DeliveryError, match="is closed"):
        log.query("SELECT 1")
