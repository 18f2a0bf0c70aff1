"""Deliveries per second from the harness, beside wrk, on loopback: the CLI, the server, the engine and its log.

Starts two receiver processes (bench/_receiver.py): the minimal aiohttp receiver (read the body, answer 200)
and a raw asyncio protocol answering a fixed 200 (a receiver that is not the bottleneck). Then, interleaved
for --rounds rounds so machine load hits every side alike:

  - wrk: ``wrk -t1 -c64`` POSTing one event body with Content-Type and X-Webhook-Secret, to each receiver
    (the baselines);
  - send: ``harness send --scenario burst --fast --quiet`` (log on) with --calls enlarged, on each event
    loop ($HARNESS_LOOP=asyncio and uvloop), to each receiver; its own delivery rate, cross-checked
    against the count in its delivery log;
  - serve: ``harness serve`` on each loop, given the burst scenario through its control API; deliveries
    in its log over the span of their attempts (aiohttp receiver);
  - direct: Deliverer in this process posting wrk's body to the raw receiver with no log, with the log
    recording outcomes only, and with the write-ahead log (intent, then outcome), on each loop: what
    the log and its intents cost, as rates and as CPU time per delivery (``time.process_time``, both
    threads; far steadier than rates on a loaded machine).

The body is a ``call_turn`` taken from the burst scenario's own log. Target: send (default loop, log on)
/ wrk >= 0.8 on the aiohttp receiver. Each run stops by itself.

    .venv/bin/python bench/bench_send.py [--rounds 5] [--calls 1500] [--seconds 5] [--direct-count 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from _receiver import ReceiverProcess
from _samples import median_call_turn
from _wrk import run_wrk

from harness.delivery import Attempt, Deliverer, Delivery, DeliverySettings
from harness.store import DeliveryLog

SECRET = "whsec_bench_0123456789"
CONCURRENCY = 64
ROOT = Path(__file__).resolve().parent.parent
LOOPS = ("asyncio", "uvloop")


def run_send(url: str, db: Path, calls: int, loop: str = "uvloop") -> tuple[float, int]:
    """Run ``harness send`` on ``loop``; its delivery rate (deliveries / play time) and how many the log lacks."""
    command = [sys.executable, "-m", "harness", "send", "--to", url, "--secret", SECRET, "--scenario", "burst"]
    command += ["--fast", "--quiet", "--calls", str(calls), "--concurrency", str(CONCURRENCY), "--db", str(db)]
    environment = {**os.environ, "HARNESS_LOOP": loop}
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=ROOT, env=environment)
    match = re.search(r"^(\d+) deliveries: .* in ([\d.]+) s", result.stdout, re.MULTILINE)
    if result.returncode != 0 or match is None:
        raise SystemExit(f"harness send failed ({result.returncode}): {result.stdout}{result.stderr}")
    sent, seconds = int(match.group(1)), float(match.group(2))
    with DeliveryLog(db) as log:
        logged = log.count()
    _remove_log(db)
    return sent / seconds, max(0, sent - logged)


def run_serve(url: str, db: Path, calls: int, loop: str) -> float:
    """``harness serve`` on ``loop`` playing the burst scenario; its delivery rate.

    The rate is the log's deliveries over the span from the first attempt's start to the last one's end (as
    harness send reports play time): the server plans the calls before the first delivery goes out.
    """
    command = [sys.executable, "-m", "harness", "serve", "--port", "0", "--to", url, "--secret", SECRET]
    command += ["--db", str(db), "--concurrency", str(CONCURRENCY)]
    environment = {**os.environ, "HARNESS_LOOP": loop}
    with subprocess.Popen(command, cwd=ROOT, env=environment, stdout=subprocess.PIPE, text=True) as server:
        assert server.stdout is not None
        match = re.search(r"http://127\.0\.0\.1:\d+", server.stdout.readline())
        if match is None:
            server.kill()
            raise SystemExit("harness serve did not start")
        base = match.group(0)
        request = urllib.request.Request(
            f"{base}/_harness/calls",
            data=json.dumps({"scenario": "burst", "calls": calls}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as answer:
            answer.read()
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            with urllib.request.urlopen(f"{base}/_harness/health", timeout=60) as answer:
                if json.loads(answer.read())["calls_in_progress"] == 0:
                    break
            time.sleep(0.05)  # poll pacing; the rate comes from the log's timestamps, not from this loop
        server.terminate()
        server.wait(timeout=60)
    connection = sqlite3.connect(db)
    try:
        delivered, first, last = connection.execute(
            "SELECT count(*), min(started_at), max(started_at + latency) FROM attempts"
        ).fetchone()
    finally:
        connection.close()
    _remove_log(db)
    return float(delivered) / float(last - first)


class _OutcomesOnly:
    """The log without its write-ahead: records outcomes, no intents (to measure what intents cost)."""

    def __init__(self, log: DeliveryLog) -> None:
        self.log = log

    def record_attempt(self, delivery: Delivery, attempt: Attempt) -> None:
        self.log.record_attempt(delivery, attempt)


async def _direct(url: str, body: bytes, db: Path, count: int, mode: str) -> tuple[float, float]:
    """Deliveries per second and CPU microseconds per delivery of the engine alone.

    ``mode``: none (no log), outcomes (the log without intents) or write-ahead (the log as the CLI uses it).
    """
    settings = DeliverySettings(concurrency=CONCURRENCY)
    remaining = iter(range(count))
    with DeliveryLog(db) as log:
        recorder = None if mode == "none" else log if mode == "write-ahead" else _OutcomesOnly(log)
        async with Deliverer(url, SECRET, settings=settings, recorder=recorder) as deliverer:

            async def worker() -> None:
                for _ in remaining:
                    await deliverer.deliver(body, event_type="call_turn")

            started, cpu = time.perf_counter(), time.process_time()
            await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
            log.flush()  # the log is part of the job: count it in
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        assert log.count() == (0 if mode == "none" else count)
    _remove_log(db)
    return count / elapsed, cpu / count * 1e6


def run_direct(url: str, body: bytes, db: Path, count: int, mode: str, loop: str) -> tuple[float, float]:
    if loop == "uvloop":
        import uvloop

        return uvloop.run(_direct(url, body, db, count, mode))
    return asyncio.run(_direct(url, body, db, count, mode))


def sample_body(url: str, workdir: Path) -> bytes:
    """The body wrk and the direct runs post (after warming the receiver and the bytecode caches)."""
    run_send(url, workdir / "warm.db", 150)
    return median_call_turn(url, SECRET, workdir)


def _remove_log(db: Path) -> None:
    for path in db.parent.glob(db.name + "*"):  # the log and its -wal and -shm files
        path.unlink()


def _load() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=1500, help="calls per harness send run (burst: ~9 events each)")
    parser.add_argument("--seconds", type=int, default=5, help="duration of each wrk run")
    parser.add_argument("--direct-count", type=int, default=10_000, help="deliveries per direct run")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    rates: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}
    missing_from_log: list[int] = []
    print(f"load average at the start: {_load()}", flush=True)
    with tempfile.TemporaryDirectory() as tmp, ReceiverProcess("aiohttp") as minimal, ReceiverProcess("raw") as raw:
        workdir = Path(tmp)
        body = sample_body(minimal, workdir)

        def wrk(url: str) -> float:
            return run_wrk(url, body, secret=SECRET, seconds=args.seconds, connections=CONCURRENCY, workdir=workdir)

        sides: list[tuple[str, Callable[[], float]]] = [
            ("wrk -> aiohttp", lambda: wrk(minimal)),
            ("wrk -> raw", lambda: wrk(raw)),
        ]
        for loop in LOOPS:
            for mode in ("none", "outcomes", "write-ahead"):
                name = f"direct {loop}, {'no log' if mode == 'none' else mode} -> raw"
                sides.append((name, _direct_side(raw, body, workdir, args.direct_count, mode, loop, cpu, name)))
            for name, url in (("aiohttp", minimal), ("raw", raw)):
                sides.append((f"send {loop} -> {name}", _sender(url, workdir, args.calls, loop, missing_from_log)))
            sides.append((f"serve {loop} -> aiohttp", _server(minimal, workdir, args.calls, loop)))
        for round_number in range(1, args.rounds + 1):
            for name, side in sides:
                rates.setdefault(name, []).append(side())
            figures = ", ".join(f"{name} {values[-1]:.0f}/s" for name, values in rates.items())
            print(f"round {round_number} (load {_load()}): {figures}", flush=True)
    medians = {name: statistics.median(values) for name, values in rates.items()}
    print(f"load average at the end: {_load()}")
    print(f"body: {len(body)} bytes (a call_turn of the burst scenario); concurrency {CONCURRENCY}; loopback")
    for name, median in medians.items():
        baseline = medians["wrk -> raw" if name.endswith("-> raw") else "wrk -> aiohttp"]
        spread = f"{min(rates[name]):.0f} - {max(rates[name]):.0f}"
        print(f"median {name:32} {median:8.0f}/s  (rounds {spread})  ratio to wrk {median / baseline:.2f}")
    for name, values in cpu.items():
        print(f"CPU per delivery, {name:32} {statistics.median(values):6.1f} us (median)")
    print(f"deliveries harness send reported but its log lacks: {sum(missing_from_log)}")


def _sender(url: str, workdir: Path, calls: int, loop: str, missing: list[int]) -> Callable[[], float]:
    def side() -> float:
        rate, unlogged = run_send(url, workdir / "s.db", calls, loop)
        missing.append(unlogged)
        return rate

    return side


def _direct_side(
    url: str, body: bytes, workdir: Path, count: int, mode: str, loop: str, cpu: dict[str, list[float]], name: str
) -> Callable[[], float]:
    def side() -> float:
        rate, cpu_us = run_direct(url, body, workdir / "d.db", count, mode, loop)
        cpu.setdefault(name, []).append(cpu_us)
        return rate

    return side


def _server(url: str, workdir: Path, calls: int, loop: str) -> Callable[[], float]:
    return lambda: run_serve(url, workdir / "v.db", calls, loop)


if __name__ == "__main__":
    main()
