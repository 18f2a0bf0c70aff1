"""The delivery log: round trips, filters, durability on flush, and clear errors for bad paths."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness._environment import DEFAULT_WRITER_NICENESS, WRITER_NICENESS_ENV
from harness.delivery import Attempt, Delivery, FailureKind, mask_secret, webhook_headers
from harness.errors import ConfigError, DeliveryError
from harness.store import MEMORY, TEXT_CAP, DeliveryLog

SECRET = "whsec_store_test_secret"
# The tables of the first released delivery log (PRAGMA user_version = 1), without its indexes: the migration
# tests write logs of that version from them.
SCHEMA_1_TABLES = """
CREATE TABLE calls (id TEXT PRIMARY KEY, agent_id TEXT, scenario TEXT, events INTEGER NOT NULL,
    created_at REAL NOT NULL);
CREATE TABLE deliveries (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, url TEXT NOT NULL,
    event_type TEXT, call_id TEXT, body BLOB NOT NULL, created_at REAL NOT NULL, ok INTEGER NOT NULL,
    attempts INTEGER NOT NULL, replay_of TEXT);
CREATE TABLE attempts (delivery_id TEXT NOT NULL, number INTEGER NOT NULL, url TEXT NOT NULL,
    request_headers TEXT NOT NULL, started_at REAL NOT NULL, latency REAL NOT NULL, status INTEGER,
    response_headers TEXT NOT NULL, response_body BLOB NOT NULL, response_truncated INTEGER NOT NULL,
    failure TEXT, error TEXT, PRIMARY KEY (delivery_id, number)) WITHOUT ROWID;
