"""`harness load` end to end: real Locust masters and workers on loopback against real receivers.

Each run is a few seconds of load (`--run-time 2s`, a small pool, fast pacing) to a receiver served in
this process; the report is read back from `--report-json`.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
from pathlib import Path
from typing import Any

from harness.receiver import create_app
from harness.serving import AppServer
from tests.receivers._ledger import PROBE_PATH, WEBHOOK_PATH
from tests.receivers.aiohttp_receivers import NotIdempotent, SlowOnCallEnd
from tests.receivers.load_receivers import NotifyDropsLargeEvents

SECRET = "whsec_Load_0123456789abcdef"
# A few seconds of load, small pools, no pacing: bounded in time and count.
SHORT = ("--run-time", "2s", "--fast", "--pool", "15", "--spawn-rate", "50", "--seed", "11", "--settle", "5")
END_EVENTS = {"call_completed", "call_failed"}
# Startup, the run and the shutdown of Locust's processes on a busy machine stay well under this.
RUN_TIMEOUT = 240


async def run_harness(*args: str) -> tuple[int, str]:
    """Run ``harness`` with the secret in the environment; its exit code and everything it and Locust printed."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "harness",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env={**os.environ, "CARTESIA_WEBHOOK_SECRET": SECRET, "NO_COLOR": "1"},
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=RUN_TIMEOUT)
    assert process.returncode is not None
    return process.returncode, output.decode()


async def load(url: str, probe: str, report: Path, *extra: str) -> tuple[int, str, dict[str, Any]]:
    code, output = await run_harness("load", url, "--probe", probe, "--report-json", str(report), *SHORT, *extra)
    return code, output, read_report(report, output)


def read_report(path: Path, output: str) -> dict[str, Any]:
    assert path.exists(), output
    report: dict[str, Any] = json.loads(path.read_text())
    return report


def assert_secret_never_shown(output: str, report: Path) -> None:
    assert SECRET not in output
    assert SECRET not in report.read_text()


async def test_reference_receiver_two_workers_nothing_lost_or_duplicated(tmp_path: Path) -> None:
    report_path = tmp_path / "report.json"
    async with AppServer(create_app(SECRET)) as server:
        code, output, report = await load(
            server.url + "/webhooks",
            server.url + "/_harness/processed",
            report_path,
            *("--workers", "2", "--users", "4", "--duplicates", "0.3", "--locust-csv", str(tmp_path / "locust")),
        )
    assert code == 0, output
    assert report["passed"] is True
    workers = report["workers"].values()
    assert len(workers) == 2
    assert sorted(worker["index"] for worker in workers) == [0, 1]
    assert all(worker["final_report"] and worker["acknowledged"] > 0 for worker in workers)
    assert report["acknowledged"] == report["sent"] == sum(worker["sent"] for worker in workers) > 0
    assert report["failed"] == 0
    assert report["calls_replayed"] > 0  # re-sent calls, which an idempotent receiver acts on once
    reconciliation = report["reconciliation"]
    assert reconciliation["lost"] == {}
    assert reconciliation["duplicated"] == {}
    # Every event type was sent under its own name, with latency percentiles in order.
    assert {"call_started", "call_turn", "post_call_analysis"} <= set(report["by_type"])
    for entry in report["by_type"].values():
        latency = entry["latency_s"]
        assert 0 < latency["p50"] <= latency["p95"] <= latency["p99"]
    assert "PASSED" in output
    assert_secret_never_shown(output, report_path)
    # Locust's own statistics, kept on request: a row per event type, and no secret.
    rows = {line.split(",")[1].strip('"') for line in (tmp_path / "locust_stats.csv").read_text().splitlines()[1:]}
    assert set(report["by_type"]) <= rows
    assert SECRET not in (tmp_path / "locust_stats.csv").read_text()


