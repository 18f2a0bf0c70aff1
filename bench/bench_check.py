"""Wall time of the full default contract check suite against the bundled reference receiver.

The reference receiver (``harness receiver``, with its state probe, so every check runs) is a child
process, started fresh for each round so its probe does not grow across rounds. Interleaved round by
round so machine load hits every side alike:
  - suite: ``run_checks`` in this process (the checker's own wall time, generation included);
  - cli: ``harness check URL --probe ... --no-db`` end to end (interpreter start and imports included);
  - baseline: Deliverer posting as many requests as the suite made (one realistic ``call_turn`` body,
    64 at a time) to the same receiver: what the requests alone cost.
Target: the suite under 3 s. Each run stops by itself.

    .venv/bin/python bench/bench_check.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from harness.checks import run_checks
from harness.delivery import Deliverer, DeliverySettings
from harness.generate import simulate_call

SECRET = "whsec_bench_check_0123456789"
CONCURRENCY = 64


@contextmanager
def reference_receiver() -> Iterator[tuple[str, str]]:
    """``harness receiver`` on a free port; yields its webhook and probe URLs."""
    process = subprocess.Popen(
        [sys.executable, "-m", "harness", "receiver", "--port", "0", "--secret", SECRET],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # "reference receiver: URL  (probe: URL)"
        url = line.split()[2]
        probe = line.rsplit("probe: ", 1)[1].rstrip(")\n")
        yield url, probe
    finally:
        process.terminate()
        process.wait(timeout=10)


async def baseline(url: str, count: int) -> float:
    body = next(e for e in simulate_call(seed=1, turns=2) if e.type == "call_turn").to_json()
    settings = DeliverySettings(concurrency=CONCURRENCY)
    async with Deliverer(url, SECRET, settings=settings) as deliverer:
        started = time.perf_counter()
        deliveries = await asyncio.gather(*(deliverer.deliver(body) for _ in range(count)))
        elapsed = time.perf_counter() - started
    assert all(d.ok for d in deliveries)
    return elapsed


def cli(url: str, probe: str) -> float:
    env = {**os.environ, "NO_COLOR": "1", "CARTESIA_WEBHOOK_SECRET": SECRET}
    command = [sys.executable, "-m", "harness", "check", url, "--probe", probe, "--no-db"]
    started = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, check=False)
    elapsed = time.perf_counter() - started
    assert completed.returncode in (0, 1), completed.stderr
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    suites: list[float] = []
    clis: list[float] = []
    baselines: list[float] = []
    requests = 0
    summary: dict[str, int] = {}
    for _ in range(args.rounds):
        with reference_receiver() as (url, probe):
            started = time.perf_counter()
            report = run_checks(url, SECRET, probe)
            suites.append(time.perf_counter() - started)
            requests, summary = report.requests, report.summary
        with reference_receiver() as (url, probe):
            clis.append(cli(url, probe))
        with reference_receiver() as (url, _):
            baselines.append(asyncio.run(baseline(url, requests)))
    suite, base = statistics.median(suites), statistics.median(baselines)
    print(f"checks: {len(report.results)} ({summary}), requests per run: {requests}")
    print(f"suite (run_checks):     median {suite:.3f} s  (rounds {min(suites):.3f} - {max(suites):.3f})")
    print(f"cli (harness check):    median {statistics.median(clis):.3f} s  (rounds {min(clis):.3f} - {max(clis):.3f})")
    print(f"baseline ({requests} POSTs): median {base:.3f} s  (rounds {min(baselines):.3f} - {max(baselines):.3f})")
    print(f"suite / baseline: {suite / base:.1f}; target suite < 3 s: {'met' if suite < 3 else 'NOT met'}")


if __name__ == "__main__":
    main()
