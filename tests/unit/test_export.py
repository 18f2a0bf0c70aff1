"""harness export on hostile captures: safe file names, an --out never left with less, scenarios that load."""

from __future__ import annotations

import json
import os
import re
import sqlite3
from pathlib import Path

import pytest

from harness._fixture_files import MAX_ID_CHARS, fixture_name, safe_id, staged_folder
from harness._scenario_settings import MAX_CONCURRENCY
from harness.cli import main
from harness.delivery import Attempt, Delivery, Source
from harness.errors import ECHO_CHARS, ConfigError
from harness.export import _scenario, export_captured, scenario_concurrency
from harness.generate import simulate_call
from harness.recording import RecordedCall, write_recording
from harness.scenarios import load_scenario
from harness.store import MEMORY, DeliveryLog

SAFE_NAME = re.compile(r"[A-Za-z0-9._-]+")


def capture(log: DeliveryLog, body: bytes, call_id: str | None) -> None:
    """Record ``body`` as harness listen records a verified capture (call_id: as listen found it)."""
    number = len(log.list_deliveries(limit=100_000))
    delivery = Delivery(
        id=f"dlv_{number:06d}", url="http://127.0.0.1:9/hook", body=body, call_id=call_id, source=Source.CAPTURED
    )
    attempt = Attempt(number=1, url=delivery.url, request_headers={}, started_at=0.0, status=200)
    delivery.attempts.append(attempt)
    log.record_attempt(delivery, attempt)
    log.flush()


def capture_call(log: DeliveryLog, seed: int, *, call_id: str | None = None) -> list[bytes]:
    """A simulated call's events captured, under ``call_id`` if given (in the payloads too)."""
    bodies = []
    for event in simulate_call(seed=seed, outcome="completed", turns=2):
        data = json.loads(event.to_json())
        if call_id is not None:
            data["call_id"] = call_id
            if isinstance(data.get("call"), dict):
                data["call"]["id"] = call_id
        body = json.dumps(data).encode()
        capture(log, body, data["call_id"])
        bodies.append(body)
    return bodies


@pytest.fixture
def log() -> DeliveryLog:
    return DeliveryLog(MEMORY)


HOSTILE_IDS = ["../../x", "/etc/passwd", "a" * 300, "ac-with-dashes", "..", "名前/\\\x00", "ac_ok." * 60]


@pytest.mark.parametrize("call_id", HOSTILE_IDS)
def test_a_call_id_becomes_a_safe_bounded_file_name_part(call_id: str) -> None:
    part = safe_id(call_id)
    assert re.fullmatch(r"[A-Za-z0-9._]+", part)
    assert len(part) <= MAX_ID_CHARS
    assert part.strip(".")
    name = fixture_name(0, 4, call_id, 0, 1, "x" * 300)
    assert SAFE_NAME.fullmatch(name)
    assert len(name) < 160


def test_a_plain_call_id_is_kept_and_changed_ones_differ_by_their_hash() -> None:
    assert safe_id("ac_Jt5RgK7o6IG0Id37IKQGWr") == "ac_Jt5RgK7o6IG0Id37IKQGWr"
    assert safe_id("a/b") != safe_id("a_b")
    assert safe_id("a/b") != safe_id("a\\b")
    assert safe_id("a" * 300) != safe_id("a" * 301)


def test_hostile_call_ids_export_under_safe_names_and_keep_their_real_ids(log: DeliveryLog, tmp_path: Path) -> None:
    originals = {call_id: capture_call(log, seed, call_id=call_id) for seed, call_id in enumerate(HOSTILE_IDS[:4])}
    out = tmp_path / "out"

    result = export_captured(log, out)

    assert result.calls == 4
    assert [path.name for path in tmp_path.iterdir()] == ["out"]  # nothing written outside, nothing left beside
    fixtures = sorted(path for path in out.iterdir() if path.suffix == ".json")
    assert all(SAFE_NAME.fullmatch(path.name) for path in fixtures)
    assert [path.read_bytes().rstrip(b"\n") for path in fixtures] == [
        b for bodies in originals.values() for b in bodies
    ]
    plan = load_scenario(out / "captured.toml").plan()
    assert [call.deliveries[0].call_id for call in plan.calls] == list(originals)


def test_a_2025_payload_is_named_after_its_request_id_not_nocall(log: DeliveryLog, tmp_path: Path) -> None:
    body = json.dumps({"type": "call_started", "request_id": "req_2025abc", "agent_id": "agent_1"}).encode()
    capture(log, body, "req_2025abc")  # listen groups a 2025 payload by its request_id

    export_captured(log, tmp_path / "out")

    assert "0000-req_2025abc-00-call_started.json" in {path.name for path in (tmp_path / "out").iterdir()}


def test_captures_without_a_call_are_counted_as_left_out(log: DeliveryLog, tmp_path: Path) -> None:
    capture_call(log, 1)
    capture(log, b'{"type":"call_started"}', None)
    capture(log, b"not json", None)

    result = export_captured(log, tmp_path / "out")

    assert (result.calls, result.without_call) == (1, 2)


