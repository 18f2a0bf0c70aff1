"""The intent journal: records read back as appended, reading stops at the first record that is cut short or
not one the journal wrote, files grow and give the room back, and only journal files are listed."""

from __future__ import annotations

import errno
import marshal
import os
import struct
from pathlib import Path
from typing import Any

import pytest

from harness import _intent_journal
from harness._intent_journal import IntentJournal, JournalRecord, journal_files, read_records
from harness.failure_kind import Source

OWNER = "4242:1234:0a1b2c"


def record(index: int, body: bytes = b'{"type":"call_turn"}') -> JournalRecord:
    return JournalRecord(
        f"dlv_{index:04}",
        "http://127.0.0.1:9/hook",
        "call_turn",
        "ac_journal",
        1_700_000_000.5,
        None,
        "played",
        1,
        "http://127.0.0.1:9/hook",
        '{"X-Webhook-Secret": "***"}',
        1_700_000_000.5,
        body,
    )


def add(journal: IntentJournal, item: JournalRecord) -> None:
    """Append ``item`` as the sending thread does."""
    journal.append_intent(item[:-1], item.body)


@pytest.fixture
def journal(tmp_path: Path) -> IntentJournal:
    return IntentJournal(tmp_path / "log.db", OWNER)


def test_records_read_back_as_appended(journal: IntentJournal) -> None:
    written = [record(index, body=bytes(range(256)) * index) for index in range(5)]  # any bytes, empty included
    for item in written:
        add(journal, item)

    assert list(read_records(journal.paths[0])) == written
    assert list(read_records(journal.paths[1])) == []


def test_rotate_sends_appends_to_the_other_file_and_truncate_empties_one(journal: IntentJournal) -> None:
    add(journal, record(1))
    emptied = journal.rotate()
    add(journal, record(2))
    journal.truncate(emptied)

    assert [item.delivery_id for item in read_records(journal.paths[emptied])] == []
    assert [item.delivery_id for item in read_records(journal.paths[1 - emptied])] == ["dlv_0002"]


