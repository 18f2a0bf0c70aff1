"""The delivery log: every call, delivery and attempt, in SQLite (WAL mode).

Writes never wait for the disk. :meth:`DeliveryLog.record_attempt` only snapshots the attempt into a
bounded queue; one writer thread drains the queue and commits everything waiting in one transaction
(a group commit), so the log keeps up with any delivery rate and memory stays bounded.

Durability, precisely: an attempt is *recorded* once the writer has committed it. The writer commits
at most ``COMMIT_INTERVAL`` (5 ms) after the first record of a batch arrives, plus the time the write
takes (under load also the time it waits for the CPU, which it yields to the sending thread and the
receiver: see ``_yield_cpu_to_others``), and :meth:`~DeliveryLog.flush` commits at once and waits for it.
A committed transaction is in the WAL file, in the operating system's hands: a process killed with SIGKILL
loses nothing recorded.
Only a crash of the machine itself may lose the last transactions (``synchronous=NORMAL``).

Write-ahead: the delivery engine also records each attempt's *intent* (:meth:`DeliveryLog.record_intent`)
before the request's first byte is written, so nothing sent goes unrecorded. The intent is appended to the
intent journal beside the log (:mod:`harness._intent_journal`: a copy into a mapped file, on disk in the same
sense as a commit, without waiting for the writer thread) and then queued for the log, where it shows as
an attempt in flight (``Attempt.in_flight``) within ``INTENT_HOLD``, or at once after :meth:`~DeliveryLog.flush`.
Its outcome replaces it; one that arrives first makes the intent's own row unnecessary, which is the usual
case. An intent left without an outcome, because the process that wrote it has stopped (killed, crashed,
or closed the log with the attempt in flight), is marked with the failure kind ``unknown`` when a log is
opened (or closed), whether the log or only the journal holds it: the receiver may or may not have got that
request. Intents of a process still running are left alone.

Schema changes are ordered, additive steps (``_MIGRATIONS``) applied by ``PRAGMA user_version``; each
step is idempotent, so a log written by any earlier version opens and is brought up to date.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import itertools
import json
import os
import secrets
import sqlite3
import sys
import threading
import time
import urllib.parse
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, NamedTuple

from harness._environment import DEFAULT_WRITER_NICENESS, writer_niceness
from harness._intent_journal import IntentFields, IntentJournal, JournalRecord, claim, journal_files
from harness.delivery import Attempt, Delivery
from harness.errors import ConfigError, DeliveryError, echoed
from harness.failure_kind import FailureKind, Source

__all__ = ["DEFAULT_DB_PATH", "MEMORY", "CallState", "DeliveryLog", "StoredCall", "StoredDelivery"]

DEFAULT_DB_PATH = Path(".harness") / "deliveries.db"
MEMORY = ":memory:"
# Bounds the memory a slow disk can make the queue hold; record_attempt waits (back-pressure) beyond it.
QUEUE_LIMIT = 10_000
# The longest a record waits for others to share its commit; "recorded" is at most this (plus the write) away.
COMMIT_INTERVAL = 0.005
# How long an intent may wait for its outcome before it is written as an attempt in flight (flush() writes
# them at once): what another process reading the log may lag behind on requests still unanswered.
INTENT_HOLD = 1.0
BATCH_LIMIT = 2_000
# The page size of a log made by this version (see _connect).
PAGE_SIZE = 16 * 1024
# Characters of a body kept by StoredDelivery.to_dict(); the log itself keeps the full request body.
TEXT_CAP = 64 * 1024
UNKNOWN_OUTCOME = (
    "the harness stopped before the answer: the receiver may or may not have received this request"
    " (harness replay sends it again)"
)

_TABLES = """
CREATE TABLE IF NOT EXISTS calls (
    id TEXT PRIMARY KEY,
    agent_id TEXT,
    scenario TEXT,
    events INTEGER NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS deliveries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    url TEXT NOT NULL,
    event_type TEXT,
    call_id TEXT,
    body BLOB NOT NULL,
    created_at REAL NOT NULL,
    ok INTEGER NOT NULL,
    attempts INTEGER NOT NULL,
    replay_of TEXT
);
CREATE INDEX IF NOT EXISTS deliveries_call ON deliveries (call_id, seq);
CREATE INDEX IF NOT EXISTS deliveries_type ON deliveries (event_type, seq);
CREATE TABLE IF NOT EXISTS attempts (
    delivery_id TEXT NOT NULL,
    number INTEGER NOT NULL,
    url TEXT NOT NULL,
    request_headers TEXT NOT NULL,
    started_at REAL NOT NULL,
    latency REAL NOT NULL,
    status INTEGER,
    response_headers TEXT NOT NULL,
    response_body BLOB NOT NULL,
    response_truncated INTEGER NOT NULL,
    failure TEXT,
    error TEXT,
    PRIMARY KEY (delivery_id, number)
) WITHOUT ROWID
"""


def _create_tables(connection: sqlite3.Connection) -> None:
    """Schema 1: calls, deliveries, attempts."""
    for statement in _TABLES.split(";"):
        connection.execute(statement)


def _add_intents(connection: sqlite3.Connection) -> None:
    """Schema 2: an attempt row can be an intent (``pending``), written by ``owner`` before the request goes out."""
    _add_column(connection, "attempts", "pending", "INTEGER NOT NULL DEFAULT 0")
    _add_column(connection, "attempts", "owner", "TEXT")
    connection.execute("CREATE INDEX IF NOT EXISTS attempts_pending ON attempts (owner) WHERE pending = 1")


def _add_column(connection: sqlite3.Connection, table: str, column: str, declaration: str) -> None:
    # ALTER TABLE ADD COLUMN is not idempotent by itself: another process may have migrated first.
    if column not in {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}:
        connection.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")


# Step N brings a log to schema N (its PRAGMA user_version). Append new steps, never change old ones: a
# step must be idempotent and only add (tables, columns with defaults, indexes), so older readers still work.
def _add_sources(connection: sqlite3.Connection) -> None:
    """Schema 4: where each delivery came from (played by the harness, or captured by harness listen)."""
    # No index: only harness export filters on it, and an index would cost every delivery a write.
    _add_column(connection, "deliveries", "source", f"TEXT NOT NULL DEFAULT '{Source.PLAYED}'")


def _add_call_states(connection: sqlite3.Connection) -> None:
    """Schema 3: each call's state as the Calls API last showed it, for the web console (see _CONSOLE_SCHEMA)."""
    for statement in _CONSOLE_SCHEMA.split(";"):
        connection.execute(statement)


_MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (
    _create_tables,
    _add_intents,
    _add_call_states,
    _add_sources,
)
SCHEMA_VERSION = len(_MIGRATIONS)


@dataclass(frozen=True)
class _Statement:
    """An INSERT whose ``{values}`` takes any number of rows of ``width`` parameters."""

    template: str
    width: int

    def sql(self, rows: int) -> str:
        return _multi_row_sql(self.template, self.width, rows)


@functools.cache
def _multi_row_sql(template: str, width: int, rows: int) -> str:
    row = "(" + ", ".join("?" * width) + ")"
    return template.format(values=", ".join([row] * rows))


_UPSERT_DELIVERY = _Statement(
    "INSERT INTO deliveries (id, url, event_type, call_id, body, created_at, ok, attempts, replay_of, source)"
    " VALUES {values} ON CONFLICT (id) DO UPDATE SET ok = excluded.ok, attempts = max(attempts, excluded.attempts)",
    10,
)
_ATTEMPT_COLUMNS = (
    "delivery_id, number, url, request_headers, started_at, latency, status, response_headers, response_body,"
    " response_truncated, failure, error, pending, owner"
)
# An attempt's outcome replaces its intent (same key); both go through this one statement, so the writer
# keeps them in the order they were recorded.
_INSERT_ATTEMPT = _Statement(f"INSERT OR REPLACE INTO attempts ({_ATTEMPT_COLUMNS}) VALUES {{values}}", 14)
_UPSERT_CALL = _Statement("INSERT OR REPLACE INTO calls VALUES {values}", 5)
# Rows per multi-row INSERT, largest first. One statement step per chunk, not per row, matters: the
# sqlite3 module releases the GIL around every step, and each release is a thread switch that the
# event loop sending the deliveries pays for (512 rather than 64: 4 % more deliveries per second in harness
# send, BENCHMARKS.md). A few fixed sizes keep the statement cache small; a size whose parameters would pass
# the SQLite library's limit (999 before SQLite 3.32) is skipped.
_CHUNKS = (512, 64, 16, 4, 1)
_DELIVERY_COLUMNS = "id, url, event_type, call_id, body, created_at, ok, replay_of, source"

# Added for the web console, additively: a log written by an older harness gains them when opened, and an
# older harness ignores them. ``call_states`` holds each call's state as the Calls API last showed it, so
# calls the Calls API has forgotten (it keeps the last ``max_calls``) still list with their status.
_CONSOLE_SCHEMA = """
CREATE TABLE IF NOT EXISTS call_states (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    agent_name TEXT,
    start_time TEXT,
    end_time TEXT,
    end_reason TEXT,
    deployment_id TEXT,
    deployment_version_id TEXT,
    deployment_region TEXT,
    turns INTEGER NOT NULL,
    duration REAL,
    updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS calls_created ON calls (created_at);
CREATE INDEX IF NOT EXISTS call_states_deployment ON call_states (deployment_id);
-- Only failed deliveries are in it, so a successful delivery costs it nothing to write.
CREATE INDEX IF NOT EXISTS deliveries_failed ON deliveries (call_id) WHERE ok = 0;
"""
_UPSERT_CALL_STATE = _Statement("INSERT OR REPLACE INTO call_states VALUES {values}", 12)


