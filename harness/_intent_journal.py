"""The intent journal: each attempt appended to a file beside the delivery log before its request goes out.

Why a file of its own, not a SQLite row: an intent must be on disk before the request's first byte, and
waiting for the log's writer thread to commit it (a thread switch, a transaction, a switch back) on every
delivery cost ``harness send`` a fifth of its rate. An append is a copy into a shared file mapping, whose
pages are the OS's as soon as they are written, so a process killed with SIGKILL loses none (as a WAL
commit with ``synchronous=NORMAL``: only a crash of the machine may lose the last ones).

The writer thread still turns each intent into a row (an attempt in flight), unless the attempt's outcome
reached it first, which then stands for both. So the journal only needs the intents the log has not yet
committed: it is two files, one taking appends while the other's intents are being committed, emptied once
they are (the intents still waiting for an outcome are appended to the other first). When a log opens, the
files of writers that are gone are claimed (:func:`claim`: only a file its writer no longer locks) and read
back, their intents not in the log are recorded as ``unknown``, and the files are deleted.

Record: ``b"<header length> <body length>\\n"``, the header, then the body's exact bytes. The header is
:class:`JournalRecord`'s fields but the body as :mod:`marshal` version 2 writes a tuple of them: one C call
for the sending thread (a JSON array cost it 4 - 9 us per delivery, the largest part of recording an intent).
It is read back by :func:`_unmarshal_fields`, a strict parser of that flat tuple, never by ``marshal.loads``,
which is not safe against a crafted file. Journals written as JSON arrays (before this format) are still read.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import marshal
import math
import mmap
import os
import stat
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, NamedTuple

__all__ = [
    "ClaimedJournal",
    "IntentFields",
    "IntentJournal",
    "JournalRecord",
    "claim",
    "journal_files",
    "read_records",
]

# Reading back, a record larger than this is skipped rather than read into memory: events are a few MiB at
# most, and harness listen takes bodies up to 32 MiB; such an intent is recovered only if the log holds it.
MAX_HEADER_BYTES = 16 * 1024 * 1024
MAX_BODY_BYTES = 64 * 1024 * 1024
_MAX_PREFIX_BYTES = 32
# Each journal file starts this large (the intents of a few thousand deliveries), and doubles when a burst needs it;
# emptied, it keeps its size up to _SHRINK_FACTOR times this (no growing and shrinking at every batch of a steady
# load), and is made this size again beyond it.
INITIAL_FILE_BYTES = 4 * 1024 * 1024
_SHRINK_FACTOR = 4
# An emptied file's first pages stay mapped: the next appends write to them without a page fault each, which
# the sending thread paid for on every few deliveries (2 us per delivery, measured in harness send). The rest
# leave the process: the journal holds at most this much of its memory per file between batches.
RETAINED_BYTES = 1024 * 1024
_ZEROS = bytes(256 * 1024)
_HALVES = ("a", "b")


class JournalRecord(NamedTuple):
    """One attempt about to be sent: its delivery (body included) and the attempt's request, as read back.

    The sending thread appends its fields as a plain tuple (:meth:`IntentJournal.append_intent`).
    """

    delivery_id: str
    url: str
    event_type: str | None
    call_id: str | None
    created_at: float
    replay_of: str | None
    source: str
    number: int
    attempt_url: str
    request_headers_json: str
    started_at: float
    body: bytes

    def encode(self) -> bytes:
        header = _marshal_fields(self[:-1])
        return b"%d %d\n%s%s" % (len(header), len(self.body), header, self.body)


# Version 2: a format fixed since Python 2.5, with none of version 3's back-references, so the reader stays small.
_MARSHAL_VERSION = 2
_Field = str | int | float | None
IntentFields = tuple[_Field, ...]  # a JournalRecord's fields but the body, in order


def _marshal_fields(fields: IntentFields) -> bytes:
    try:
        return marshal.dumps(fields, _MARSHAL_VERSION)
    except ValueError:  # marshal takes the exact types only: an enum member (a str subclass) is converted
        return marshal.dumps(tuple(_exact(value) for value in fields), _MARSHAL_VERSION)


def _exact(value: _Field) -> _Field:
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, float):
        return float.__float__(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return int.__int__(value)
    return value


def journal_files(log_path: Path) -> Iterator[tuple[str, Path]]:
    """``(owner, path)`` of every journal file beside the delivery log at ``log_path``."""
    prefix = f"{log_path.name}-intents."
    try:
        entries = list(log_path.parent.iterdir())
    except OSError:
        return
    for entry in entries:
        name = entry.name
        if not name.startswith(prefix):
            continue
        owner, _, half = name[len(prefix) :].rpartition(".")
        if half in _HALVES and owner:
            yield owner.replace(".", ":"), entry


def read_records(path: Path) -> Iterator[JournalRecord]:
    """The records in a journal file, in order, up to the first that is cut short or malformed.

    Nothing when the file cannot be read or is not a regular file (a named pipe in its place does not hang).
    """
    claimed = claim(path, lock=False)
    if claimed is None:
        return iter(())
    return _records_then_release(claimed)


def _records_then_release(claimed: ClaimedJournal) -> Iterator[JournalRecord]:
    try:
        yield from claimed.records()
    finally:
        claimed.release()


class ClaimedJournal:
    """A journal file held open by this process (and locked, ``flock``, when claimed for recovery), whose
    records can be read, and which is then deleted or released: see :func:`claim`."""

    def __init__(self, path: Path, stream: BinaryIO) -> None:
        self.path = path
        self._stream = stream

    def records(self) -> Iterator[JournalRecord]:
        """The records, in order, up to the first that is cut short or malformed."""
        while (step := _next_record(self._stream)) is not _END:
            if isinstance(step, JournalRecord):
                yield step

    def delete(self) -> None:
        """Delete the file (its intents are in the log); nothing if another process did already."""
        with contextlib.suppress(OSError):
            self.path.unlink()
        self._stream.close()  # releases the lock

    def release(self) -> None:
        """Leave the file as it is, and let go of it."""
        self._stream.close()


def claim(path: Path, *, lock: bool = True) -> ClaimedJournal | None:
    """``path`` opened (and with ``lock``, locked) for reading back, or None: not a regular file, unreadable,
    or still held by the log that writes it, which keeps it locked for as long as it lives."""
    try:
        # Without blocking: a named pipe put in a journal's place must not hang the log's opening.
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise OSError("not a regular file")
        if lock:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(descriptor)
        return None
    return ClaimedJournal(path, os.fdopen(descriptor, "rb"))


_END, _SKIPPED = object(), object()
_LENGTH_LIMIT = 2**62  # lengths beyond any file: not a record this module wrote


def _next_record(stream: BinaryIO) -> JournalRecord | object:
    """The next record, ``_SKIPPED`` for one too large to read into memory, or ``_END`` where reading stops."""
    prefix = stream.readline(_MAX_PREFIX_BYTES)
    try:
        header_length, body_length = (int(part) for part in prefix.split())
    except ValueError:
        return _END  # the end of the file, or not a record this module wrote
    if not (prefix.endswith(b"\n") and 0 < header_length < _LENGTH_LIMIT and 0 <= body_length < _LENGTH_LIMIT):
        return _END
    if header_length > MAX_HEADER_BYTES or body_length > MAX_BODY_BYTES:
        stream.seek(header_length + body_length, os.SEEK_CUR)
        return _SKIPPED
    header, body = stream.read(header_length), stream.read(body_length)
    if len(header) < header_length or len(body) < body_length:
        return _END  # cut short: the process died while appending it, before its request went out
    fields = _json_fields(header) if header.startswith(b"[") else _unmarshal_fields(header)
    if fields is None or not _well_formed(fields):
        return _END
    return JournalRecord._make((*fields, body))  # each field checked by _well_formed


def _json_fields(header: bytes) -> tuple[object, ...] | None:
    """The fields of a header written as a JSON array (journals of earlier versions), or None."""
    try:
        fields = json.loads(header)
    except (ValueError, RecursionError):
        return None
    return tuple(fields) if isinstance(fields, list) else None


_INT32 = struct.Struct("<i")
_FLOAT64 = struct.Struct("<d")


def _unmarshal_fields(header: bytes) -> tuple[object, ...] | None:
    """The fields of a header as ``marshal.dumps(fields, 2)`` writes a flat tuple of None, str, int and float,
    or None for anything else (another type, a nested value, a length past the end, bytes left over)."""
    try:
        if header[:1] != b"(":
            return None
        (count,) = _INT32.unpack_from(header, 1)
        if count != len(_FIELD_TYPES):
            return None
        fields: list[object] = []
        at = 5
        for _ in range(count):
            tag, at = header[at : at + 1], at + 1
            if tag == b"N":
                fields.append(None)
            elif tag == b"u":
                (length,) = _INT32.unpack_from(header, at)
                text = header[at + 4 : at + 4 + length]
                if length < 0 or len(text) != length:
                    return None
                fields.append(text.decode("utf-8", "surrogatepass"))
                at += 4 + length
            elif tag == b"g":
                fields.append(_FLOAT64.unpack_from(header, at)[0])
                at += 8
            elif tag == b"i":
                fields.append(_INT32.unpack_from(header, at)[0])
                at += 4
            elif tag == b"l":
                value, at = _long(header, at)
                fields.append(value)
            else:
                return None
    except (struct.error, UnicodeDecodeError, ValueError):
        return None
    return tuple(fields) if at == len(header) else None


def _long(header: bytes, at: int) -> tuple[int, int]:
    """An integer past 32 bits: a signed count of 15-bit digits, least significant first; ValueError if cut."""
    (size,) = _INT32.unpack_from(header, at)
    at += 4
    digits = header[at : at + 2 * abs(size)]
    if len(digits) != 2 * abs(size) or abs(size) > 8:  # more than 120 bits: not a number SQLite could keep
        raise ValueError("not a journal integer")
    magnitude = sum(digit << (15 * index) for index, (digit,) in enumerate(struct.iter_unpack("<H", digits)))
    return (-magnitude if size < 0 else magnitude), at + len(digits)


# The types of JournalRecord's fields but the body, in order (None where a field may be null).
_FIELD_TYPES: tuple[tuple[type, ...], ...] = (
    (str,),
    (str,),
    (str, type(None)),
    (str, type(None)),
    (int, float),
    (str, type(None)),
    (str,),
    (int,),
    (str,),
    (str,),
    (int, float),
)


def _well_formed(fields: tuple[object, ...]) -> bool:
    return len(fields) == len(_FIELD_TYPES) and all(
        isinstance(value, types) and not isinstance(value, bool) and _storable(value)
        for value, types in zip(fields, _FIELD_TYPES, strict=True)
    )


def _storable(value: object) -> bool:
    """A number SQLite keeps as it is: an integer of 64 bits, a finite float (NaN would be stored as NULL)."""
    if isinstance(value, int):
        return -(2**63) <= value < 2**63
    if isinstance(value, float):
        return math.isfinite(value)
    return True


class IntentJournal:
    """The two journal files of one open delivery log (see the module docstring); not thread-safe by itself:
    the log's writer calls every method under one lock.

    Each file is mapped into memory, so an append is a copy, not a system call: a ``write`` would release
    the interpreter to the writer thread and wait to get it back, on every delivery. Pages of a shared
    file mapping belong to the OS, so what is copied survives the process. The files are allocated on
    disk up front (a page of a mapping the disk cannot hold would kill the process), and bytes past the
    last record are zeros, where reading stops.
    """

    def __init__(self, log_path: Path, owner: str) -> None:
        stem = f"{log_path.name}-intents.{owner.replace(':', '.')}"
        self.paths = tuple(log_path.with_name(f"{stem}.{half}") for half in _HALVES)
        self._files: list[_MappedFile] = []
        self._pid = os.getpid()
        try:
            for path in self.paths:
                self._files.append(_MappedFile(path))
        except OSError:
            self.close(remove=True)
            raise
        self._active = 0

    def append_intent(self, fields: IntentFields, body: bytes) -> None:
        """Add the record ``JournalRecord(*fields, body).encode()`` to the active file, written in parts (the
        sending thread calls this for every delivery, and a record joined first would be one more copy of its
        body); OSError when the disk has no room for it."""
        self._files[self._active].append_parts(_marshal_fields(fields), body)

    def rotate(self) -> int:
        """Send the next appends to the other file; the one returned empties with :meth:`truncate`."""
        previous, self._active = self._active, 1 - self._active
        return previous

    def truncate(self, half: int) -> None:
        """Empty a file whose intents are all committed to the log."""
        self._files[half].clear()

    def close(self, *, remove: bool) -> None:
        """Close both files; with ``remove``, delete them (every intent in them is in the log).

        Only the process that made them deletes them: a forked child closing its copy leaves them alone.
        """
        for file in self._files:
            file.close()
        self._files = []
        if remove and os.getpid() == self._pid:
            for path in self.paths:
                with contextlib.suppress(OSError):
                    path.unlink()


class _MappedFile:
    """One journal file, mapped: records from offset 0, zeros after them; grows (doubling) to fit."""

    def __init__(self, path: Path) -> None:
        flags = os.O_RDWR | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0)
        self.descriptor = os.open(path, flags, 0o600)
        try:
            # Held for the file's life (the OS lets go when the process ends, however it ends): a log opening
            # beside it leaves a locked journal alone, whatever it believes of the pid in the name.
            fcntl.flock(self.descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            self.capacity = INITIAL_FILE_BYTES
            self._allocate(0, self.capacity)
            self.map = mmap.mmap(self.descriptor, self.capacity)
        except OSError:
            os.close(self.descriptor)
            raise
        self.used = 0

    def append_parts(self, header: bytes, body: bytes) -> None:
        prefix = b"%d %d\n" % (len(header), len(body))
        start = self.used
        after_prefix = start + len(prefix)
        after_header = after_prefix + len(header)
        end = after_header + len(body)
        if end > self.capacity:
            self._grow(end)
        self.map[after_prefix:after_header] = header
        self.map[after_header:end] = body
        # The length prefix last: a process killed mid-copy leaves zeros where the record starts.
        self.map[start:after_prefix] = prefix
        self.used = end

    def clear(self) -> None:
        if self.capacity > INITIAL_FILE_BYTES * _SHRINK_FACTOR:  # give back what a burst of large bodies took
            self._remap(INITIAL_FILE_BYTES)
            self.used = min(self.used, self.capacity)
        for start in range(0, self.used, len(_ZEROS)):
            stop = min(self.used, start + len(_ZEROS))
            self.map[start:stop] = _ZEROS[: stop - start]
        if self.used > RETAINED_BYTES and hasattr(self.map, "madvise"):
            # The zeroed pages stay in the file; those past the first RETAINED_BYTES leave this process's memory.
            self.map.madvise(mmap.MADV_DONTNEED, RETAINED_BYTES, self.used - RETAINED_BYTES)
        self.used = 0

    def close(self) -> None:
        self.map.close()
        os.close(self.descriptor)

    def _grow(self, needed: int) -> None:
        capacity = self.capacity
        while capacity < needed:
            capacity *= 2
        self._allocate(self.capacity, capacity - self.capacity)
        self._remap(capacity)

    def _remap(self, capacity: int) -> None:
        # A new mapping rather than mmap.resize(), which CPython has only where mremap() exists (not macOS).
        self.map.close()
        if capacity < self.capacity:
            os.ftruncate(self.descriptor, capacity)
        self.map = mmap.mmap(self.descriptor, capacity)
        self.capacity = capacity

    def _allocate(self, offset: int, length: int) -> None:
        """Reserve the disk blocks of [offset, offset + length): OSError (no space) now rather than a crash later."""
        allocate = getattr(os, "posix_fallocate", None)  # Linux and BSDs; not macOS
        if allocate is not None:
            try:
                allocate(self.descriptor, offset, length)
                return
            except OSError as exc:
                if exc.errno not in (errno.EOPNOTSUPP, errno.EINVAL):
                    raise
        for start in range(offset, offset + length, len(_ZEROS)):  # a file system that cannot reserve: write
            os.pwrite(self.descriptor, _ZEROS[: min(len(_ZEROS), offset + length - start)], start)
