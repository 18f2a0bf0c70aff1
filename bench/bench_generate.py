"""Events per second from ``simulate_call`` to JSON bytes on one core, beside a json.dumps baseline.

Interleaved for --rounds rounds so machine load hits both sides alike:
  - generate: ``simulate_call(seed=i)`` then ``event.to_json()`` for every event of --calls calls
    (the whole path a fixture, a scenario or the mock server takes);
  - baseline: ``json.dumps`` of the very same events as pre-built dicts (serialisation alone, no
    generation), the cheapest possible way to produce those bytes in Python.
The figure that matters is generate/baseline (target >= 0.5) and generate's absolute rate (target >=
10,000 events/s). The median round is reported.

Names, companies and addresses come from per-locale pools whose slots are filled by faker on first use
(harness/_content.py), so a process's first calls cost more than the following ones. The rounds measure
the steady state (the seeds' slots were filled while building the baseline's dicts); a separate "cold"
figure times --calls fresh seeds after emptying the pools, the cost a process pays for its first calls.

Rates are per second of this process's CPU time (``time.process_time``), which is what one core can do;
wall-clock rates are printed too, but on a shared machine they mostly measure the other processes. The
load average is printed with the figures.

    .venv/bin/python bench/bench_generate.py [--rounds 7] [--calls 400]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from typing import Any

from harness import _content
from harness.generate import LOCALES, simulate_call

TARGET_EVENTS_PER_SECOND = 10_000
TARGET_RATIO = 0.5


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
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=400)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as the target is stated
    load = os.getloadavg()

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

    # Cold: seeds never generated in this process, pools emptied first (a private detail, reached on purpose).
    _content._POOLS.clear()
    cold_events, cold_cpu, _ = generate(range(10**9, 10**9 + args.calls))

    median = {name: statistics.median(values) for name, values in rates.items()}
    ratio = median["generate"] / median["baseline"]
    print(f"load average:      {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (1, 5, 15 min) at the start")
    print(f"calls per round:   {args.calls} ({len(dicts)} events), rounds: {args.rounds}")
    for name in ("generate", "baseline"):
        rounds = ", ".join(f"{rate:,.0f}" for rate in rates[name])
        print(f"{name + ':':<18} {median[name]:>10,.0f} events/s of CPU  (rounds: {rounds})")
    verdict = "meets" if ratio >= TARGET_RATIO else "MISSES"
    print(f"generate/baseline: {ratio:.3f} (target >= {TARGET_RATIO}: {verdict})")
    cold_rate = cold_events / cold_cpu
    print(
        f"cold:              {cold_rate:>10,.0f} events/s of CPU, {cold_rate / median['baseline']:.3f} of the baseline "
        f"({args.calls} fresh seeds, empty pools)"
    )
    print(
        f"wall clock:        generate {median['generate wall']:,.0f}, baseline {median['baseline wall']:,.0f} events/s"
    )
    verdict = "meets" if median["generate"] >= TARGET_EVENTS_PER_SECOND else "MISSES"
    print(f"rate target:       {TARGET_EVENTS_PER_SECOND:,} events/s: {verdict}")


if __name__ == "__main__":
    main()
