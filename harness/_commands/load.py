"""``harness load``: whole simulated calls from Locust's master and workers, then a report and a reconciliation."""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import signal
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

import aiohttp

from harness._console import color_enabled
from harness._environment import SECRET_ENV, require_webhook_secret
from harness._net import require_http_url, require_reachable
from harness.checks.probe import Probe
from harness.errors import ConfigError
from harness.load.cluster import (
    INSTALL_HINT,
    SHUTDOWN_GRACE,
    LocalCluster,
    child_environment,
    free_port,
    locust_installed,
    master_command,
    read_results,
    worker_command,
)
from harness.load.reconcile import Reconciliation, reconcile
from harness.load.report import LoadReport, display_url
from harness.load.settings import BOUNDS, LoadSettings, parse_duration
from harness.load.tally import LoadTally

HELP = "load a receiver with whole simulated calls through Locust, then reconcile with its state probe"
DEFAULT_MASTER_PORT = 5557
# Startup of the master and local workers (imports, pool generation) before the run time starts.
STARTUP_BUDGET = 120.0


def _bound(name: str) -> str:
    low, high, unit = BOUNDS[name]
    return f"{low:g}-{high:g} {unit}"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("url", nargs="?", metavar="URL", help="the receiver's webhook URL (not with --worker)")
    parser.add_argument("--secret", help=f"webhook secret sent in X-Webhook-Secret (default: ${SECRET_ENV})")
    parser.add_argument("--probe", metavar="URL", help="the receiver's state probe: reconcile what it acted on")
    parser.add_argument("--users", type=int, default=10, help=f"concurrent calls (default 10; {_bound('users')})")
    parser.add_argument(
        "--spawn-rate", type=float, default=10.0, help=f"users started per second (default 10; {_bound('spawn_rate')})"
    )
    parser.add_argument("--run-time", default="30s", help="how long to load: 30s, 5m, 1h30m (default 30s; max 24h)")
    parser.add_argument(
        "--workers", type=int, default=1, help=f"worker processes here, with --master remote ones ({_bound('workers')})"
    )
    parser.add_argument(
        "--speed", type=float, default=1.0, help=f"play calls X times faster than spoken (default 1; {_bound('speed')})"
    )
    parser.add_argument("--fast", action="store_true", help="no pacing: each event as soon as the last was answered")
    parser.add_argument(
        "--duplicates", type=float, default=0.0, help="share of calls sent twice, as a redelivery (default 0; 0-1)"
    )
    parser.add_argument("--pool", type=int, default=100, help=f"calls made per worker (default 100; {_bound('pool')})")
    parser.add_argument("--seed", type=int, help="seed of the calls (default: a new one each run, shown in the report)")
    parser.add_argument(
        "--timeout", type=float, default=10.0, help=f"request timeout (default 10; {_bound('timeout')})"
    )
    parser.add_argument(
        "--max-fail-ratio", type=float, default=0.0, help="share of failed requests still passing (default 0; 0-1)"
    )
    parser.add_argument(
        "--settle", type=float, default=10.0, help=f"time for the probe to catch up (default 10; {_bound('settle')})"
    )
    parser.add_argument("--report-json", metavar="PATH", help="also write the report as JSON")
    parser.add_argument("--locust-csv", metavar="PREFIX", help="also write Locust's CSV statistics (PREFIX_stats.csv)")
    roles = parser.add_argument_group("more machines")
    roles.add_argument("--master", action="store_true", help="run only the master; wait for --workers remote workers")
    roles.add_argument(
        "--master-bind-host", default="127.0.0.1", help="with --master: address workers connect to (default 127.0.0.1)"
    )
    roles.add_argument("--worker", action="store_true", help="run only a worker for a master on --master-host")
    roles.add_argument("--master-host", help="with --worker: the master's address")
    roles.add_argument(
        "--master-port", type=int, help=f"with --master or --worker: the master's port (default {DEFAULT_MASTER_PORT})"
    )


def run(args: argparse.Namespace) -> int:
    if not locust_installed():
        raise ConfigError(f"harness load needs Locust, which is not installed: {INSTALL_HINT}")
    secret = require_webhook_secret(args.secret)
    if args.worker:
        return _run_worker(args, secret)
    if args.master_host:
        raise ConfigError("--master-host is for --worker; a master binds --master-bind-host")
    if not args.url:
        raise ConfigError("no receiver: pass its webhook URL, e.g. harness load http://127.0.0.1:8000/webhooks")
    require_http_url(args.url, "URL")
    if args.probe:
        require_http_url(args.probe, "--probe")
    if args.fast and args.speed != 1.0:
        raise ConfigError("--fast and --speed contradict each other: pass one")
    settings = LoadSettings(
        url=args.url,
        users=args.users,
        spawn_rate=args.spawn_rate,
        run_time=parse_duration(args.run_time),
        workers=args.workers,
        speed=None if args.fast else args.speed,
        pool=args.pool,
        duplicates=args.duplicates,
        seed=args.seed if args.seed is not None else secrets.randbits(31),
        timeout=args.timeout,
        max_fail_ratio=args.max_fail_ratio,
        settle=args.settle,
        remote_workers=args.master,
    )
    settings.check()
    for flag, output in (("--report-json", args.report_json), ("--locust-csv", args.locust_csv)):
        if output:  # checked now, not after the whole run
            _check_output(Path(output), flag)
    port = args.master_port if args.master_port is not None else (DEFAULT_MASTER_PORT if args.master else None)
    if port is not None and not 1 <= port <= 65535:
        raise ConfigError(f"--master-port {port}: expected a port from 1 to 65535")
    asyncio.run(_preflight(settings, args.probe))

    with tempfile.TemporaryDirectory(prefix="harness-load-") as folder:
        workdir = Path(folder)
        tally, interrupted = _run_cluster(settings, secret, workdir, args, port)
    reconciliation = asyncio.run(_reconcile(tally, args.probe, settings.settle)) if args.probe else None
    report = LoadReport(settings, tally, reconciliation, probe_url=args.probe, interrupted=interrupted)
    print(report.render(color=color_enabled(sys.stdout)))
    if args.report_json:
        _write_json(Path(args.report_json), report)
    return report.exit_code


