"""Deliveries per second from the harness, beside wrk, to the same minimal aiohttp receiver on loopback.

Starts one receiver process (bench/_receiver.py), then, interleaved for --rounds rounds so machine load
hits every side alike:
  - wrk: ``wrk -t1 -c64`` POSTing one event body with Content-Type and X-Webhook-Secret (the baseline);
  - send: ``harness send --scenario burst --fast --quiet`` (log on) with --calls enlarged, reporting its
    own delivery rate, cross-checked against the count in its delivery log;
  - direct: Deliverer + DeliveryLog in this process posting the same body as wrk (the engine alone).
The body wrk and direct post is a ``call_turn`` taken from the burst scenario's own log.
Target: send / wrk >= 0.5. Each run stops by itself.

    .venv/bin/python bench/bench_send.py [--rounds 3] [--calls 1500] [--seconds 5] [--direct-count 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _receiver import ReceiverProcess

from harness.delivery import Deliverer, DeliverySettings
from harness.store import DeliveryLog

SECRET = "whsec_bench_0123456789"
CONCURRENCY = 64
ROOT = Path(__file__).resolve().parent.parent


def run_send(url: str, db: Path, calls: int) -> tuple[float, int]:
    """Run ``harness send``; its delivery rate (deliveries / play time) and how many the log holds."""
    command = [sys.executable, "-m", "harness", "send", "--to", url, "--secret", SECRET, "--scenario", "burst"]
    command += ["--fast", "--quiet", "--calls", str(calls), "--concurrency", str(CONCURRENCY), "--db", str(db)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=ROOT, check=False)
    match = re.search(r"^(\d+) deliveries: .* in ([\d.]+) s", result.stdout, re.MULTILINE)
    if result.returncode != 0 or match is None:
        raise SystemExit(f"harness send failed ({result.returncode}): {result.stdout}{result.stderr}")
    sent, seconds = int(match.group(1)), float(match.group(2))
    with DeliveryLog(db) as log:
        logged = log.count()
    db.unlink()
    return sent / seconds, logged - sent


async def _direct(url: str, body: bytes, db: Path, count: int) -> float:
    settings = DeliverySettings(concurrency=CONCURRENCY)
    remaining = iter(range(count))
    with DeliveryLog(db) as log:
        async with Deliverer(url, SECRET, settings=settings, recorder=log) as deliverer:

            async def worker() -> None:
                for _ in remaining:
                    await deliverer.deliver(body, event_type="call_turn")

            started = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
            log.flush()  # the log is part of the job: count it in
            elapsed = time.perf_counter() - started
        assert log.count() == count
    return count / elapsed


def run_wrk(url: str, body: bytes, seconds: int, workdir: Path) -> float:
    """wrk's requests per second, POSTing ``body`` with the webhook headers."""
    text = body.decode()
    if "]==]" in text:
        raise SystemExit("the body contains ]==], which the Lua long string cannot hold")
    script = workdir / "post.lua"
    script.write_text(
        'wrk.method = "POST"\n'
        f"wrk.body = [==[{text}]==]\n"
        'wrk.headers["Content-Type"] = "application/json"\n'
        f'wrk.headers["X-Webhook-Secret"] = "{SECRET}"\n'
    )
    command = ["wrk", "-t1", f"-c{CONCURRENCY}", f"-d{seconds}s", "-s", str(script), url]
    result = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=True)
    match = re.search(r"Requests/sec:\s+([\d.]+)", result.stdout)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", result.stdout)
    if match is None or errors is not None:
        raise SystemExit(f"wrk did not run cleanly:\n{result.stdout}{result.stderr}")
    return float(match.group(1))


def sample_body(url: str, workdir: Path) -> bytes:
    """A call_turn body from the burst scenario, exactly as harness send delivered it."""
    db = workdir / "sample.db"
    run_send(url, db.with_suffix(".warm.db"), 150)  # also warms the receiver and the bytecode caches
    command = [sys.executable, "-m", "harness", "send", "--to", url, "--secret", SECRET, "--scenario", "burst"]
    subprocess.run([*command, "--quiet", "--calls", "5", "--db", str(db)], check=True, capture_output=True, cwd=ROOT)
    with DeliveryLog(db) as log:
        [turn] = log.list_deliveries(event_type="call_turn", limit=1)
    return turn.body


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--calls", type=int, default=1500, help="calls per harness send run (burst: ~9 events each)")
    parser.add_argument("--seconds", type=int, default=5, help="duration of each wrk run")
    parser.add_argument("--direct-count", type=int, default=10_000, help="deliveries per direct run")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    wrk_rates: list[float] = []
    send_rates: list[float] = []
    direct_rates: list[float] = []
    missing_from_log = 0
    with tempfile.TemporaryDirectory() as tmp, ReceiverProcess() as url:
        workdir = Path(tmp)
        body = sample_body(url, workdir)
        for round_number in range(1, args.rounds + 1):
            wrk_rates.append(run_wrk(url, body, args.seconds, workdir))
            rate, unlogged = run_send(url, workdir / "send.db", args.calls)
            send_rates.append(rate)
            missing_from_log += max(0, -unlogged)
            direct_rates.append(asyncio.run(_direct(url, body, workdir / "direct.db", args.direct_count)))
            (workdir / "direct.db").unlink()
            print(
                f"round {round_number}: wrk {wrk_rates[-1]:.0f}/s, harness send {send_rates[-1]:.0f}/s, "
                f"Deliverer+DeliveryLog {direct_rates[-1]:.0f}/s",
                flush=True,
            )
    wrk, send, direct = (statistics.median(rates) for rates in (wrk_rates, send_rates, direct_rates))
    print(f"body: {len(body)} bytes (a call_turn of the burst scenario); concurrency {CONCURRENCY}; loopback")
    print(f"median wrk (baseline):           {wrk:8.0f} requests/s")
    print(f"median harness send (log on):    {send:8.0f} deliveries/s   ratio {send / wrk:.2f} (target >= 0.50)")
    print(f"median Deliverer + DeliveryLog:  {direct:8.0f} deliveries/s   ratio {direct / wrk:.2f}")
    print(f"deliveries missing from the log: {missing_from_log}")


if __name__ == "__main__":
    main()