@dataclass
class StoredDelivery:
    """A delivery read back from the log, with its attempts in order."""

    id: str
    url: str
    event_type: str | None
    call_id: str | None
    body: bytes
    created_at: float
    ok: bool
    replay_of: str | None
    attempts: list[Attempt] = field(default_factory=list)
    source: Source = Source.PLAYED

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view: bodies as text (capped at ``TEXT_CAP`` characters), times as epoch seconds."""
        return {
            "id": self.id,
            "url": self.url,
            "event_type": self.event_type,
            "call_id": self.call_id,
            "created_at": self.created_at,
            "ok": self.ok,
            "replay_of": self.replay_of,
            "source": self.source,
            "body": _text(self.body),
            "attempts": [_attempt_dict(attempt) for attempt in self.attempts],
        }


@dataclass(frozen=True)
class StoredCall:
    """A call started by a scenario or the control API, as logged by :meth:`DeliveryLog.record_call`."""

    id: str
    agent_id: str | None
    scenario: str | None
    events: int
    created_at: float


@dataclass(frozen=True)
class CallState:
    """A call as the Calls API showed it at its last status change (created, started, completed, failed)."""

    id: str
    status: str
    agent_name: str | None = None
    start_time: str | None = None
    end_time: str | None = None
    end_reason: str | None = None
    deployment_id: str | None = None
    deployment_version_id: str | None = None
    deployment_region: str | None = None
    turns: int = 0
    duration: float | None = None
    updated_at: float = field(default_factory=time.time)


def _text(data: bytes) -> str:
    text = data[: TEXT_CAP * 4].decode("utf-8", errors="replace")
    return text if len(text) <= TEXT_CAP else text[:TEXT_CAP] + "... [truncated]"


def _attempt_dict(attempt: Attempt) -> dict[str, Any]:
    return {
        "number": attempt.number,
        "url": attempt.url,
        "request_headers": attempt.request_headers,
        "started_at": attempt.started_at,
        "latency": attempt.latency,
        "status": attempt.status,
        "ok": attempt.ok,
        "failure": attempt.failure,
        "error": attempt.error,
        "in_flight": attempt.in_flight,
        "response_headers": attempt.response_headers,
        "response_body": _text(attempt.response_body),
        "response_truncated": attempt.response_truncated,
    }


_Row = tuple[_Statement, tuple[Any, ...]]  # (statement, parameters): one write for the writer thread


def _intent_rows(intent: JournalRecord, owner: str | None) -> list[_Row]:
    """The rows of an intent: its delivery, and its attempt in flight for ``owner`` (``unknown`` without one)."""
    delivery_row = (
        intent.delivery_id,
        intent.url,
        intent.event_type,
        intent.call_id,
        intent.body,
        intent.created_at,
        0,
        intent.number,
        intent.replay_of,
        intent.source,
    )
    failure, error = (None, None) if owner is not None else (FailureKind.UNKNOWN.value, UNKNOWN_OUTCOME)
    attempt_row = (
        intent.delivery_id,
        intent.number,
        intent.attempt_url,
        intent.request_headers_json,
        intent.started_at,
        0.0,
        None,
        "{}",
        b"",
        0,
        failure,
        error,
        int(owner is not None),
        owner,
    )
    return [(_UPSERT_DELIVERY, delivery_row), (_INSERT_ATTEMPT, attempt_row)]


# An attempt about to be sent, as queued for the writer: a JournalRecord's fields but the body, and the body.
_Intent = tuple[IntentFields, bytes]


class _Batch(NamedTuple):
    """What the writer takes from its queue at once (see _Writer.__init__)."""

    rows: list[_Row]
    intents: list[_Intent]
    delivery_rows: list[tuple[Any, ...]]
    attempt_rows: list[tuple[Any, ...]]


class _Writer:
    """The thread that owns all writes: drains the queue, one transaction per batch.

    Group commit: once a record arrives, the writer waits up to ``COMMIT_INTERVAL`` for more (less if
    someone flushes or the batch is full), then writes them all with one multi-row INSERT per table and
    chunk, and one commit. Few, large transactions keep the writer's share of the GIL and of the disk small.

    Intents arrive already on disk, in the journal (:mod:`harness._intent_journal`). The writer holds each
    back for up to ``INTENT_HOLD``: an outcome that arrives by then replaces it without the intent ever
    being written as a row of its own (most do: a delivery takes milliseconds), and one still unanswered
    becomes an attempt in flight; :meth:`flush` writes every intent held. After each commit the journal
    file that took the appends until then is emptied, once the intents still held are appended to the other.
    Kept apart from DeliveryLog so a finalizer can stop it without keeping the log alive.
    """

    def __init__(
        self,
        connection: sqlite3.Connection,
        lock: threading.Lock,
        description: str,
        owner: str,
        journal_path: Path | None,
        *,
        niceness: int = DEFAULT_WRITER_NICENESS,
    ) -> None:
        self.connection = connection
        self.niceness = niceness
        self.variable_limit = connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        self.lock = lock  # serialises the connection between this thread and readers
        self.description = description
        self.owner = owner
        # The journal beside a file log, made by the first intent (a log only read never has one).
        self.journal_path = journal_path
        self.journal: IntentJournal | None = None
        self.condition = threading.Condition()
        # What is queued: rows of any kind; intents, each taken before any outcome of its batch; and outcomes, as
        # their delivery's row and their attempt's, in lists of their own (the writer sorts nothing per delivery).
        self.pending: list[_Row] = []
        self.intents: list[_Intent] = []
        self.delivery_rows: list[tuple[Any, ...]] = []
        self.attempt_rows: list[tuple[Any, ...]] = []
        self.queued = 0  # records in the lists above
        # Intents without an outcome yet, oldest first, with when the writer took them; the writer's alone.
        self.held: dict[tuple[object, object], tuple[_Intent, float]] = {}
        self.submitted = 0
        self.committed = 0
        self.flushing = 0
        self.idle = False
        self.failure: BaseException | None = None
        self.stopping = False
        self.thread = threading.Thread(target=self._run, name=f"delivery-log-writer {description}", daemon=True)
        self.thread.start()

    def submit(self, rows: Sequence[_Row]) -> None:
        with self.condition:
            if self.failure is not None or self.stopping or self.queued >= QUEUE_LIMIT:
                self._wait_for_room()
            self.pending += rows
            self._submitted()

    def submit_outcome(self, delivery_row: tuple[Any, ...], attempt_row: tuple[Any, ...]) -> None:
        with self.condition:
            if self.failure is not None or self.stopping or self.queued >= QUEUE_LIMIT:
                self._wait_for_room()
            self.delivery_rows.append(delivery_row)
            self.attempt_rows.append(attempt_row)
            self._submitted()

    def submit_intent(self, fields: IntentFields, body: bytes) -> None:
        """Put the intent on disk (the journal), then queue it for the log; DeliveryError if the disk refuses."""
        with self.condition:
            if self.failure is not None or self.stopping or self.queued >= QUEUE_LIMIT:
                self._wait_for_room()
            if self.journal_path is not None:
                try:
                    if self.journal is None:
                        self.journal = IntentJournal(self.journal_path, self.owner)
                    self.journal.append_intent(fields, body)
                except OSError as exc:
                    reason = exc.strerror or str(exc)
                    message = f"delivery log {self.description}: cannot record an attempt before sending it ({reason})"
                    raise DeliveryError(message + "; check the disk and the path") from exc
            self.intents.append((fields, body))
            self._submitted()

    # The methods above run on the sending thread for every delivery: each tests first whether it needs to
    # wait (rarely) before calling this.
    def _wait_for_room(self) -> None:
        self._raise_failure()
        while self.queued >= QUEUE_LIMIT and self.failure is None:
            self.condition.wait()
        self._raise_failure()
        if self.stopping:
            raise DeliveryError(f"delivery log {self.description} is closed; open a new DeliveryLog to record")

    def _submitted(self) -> None:
        self.submitted += 1
        self.queued += 1
        # Waking the writer for every record would cost more than the write: only when it sleeps.
        if self.idle or self.queued >= BATCH_LIMIT:
            self.condition.notify_all()

    def flush(self) -> None:
        with self.condition:
            self._raise_failure()
            if self.committed < self.submitted or self.held:
                # One more batch, taken after this call: it writes every intent still held.
                self.submitted += 1
            target = self.submitted
            self.flushing += 1
            self.condition.notify_all()
            try:
                while self.committed < target and self.failure is None:
                    self.condition.wait()
            finally:
                self.flushing -= 1
            self._raise_failure()

    def stop(self) -> None:
        """Commit what is queued and held, then end the thread; idempotent."""
        with self.condition:
            self.stopping = True
            self.condition.notify_all()
        if self.thread is not threading.current_thread():
            self.thread.join()

    def _raise_failure(self) -> None:
        if self.failure is not None:
            raise self._error() from self.failure

    def _error(self) -> DeliveryError:
        message = f"delivery log {self.description}: cannot write ({self.failure}); check the disk and the path"
        return DeliveryError(message)

    def _next_batch(self) -> tuple[_Batch, int, bool, int | None] | None:
        """Wait for records (or an intent held long enough), linger briefly for more, and take them all.

        Returns what was queued, the count it brings ``committed`` to, whether to write every intent held (a
        flush, or the end), and the journal file that took the appends until now (appends go to the other one
        from here on); None once stopped with nothing left.
        """
        with self.condition:
            self.idle = True
            while self.committed == self.submitted and not self.stopping:  # nothing recorded, nobody flushing
                wait = self._until_an_intent_is_due()
                if wait is not None and wait <= 0:
                    break
                self.condition.wait(wait)
            self.idle = False
            if self.stopping and not self.queued and not self.held:
                self.committed = self.submitted  # a flush waiting for nothing more returns
                self.condition.notify_all()
                return None
            deadline = time.monotonic() + COMMIT_INTERVAL
            while self.queued and not (self.stopping or self.flushing or self.queued >= BATCH_LIMIT):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self.condition.wait(remaining)
            batch = _Batch(self.pending, self.intents, self.delivery_rows, self.attempt_rows)
            self.pending, self.intents, self.delivery_rows, self.attempt_rows = [], [], [], []
            self.queued = 0
            everything = self.stopping or self.flushing > 0
            journal_half = self.journal.rotate() if self.journal is not None else None
            self.condition.notify_all()  # room in the queue again
            return batch, self.submitted, everything, journal_half

    def _until_an_intent_is_due(self) -> float | None:
        """Seconds until the oldest intent held must be written (None when none is held)."""
        for _, since in self.held.values():
            return since + INTENT_HOLD - time.monotonic()
        return None

    def _insert(self, statement: _Statement, rows: list[tuple[Any, ...]]) -> None:
        start = 0
        for size in _CHUNKS:
            if size * statement.width > self.variable_limit:
                continue
            while len(rows) - start >= size:
                chunk = rows[start : start + size]
                self.connection.execute(statement.sql(size), list(itertools.chain.from_iterable(chunk)))
                start += size

    def _rows_to_write(self, batch: _Batch, everything: bool) -> dict[_Statement, list[tuple[Any, ...]]]:
        """The batch's rows per statement, in order, and the intents held that are due (all with ``everything``).

        The batch's intents are held first: each was queued before its outcome, which may be in the same batch.
        """
        now = time.monotonic()
        held = self.held
        for intent in batch.intents:
            fields = intent[0]
            held[fields[0], fields[7]] = (intent, now)  # (delivery_id, number): the attempt's key
        by_statement: dict[_Statement, list[tuple[Any, ...]]] = {}
        for statement, parameters in batch.rows:  # dicts keep insertion order: calls, deliveries, attempts
            by_statement.setdefault(statement, []).append(parameters)
        if batch.attempt_rows:
            by_statement.setdefault(_UPSERT_DELIVERY, []).extend(batch.delivery_rows)
            by_statement.setdefault(_INSERT_ATTEMPT, []).extend(batch.attempt_rows)
            for parameters in batch.attempt_rows:  # an outcome stands for its intent, written or not
                held.pop((parameters[0], parameters[1]), None)
        while held:
            key, ((fields, body), since) = next(iter(held.items()))
            if not everything and now - since < INTENT_HOLD:
                break
            del held[key]
            for statement, parameters in _intent_rows(JournalRecord._make((*fields, body)), self.owner):
                by_statement.setdefault(statement, []).append(parameters)
        return by_statement

    def _write(self, by_statement: dict[_Statement, list[tuple[Any, ...]]]) -> None:
        with self.lock, self.connection:
            for statement, rows in by_statement.items():
                self._insert(statement, rows)

    def _run(self) -> None:
        _yield_cpu_to_others(self.niceness)
        while (taken := self._next_batch()) is not None:
            batch, done, everything, journal_half = taken
            try:
                by_statement = self._rows_to_write(batch, everything)
                try:
                    self._write(by_statement)
                except UnicodeEncodeError:  # rolled back: the batch is written again, every text made storable
                    self._write({statement: list(map(_storable, rows)) for statement, rows in by_statement.items()})
                if self.journal is not None and journal_half is not None:
                    # The emptied file's intents are each in the log now, or held and appended to the other.
                    if self.held:
                        with self.condition:  # the sending thread appends to the same file
                            for (fields, body), _ in self.held.values():
                                self.journal.append_intent(fields, body)
                    self.journal.truncate(journal_half)
            except BaseException as exc:  # reported to the recording thread by submit() and flush()
                with self.condition:
                    self.failure = exc
                    self.condition.notify_all()
                return
            with self.condition:
                self.committed = done
                self.condition.notify_all()


def _yield_cpu_to_others(niceness: int) -> None:
    """Make the calling thread ``niceness`` nicer than it is (Linux, where the nice value is a thread's own).

    Writing the log is bookkeeping: under load it should take the CPU the receiver under test and the sending
    thread leave, not compete with them for it, as databases run their background compaction. The writer then
    runs on any core left idle (the sending thread waiting for it, for room in the queue or for the GIL, leaves
    one). Measured in harness send to the minimal receiver: on 2 cores, 25 % more deliveries per second at 10
    than at 0 or 3 (BENCHMARKS.md); with the receiver and the harness on one core, 17 % more. The cost: when
    other work at normal priority keeps every core busy, the writer gets little CPU and the queue's bound then
    slows the sender (3 times fewer records in a test pinned to one core beside a busy loop);
    ``$HARNESS_WRITER_NICENESS=0`` keeps the writer at its process's priority.
    """
    if niceness <= 0 or sys.platform != "linux":  # elsewhere a thread id given to setpriority could name a process
        return
    thread = threading.get_native_id()
    with contextlib.suppress(OSError):  # not allowed (a sandbox): the writer runs at its process's priority
        os.setpriority(os.PRIO_PROCESS, thread, min(19, os.getpriority(os.PRIO_PROCESS, thread) + niceness))


class DeliveryLog:
    """Calls, deliveries and attempts in a SQLite file (``":memory:"`` for tests); an ``AttemptRecorder``.

    ``with DeliveryLog(path) as log: ...``; :meth:`close` commits everything recorded. Recording is safe
    from any thread; reads see everything recorded before them.
    """

    def __init__(self, path: str | Path = DEFAULT_DB_PATH) -> None:
        self.path: str | Path = MEMORY if str(path) == MEMORY else Path(path)
        self._description = MEMORY if self.path == MEMORY else str(self.path)
        niceness = writer_niceness()  # a bad $HARNESS_WRITER_NICENESS is refused before the log is touched
        self._connection = _connect(self.path)
        # Names the intents this log writes, so that a log opened elsewhere can tell whether their writer lives.
        self._owner = f"{os.getpid()}:{_OWN_START}:{secrets.token_hex(6)}"
        _LIVE_OWNERS.add(self._owner)
        try:
            # An in-memory log ends with its process: it keeps no journal, there is nothing to recover. A journal
            # is beside the file itself (a log opened through a symbolic link has it where SQLite's files are).
            journal_path = self.path.resolve() if isinstance(self.path, Path) else None
            _settle_orphaned_intents(self._connection, journal_path)
        except BaseException as exc:
            _LIVE_OWNERS.discard(self._owner)
            self._connection.close()
            if not isinstance(exc, sqlite3.Error | OSError):
                raise
            message = f"delivery log {self._description}: cannot use it ({exc}); pass another --db PATH"
            raise ConfigError(message) from exc
        self._lock = threading.Lock()
        self._writer = _Writer(
            self._connection, self._lock, self._description, self._owner, journal_path, niceness=niceness
        )
        self._closed = False
        # query()'s own read-only connection to a file log, opened on first use.
        self._reader: sqlite3.Connection | None = None
        self._reader_lock = threading.Lock()
        self._reader_finalizer: weakref.finalize[Any, Any] | None = None
        # Commit what is queued even if the owner forgets close(), including at interpreter exit.
        self._finalizer = weakref.finalize(self, _shutdown, self._writer, self._connection, self._owner, os.getpid())

    @classmethod
    def open_existing(cls, path: str | Path) -> DeliveryLog:
        """Open a log that must already exist (commands that only read or replay); DeliveryError if not."""
        # A directory exists too: opening it is refused, with its own message, as for a new log.
        if str(path) != MEMORY and not Path(path).exists():
            message = f"no delivery log at {path}: run `harness send` or `harness serve` first, or pass --db PATH"
            raise DeliveryError(message)
        if str(path) != MEMORY and Path(path).is_file():
            _refuse_other_files(Path(path))
        return cls(path)

    def __enter__(self) -> DeliveryLog:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"DeliveryLog({self._description!r})"

    # -- writing -----------------------------------------------------------------------------------

    def record_attempt(self, delivery: Delivery, attempt: Attempt) -> None:
        """Queue one attempt's outcome (and its delivery's row) for the writer; returns without touching the disk."""
        self._check_open()
        self._writer.submit_outcome(*self._rows(delivery, attempt))

    async def record_intent(self, delivery: Delivery, attempt: Attempt) -> None:
        """Record that ``attempt`` is about to be sent; returns once that is on disk (see the module docstring).

        The delivery engine awaits this before writing the request's first byte, then records the outcome
        with :meth:`record_attempt`, which replaces the intent.
        """
        self._check_open()
        created_at = _created_at(delivery, attempt)
        fields = (  # a JournalRecord's, in order: a plain tuple is made in one step
            delivery.id,
            delivery.url,
            delivery.event_type,
            delivery.call_id,
            created_at,
            delivery.replay_of,
            delivery.source.value,  # the exact str: marshal (the journal's encoding) refuses a subclass
            attempt.number,
            attempt.url,
            _headers_json(attempt.request_headers),
            attempt.started_at,
        )
        self._writer.submit_intent(fields, delivery.body)

    def _rows(self, delivery: Delivery, attempt: Attempt) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
        """The outcome's rows: its delivery's (``_UPSERT_DELIVERY``) and its attempt's (``_INSERT_ATTEMPT``)."""
        created_at = _created_at(delivery, attempt)
        delivery_row = (
            delivery.id,
            delivery.url,
            delivery.event_type,
            delivery.call_id,
            delivery.body,
            created_at,
            int(attempt.ok),
            attempt.number,
            delivery.replay_of,
            delivery.source,
        )
        attempt_row = (
            delivery.id,
            attempt.number,
            attempt.url,
            _headers_json(attempt.request_headers),
            attempt.started_at,
            attempt.latency,
            attempt.status,
            _headers_json(attempt.response_headers),
            attempt.response_body,
            int(attempt.response_truncated),
            attempt.failure,
            attempt.error,
            0,
            None,
        )
        return delivery_row, attempt_row

    def record_call(self, call_id: str, *, agent_id: str | None, scenario: str | None, events: int) -> None:
        """Queue a call's row: which agent, which scenario, how many events it is planned to send."""
        self._check_open()
        self._writer.submit([(_UPSERT_CALL, (call_id, agent_id, scenario, events, time.time()))])

    def record_call_state(self, state: CallState) -> None:
        """Queue a call's current state, replacing the last one recorded (the console lists calls from these)."""
        self._check_open()
        row = tuple(getattr(state, column.name) for column in dataclasses.fields(state))
        self._writer.submit([(_UPSERT_CALL_STATE, row)])

    def flush(self) -> None:
        """Return once everything recorded so far is committed; raises DeliveryError if writing failed."""
        self._check_open()
        self._writer.flush()

    def close(self) -> None:
        """Commit everything recorded, stop the writer and close the file; idempotent."""
        if self._closed:
            return
        self._closed = True
        with self._reader_lock:  # a query in another thread finishes first
            if self._reader_finalizer is not None:
                self._reader_finalizer()
        self._finalizer()
        self._writer._raise_failure()

    def clear(self) -> None:
        """Delete every call, delivery and attempt (the pytest plugin does this between tests)."""
        self.flush()
        with self._lock, self._connection:
            self._connection.execute("DELETE FROM attempts")
            self._connection.execute("DELETE FROM deliveries")
            self._connection.execute("DELETE FROM calls")
            self._connection.execute("DELETE FROM call_states")

    # -- reading -----------------------------------------------------------------------------------

    def get_delivery(self, delivery_id: str) -> StoredDelivery:
        """The delivery with this id and its attempts; DeliveryError naming the id and the log if unknown."""
        with self._reading() as connection:
            row = connection.execute(
                f"SELECT {_DELIVERY_COLUMNS} FROM deliveries WHERE id = ?", (delivery_id,)
            ).fetchone()
            if row is None:
                message = f"delivery {echoed(delivery_id, 80)!r} is not in the delivery log {self._description}"
                raise DeliveryError(message + "; list deliveries with `harness deliveries`, or pass --db PATH")
            return self._with_attempts(connection, [row])[0]

    def list_deliveries(
        self,
        *,
        call_id: str | None = None,
        event_type: str | None = None,
        ok: bool | None = None,
        source: Source | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[StoredDelivery]:
        """Deliveries matching every filter given, newest first, with their attempts."""
        _check_page(limit, offset)
        conditions: list[str] = []
        parameters: list[Any] = []
        for column, value in (("call_id", call_id), ("event_type", event_type), ("source", source)):
            if value is not None:
                conditions.append(f"{column} = ?")
                parameters.append(value)
        if ok is not None:
            conditions.append("ok = ?")
            parameters.append(int(ok))
        where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
        query = f"SELECT {_DELIVERY_COLUMNS} FROM deliveries {where} ORDER BY seq DESC LIMIT ? OFFSET ?"
        with self._reading() as connection:
            rows = connection.execute(query, [*parameters, limit, offset]).fetchall()
            return self._with_attempts(connection, rows)

    def count(self, *, ok: bool | None = None) -> int:
        """How many deliveries are logged (only the successful or failed ones with ``ok=``)."""
        with self._reading() as connection:
            if ok is None:
                row = connection.execute("SELECT count(*) FROM deliveries").fetchone()
            else:
                row = connection.execute("SELECT count(*) FROM deliveries WHERE ok = ?", (int(ok),)).fetchone()
            return int(row[0])

    def list_calls(self, *, limit: int = 100, offset: int = 0) -> list[StoredCall]:
        """Logged calls, newest first."""
        _check_page(limit, offset)
        with self._reading() as connection:
            rows = connection.execute(
                "SELECT id, agent_id, scenario, events, created_at FROM calls"
                " ORDER BY created_at DESC LIMIT ? OFFSET ?",
                (limit, offset),
            ).fetchall()
        return [StoredCall(*row) for row in rows]

    def query(
        self, sql: str, parameters: Sequence[Any] | Mapping[str, Any] = (), *, fresh: bool = True
    ) -> list[tuple[Any, ...]]:
        """Rows of a read-only ``SELECT`` over the log's tables (the schema created in this module).

        For views of the log that the methods above do not offer (the web console's lists). With ``fresh``
        it sees everything recorded before it; without, what the writer has committed (at most a few ms
        behind), without waiting for it. A file log is read through a connection of its own, so a read
        never waits for a write either. ConfigError for anything but a SELECT.
        """
        if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
            raise ConfigError("DeliveryLog.query runs SELECT statements only")
        if fresh:
            self.flush()
        with self._snapshot() as connection:
            return [tuple(row) for row in connection.execute(sql, parameters)]

    @contextlib.contextmanager
    def _snapshot(self) -> Iterator[sqlite3.Connection]:
        self._check_open()
        if not isinstance(self.path, Path):  # ":memory:" exists in the writer's connection only
            with self._lock:
                yield self._connection
            return
        with self._reader_lock:
            if self._reader is None:
                uri = "file:" + urllib.parse.quote(str(self.path.resolve())) + "?mode=ro"
                self._reader = sqlite3.connect(uri, uri=True, check_same_thread=False)
                self._reader_finalizer = weakref.finalize(self, self._reader.close)
            yield self._reader

    @contextlib.contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        # Reads see every record made before them: commit the queue first (a few ms at most).
        self.flush()
        with self._lock:
            yield self._connection

    def _with_attempts(self, connection: sqlite3.Connection, rows: list[Any]) -> list[StoredDelivery]:
        deliveries = [
            StoredDelivery(
                id=row[0],
                url=row[1],
                event_type=row[2],
                call_id=row[3],
                body=bytes(row[4]),
                created_at=row[5],
                ok=bool(row[6]),
                replay_of=row[7],
                source=_source(row[8]),
            )
            for row in rows
        ]
        by_id = {delivery.id: delivery for delivery in deliveries}
        ids = list(by_id)
        # Chunked to stay below SQLite's limit on bound parameters.
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for attempt_row in connection.execute(
                f"SELECT {_ATTEMPT_COLUMNS} FROM attempts WHERE delivery_id IN ({marks}) ORDER BY delivery_id, number",
                chunk,
            ):
                by_id[attempt_row[0]].attempts.append(_attempt_from_row(attempt_row))
        return deliveries

    def _check_open(self) -> None:
        if self._closed:
            raise DeliveryError(f"delivery log {self._description} is closed; open a new DeliveryLog to use it")


def _source(value: str | None) -> Source:
    # A value a newer harness wrote reads as played rather than failing the whole read.
    try:
        return Source(value or Source.PLAYED)
    except ValueError:
        return Source.PLAYED


_SQLITE_INT_MAX = 2**63 - 1


def _check_page(limit: int, offset: int) -> None:
    # SQLite reads a negative LIMIT as "no limit" and would return everything, and takes 64-bit integers only.
    if not (0 <= limit <= _SQLITE_INT_MAX and 0 <= offset <= _SQLITE_INT_MAX):
        raise ConfigError(f"limit {limit}, offset {offset}: expected numbers from 0 to {_SQLITE_INT_MAX}")


def _attempt_from_row(row: Sequence[Any]) -> Attempt:
    return Attempt(
        number=row[1],
        url=row[2],
        request_headers=json.loads(row[3]),
        started_at=row[4],
        latency=row[5],
        status=row[6],
        response_headers=json.loads(row[7]),
        response_body=bytes(row[8]),
        response_truncated=bool(row[9]),
        failure=_failure_kind(row[10]),
        error=row[11],
        in_flight=bool(row[12]),
    )


def _created_at(delivery: Delivery, attempt: Attempt) -> float:
    """When ``delivery`` was made: its first attempt's start (``attempt``'s, when it is the first)."""
    return delivery.attempts[0].started_at if delivery.attempts else attempt.started_at


def _headers_json(headers: dict[str, str]) -> str:
    """``json.dumps(headers)``, remembered for small sets: a deliverer sends the same headers every time, and
    a receiver mostly answers with the same ones (json.dumps costs microseconds per delivery)."""
    if not headers:
        return "{}"
    items = tuple(headers.items())
    encoded = _HEADERS_JSON.get(items)
    if encoded is None:
        encoded = json.dumps(headers)
        if len(encoded) <= _HEADERS_JSON_CACHED_SIZE:
            if len(_HEADERS_JSON) >= _HEADERS_JSON_CACHED:
                _HEADERS_JSON.clear()  # rarely: a receiver's Date header changes once a second
            _HEADERS_JSON[items] = encoded
    return encoded


# At most 256 sets of at most 1,024 characters each: the cache holds at most about 256 KiB. A dict, not
# functools.lru_cache: the lookup is all a delivery pays, before any measuring of the headers' size.
_HEADERS_JSON_CACHED = 256
_HEADERS_JSON_CACHED_SIZE = 1024
_HEADERS_JSON: dict[tuple[tuple[str, str], ...], str] = {}


def _failure_kind(value: str | None) -> FailureKind | None:
    if value is None:
        return None
    try:
        return FailureKind(value)
    except ValueError:  # written by a newer harness that knows more kinds
        return FailureKind.OTHER


def _shutdown(writer: _Writer, connection: sqlite3.Connection, owner: str, pid: int) -> None:
    if os.getpid() != pid:
        # A forked child exiting: the log, its writer and its journal are the parent's, still in use there.
        return
    writer.stop()
    try:
        # Attempts still in flight when the log closes will never get their outcome recorded here.
        with connection:
            connection.execute(_SETTLE, (UNKNOWN_OUTCOME, owner))
    except sqlite3.Error:
        pass  # the writer's own failure, if any, is what close() reports
    finally:
        if writer.journal is not None:
            # Every intent is in the log once the writer has committed them all; else the next open reads them.
            writer.journal.close(remove=writer.failure is None)
        _LIVE_OWNERS.discard(owner)
        connection.close()


# -- intents whose writer is gone ------------------------------------------------------------------------

_SETTLE = (
    f"UPDATE attempts SET pending = 0, owner = NULL, failure = '{FailureKind.UNKNOWN}', error = ?"
    " WHERE pending = 1 AND owner = ?"
)
_LIVE_OWNERS: set[str] = set()  # the owners of the logs open in this process


def _process_start(pid: int) -> str:
    """When process ``pid`` started (clock ticks since boot, from /proc), to tell a reused pid apart; "" if unknown."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            text = stat.read(4096)  # one line of a few hundred bytes
    except OSError:
        return ""
    fields = text[text.rfind(b")") + 2 :].split()  # after the command name, which may hold spaces
    return fields[19].decode("ascii", errors="replace") if len(fields) > 19 else ""


_OWN_START = _process_start(os.getpid())


def _owner_alive(owner: str) -> bool:
    """Whether the log that wrote intents as ``owner`` (``pid:start:token``) may still record their outcomes."""
    pid_text, _, rest = owner.partition(":")
    start, _, _ = rest.partition(":")
    if not pid_text.isdigit() or int(pid_text) <= 0:
        return False
    pid = int(pid_text)
    if pid == os.getpid() and start == _OWN_START:
        return owner in _LIVE_OWNERS
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, under another user
    except OSError:
        return False
    return start == "" or _process_start(pid) == start


def _settle_orphaned_intents(connection: sqlite3.Connection, journal_path: Path | None) -> None:
    """Mark ``unknown`` the intents whose writer stopped before recording their outcome: those in its journal
    files (beside ``journal_path``, the log's resolved path) that never reached the log, and those the log
    holds in flight."""
    if journal_path is not None:
        for owner, journal in journal_files(journal_path):
            if not _owner_alive(owner):
                _recover_journal(connection, journal)
    owners = [row[0] for row in connection.execute("SELECT DISTINCT owner FROM attempts WHERE pending = 1")]
    orphaned = [owner for owner in owners if owner is None or not _owner_alive(owner)]
    if not orphaned:
        return
    with connection:
        for owner in orphaned:
            if owner is None:
                connection.execute(_SETTLE.replace("owner = ?", "owner IS NULL"), (UNKNOWN_OUTCOME,))
            else:
                connection.execute(_SETTLE, (UNKNOWN_OUTCOME, owner))


def _storable(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """``row`` with a lone surrogate in any text replaced by U+FFFD: SQLite stores UTF-8, which cannot carry one.

    Such text is rare but reaches the log from outside (a JSON body's ``"\\ud800"`` as its type or call id,
    forwarded by harness listen), so the writer tries a batch as it is and makes it storable only if refused.
    """
    return tuple(
        value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
        if isinstance(value, str) and not value.isascii()
        else value
        for value in row
    )


def _recover_journal(connection: sqlite3.Connection, journal: Path) -> None:
    """Record as ``unknown`` each intent of a dead writer's journal file the log lacks, then delete the file.

    An intent the log has (its outcome, or the attempt in flight) is left as it is: the writer had committed
    it, and was stopped before emptying the file. A file still locked by its writer (alive after all, seen
    from another pid namespace, say), one that cannot be read, or one the log cannot take is left in place.
    """
    claimed = claim(journal)
    if claimed is None:
        return
    try:
        with connection:
            for intent in claimed.records():
                known = connection.execute(
                    "SELECT 1 FROM attempts WHERE delivery_id = ? AND number = ?", (intent.delivery_id, intent.number)
                ).fetchone()
                if known is None:
                    for statement, parameters in _intent_rows(intent, None):
                        connection.execute(statement.sql(1), _storable(parameters))
    except (sqlite3.Error, OSError, ValueError):
        claimed.release()  # kept for a later open, without making this log unusable
        return
    claimed.delete()


def _refuse_other_files(path: Path) -> None:
    """ConfigError, before anything is changed, when ``path`` is not a delivery log: empty, or a SQLite file
    without a ``deliveries`` table (another program's database). Opening it would add our tables and WAL mode.

    Logs of every earlier schema have that table (step 1 creates it), so they still open and are migrated.
    """
    hint = "pass the --db PATH of a log that harness send, serve or listen wrote"
    try:
        empty = path.stat().st_size == 0
    except OSError as exc:
        raise ConfigError(f"delivery log {path}: cannot read it ({exc.strerror}); {hint}") from exc
    if empty:
        raise ConfigError(f"delivery log {path}: is an empty file, not a delivery log; {hint}")
    try:
        # Read-only, and immutable=0 by default: no journal, no WAL switch, no schema, nothing written.
        probe = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return  # _connect names what is wrong with it
    try:
        row = probe.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'deliveries'").fetchone()
    except sqlite3.Error:
        return  # not a database, or locked: _connect says so
    finally:
        probe.close()
    if row is None:
        raise ConfigError(
            f"delivery log {path}: a SQLite database without a deliveries table, not a delivery log; {hint}"
        )


def _connect(path: str | Path) -> sqlite3.Connection:
    """Open (creating if needed) the log and its schema; ConfigError naming the path on any failure."""
    if isinstance(path, Path):
        if path.is_dir():
            raise ConfigError(f"delivery log {path}: is a directory; pass a file path such as {path / 'deliveries.db'}")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            message = f"delivery log {path}: cannot create its directory ({exc.strerror}); pass another --db PATH"
            raise ConfigError(message) from exc
    try:
        # One connection shared by the writer thread and readers, serialised by DeliveryLog's lock.
        connection = sqlite3.connect(path, check_same_thread=False, isolation_level="DEFERRED")
    except sqlite3.Error as exc:
        raise ConfigError(f"delivery log {path}: cannot open it ({exc}); pass another --db PATH") from exc
    try:
        connection.execute("PRAGMA busy_timeout = 5000")  # another process (harness replay) may be writing
        # Takes effect only in a log being made (an existing one keeps its pages). 16 KiB, not SQLite's 4: a
        # delivery's row holds its body (1.1 KB on average, up to several), and larger pages split less and
        # write less per delivery (the writer's SQLite time per delivery 14.3 -> 11.9 us, BENCHMARKS.md).
        connection.execute(f"PRAGMA page_size = {PAGE_SIZE}")
        if path != MEMORY:
            connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = NORMAL")
        _migrate(connection, path)
    except sqlite3.Error as exc:
        connection.close()
        hint = "is it a delivery log, and writable?" if isinstance(exc, sqlite3.DatabaseError) else ""
        raise ConfigError(f"delivery log {path}: cannot use it ({exc}); {hint} pass another --db PATH") from exc
    except ConfigError:
        connection.close()
        raise
    return connection


def _migrate(connection: sqlite3.Connection, path: str | Path) -> None:
    """Bring the log to ``SCHEMA_VERSION``, one step at a time, each in its own transaction."""
    version = connection.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        message = f"delivery log {path}: written by a newer harness (schema {version}); upgrade or pass another --db"
        raise ConfigError(message)
    while version < SCHEMA_VERSION:
        connection.execute("BEGIN IMMEDIATE")  # another process may be migrating the same file
        try:
            version = connection.execute("PRAGMA user_version").fetchone()[0]
            if version < SCHEMA_VERSION:
                _MIGRATIONS[version](connection)
                version += 1
                connection.execute(f"PRAGMA user_version = {version}")
            connection.commit()
        except BaseException:
            connection.rollback()
            raise