async def test_acknowledged_but_dropped_events_are_named_and_fail_the_run(tmp_path: Path) -> None:
    receiver = NotifyDropsLargeEvents(SECRET)
    report_path = tmp_path / "report.json"
    async with AppServer(receiver.app()) as server:
        code, output, report = await load(
            server.url + WEBHOOK_PATH, server.url + PROBE_PATH, report_path, "--workers", "2", "--users", "4"
        )
    assert code == 1, output
    lost = report["reconciliation"]["lost"]
    assert lost, output
    assert set(lost) <= END_EVENTS  # only end events carry whole transcripts past the NOTIFY limit
    named = {(e["type"], e["call_id"], e["timestamp"]) for entry in lost.values() for e in entry["examples"]}
    assert named <= receiver.dropped
    assert 0 < sum(entry["count"] for entry in lost.values()) <= len(receiver.dropped)
    assert report["reconciliation"]["duplicated"] == {}
    assert "acknowledged events were never acted on (lost)" in output
    assert any(f"{call} @ {stamp}" in output for _, call, stamp in named)  # the terminal names a few


async def test_master_and_a_separately_started_worker_find_a_non_idempotent_receiver(tmp_path: Path) -> None:
    receiver = NotIdempotent(SECRET)
    report_path = tmp_path / "report.json"
    port = _free_port()
    async with AppServer(receiver.app()) as server:
        master = asyncio.create_task(
            load(
                server.url + WEBHOOK_PATH,
                server.url + PROBE_PATH,
                report_path,
                *("--master", "--workers", "1", "--master-port", str(port), "--users", "3", "--duplicates", "0.5"),
            )
        )
        worker_code, worker_output = await run_harness(
            "load", "--worker", "--master-host", "127.0.0.1", "--master-port", str(port)
        )
        code, output, report = await master
    assert worker_code == 0, worker_output
    assert code == 1, output
    duplicated = report["reconciliation"]["duplicated"]
    assert duplicated, output
    examples = [e for entry in duplicated.values() for e in entry["examples"]]
    assert all(e["times"] >= 2 for e in examples)
    assert report["calls_replayed"] > 0
    assert report["reconciliation"]["lost"] == {}
    assert len(report["workers"]) == 1
    assert "events were acted on more than once" in output
    assert SECRET not in worker_output


async def test_timeouts_are_counted_by_kind_and_fail_the_run(tmp_path: Path) -> None:
    report_path = tmp_path / "report.json"
    async with AppServer(SlowOnCallEnd(SECRET).app()) as server:
        code, output, report = await load(
            server.url + WEBHOOK_PATH, server.url + PROBE_PATH, report_path, "--users", "3", "--timeout", "0.5"
        )
    assert code == 1, output
    assert set(report["failures"]) == {"timeout"}
    assert report["failures"]["timeout"] > 0
    assert set(report["by_type"]["call_completed"]["failed"]) == {"timeout"}
    assert report["by_type"]["call_started"]["failed"] == {}
    assert any("more than --max-fail-ratio 0" in problem for problem in report["problems"])
    assert "failed by kind: timeout:" in output


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def test_sigterm_stops_early_and_still_reports_every_worker(tmp_path: Path) -> None:
    report_path = tmp_path / "report.json"
    async with AppServer(create_app(SECRET)) as server:
        process = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "harness", "load", server.url + "/webhooks"),
            *("--probe", server.url + "/_harness/processed", "--report-json", str(report_path)),
            *("--workers", "2", "--users", "2", "--run-time", "10m", "--fast", "--pool", "5"),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            env={**os.environ, "CARTESIA_WEBHOOK_SECRET": SECRET, "NO_COLOR": "1"},
        )
        assert process.stdout is not None
        seen: list[bytes] = []
        async with asyncio.timeout(RUN_TIMEOUT):
            # The first progress line: both workers are running and sending.
            while not (line := await process.stdout.readline()).startswith(b"[") and line:
                seen.append(line)
            assert line, b"".join(seen).decode()
            process.terminate()
            rest, _ = await process.communicate()
    output = b"".join([*seen, line, rest]).decode()
    assert process.returncode == 130, output
    report = read_report(report_path, output)
    assert report["interrupted"] is True
    assert report["settings"]["run_time_s"] == 600
    assert report["elapsed_s"] < 600
    assert len(report["workers"]) == 2
    assert all(worker["final_report"] for worker in report["workers"].values())
    assert report["reconciliation"]["lost"] == {}
    assert "INTERRUPTED" in output
