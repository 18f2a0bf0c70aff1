"""The write-ahead delivery log: intents committed before sending, outcomes replacing them, intents whose
writer is gone read as ``unknown``, and schema migrations that bring any older log up to date."""

from __future__ import annotations

import asyncio
import errno
import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from aiohttp import web

from harness import _intent_journal, store
from harness._intent_journal import journal_files, read_records
from harness.delivery import Attempt, Deliverer, Delivery, FailureKind, mask_secret, webhook_headers
from harness.errors import ConfigError, DeliveryError
from harness.serving import AppServer
from harness.store import SCHEMA_VERSION, UNKNOWN_OUTCOME, DeliveryLog
from tests.unit.test_store import SCHEMA_1_TABLES

SECRET = "whsec_write_ahead_secret"


def new_attempt(delivery: Delivery, number: int = 1) -> Attempt:
    return Attempt(
        number=number,
        url=delivery.url,
        request_headers=mask_secret(webhook_headers(SECRET)),
        started_at=1_700_000_000.0 + number,
    )


def new_delivery(delivery_id: str = "dlv_w") -> Delivery:
    return Delivery(id=delivery_id, url="http://127.0.0.1:9/hook", body=b'{"type":"call_turn"}', call_id="ac_w")


def pending_rows(path: Path) -> list[tuple[str, int, int, str | None]]:
    """(delivery id, attempt number, pending, failure) as another connection sees them on disk."""
    other = sqlite3.connect(path)
    try:
        rows = other.execute("SELECT delivery_id, number, pending, failure FROM attempts ORDER BY delivery_id")
        return [tuple(row) for row in rows]
    finally:
        other.close()


def journal_intents(path: Path) -> list[tuple[str, int, str]]:
    """(delivery id, attempt number, request headers) of every intent in the journal files beside the log."""
    return sorted(
        (intent.delivery_id, intent.number, intent.request_headers_json)
        for _, journal in journal_files(path)
        for intent in read_records(journal)
    )