@pytest.mark.parametrize("failure", ["write", "swap"])
def test_a_failed_forced_export_leaves_the_earlier_one_in_place(
    log: DeliveryLog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: str
) -> None:
    capture_call(log, 1)
    out = tmp_path / "out"
    export_captured(log, out)
    before = {path.name: path.read_bytes() for path in out.iterdir()}
    capture_call(log, 2)
    if failure == "write":
        monkeypatch.setattr(Path, "write_bytes", lambda self, data: (_ for _ in ()).throw(OSError(28, "No space")))
    else:
        real_replace = os.replace
        calls: list[Path] = []

        def replace(source: Path, target: Path) -> None:
            calls.append(source)
            if len(calls) == len(before) + 3:  # the old files are aside, some new ones moved in
                raise OSError(28, "No space")
            real_replace(source, target)

        monkeypatch.setattr(os, "replace", replace)

    with pytest.raises(ConfigError, match="No space") as caught:
        export_captured(log, out, force=True)

    assert str(out) in str(caught.value)
    assert {path.name: path.read_bytes() for path in out.iterdir()} == before
    assert [path.name for path in tmp_path.iterdir()] == ["out"]


def test_an_earlier_export_is_refused_without_force_and_replaced_with_it(log: DeliveryLog, tmp_path: Path) -> None:
    capture_call(log, 1)
    capture_call(log, 2)
    out = tmp_path / "out"
    export_captured(log, out)
    (out / "README").write_text("mine")
    with pytest.raises(ConfigError, match="pass --force"):
        export_captured(log, out)

    [first, _] = list(json.loads(line)["call_id"] for line in (out / "calls.jsonl").read_text().splitlines())[::7]
    export_captured(log, out, call_ids=[first], force=True)

    names = sorted(path.name for path in out.iterdir())
    assert names[-3:] == ["README", "calls.jsonl", "captured.toml"]
    assert all(name.startswith("0000-") for name in names[:-3])


def test_an_unparsable_event_names_its_delivery_and_call_and_stays_out_of_the_recording(
    log: DeliveryLog, tmp_path: Path
) -> None:
    bodies = capture_call(log, 1)
    call_id = json.loads(bodies[0])["call_id"]
    capture(log, json.dumps({"call_id": call_id, "type": 7}).encode(), call_id)

    result = export_captured(log, tmp_path / "out")

    [problem] = result.unparsable
    assert problem.startswith(f"delivery dlv_{len(bodies):06d} of call {call_id}: ")
    assert len(load_scenario(tmp_path / "out" / "captured.toml").plan().calls[0].deliveries) == len(bodies)


def nested(depth: int, call_id: str) -> bytes:
    return (
        b'{"type":"call_started","call_id":"' + call_id.encode() + b'","metadata":'
        + b'{"a":' * depth + b"1" + b"}" * depth + b"}"
    )  # fmt: skip


@pytest.mark.parametrize("scrub", [False, True])
def test_a_body_nested_800_levels_is_refused_alike_with_or_without_scrub(
    log: DeliveryLog, tmp_path: Path, scrub: bool
) -> None:
    capture_call(log, 1)
    capture(log, nested(800, "ac_deep"), "ac_deep")

    result = export_captured(log, tmp_path / "out", scrub=scrub)

    [problem] = result.unparsable
    assert "nested more than 200 levels" in problem
    assert load_scenario(tmp_path / "out" / "captured.toml").plan().calls


def test_echoed_input_is_bounded(log: DeliveryLog, tmp_path: Path) -> None:
    capture_call(log, 1)
    unknown = [f"ac_{index}_" + "x" * 1000 for index in range(25)]

    with pytest.raises(ConfigError) as caught:
        export_captured(log, tmp_path / "out", call_ids=unknown)

    message = str(caught.value)
    assert len(message) < 10 * (ECHO_CHARS + 40) + 500
    assert "and 15 more" in message
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("calls", [1, 7, MAX_CONCURRENCY, MAX_CONCURRENCY + 1, 10_050, 100_000])
def test_the_scenario_export_writes_loads_whatever_the_number_of_calls(tmp_path: Path, calls: int) -> None:
    [event] = simulate_call(seed=1, outcome="completed", turns=0)[:1]
    write_recording(tmp_path / "calls.jsonl", [RecordedCall(event.call_id or "ac_1", [(0.0, event.to_json())])])
    (tmp_path / "captured.toml").write_text(_scenario(calls, scrubbed=False))
    scenario = load_scenario(tmp_path / "captured.toml")
    assert scenario.concurrency == scenario_concurrency(calls) == min(calls, MAX_CONCURRENCY)


@pytest.mark.parametrize("command", ["export", "deliveries"])
def test_read_only_commands_refuse_another_programs_database_with_exit_2(
    tmp_path: Path, command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "other.db"
    connection = sqlite3.connect(path)
    connection.executescript("CREATE TABLE notes (text TEXT);")
    connection.close()
    before = path.read_bytes()
    extra = ["--out", str(tmp_path / "out")] if command == "export" else []

    assert main([command, "--db", str(path), *extra]) == 2

    assert f"delivery log {path}: a SQLite database without a deliveries table" in capsys.readouterr().err
    assert path.read_bytes() == before
    assert sorted(item.name for item in tmp_path.iterdir()) == ["other.db"]


def test_the_staging_folder_is_inside_out_so_moving_in_never_crosses_file_systems(tmp_path: Path) -> None:
    # Beside --out, a mount point or a volume put --out on another file system than its staging folder, and
    # moving the files in failed (EXDEV); inside it, moving in is a rename on the file system of --out.
    out = tmp_path / "mounted-here"
    with staged_folder(out, [], force=False) as folder:
        assert folder.parent == out
        assert os.stat(folder).st_dev == os.stat(out).st_dev
        (folder / "0000-ac_x-00-call_started.json").write_bytes(b"{}\n")

    assert [path.name for path in out.iterdir()] == ["0000-ac_x-00-call_started.json"]
