"""Events per second from ``simulate_call`` to JSON bytes on one core, beside a json.dumps baseline.

Interleaved for --rounds rounds so machine load hits both sides alike:
  - generate: ``simulate_call(seed=i)`` then ``event.to_json()`` for every event of --calls calls
    (the whole path a fixture, a scenario or the mock server takes);
  - baseline: ``json.dumps`` of the very same events as pre-built dicts (serialisation alone, no
    generation), the cheapest possible way to produce those bytes in Python.
The figure that matters is generate's absolute rate (target >= 10,000 events/s); the ratio to the
baseline says how much of the budget generation spends. The median round is reported.

Rates are per second of this process's CPU time (``time.process_time``), which is what one core can do;
wall-clock rates are printed too, but on a shared machine they mostly measure the other processes.

    .venv/bin/python bench/bench_generate.py [--rounds 5] [--calls 400]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from typing import Any

from harness.generate import LOCALES, simulate_call

TARGET_EVENTS_PER_SECOND = 10_000


def generate(seeds: range) -> tuple[int, float, float]:
    """(events, CPU seconds, wall seconds) for simulating the calls and serialising every event."""
    count = 0
    cpu, wall = time.process_time(), time.perf_counter()
    for seed in seeds:
        for event in simulate_call(seed=seed):
            event.to_json()
            count += 1
    return count, time.process_time() - cpu, time.perf_counter() - wall


def baseline(dicts: list[dict[str, Any]]) -> tuple[int, float, float]:
    """(events, CPU seconds, wall seconds) for json.dumps of pre-built dicts, compact UTF-8 like ``to_json()``."""
    cpu, wall = time.process_time(), time.perf_counter()
    for data in dicts:
        json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
    return len(dicts), time.process_time() - cpu, time.perf_counter() - wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=400)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as the target is stated

    # Warm up: faker loads each locale's providers once per process.
    for locale in LOCALES:
        simulate_call(seed=0, locale=locale)
    seeds = range(args.calls)
    dicts = [event.to_wire() for seed in seeds for event in simulate_call(seed=seed)]

    rates: dict[str, list[float]] = {"generate": [], "baseline": [], "generate wall": [], "baseline wall": []}
    for _ in range(args.rounds):
        events, cpu, wall = generate(seeds)
        rates["generate"].append(events / cpu)
        rates["generate wall"].append(events / wall)
        events, cpu, wall = baseline(dicts)
        rates["baseline"].append(events / cpu)
        rates["baseline wall"].append(events / wall)

    median = {name: statistics.median(values) for name, values in rates.items()}
    print(f"calls per round:   {args.calls} ({len(dicts)} events), rounds: {args.rounds}")
    for name in ("generate", "baseline"):
        rounds = ", ".join(f"{rate:,.0f}" for rate in rates[name])
        print(f"{name + ':':<18} {median[name]:>10,.0f} events/s of CPU  (rounds: {rounds})")
    print(f"generate/baseline: {median['generate'] / median['baseline']:.3f}")
    print(
        f"wall clock:        generate {median['generate wall']:,.0f}, baseline {median['baseline wall']:,.0f} events/s"
    )
    verdict = "meets" if median["generate"] >= TARGET_EVENTS_PER_SECOND else "MISSES"
    print(f"target:            {TARGET_EVENTS_PER_SECOND:,} events/s: {verdict}")


if __name__ == "__main__":
    main()
