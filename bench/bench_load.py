"""Events per second through Locust (`harness load`), beside `harness send` and wrk, to one minimal receiver.

Starts one receiver process (bench/_receiver.py), then, interleaved for --rounds rounds so machine load
hits every side alike, all with --users connections / requests in flight:
  - wrk: ``wrk -t1 -c<users>`` POSTing one call_turn body with the webhook headers (the baseline);
  - send: ``harness send --scenario burst --fast --quiet --concurrency <users>`` (log on), its own rate;
  - load x1: ``harness load --fast --workers 1 --users <users>``: events sent / the master's run time;
  - load x2: the same with ``--workers 2`` (the users split between them).
Every run must end with no failed request. Prints the medians, the ratios to wrk, the growth from one to
two workers, and the load average before and after. Each run stops by itself.

    .venv/bin/python bench/bench_load.py [--rounds 3] [--seconds 10] [--users 32] [--calls 1500]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from _receiver import ReceiverProcess
from _samples import median_call_turn
from _wrk import run_wrk

SECRET = "whsec_bench_0123456789"
ROOT = Path(__file__).resolve().parent.parent


def run_load(url: str, workers: int, users: int, seconds: int, workdir: Path) -> float:
    """``harness load`` with no pacing; events sent per second of the master's run time."""
    report = workdir / "load.json"
    command = [sys.executable, "-m", "harness", "load", url, "--fast", "--workers", str(workers)]
    command += ["--users", str(users), "--spawn-rate", str(users), "--run-time", f"{seconds}s", "--pool", "50"]
    command += ["--report-json", str(report)]
    env = {**os.environ, "CARTESIA_WEBHOOK_SECRET": SECRET, "NO_COLOR": "1"}
    result = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 300, env=env, cwd=ROOT)
    if result.returncode != 0 or not report.exists():
        raise SystemExit(f"harness load failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    data = json.loads(report.read_text())
    report.unlink()
    if data["failed"] or len(data["workers"]) != workers:
        raise SystemExit(f"harness load did not run cleanly: {data['failures']}, workers {list(data['workers'])}")
    return float(data["events_per_second"])


def run_send(url: str, db: Path, calls: int, concurrency: int) -> float:
    """``harness send``'s own delivery rate (deliveries / play time)."""
    command = [sys.executable, "-m", "harness", "send", "--to", url, "--secret", SECRET, "--scenario", "burst"]
    command += ["--fast", "--quiet", "--calls", str(calls), "--concurrency", str(concurrency), "--db", str(db)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=ROOT, check=False)
    match = re.search(r"^(\d+) deliveries: \d+ ok, 0 failed.* in ([\d.]+) s", result.stdout, re.MULTILINE)
    if result.returncode != 0 or match is None:
        raise SystemExit(f"harness send failed ({result.returncode}): {result.stdout}{result.stderr}")
    db.unlink()
    return int(match.group(1)) / float(match.group(2))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10, help="run time of each wrk and harness load run")
    parser.add_argument("--users", type=int, default=32, help="Locust users = wrk connections = send concurrency")
    parser.add_argument("--calls", type=int, default=1500, help="calls per harness send run (burst: ~9 events each)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    load_before = os.getloadavg()
    rates: dict[str, list[float]] = {"wrk": [], "send": [], "load x1": [], "load x2": []}
    with tempfile.TemporaryDirectory() as tmp, ReceiverProcess() as url:
        workdir = Path(tmp)
        body = median_call_turn(url, SECRET, workdir)
        for round_number in range(1, args.rounds + 1):
            rates["wrk"].append(
                run_wrk(url, body, secret=SECRET, seconds=args.seconds, connections=args.users, workdir=workdir)
            )
            rates["send"].append(run_send(url, workdir / "send.db", args.calls, args.users))
            rates["load x1"].append(run_load(url, 1, args.users, args.seconds, workdir))
            rates["load x2"].append(run_load(url, 2, args.users, args.seconds, workdir))
            line = ", ".join(f"{name} {values[-1]:.0f}/s" for name, values in rates.items())
            print(f"round {round_number}: {line}", flush=True)
    load_after = os.getloadavg()
    medians = {name: statistics.median(values) for name, values in rates.items()}
    wrk = medians["wrk"]
    print(f"{args.users} connections / requests in flight / Locust users; loopback; {os.cpu_count()} CPUs")
    before, after = (f"{one:.2f} {five:.2f}" for one, five, _ in (load_before, load_after))
    print(f"load average (1 and 5 min) before: {before}; after: {after}")
    for name, label in (
        ("wrk", "wrk (baseline)"),
        ("send", "harness send"),
        ("load x1", "harness load, 1 worker"),
        ("load x2", "harness load, 2 workers"),
    ):
        spread = f"rounds {min(rates[name]):,.0f} - {max(rates[name]):,.0f}"
        ratio = medians[name] / wrk
        print(f"median {label:<25} {medians[name]:8,.0f} events/s   ratio to wrk {ratio:.2f}   ({spread})")
    print(f"2 workers / 1 worker: {medians['load x2'] / medians['load x1']:.2f}")


if __name__ == "__main__":
    main()
