"""`harness fixtures` through the real console entry point."""

from __future__ import annotations

import io
import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from harness._commands.fixtures import _progress_reporter
from harness.generate import derive_seed, simulate_call
from harness.models import parse_event


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness", *args], capture_output=True, text=True, timeout=120)


def test_json_writes_one_file_per_event_in_delivery_order(tmp_path: Path) -> None:
    out = tmp_path / "fixtures"
    result = run_cli("fixtures", "--calls", "3", "--seed", "7", "--out", str(out))
    assert result.returncode == 0, result.stderr
    files = sorted(out.iterdir())
    expected = [event for index in range(3) for event in simulate_call(seed=derive_seed(7, index))]
    assert [path.read_bytes() for path in files] == [event.to_json() + b"\n" for event in expected]
    first = files[0].name
    assert first.startswith(f"0000-{expected[0].call_id}-00-call_started")
    assert f"wrote {len(expected)} events from 3 calls" in result.stdout
    for path in files:
        assert parse_event(path.read_bytes()).type in path.name


def test_jsonl_writes_one_line_per_event(tmp_path: Path) -> None:
    result = run_cli("fixtures", "--calls", "2", "--out", str(tmp_path), "--format", "jsonl", "--domain", "form_intake")
    assert result.returncode == 0, result.stderr
    lines = (tmp_path / "events.jsonl").read_bytes().splitlines()
    expected = [
        event for index in range(2) for event in simulate_call(seed=derive_seed(0, index), domain="form_intake")
    ]
    assert lines == [event.to_json() for event in expected]


def test_same_seed_writes_the_same_bytes(tmp_path: Path) -> None:
    for name in ("a", "b"):
        assert (
            run_cli(
                "fixtures", "--calls", "2", "--seed", "3", "--format", "jsonl", "--out", str(tmp_path / name)
            ).returncode
            == 0
        )
    assert (tmp_path / "a" / "events.jsonl").read_bytes() == (tmp_path / "b" / "events.jsonl").read_bytes()


def test_options_reach_the_generator(tmp_path: Path) -> None:
    result = run_cli(
        "fixtures", "--calls", "2", "--out", str(tmp_path), "--format", "jsonl",
        "--outcome", "dial_busy", "--no-legacy-fields",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in (tmp_path / "events.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [event["type"] for event in events] == ["call_started", "call_failed"] * 2
    assert all(event["call"]["end_reason"] == "dial_busy" for event in events if event["type"] == "call_failed")
    assert all("body" not in event and "end_reason" not in event for event in events)


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_refuses_to_overwrite_without_force(tmp_path: Path, fmt: str) -> None:
    assert run_cli("fixtures", "--calls", "2", "--out", str(tmp_path), "--format", fmt).returncode == 0
    before = sorted((path.name, path.read_bytes()) for path in tmp_path.iterdir())
    refused = run_cli("fixtures", "--calls", "1", "--seed", "5", "--out", str(tmp_path), "--format", fmt)
    assert refused.returncode == 2
    assert "--force" in refused.stderr
    assert str(tmp_path) in refused.stderr
    assert "Traceback" not in refused.stderr
    assert sorted((path.name, path.read_bytes()) for path in tmp_path.iterdir()) == before

    forced = run_cli("fixtures", "--calls", "1", "--seed", "5", "--out", str(tmp_path), "--format", fmt, "--force")
    assert forced.returncode == 0, forced.stderr
    expected = simulate_call(seed=derive_seed(5, 0))
    assert len(list(tmp_path.iterdir())) == (len(expected) if fmt == "json" else 1)


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_an_interrupted_forced_run_leaves_the_earlier_fixtures_whole(tmp_path: Path, fmt: str) -> None:
    out = tmp_path / "fixtures"
    assert run_cli("fixtures", "--calls", "2", "--out", str(out), "--format", fmt).returncode == 0
    before = sorted((path.name, path.read_bytes()) for path in out.iterdir())

    command = [sys.executable, "-m", "harness", "fixtures", "--calls", "1000000", "--out", str(out)]
    with subprocess.Popen([*command, "--format", fmt, "--force"], stderr=subprocess.PIPE, text=True) as run:
        assert run.stderr is not None
        assert run.stderr.readline().startswith("fixtures: 1000/1000000 calls")  # well under way, then Ctrl-C
        run.send_signal(signal.SIGINT)
        assert run.wait(timeout=30) == 130

    assert sorted((path.name, path.read_bytes()) for path in out.iterdir()) == before
    assert [path.name for path in tmp_path.iterdir()] == ["fixtures"]  # nothing half-written left beside it


def test_unrelated_files_do_not_block_and_are_kept(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("mine")
    assert run_cli("fixtures", "--out", str(tmp_path)).returncode == 0
    assert (tmp_path / "README.md").read_text() == "mine"


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--calls", "0"], "--calls: expected an integer >= 1, got '0'"),
        (["--calls", "ten"], "--calls: expected an integer >= 1, got 'ten'"),
        (["--seed", "x"], "--seed: expected an integer, got 'x'"),
        (["--turns", "-2"], "--turns: expected an integer >= 0, got '-2'"),
        (["--calls", "1000001"], "--calls: expected at most 1,000,000, got '1000001'"),
        (["--turns", "5001"], "--turns: expected at most 5,000, got '5001'"),
        (["--outcome", "exploded"], "--outcome: invalid choice: 'exploded'"),
        (["--domain", "weather"], "--domain: invalid choice: 'weather'"),
        (["--format", "xml"], "--format: invalid choice: 'xml'"),
    ],
)
def test_bad_arguments_are_exit_2_with_a_clear_message(tmp_path: Path, args: list[str], needle: str) -> None:
    result = run_cli("fixtures", "--out", str(tmp_path / "out"), *args)
    assert result.returncode == 2
    assert needle in result.stderr
    assert not (tmp_path / "out").exists()


def test_out_that_is_a_file_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = run_cli("fixtures", "--out", str(blocker))
    assert result.returncode == 2
    assert f"--out {blocker}: exists and is not a directory" in result.stderr
    assert "Traceback" not in result.stderr


def test_progress_lines_on_a_long_run_without_a_terminal(tmp_path: Path) -> None:
    result = run_cli(
        "fixtures",
        "--calls",
        "1001",
        "--turns",
        "0",
        "--outcome",
        "dial_busy",
        "--format",
        "jsonl",
        "--out",
        str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == ["fixtures: 1000/1001 calls"]


def test_no_progress_on_a_short_run(tmp_path: Path) -> None:
    result = run_cli("fixtures", "--calls", "3", "--out", str(tmp_path))
    assert result.returncode == 0
    assert result.stderr == ""


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_live_on_a_terminal() -> None:
    terminal = _Terminal()
    report = _progress_reporter(200, terminal)
    for done in range(1, 201):
        report(done)
    updates = terminal.getvalue().split("\r")[1:]
    assert len(updates) == 100
    assert updates[0] == "fixtures: 2/200 calls"
    assert updates[-1] == "fixtures: 200/200 calls\n"
