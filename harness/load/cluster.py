"""Run Locust as subprocesses: a headless master and its workers, with the harness's locustfile.

Locust runs in its own processes because importing it monkey-patches the standard library (gevent).
Secrets never go on a command line, where ``ps`` shows them: the webhook secret travels in
``CARTESIA_WEBHOOK_SECRET`` and the receiver's URL (which may hold a password) in ``LOCUST_HOST``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from harness._environment import SECRET_ENV
from harness._net import bind_socket
from harness.errors import HarnessError
from harness.load.settings import LoadSettings
from harness.load.tally import LoadTally

__all__ = [
    "INSTALL_HINT",
    "LOCUSTFILE",
    "LoadError",
    "LocalCluster",
    "Results",
    "locust_installed",
    "master_command",
    "read_results",
    "worker_command",
]

LOCUSTFILE = Path(__file__).resolve().parent.parent / "_locustfiles" / "cartesia_calls.py"
INSTALL_HINT = "pip install 'cartesia-webhook-harness[load]'"
# How long a master waits for its workers to connect: local ones start in seconds; remote ones are started by hand.
LOCAL_WORKERS_WAIT = 60
REMOTE_WORKERS_WAIT = 600
# After the run time: the workers' last batches (30 s at most), then Locust's own shutdown.
SHUTDOWN_GRACE = 90.0
# Seconds between progress lines from the master.
PROGRESS_INTERVAL = 2.0
# The master's results hold every acknowledged event of up to MAX_RECONCILED_CALLS calls (~70 bytes each).
MAX_RESULTS_BYTES = 512 * 1024 * 1024


class LoadError(HarnessError):
    """Locust could not run the load (not installed, a process failed, no results)."""


def locust_installed() -> bool:
    """True when Locust can be imported; finds it without importing it (importing it patches this process)."""
    return importlib.util.find_spec("locust") is not None


def master_command(
    settings: LoadSettings,
    *,
    bind_host: str,
    port: int,
    results: Path,
    stats_prefix: Path,
    csv_prefix: str | None = None,
    progress: float = PROGRESS_INTERVAL,
) -> list[str]:
    """The headless master's command line: no URL (it goes in the environment) and no secret (only workers have it).

    Locust keeps its own statistics in ``<stats_prefix>.json``, which also keeps them off the terminal.
    """
    wait = REMOTE_WORKERS_WAIT if settings.remote_workers else LOCAL_WORKERS_WAIT
    command = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--master", "--headless", "--only-summary"]
    command += ["--master-bind-host", bind_host, "--master-bind-port", str(port)]
    command += ["--expect-workers", str(settings.workers), "--expect-workers-max-wait", str(wait)]
    command += ["--users", str(settings.users), "--spawn-rate", f"{settings.spawn_rate:g}"]
    command += ["--run-time", f"{settings.run_time}s", "--loglevel", "WARNING", "--json-file", str(stats_prefix)]
    command += ["--cartesia-results", str(results), "--cartesia-progress", f"{progress:g}"]
    command += ["--cartesia-seed", str(settings.seed), "--cartesia-pool", str(settings.pool)]
    command += ["--cartesia-duplicates", f"{settings.duplicates:g}", "--cartesia-timeout", f"{settings.timeout:g}"]
    command += ["--cartesia-fast"] if settings.speed is None else ["--cartesia-speed", f"{settings.speed:g}"]
    if csv_prefix:
        command += ["--csv", csv_prefix]
    return command


def worker_command(master_host: str, master_port: int) -> list[str]:
    """A worker's command line; it learns the receiver and every option from the master."""
    command = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--worker"]
    return [*command, "--master-host", master_host, "--master-port", str(master_port), "--loglevel", "WARNING"]


def child_environment(*, secret: str | None = None, url: str | None = None) -> dict[str, str]:
    """This process's environment plus the secret (for workers, which send) or the receiver's URL (for a master)."""
    env = dict(os.environ)
    if secret is not None:
        env[SECRET_ENV] = secret
    if url is not None:
        env["LOCUST_HOST"] = url
    return env


@dataclass(frozen=True)
class Results:
    """What the master wrote: the merged tally of every worker."""

    tally: LoadTally


def read_results(path: Path) -> Results:
    """Read the master's results file; LoadError when it is missing, too large or not in the expected shape."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise LoadError("the Locust master wrote no results (see its messages above)") from None
    if size > MAX_RESULTS_BYTES:
        raise LoadError(f"{path}: {size} bytes of results, more than the {MAX_RESULTS_BYTES} bytes read at most")
    try:
        data: Any = json.loads(path.read_bytes())
        if not isinstance(data, dict) or data.get("format") != 1:
            raise ValueError("not a results file of format 1")
        return Results(LoadTally.from_json(data["tally"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise LoadError(f"{path}: the master's results cannot be read ({type(exc).__name__}: {exc})") from exc


def free_port(host: str) -> int:
    """A TCP port free on ``host`` right now, for the master to bind (Locust takes a number, not a socket)."""
    sock = bind_socket(host, 0)
    try:
        port: int = sock.getsockname()[1]
        return port
    finally:
        sock.close()


class LocalCluster:
    """A master and ``local_workers`` workers as child processes; ``with LocalCluster(...) as cluster: cluster.wait()``.

    The children get their own session, so a Ctrl-C in the terminal reaches only this process, which then
    stops the master with SIGTERM: Locust's shutdown still collects every worker's last report.
    """

    def __init__(
        self,
        master: Sequence[str],
        workers: Sequence[Sequence[str]],
        *,
        master_env: dict[str, str],
        worker_env: dict[str, str],
        cwd: Path,
    ) -> None:
        self._commands = (list(master), [list(worker) for worker in workers])
        self._envs = (master_env, worker_env)
        self._cwd = cwd
        self.master: subprocess.Popen[bytes] | None = None
        self.workers: list[subprocess.Popen[bytes]] = []

    def __enter__(self) -> LocalCluster:
        master_command, worker_commands = self._commands
        self.master = subprocess.Popen(master_command, env=self._envs[0], cwd=self._cwd, start_new_session=True)
        for command in worker_commands:
            self.workers.append(subprocess.Popen(command, env=self._envs[1], cwd=self._cwd, start_new_session=True))
        return self

    def wait(self, seconds: float) -> int:
        """Wait for the master to finish (at most ``seconds``); LoadError when a worker or the master fails."""
        assert self.master is not None
        deadline = time.monotonic() + seconds
        while True:
            try:
                return self.master.wait(timeout=0.2)
            except subprocess.TimeoutExpired:
                pass
            for index, worker in enumerate(self.workers):
                code = worker.poll()
                if code is not None and code != 0:
                    raise LoadError(f"Locust worker {index} exited with status {code} (see its messages above)")
            if time.monotonic() > deadline:
                raise LoadError(f"the Locust master did not finish within {seconds:.0f} s; stopped it")

    def interrupt(self) -> None:
        """Ask the master to stop early; it still gathers every worker's last report and writes the results."""
        if self.master is not None and self.master.poll() is None:
            self.master.send_signal(signal.SIGTERM)

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        # The master quits its workers when it ends; anything still running after a grace period is stopped.
        processes = [p for p in [self.master, *self.workers] if p is not None]
        deadline = time.monotonic() + (SHUTDOWN_GRACE if exc_type is KeyboardInterrupt else 15.0)
        if exc_type is not None and exc_type is not KeyboardInterrupt:
            deadline = time.monotonic()
        for process in processes:
            try:
                process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
