"""Locust stays out of every process but its own: it monkey-patches the standard library when imported."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from harness.load.cluster import LOCUSTFILE, child_environment, master_command, worker_command
from harness.load.settings import LoadSettings

SECRET = "whsec_Isolation_0123456789"
URL = "http://user:pa55word@127.0.0.1:8000/webhooks"

IMPORTS = """
import json, sys
import harness, harness.plugin, harness.server, harness.cli, harness.receiver, harness.serving
import harness.load.pool, harness.load.tally, harness.load.reconcile, harness.load.report
import harness.load.settings, harness.load.cluster, harness._commands.load
for name in harness.__all__:
    getattr(harness, name)  # every lazily re-exported public name
harness.cli.build_parser()  # imports every subcommand, harness load's included
print(json.dumps(sorted(name for name in ("locust", "gevent", "geventhttpclient") if name in sys.modules)))
"""


def test_the_library_server_plugin_and_cli_never_import_locust() -> None:
    result = subprocess.run([sys.executable, "-c", IMPORTS], capture_output=True, text=True, timeout=120, check=True)
    assert json.loads(result.stdout) == []


def test_this_pytest_session_runs_without_gevent() -> None:
    # Locust's own pytest11 entry point is installed with it; it must not have pulled gevent in either.
    assert "gevent" not in sys.modules
    assert "locust" not in sys.modules


def test_locust_command_lines_hold_neither_the_secret_nor_the_url(tmp_path: Path) -> None:
    settings = LoadSettings(url=URL, users=4, spawn_rate=2, run_time=5, workers=2, seed=3)
    master = master_command(
        settings, bind_host="127.0.0.1", port=5599, results=tmp_path / "r.json", stats_prefix=tmp_path / "stats"
    )
    worker = worker_command("127.0.0.1", 5599)
    for command in (master, worker):
        joined = " ".join(command)
        assert SECRET not in joined
        assert "pa55word" not in joined
        assert "127.0.0.1:8000" not in joined
        assert str(LOCUSTFILE) in command
    assert master[master.index("--expect-workers") + 1] == "2"
    assert master[master.index("--run-time") + 1] == "5s"
    assert master[master.index("--cartesia-seed") + 1] == "3"
    assert master[master.index("--cartesia-speed") + 1] == "1"
    master_env, worker_env = child_environment(url=URL), child_environment(secret=SECRET)
    assert master_env["LOCUST_HOST"] == URL
    assert worker_env["CARTESIA_WEBHOOK_SECRET"] == SECRET
    assert "LOCUST_HOST" not in worker_env  # workers learn the receiver from the master


def test_fast_runs_pass_the_fast_option_instead_of_a_speed(tmp_path: Path) -> None:
    settings = LoadSettings(url=URL, users=1, spawn_rate=1, run_time=1, speed=None)
    master = master_command(
        settings, bind_host="127.0.0.1", port=5599, results=tmp_path / "r.json", stats_prefix=tmp_path / "stats"
    )
    assert "--cartesia-fast" in master
    assert "--cartesia-speed" not in master