def _run_cluster(
    settings: LoadSettings, secret: str, workdir: Path, args: argparse.Namespace, port: int | None
) -> tuple[LoadTally, bool]:
    bind_host = args.master_bind_host if args.master else "127.0.0.1"
    port = port if port is not None else free_port(bind_host)
    results = workdir / "results.json"
    master = master_command(
        settings,
        bind_host=bind_host,
        port=port,
        results=results,
        stats_prefix=workdir / "locust-stats",  # Locust writes locust-stats.json
        csv_prefix=str(Path(args.locust_csv).resolve()) if args.locust_csv else None,
    )
    local_workers = [] if args.master else [worker_command("127.0.0.1", port)] * settings.workers
    where = f"waiting for {settings.workers} workers on {bind_host}:{port}" if args.master else "starting"
    print(f"harness load: {where}; {display_url(settings.url)} for {settings.run_time} s", flush=True)
    interrupted = False
    budget = STARTUP_BUDGET + settings.run_time + SHUTDOWN_GRACE
    if args.master:
        budget += 600  # remote workers are started by hand
    with (
        _interrupt_on_sigterm(),
        LocalCluster(
            master,
            local_workers,
            master_env=child_environment(url=settings.url),
            worker_env=child_environment(secret=secret),
            cwd=workdir,
        ) as cluster,
    ):
        try:
            cluster.wait(budget)
        except KeyboardInterrupt:
            interrupted = True
            print("harness load: interrupted; collecting what the workers sent so far", file=sys.stderr, flush=True)
            cluster.interrupt()
            cluster.wait(SHUTDOWN_GRACE)
    return read_results(results).tally, interrupted


def _run_worker(args: argparse.Namespace, secret: str) -> int:
    if not args.master_host:
        raise ConfigError("--worker needs --master-host, the address of the machine running harness load --master")
    if args.url:
        raise ConfigError("a --worker takes the receiver's URL from its master: leave out the URL")
    port = args.master_port if args.master_port is not None else DEFAULT_MASTER_PORT
    if not 1 <= port <= 65535:
        raise ConfigError(f"--master-port {port}: expected a port from 1 to 65535")
    print(f"harness load: worker for the master at {args.master_host}:{port}", flush=True)
    with _interrupt_on_sigterm(), tempfile.TemporaryDirectory(prefix="harness-load-") as folder:
        cluster = LocalCluster(
            worker_command(args.master_host, port),
            [],
            master_env=child_environment(secret=secret),
            worker_env={},
            cwd=Path(folder),
        )
        with cluster:
            try:
                return cluster.wait(float("inf"))
            except KeyboardInterrupt:
                cluster.interrupt()
                return 130


@contextmanager
def _interrupt_on_sigterm() -> Iterator[None]:
    """SIGTERM stops a run as Ctrl-C does: the master still collects every worker's last report."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


async def _preflight(settings: LoadSettings, probe_url: str | None) -> None:
    """Fail fast (exit 2) when the receiver does not listen or the probe cannot be read."""
    await require_reachable(settings.url, settings.timeout, fix="pass the right URL")
    if probe_url:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=settings.timeout)) as session:
            await Probe(probe_url, session).entries()


async def _reconcile(tally: LoadTally, probe_url: str, settle: float) -> Reconciliation:
    acked = {key for key, count in tally.acked_events.items() if count > 0}

    def all_acted_on(entries: list[dict[str, object]]) -> bool:
        seen = {(str(e.get("call_id")), str(e.get("type")), str(e.get("timestamp"))) for e in entries}
        return acked <= seen

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        probe = Probe(probe_url, session)
        # A receiver may acknowledge first and act later: poll until every acknowledged event shows up,
        # the entries stop changing for a second, or --settle seconds pass.
        entries = await probe.wait(tally.call_ids, until=all_acted_on, quiet=1.0, deadline=settle)
    return reconcile(tally.acked_events, entries, tally.call_ids)


def _check_output(path: Path, flag: str) -> None:
    if path.is_dir():
        raise ConfigError(f"{flag} {path}: is a folder; pass a file path in it")
    if not path.parent.is_dir():
        raise ConfigError(f"{flag} {path}: there is no folder {path.parent}; create it or pass another path")


def _write_json(path: Path, report: LoadReport) -> None:
    try:
        path.write_text(json.dumps(report.to_json(), indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"--report-json {path}: cannot write it ({exc.strerror})") from exc
