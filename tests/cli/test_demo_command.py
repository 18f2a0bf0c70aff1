"""``harness demo``: plays calls through the mock server to the reference receiver, then checks it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from harness.store import DeliveryLog
from tests.receivers import REFERENCE


def test_demo_plays_calls_checks_the_receiver_and_names_the_log(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    result = subprocess.run(
        [sys.executable, "-m", "harness", "demo", "--calls", "2", "--db", str(db)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "NO_COLOR": "1"},
        timeout=180,
        check=False,
    )
    out = result.stdout
    assert result.stderr == ""
    played = re.search(r"^   (\d+) of (\d+) events delivered with a 2xx; calls: (ac_\w+), (ac_\w+)$", out, re.M)
    assert played is not None, out
    assert played[1] == played[2]
    assert int(played[2]) >= 2 * 6  # two calls of at least 4 turns each, plus start, end and analysis
    assert re.search(r"Calls API: GET /agents/calls/ac_\w+ -> status 'completed', \d+ transcript turns", out)
    failed = set(re.findall(r"^  FAIL  (\w+):", out, re.M))
    # The bundled receiver must pass everything the gallery says it passes; no check is skipped (probe given).
    assert failed == set(REFERENCE[0].expected_failures)
    assert re.search(r"^31 checks: \d+ passed, \d+ failed, 0 warnings, 0 skipped in ", out, re.M)
    assert f"delivery log: {db}" in out
    assert result.returncode == (1 if failed else 0)
    with DeliveryLog(db) as log:
        assert log.count() >= int(played[2]) + 290  # the played calls and the checks' requests


def test_demo_logs_to_harness_db_when_no_db_is_given(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "harness", "demo", "--calls", "1"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "NO_COLOR": "1", "HARNESS_DB": "env.db"},
        timeout=180,
        check=False,
    )
    assert "delivery log: env.db" in result.stdout, result.stdout + result.stderr
    assert (tmp_path / "env.db").is_file()
    assert not (tmp_path / ".harness").exists()