"""


def make_delivery(
    delivery_id: str,
    *,
    call_id: str = "ac_1",
    event_type: str = "call_turn",
    statuses: tuple[int | None, ...] = (200,),
    body: bytes = b'{"type":"call_turn"}',
    replay_of: str | None = None,
) -> Delivery:
    """A delivery with one attempt per status (None: a refused connection)."""
    delivery = Delivery(
        id=delivery_id, url="http://127.0.0.1:9/hook", body=body, event_type=event_type, call_id=call_id
    )
    delivery.replay_of = replay_of
    for number, status in enumerate(statuses, start=1):
        attempt = Attempt(
            number=number,
            url=delivery.url,
            request_headers=mask_secret(webhook_headers(SECRET)),
            started_at=1_700_000_000.0 + number,
            latency=0.25,
            status=status,
            response_headers={"Content-Type": "text/plain"} if status else {},
            response_body=b"ok" if status else b"",
            failure=None if status is None or status < 300 else FailureKind.STATUS,
        )
        if status is None:
            attempt.failure, attempt.error = FailureKind.REFUSED, "connection refused"
        delivery.attempts.append(attempt)
    return delivery


def record(log: DeliveryLog, delivery: Delivery) -> None:
    """Record each attempt as the Deliverer does: after appending it to the delivery."""
    attempts, delivery.attempts = delivery.attempts, []
    for attempt in attempts:
        delivery.attempts.append(attempt)
        log.record_attempt(delivery, attempt)


@pytest.fixture
def log() -> Iterator[DeliveryLog]:
    with DeliveryLog(MEMORY) as log:
        yield log


def test_round_trip_keeps_every_field(log: DeliveryLog) -> None:
    delivery = make_delivery("dlv_a", statuses=(503, 200), body=b'{"type":"call_turn","x":"\xc3\xa9"}')
    record(log, delivery)

    stored = log.get_delivery("dlv_a")

    assert (stored.id, stored.url, stored.event_type, stored.call_id) == (
        "dlv_a",
        "http://127.0.0.1:9/hook",
        "call_turn",
        "ac_1",
    )
    assert stored.body == delivery.body
    assert stored.ok is True
    assert stored.replay_of is None
    assert stored.created_at == delivery.attempts[0].started_at
    assert [a.status for a in stored.attempts] == [503, 200]
    assert [a.failure for a in stored.attempts] == [FailureKind.STATUS, None]
    assert stored.attempts == delivery.attempts


def test_only_the_masked_secret_is_stored(log: DeliveryLog) -> None:
    record(log, make_delivery("dlv_a"))

    headers = log.get_delivery("dlv_a").attempts[0].request_headers

    assert headers["X-Webhook-Secret"] == "***"
    assert SECRET not in json.dumps(log.get_delivery("dlv_a").to_dict())


def test_ok_follows_the_last_attempt(log: DeliveryLog) -> None:
    record(log, make_delivery("dlv_a", statuses=(200,)))
    record(log, make_delivery("dlv_b", statuses=(500, 502)))
    record(log, make_delivery("dlv_c", statuses=(None,)))

    assert [d.id for d in log.list_deliveries(ok=False)] == ["dlv_c", "dlv_b"]
    assert [d.id for d in log.list_deliveries(ok=True)] == ["dlv_a"]
    assert log.get_delivery("dlv_c").attempts[0].failure == FailureKind.REFUSED
    assert log.count() == 3
    assert log.count(ok=False) == 2


def test_list_filters_newest_first_and_pages(log: DeliveryLog) -> None:
    for index in range(6):
        call_id = "ac_even" if index % 2 == 0 else "ac_odd"
        event_type = "call_started" if index < 2 else "call_turn"
        record(log, make_delivery(f"dlv_{index}", call_id=call_id, event_type=event_type))

    assert [d.id for d in log.list_deliveries()] == ["dlv_5", "dlv_4", "dlv_3", "dlv_2", "dlv_1", "dlv_0"]
    assert [d.id for d in log.list_deliveries(call_id="ac_even")] == ["dlv_4", "dlv_2", "dlv_0"]
    assert [d.id for d in log.list_deliveries(event_type="call_started")] == ["dlv_1", "dlv_0"]
    assert [d.id for d in log.list_deliveries(call_id="ac_odd", event_type="call_turn")] == ["dlv_5", "dlv_3"]
    assert [d.id for d in log.list_deliveries(limit=2, offset=1)] == ["dlv_4", "dlv_3"]
    assert all(len(d.attempts) == 1 for d in log.list_deliveries())


def test_negative_paging_is_a_config_error(log: DeliveryLog) -> None:
    with pytest.raises(ConfigError, match="limit -1"):
        log.list_deliveries(limit=-1)


def test_replay_of_is_kept(log: DeliveryLog) -> None:
    record(log, make_delivery("dlv_new", replay_of="dlv_old"))

    assert log.get_delivery("dlv_new").replay_of == "dlv_old"


def test_unknown_id_names_the_id_and_the_log(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    with DeliveryLog(path) as log, pytest.raises(DeliveryError) as caught:
        log.get_delivery("dlv_missing")

    assert "dlv_missing" in str(caught.value)
    assert str(path) in str(caught.value)


def test_clear_empties_the_log(log: DeliveryLog) -> None:
    record(log, make_delivery("dlv_a"))
    log.record_call("ac_1", agent_id="agent_x", scenario="happy-path", events=4)

    log.clear()

    assert log.count() == 0
    assert log.list_calls() == []
    with pytest.raises(DeliveryError):
        log.get_delivery("dlv_a")


def test_an_unknown_delivery_id_of_any_length_is_named_in_a_short_message(log: DeliveryLog) -> None:
    with pytest.raises(DeliveryError) as info:
        log.get_delivery("dlv_" + "x" * 100_000)
    message = str(info.value)
    assert message.startswith(f"delivery 'dlv_{'x' * 76}...' is not in the delivery log")
    assert len(message) < 300


def test_text_sqlite_cannot_store_is_kept_replaced_and_the_log_goes_on(log: DeliveryLog) -> None:
    # A lone surrogate (a JSON body's "\\ud800", forwarded by harness listen) used to stop the writer for good.
    record(log, make_delivery("dlv_before"))
    record(log, make_delivery("dlv_odd", call_id="ac_\udcff", event_type="call_\ud800turn"))
    record(log, make_delivery("dlv_after"))
    log.record_call("ac_\ud800", agent_id=None, scenario="s\udfff", events=1)

    odd = log.get_delivery("dlv_odd")
    assert [d.id for d in log.list_deliveries()] == ["dlv_after", "dlv_odd", "dlv_before"]
    assert (odd.call_id, odd.event_type) == ("ac_\ufffd\ufffd\ufffd", "call_\ufffd\ufffd\ufffdturn")
    assert [(c.id, c.scenario) for c in log.list_calls()] == [("ac_\ufffd\ufffd\ufffd", "s\ufffd\ufffd\ufffd")]


def test_record_call_is_listed(log: DeliveryLog) -> None:
    log.record_call("ac_1", agent_id="agent_x", scenario="burst", events=12)

    [call] = log.list_calls()

    assert (call.id, call.agent_id, call.scenario, call.events) == ("ac_1", "agent_x", "burst", 12)


@pytest.mark.parametrize(("limit", "offset"), [(-1, 0), (10, -1), (2**63, 0), (10, 2**64)])
def test_a_page_out_of_range_is_refused_for_calls_as_for_deliveries(log: DeliveryLog, limit: int, offset: int) -> None:
    log.record_call("ac_1", agent_id=None, scenario=None, events=1)
    for listing in (log.list_calls, log.list_deliveries):
        expected = f"limit {limit}, offset {offset}: expected numbers from 0 to {2**63 - 1}"
        with pytest.raises(ConfigError, match=expected):
            listing(limit=limit, offset=offset)


def test_flush_commits_for_other_connections(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "log.db"  # the parent directory is created
    log = DeliveryLog(path)
    try:
        record(log, make_delivery("dlv_a"))
        log.record_call("ac_1", agent_id=None, scenario=None, events=1)
        log.flush()

        other = sqlite3.connect(path)
        try:
            assert other.execute("SELECT id FROM deliveries").fetchall() == [("dlv_a",)]
            assert other.execute("SELECT count(*) FROM attempts").fetchone() == (1,)
            assert other.execute("SELECT id FROM calls").fetchall() == [("ac_1",)]
            assert other.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        finally:
            other.close()
    finally:
        log.close()


def test_close_commits_and_reopen_reads(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    log = DeliveryLog(path)
    for index in range(50):
        record(log, make_delivery(f"dlv_{index}"))
    log.close()
    log.close()  # idempotent

    with DeliveryLog(path) as reopened:
        assert reopened.count() == 50


def test_recording_after_close_is_an_error(tmp_path: Path) -> None:
    log = DeliveryLog(tmp_path / "log.db")
    log.close()

    with pytest.raises(DeliveryError, match="closed"):
        record(log, make_delivery("dlv_a"))


def test_recording_from_many_threads_keeps_everything(log: DeliveryLog) -> None:
    def worker(prefix: int) -> None:
        for index in range(200):
            record(log, make_delivery(f"dlv_{prefix}_{index}"))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert log.count() == 800


def test_to_dict_is_json_ready_and_capped(log: DeliveryLog) -> None:
    delivery = make_delivery("dlv_a")
    delivery.attempts[0].response_body = b"x" * (TEXT_CAP + 10)
    record(log, delivery)

    data = log.get_delivery("dlv_a").to_dict()

    assert json.loads(json.dumps(data)) == data
    assert data["body"] == '{"type":"call_turn"}'
    assert data["attempts"][0]["status"] == 200
    assert data["attempts"][0]["ok"] is True
    assert data["attempts"][0]["response_body"].endswith("... [truncated]")
    assert len(data["attempts"][0]["response_body"]) == TEXT_CAP + len("... [truncated]")


def test_a_directory_is_refused_with_the_path(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is a directory") as caught:
        DeliveryLog(tmp_path)

    assert str(tmp_path) in str(caught.value)


def test_a_parent_that_is_a_file_is_refused(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")

    with pytest.raises(ConfigError, match="cannot create its directory") as caught:
        DeliveryLog(blocker / "log.db")

    assert str(blocker / "log.db") in str(caught.value)


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"these are not the deliveries you are looking for" * 100)

    with pytest.raises(ConfigError, match="not a database") as caught:
        DeliveryLog(path)

    assert str(path) in str(caught.value)


def test_open_existing_refuses_a_missing_log(tmp_path: Path) -> None:
    path = tmp_path / "missing.db"

    with pytest.raises(DeliveryError, match="no delivery log at") as caught:
        DeliveryLog.open_existing(path)

    assert str(path) in str(caught.value)
    assert not path.exists()


def test_records_are_committed_without_flush(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    with DeliveryLog(path) as log:
        record(log, make_delivery("dlv_a"))
        other = sqlite3.connect(path)
        try:
            # Poll with a deadline: the writer commits on its own, a few milliseconds after the record.
            deadline = time.monotonic() + 10
            rows: list[tuple[str]] = []
            while time.monotonic() < deadline:
                rows = other.execute("SELECT id FROM deliveries").fetchall()
                if rows:
                    break
                time.sleep(0.001)
            assert rows == [("dlv_a",)]
        finally:
            other.close()


def test_open_existing_refuses_a_directory(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is a directory"):
        DeliveryLog.open_existing(tmp_path)


def another_programs_database(path: Path) -> bytes:
    connection = sqlite3.connect(path)
    connection.executescript(
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT); INSERT INTO notes VALUES (1, 'x');"
    )
    connection.close()
    return path.read_bytes()


@pytest.mark.parametrize("kind", ["another program's database", "an empty file", "an empty database"])
def test_open_existing_refuses_what_is_not_a_delivery_log_and_changes_nothing(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "other.db"
    if kind == "another program's database":
        before = another_programs_database(path)
    elif kind == "an empty file":
        path.write_bytes(b"")
        before = b""
    else:
        sqlite3.connect(path).execute("VACUUM").connection.close()
        before = path.read_bytes()

    with pytest.raises(ConfigError, match="not a delivery log") as caught:
        DeliveryLog.open_existing(path)

    assert str(path) in str(caught.value)
    assert "pass the --db PATH" in str(caught.value)
    assert path.read_bytes() == before
    assert sorted(item.name for item in tmp_path.iterdir()) == ["other.db"]  # no -wal or -shm either


def test_open_existing_still_migrates_a_log_of_the_first_schema(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    connection = sqlite3.connect(path)
    connection.executescript(SCHEMA_1_TABLES + "PRAGMA user_version = 1;")
    connection.close()

    with DeliveryLog.open_existing(path) as log:
        record(log, make_delivery("dlv_a"))
        log.flush()
        assert [delivery.id for delivery in log.list_deliveries()] == ["dlv_a"]


def test_the_headers_cache_is_bounded_and_changes_nothing_written() -> None:
    from harness import store

    sets = [{"Date": f"second {n}", "Content-Type": "text/plain"} for n in range(1_000)] + [{"X-Big": "v" * 2_000}]
    for _ in range(2):  # the second time from the cache, where it holds them
        assert [store._headers_json(headers) for headers in sets] == [json.dumps(headers) for headers in sets]
    assert 0 < len(store._HEADERS_JSON) <= store._HEADERS_JSON_CACHED
    assert all(len(encoded) <= store._HEADERS_JSON_CACHED_SIZE for encoded in store._HEADERS_JSON.values())


@pytest.mark.skipif(sys.platform != "linux", reason="the nice value is a thread's own on Linux only")
@pytest.mark.parametrize(("setting", "added"), [(None, DEFAULT_WRITER_NICENESS), ("3", 3), ("0", 0)])
def test_the_writer_thread_yields_the_cpu_as_much_as_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, setting: str | None, added: int
) -> None:
    if setting is None:
        monkeypatch.delenv(WRITER_NICENESS_ENV, raising=False)
    else:
        monkeypatch.setenv(WRITER_NICENESS_ENV, setting)
    path = tmp_path / "log.db"
    with DeliveryLog(path) as log:
        log.flush()  # the writer has started, and lowered its priority before its first batch
        [writer] = [thread for thread in threading.enumerate() if thread.name == f"delivery-log-writer {path}"]
        assert writer.native_id is not None
        own = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        assert os.getpriority(os.PRIO_PROCESS, writer.native_id) == min(19, own + added)


@pytest.mark.parametrize("setting", ["-1", "20", "ten", "1.5"])
def test_a_writer_niceness_out_of_range_is_refused_naming_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, setting: str
) -> None:
    monkeypatch.setenv(WRITER_NICENESS_ENV, setting)
    with pytest.raises(ConfigError, match=rf"HARNESS_WRITER_NICENESS='{re.escape(setting)}': expected an integer"):
        DeliveryLog(tmp_path / "log.db")
    assert not (tmp_path / "log.db").exists()  # refused before the log was made


def test_a_sqlite_with_the_old_limit_of_999_parameters_still_takes_large_batches(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from harness import store

    connect = store._connect

    def old_sqlite(path: str | Path) -> sqlite3.Connection:
        connection = connect(path)
        connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 999)  # SQLite before 3.32
        return connection

    monkeypatch.setattr(store, "_connect", old_sqlite)
    with DeliveryLog(MEMORY) as log:
        deliveries = [make_delivery(f"dlv_{index:04}") for index in range(600)]
        with log._writer.condition:  # the writer waits: one batch, more rows than the largest chunk (512)
            for delivery in deliveries:
                record(log, delivery)
        assert log.count() == 600
