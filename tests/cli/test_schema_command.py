"""`harness schema` through the real console entry point."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness", *args], capture_output=True, text=True, timeout=60)


def test_writes_one_schema_per_event_type(tmp_path: Path) -> None:
    result = run_cli("schema", "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == sorted(
        f"{t}.schema.json" for t in ("call_started", "call_turn", "call_completed", "call_failed", "post_call_analysis")
    )
    schema = json.loads((tmp_path / "out" / "call_turn.schema.json").read_text())
    assert schema["properties"]["type"]["const"] == "call_turn"


def test_unwritable_directory_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = run_cli("schema", "--out", str(blocker / "sub"))
    assert result.returncode == 2
    assert str(blocker / "sub") in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_argument_is_exit_2() -> None:
    result = run_cli("schema")
    assert result.returncode == 2
    assert "--out" in result.stderr


def test_a_reader_that_goes_away_gets_no_traceback() -> None:
    command = [sys.executable, "-m", "harness", "check", "--list"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        assert process.stdout is not None
        assert process.stderr is not None
        process.stdout.close()  # as `| head -0` would
        stderr = process.stderr.read().decode()
        status = process.wait(timeout=60)
    assert status in (0, 141)
    assert "Traceback" not in stderr
