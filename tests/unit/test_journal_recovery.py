"""Reading back the journals beside a delivery log when it opens: what a dead writer left is recovered once,
what a live one holds is left alone, and no file put there (corrupt, hostile, not a file) stops the log."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from harness._intent_journal import IntentJournal, JournalRecord, journal_files
from harness.delivery import FailureKind
from harness.store import DeliveryLog
from tests.unit.test_intent_journal import add, record
from tests.unit.test_store_write_ahead import DYING_CHILD, new_attempt, new_delivery

DEAD_OWNER = "999999999:1:0dead0"  # a pid above any pid_max: no process has it


def dead_writers_journal(folder: Path, *records: bytes) -> Path:
    """A journal file as a writer that is gone left it beside ``folder / "log.db"``."""
    path = folder / f"log.db-intents.{DEAD_OWNER.replace(':', '.')}.a"
    path.write_bytes(b"".join(records))
    return path


def intent(delivery_id: str, **changes: Any) -> JournalRecord:
    return record(0)._replace(delivery_id=delivery_id, **changes)


def test_a_dead_writers_journal_is_recovered_as_unknown_and_deleted(tmp_path: Path) -> None:
    journal = dead_writers_journal(tmp_path, intent("dlv_a").encode(), intent("dlv_b", number=2).encode())

    with DeliveryLog(tmp_path / "log.db") as log:
        stored = {d.id: d for d in log.list_deliveries()}

    assert sorted(stored) == ["dlv_a", "dlv_b"]
    assert [(a.number, a.failure) for a in stored["dlv_b"].attempts] == [(2, FailureKind.UNKNOWN)]
    assert stored["dlv_a"].body == b'{"type":"call_turn"}'
    assert not journal.exists()


@pytest.mark.parametrize(
    "hostile",
    [
        pytest.param(b"1" * 25 + b" 1\n", id="length past any integer"),
        pytest.param(b"100000 0\n" + b"[" * 100_000, id="nested past the recursion limit"),
        pytest.param(intent("dlv_big", number=2**70).encode(), id="number past 64 bits"),
        pytest.param(intent("dlv_nan", created_at=float("nan")).encode(), id="time not a number"),
    ],
)
def test_a_hostile_journal_neither_stops_the_log_nor_hides_what_came_before(tmp_path: Path, hostile: bytes) -> None:
    dead_writers_journal(tmp_path, intent("dlv_before").encode(), hostile, intent("dlv_after").encode())

    for _ in range(2):  # and the next open too
        with DeliveryLog(tmp_path / "log.db") as log:
            assert [d.id for d in log.list_deliveries()] == ["dlv_before"]


def test_an_intent_with_text_sqlite_cannot_store_is_recovered_replaced(tmp_path: Path) -> None:
    journal = dead_writers_journal(tmp_path, intent("dlv_odd", call_id="ac_\ud800").encode())

    with DeliveryLog(tmp_path / "log.db") as log:
        assert log.get_delivery("dlv_odd").call_id == "ac_\ufffd\ufffd\ufffd"
    assert not journal.exists()  # recovered, not left to fail again at every open


def test_a_directory_named_like_a_journal_is_left_alone(tmp_path: Path) -> None:
    directory = tmp_path / f"log.db-intents.{DEAD_OWNER.replace(':', '.')}.a"
    directory.mkdir()

    with DeliveryLog(tmp_path / "log.db") as log:
        assert log.count() == 0
    assert directory.is_dir()


def test_a_journal_still_locked_by_its_writer_is_left_alone_whatever_its_pid_says(tmp_path: Path) -> None:
    # A writer whose pid this process cannot see (another pid namespace, say): the name says dead, the lock alive.
    live = IntentJournal(tmp_path / "log.db", DEAD_OWNER)
    add(live, intent("dlv_live"))
    try:
        with DeliveryLog(tmp_path / "log.db") as log:
            assert log.count() == 0
        assert all(path.exists() for path in live.paths)
    finally:
        live.close(remove=False)

    with DeliveryLog(tmp_path / "log.db") as log:  # its writer gone now: recovered
        assert [d.id for d in log.list_deliveries()] == ["dlv_live"]


def test_a_log_opened_through_a_symbolic_link_keeps_its_journal_beside_the_file(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "log.db").symlink_to(tmp_path / "real" / "log.db")
    DeliveryLog(tmp_path / "real" / "log.db").close()
    subprocess.run([sys.executable, "-c", DYING_CHILD, str(tmp_path / "project" / "log.db")], check=True, timeout=60)

    assert [owner for owner, _ in journal_files(tmp_path / "project" / "log.db")] == []
    with DeliveryLog(tmp_path / "real" / "log.db") as log:
        assert sorted(d.id for d in log.list_deliveries()) == ["dlv_flushed", "dlv_journal"]


def test_a_forked_child_leaves_its_parents_log_and_journal_alone(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    log = DeliveryLog(path)
    try:
        delivery = new_delivery()
        asyncio.run(log.record_intent(delivery, new_attempt(delivery)))
        log.flush()
        journals = [journal for _, journal in journal_files(path)]

        child = os.fork()
        if child == 0:  # what a child's exit runs: the log's finalizer
            log._finalizer()
            os._exit(0)
        _, status = os.waitpid(child, 0)

        assert os.waitstatus_to_exitcode(status) == 0
        assert all(journal.exists() for journal in journals)
        [attempt] = log.get_delivery("dlv_w").attempts
        assert (attempt.in_flight, attempt.failure) == (True, None)  # not settled as unknown by the child
    finally:
        log.close()