async def test_an_intent_is_on_disk_when_record_intent_returns(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    with DeliveryLog(path) as log:
        delivery = new_delivery()
        await log.record_intent(delivery, new_attempt(delivery))

        # No flush: the journal holds it the moment record_intent returns, the secret masked.
        assert journal_intents(path) == [
            ("dlv_w", 1, '{"Content-Type": "application/json", "X-Webhook-Secret": "***"}')
        ]
    assert journal_intents(path) == []  # closed: every intent is in the log, the journal files are gone


def test_a_log_only_read_makes_no_journal(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    DeliveryLog(path).close()
    with DeliveryLog.open_existing(path) as log:
        assert log.count() == 0
        assert list(journal_files(path)) == []


def test_an_intent_left_unanswered_becomes_a_row_in_flight_by_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store, "INTENT_HOLD", 0.05)
    path = tmp_path / "log.db"
    with DeliveryLog(path) as log:
        delivery = new_delivery()
        asyncio.run(log.record_intent(delivery, new_attempt(delivery)))

        # No flush and nothing else recorded: the writer wakes up for it once it has waited INTENT_HOLD.
        deadline = time.monotonic() + 30
        while not pending_rows(path) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert pending_rows(path) == [("dlv_w", 1, 1, None)]


async def test_the_outcome_replaces_the_intent(tmp_path: Path) -> None:
    with DeliveryLog(tmp_path / "log.db") as log:
        delivery = new_delivery()
        attempt = new_attempt(delivery)
        await log.record_intent(delivery, attempt)
        attempt.status, attempt.latency = 200, 0.01
        delivery.attempts.append(attempt)
        log.record_attempt(delivery, attempt)

        stored = log.get_delivery("dlv_w")

    assert stored.ok is True
    assert [(a.status, a.failure, a.in_flight) for a in stored.attempts] == [(200, None, False)]


async def test_an_intent_of_a_live_log_reads_as_in_flight_even_from_another_log(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    with DeliveryLog(path) as writer:
        delivery = new_delivery()
        await writer.record_intent(delivery, new_attempt(delivery))
        in_writer = writer.get_delivery("dlv_w")
        with DeliveryLog(path) as reader:  # opened while the writer still waits for the answer
            in_reader = reader.get_delivery("dlv_w")

    for stored in (in_writer, in_reader):
        assert stored.ok is False
        assert [(a.status, a.failure, a.in_flight) for a in stored.attempts] == [(None, None, True)]
    assert in_reader.to_dict()["attempts"][0]["in_flight"] is True


async def test_closing_with_an_intent_in_flight_leaves_it_unknown(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    log = DeliveryLog(path)
    delivery = new_delivery()
    await log.record_intent(delivery, new_attempt(delivery))
    log.close()

    with DeliveryLog(path) as reopened:
        stored = reopened.get_delivery("dlv_w")

    [attempt] = stored.attempts
    assert (attempt.failure, attempt.error, attempt.in_flight, attempt.status) == (
        FailureKind.UNKNOWN,
        UNKNOWN_OUTCOME,
        False,
        None,
    )
    assert stored.ok is False
    assert stored.to_dict()["attempts"][0]["failure"] == "unknown"
    assert stored.body == delivery.body  # what replay sends again
    assert stored.attempts[0].request_headers["X-Webhook-Secret"] == "***"


# A process that records intents, then dies without a word (os._exit skips every cleanup). The first intent
# is written to the log as in flight (the flush), the second is only in the journal.
DYING_CHILD = (
    "import asyncio, os, sys\n"
    "from harness.delivery import Attempt, Delivery\n"
    "from harness.store import DeliveryLog\n"
    "async def main():\n"
    "    log = DeliveryLog(sys.argv[1])\n"
    "    for name in ('dlv_flushed', 'dlv_journal'):\n"
    "        delivery = Delivery(id=name, url='http://127.0.0.1:9/', body=b'{}')\n"
    "        attempt = Attempt(number=1, url=delivery.url, request_headers={}, started_at=1.0)\n"
    "        await log.record_intent(delivery, attempt)\n"
    "        if name == 'dlv_flushed':\n"
    "            log.flush()\n"
    "    os._exit(0)\n"
    "asyncio.run(main())\n"
)


def test_an_intent_whose_process_is_gone_is_unknown_when_the_log_is_opened(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    subprocess.run([sys.executable, "-c", DYING_CHILD, str(path)], check=True, timeout=60)
    assert pending_rows(path) == [("dlv_flushed", 1, 1, None)]
    # The flushed intent is in the log, and the journal file that held it was emptied after the commit.
    assert [intent[0] for intent in journal_intents(path)] == ["dlv_journal"]

    with DeliveryLog(path) as log:
        attempts = {name: log.get_delivery(name).attempts for name in ("dlv_flushed", "dlv_journal")}
        assert log.count() == 2

    for [attempt] in attempts.values():
        assert (attempt.failure, attempt.error, attempt.in_flight) == (FailureKind.UNKNOWN, UNKNOWN_OUTCOME, False)
    assert pending_rows(path) == [("dlv_flushed", 1, 0, "unknown"), ("dlv_journal", 1, 0, "unknown")]
    assert journal_intents(path) == []  # read back once, then deleted


def test_a_dead_writers_journal_adds_nothing_the_log_already_has(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    subprocess.run([sys.executable, "-c", DYING_CHILD, str(path)], check=True, timeout=60)
    [(_, journal), *_] = [item for item in journal_files(path) if list(read_records(item[1]))]
    stale = journal.read_bytes()

    with DeliveryLog(path) as log:
        assert log.count() == 2
    journal.write_bytes(stale)  # as if the writer had been killed after committing, before emptying the file
    with DeliveryLog(path) as log:
        assert log.count() == 2
        assert [len(log.get_delivery(name).attempts) for name in ("dlv_flushed", "dlv_journal")] == [1, 1]


async def test_the_journal_of_a_live_writer_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    with DeliveryLog(path) as writer:
        delivery = new_delivery()
        await writer.record_intent(delivery, new_attempt(delivery))
        DeliveryLog(path).close()  # another log opened and closed on the file while the writer still sends

        assert [intent[0] for intent in journal_intents(path)] == ["dlv_w"]
        [attempt] = writer.get_delivery("dlv_w").attempts
    assert (attempt.in_flight, attempt.failure) == (True, None)


async def test_many_intents_at_once_are_each_recorded(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    with DeliveryLog(path) as log:
        deliveries = [new_delivery(f"dlv_{index:03}") for index in range(200)]
        await asyncio.gather(*(log.record_intent(d, new_attempt(d)) for d in deliveries))

        assert len(journal_intents(path)) == 200
        log.flush()
        assert len(pending_rows(path)) == 200


@pytest.mark.parametrize("when", ["making the journal", "growing it"])
async def test_an_intent_the_journal_cannot_hold_raises(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, when: str
) -> None:
    def disk_full(self: object, offset: int, length: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    with DeliveryLog(tmp_path / "log.db") as log:
        delivery = new_delivery()
        if when == "growing it":
            await log.record_intent(delivery, new_attempt(delivery))
            delivery = Delivery(id="dlv_big", url=delivery.url, body=b"x" * (_intent_journal.INITIAL_FILE_BYTES + 1))
        monkeypatch.setattr(_intent_journal._MappedFile, "_allocate", disk_full)
        with pytest.raises(DeliveryError, match=r"cannot record an attempt before sending it \(No space left"):
            await log.record_intent(delivery, new_attempt(delivery, number=2))


async def test_an_intent_the_log_cannot_write_raises_instead_of_hanging(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    with DeliveryLog(path) as log:
        other = sqlite3.connect(path)
        other.execute("DROP TABLE attempts")  # the writer's next insert fails
        other.commit()
        other.close()
        delivery = new_delivery()
        await log.record_intent(delivery, new_attempt(delivery))  # in the journal: the log is not needed yet
        with pytest.raises(DeliveryError, match="cannot write"):
            await asyncio.to_thread(log.flush)
        with pytest.raises(DeliveryError, match="cannot write"):
            await log.record_intent(delivery, new_attempt(delivery, number=2))
        with pytest.raises(DeliveryError, match="cannot write"):
            log.close()
    assert [intent[0] for intent in journal_intents(path)] == ["dlv_w"]  # kept for the next open to read


# -- migrations -------------------------------------------------------------------------------------------

SCHEMA_1 = (
    SCHEMA_1_TABLES
    + """
CREATE INDEX deliveries_call ON deliveries (call_id, seq);
CREATE INDEX deliveries_type ON deliveries (event_type, seq);
INSERT INTO deliveries (id, url, event_type, call_id, body, created_at, ok, attempts)
    VALUES ('dlv_old', 'http://127.0.0.1:9/hook', 'call_started', 'ac_old', X'7B7D', 1.0, 0, 1);
INSERT INTO attempts VALUES ('dlv_old', 1, 'http://127.0.0.1:9/hook', '{"X-Webhook-Secret": "***"}', 1.0, 0.5,
    NULL, '{}', X'', 0, 'timeout', 'no complete response within 10 s');
PRAGMA user_version = 1;
"""
)


def schema_1_log(path: Path) -> None:
    """A delivery log exactly as the first schema wrote it, with one timed-out delivery."""
    connection = sqlite3.connect(path)
    try:
        connection.executescript(SCHEMA_1)
    finally:
        connection.close()


async def test_a_schema_1_log_opens_and_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    schema_1_log(path)

    with DeliveryLog(path) as log:
        old = log.get_delivery("dlv_old")
        delivery = new_delivery()
        await log.record_intent(delivery, new_attempt(delivery))

    assert (old.event_type, old.ok, old.body) == ("call_started", False, b"{}")
    assert [(a.failure, a.error, a.in_flight) for a in old.attempts] == [
        (FailureKind.TIMEOUT, "no complete response within 10 s", False)
    ]
    connection = sqlite3.connect(path)
    try:
        assert connection.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
        columns = [row[1] for row in connection.execute("PRAGMA table_info(attempts)")]
        assert columns[-2:] == ["pending", "owner"]
    finally:
        connection.close()


def test_migrating_twice_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    schema_1_log(path)
    DeliveryLog(path).close()
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA user_version = 1")  # as if a second process had migrated at the same time
        connection.commit()
    finally:
        connection.close()

    with DeliveryLog(path) as log:
        assert log.count() == 1


def test_a_log_from_a_newer_harness_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    connection = sqlite3.connect(path)
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    connection.close()

    with pytest.raises(ConfigError, match=rf"written by a newer harness \(schema {SCHEMA_VERSION + 1}\)"):
        DeliveryLog(path)


async def test_the_deliverer_records_the_intent_before_the_request_arrives(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    seen_on_arrival: list[list[tuple[str, int, str]]] = []
    secret_on_disk: list[Path] = []

    async def hook(request: web.Request) -> web.Response:
        await request.read()
        # What is on disk the moment the request has arrived (the journal: this process still lives).
        seen_on_arrival.append(journal_intents(path))
        secret_on_disk.extend(await asyncio.to_thread(files_holding, SECRET.encode(), tmp_path))
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", hook)
    async with AppServer(app) as server:
        with DeliveryLog(path) as log:
            async with Deliverer(server.url + "/hook", SECRET, recorder=log) as deliverer:
                delivery = await deliverer.deliver(b'{"type":"call_started"}', delivery_id="dlv_ahead")
            stored = log.get_delivery("dlv_ahead")

    [[(delivery_id, number, headers)]] = seen_on_arrival
    assert (delivery_id, number) == ("dlv_ahead", 1)
    assert json.loads(headers) == {"Content-Type": "application/json", "X-Webhook-Secret": "***"}
    assert secret_on_disk == []
    assert delivery.ok
    assert [(a.status, a.in_flight) for a in stored.attempts] == [(200, False)]
    assert await asyncio.to_thread(files_holding, SECRET.encode(), tmp_path) == []


def files_holding(data: bytes, folder: Path) -> list[Path]:
    return [path for path in folder.iterdir() if data in path.read_bytes()]


async def test_a_cancelled_attempt_replaces_its_intent(tmp_path: Path) -> None:
    arrived = asyncio.Event()

    async def hook(request: web.Request) -> web.Response:
        arrived.set()
        await asyncio.Event().wait()  # never answers
        raise AssertionError("unreachable")

    app = web.Application()
    app.router.add_post("/hook", hook)
    async with AppServer(app) as server:
        with DeliveryLog(tmp_path / "log.db") as log:
            async with Deliverer(server.url + "/hook", SECRET, recorder=log) as deliverer:
                task = asyncio.create_task(deliverer.deliver(b"{}", delivery_id="dlv_stopped"))
                await arrived.wait()
                task.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await task
            [attempt] = log.get_delivery("dlv_stopped").attempts

    assert (attempt.failure, attempt.in_flight) == (FailureKind.CANCELLED, False)