def test_a_file_grows_to_fit_and_gives_the_room_back_when_emptied(
    journal: IntentJournal, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(_intent_journal, "INITIAL_FILE_BYTES", 64 * 1024)
    small = IntentJournal(tmp_path / "small.db", OWNER)
    large = [record(index, body=b"x" * 50_000) for index in range(6)]  # 300 KB into a 64 KiB file
    for item in large:
        add(small, item)

    assert list(read_records(small.paths[0])) == large
    small.truncate(0)
    assert os.path.getsize(small.paths[0]) == 64 * 1024
    assert list(read_records(small.paths[0])) == []
    add(small, record(7))  # usable again after shrinking
    assert [item.delivery_id for item in read_records(small.paths[0])] == ["dlv_0007"]


def test_close_with_remove_deletes_both_files(journal: IntentJournal) -> None:
    add(journal, record(1))
    journal.close(remove=True)

    assert not any(path.exists() for path in journal.paths)


def test_close_without_remove_keeps_what_was_appended(journal: IntentJournal) -> None:
    add(journal, record(1))
    journal.close(remove=False)

    assert [item.delivery_id for item in read_records(journal.paths[0])] == ["dlv_0001"]


@pytest.mark.parametrize(
    "tail",
    [
        pytest.param(b"\0" * 64, id="zeros"),
        pytest.param(b"12 40\n[1, 2", id="cut short"),
        pytest.param(b"garbage\n", id="not a prefix"),
        pytest.param(b"9" * 40 + b"\n", id="prefix too long"),
        pytest.param(b"2 0\n{}", id="not an array"),
        pytest.param(b"5 0\n[1,2]", id="too few fields"),
        pytest.param(b"3 0\n[1]", id="wrong types"),
        pytest.param(b"4 0\n[1,\xff", id="not JSON"),
    ],
)
def test_reading_stops_at_what_the_journal_did_not_write_whole(tmp_path: Path, tail: bytes) -> None:
    path = tmp_path / "log.db-intents.1.2.abc.a"
    path.write_bytes(record(1).encode() + tail + record(2).encode())

    assert [item.delivery_id for item in read_records(path)] == ["dlv_0001"]


def test_every_kind_of_field_reads_back_as_written(journal: IntentJournal) -> None:
    odd = record(1)._replace(
        event_type="appel_termin\u00e9 \U0001f389",
        call_id=None,
        replay_of="dlv_0000",
        source=Source.CAPTURED,  # an enum member is written as its text
        number=2**40,  # past 32 bits: marshal's long form
        created_at=-0.1,
        request_headers_json='{"X-Odd": "\\u0000\\n\\""}',
        started_at=1_700_000_000,
    )
    add(journal, odd)
    journal.close(remove=False)

    [read] = read_records(journal.paths[0])
    assert read == odd
    assert type(read.source) is str


def header(fields: tuple[Any, ...]) -> bytes:
    return b"%d 0\n%s" % (len(encoded := marshal.dumps(fields, 2)), encoded)


FIELDS = tuple(record(9))[:-1]
VALID = marshal.dumps(FIELDS, 2)


@pytest.mark.parametrize(
    "hostile",
    [
        pytest.param(header((*FIELDS[:-1], (1.0,))), id="nested tuple"),
        pytest.param(header((*FIELDS[:-1], [1.0])), id="a list"),
        pytest.param(header((b"dlv_bytes", *FIELDS[1:])), id="bytes for text"),
        pytest.param(header(FIELDS[:-1]), id="a field missing"),
        pytest.param(b"%d 0\n%s" % (len(v4 := marshal.dumps(FIELDS, 4)), v4), id="another marshal version"),
        pytest.param(b"%d 0\n%s" % (len(VALID) - 3, VALID[:-3]), id="cut inside a number"),
        pytest.param(b"%d 0\n%sN" % (len(VALID) + 1, VALID), id="bytes left over"),
        pytest.param(b"%d 0\n%s" % (len(lying := b"(" + struct.pack("<i", 11) + VALID[5:-9]), lying), id="count lies"),
        pytest.param(b"9 0\n(\x01\x00\x00\x00u\x01\x00\x00", id="text length past the end"),
        pytest.param(header((*FIELDS[:7], 2**200, *FIELDS[8:])), id="integer past 120 bits"),
        pytest.param(b"%d 0\n%s" % (len(bad := VALID.replace(b"call_turn", b"call_tur\xff")), bad), id="not UTF-8"),
    ],
)
def test_reading_stops_at_a_header_the_journal_would_not_write(tmp_path: Path, hostile: bytes) -> None:
    path = tmp_path / "log.db-intents.1.2.abc.a"
    path.write_bytes(record(1).encode() + hostile + record(2).encode())

    assert [item.delivery_id for item in read_records(path)] == ["dlv_0001"]


@pytest.mark.parametrize("lengths", [(17 * 1024 * 1024, 0), (2, 65 * 1024 * 1024)], ids=["header", "body"])
def test_a_record_over_the_bounds_is_skipped(tmp_path: Path, lengths: tuple[int, int]) -> None:
    path = tmp_path / "log.db-intents.1.2.abc.a"
    with path.open("wb") as file:
        file.write(record(1).encode() + b"%d %d\n" % lengths)
        file.seek(sum(lengths), os.SEEK_CUR)  # a hole: the oversized record's bytes cost no disk
        file.write(record(2).encode())

    assert [item.delivery_id for item in read_records(path)] == ["dlv_0001", "dlv_0002"]


def test_a_record_whose_fields_have_the_wrong_types_is_not_read(tmp_path: Path) -> None:
    header = b'["dlv_1", "u", null, null, true, null, "played", 1, "u", "{}", 1.0]'  # a bool for a time
    path = tmp_path / "log.db-intents.1.2.abc.a"
    path.write_bytes(b"%d 0\n%s" % (len(header), header))

    assert list(read_records(path)) == []


def test_reading_a_named_pipe_returns_at_once(tmp_path: Path) -> None:
    path = tmp_path / "log.db-intents.1.2.abc.a"
    os.mkfifo(path)  # opened for reading, a pipe without a writer would block for ever

    assert list(read_records(path)) == []


def test_journal_files_lists_the_owner_of_each_file_and_nothing_else(tmp_path: Path, journal: IntentJournal) -> None:
    for name in ("log.db", "log.db-wal", "log.db-intents.", "log.db-intents.x.c", "other.db-intents.1.2.abc.a"):
        (tmp_path / name).write_bytes(b"")

    found = sorted(journal_files(tmp_path / "log.db"))

    assert found == sorted((OWNER, path) for path in journal.paths)


@pytest.mark.parametrize("refusal", [None, errno.EOPNOTSUPP], ids=["no posix_fallocate", "file system refuses"])
def test_without_fallocate_the_files_are_written_out_and_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, refusal: int | None
) -> None:
    def refuse(descriptor: int, offset: int, length: int) -> None:
        raise OSError(refusal, os.strerror(refusal or 0))

    if refusal is None:
        monkeypatch.delattr(os, "posix_fallocate")
    else:
        monkeypatch.setattr(os, "posix_fallocate", refuse)
    monkeypatch.setattr(_intent_journal, "INITIAL_FILE_BYTES", 64 * 1024)
    journal = IntentJournal(tmp_path / "log.db", OWNER)
    written = [record(index, body=b"y" * 30_000) for index in range(4)]  # grows past 64 KiB
    for item in written:
        add(journal, item)

    assert [os.stat(path).st_blocks * 512 >= 64 * 1024 for path in journal.paths] == [True, True]
    assert list(read_records(journal.paths[0])) == written


def test_an_emptied_file_keeps_its_first_pages_mapped_and_gives_the_rest_back(
    journal: IntentJournal, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_intent_journal, "RETAINED_BYTES", 128 * 1024)
    for index in range(200):
        add(journal, record(index, body=b"z" * 2_000))  # 400 KB of pages touched
    assert mapped_kib(journal.paths[0]) >= 300

    journal.truncate(0)

    assert 100 <= mapped_kib(journal.paths[0]) <= 128 + 16  # what the next appends write to, no more
    assert list(read_records(journal.paths[0])) == []


def test_a_file_keeps_its_size_through_a_steady_load_and_shrinks_after_a_burst(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(_intent_journal, "INITIAL_FILE_BYTES", 64 * 1024)
    journal = IntentJournal(tmp_path / "log.db", OWNER)
    for index in range(2):  # 100 KB: the file doubles, once
        add(journal, record(index, body=b"x" * 50_000))
    journal.truncate(0)
    assert os.path.getsize(journal.paths[0]) == 128 * 1024  # kept: the next batch is likely as large
    for index in range(6):  # 300 KB: past 4 times the initial size
        add(journal, record(index, body=b"x" * 50_000))
    journal.truncate(0)
    assert os.path.getsize(journal.paths[0]) == 64 * 1024


def mapped_kib(path: Path) -> int:
    """Kilobytes of ``path``'s mapping resident in this process (Linux: /proc/self/smaps)."""
    resident, inside = 0, False
    with open("/proc/self/smaps", encoding="utf-8") as smaps:
        for line in smaps:
            if "-" in line.split(" ", 1)[0]:  # a mapping's header line
                inside = line.rstrip().endswith(str(path))
            elif inside and line.startswith("Rss:"):
                resident += int(line.split()[1])
    return resident
