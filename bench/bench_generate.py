"""Events per second from ``simulate_call`` to JSON bytes on one core, beside a json.dumps baseline.

Interleaved for --rounds rounds so machine load hits both sides alike:
  - generate: ``simulate_call(seed=i)`` then ``event.to_json()`` for every event of --calls calls
    (the whole path a fixture, a scenario or the mock server takes);
  - baseline: ``json.dumps`` of the very same events as pre-built dicts (serialisation alone, no
    generation), the cheapest possible way to produce those bytes in Python.
The figure that matters is generate's absolute rate (target >= 10,000 events/s); the ratio to the
baseline says how much of the budget generation spends. The median round is reported.

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


def generate(seeds: range) -> tuple[int, float]:
    """(events, seconds) for simulating the calls and serialising every event."""
    count = 0
    started = time.perf_counter()
    for seed in seeds:
        for event in simulate_call(seed=seed):
            event.to_json()
            count += 1
    return count, time.perf_counter() - started


def baseline(dicts: list[dict[str, Any]]) -> tuple[int, float]:
    """(events, seconds) for json.dumps of pre-built dicts, compact and UTF-8 like ``to_json()``."""
    started = time.perf_counter()
    for data in dicts:
        json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
    return len(dicts), time.perf_counter() - started


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

    generated: list[float] = []
    baselined: list[float] = []
    for _ in range(args.rounds):
        events, seconds = generate(seeds)
        generated.append(events / seconds)
        events, seconds = baseline(dicts)
        baselined.append(events / seconds)

    rate, base = statistics.median(generated), statistics.median(baselined)
    print(f"calls per round:   {args.calls} ({len(dicts)} events), rounds: {args.rounds}")
    print(f"generate:          {rate:>10,.0f} events/s  (rounds: {', '.join(f'{r:,.0f}' for r in generated)})")
    print(f"baseline:          {base:>10,.0f} events/s  (json.dumps of the same events as dicts)")
    print(f"generate/baseline: {rate / base:.3f}")
    verdict = "meets" if rate >= TARGET_EVENTS_PER_SECOND else "MISSES"
    print(f"target:            {TARGET_EVENTS_PER_SECOND:,} events/s: {verdict}")


if __name__ == "__main__":
    main()
