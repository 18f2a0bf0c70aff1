"""How the cost of ``harness send`` grows with the number of calls in progress: 1, 10, 100 and 1,000.

For each level N, ``harness send`` plays the same number of calls (--calls, burst-like: fast pacing, 2 to 6
turns, about 9 events a call) with N calls at once and N requests in flight at most, log on, to the raw
fixed-200 receiver of bench/_receiver.py (so the receiver is not what limits the rate). Levels alternate
round by round so machine load hits them alike; medians are reported. Figures per level: deliveries per
second (harness send's own rate: deliveries over play time) and the process's peak RSS (``ru_maxrss``,
measured inside the harness send process, interpreter and imports included).

    .venv/bin/python bench/bench_scaling.py [--rounds 3] [--calls 1000] [--levels 1 10 100 1000]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from _receiver import ReceiverProcess

SECRET = "whsec_bench_0123456789"
ROOT = Path(__file__).resolve().parent.parent
# Runs harness send in this very process, then reports the process's peak RSS (Linux: KiB).
CHILD = (
    "import resource, sys\n"
    "from harness.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "print('peak_rss_kib', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, flush=True)\n"
    "sys.exit(code)\n"
)


def scenario_file(folder: Path, concurrency: int, calls: int) -> Path:
    path = folder / f"scaling-{concurrency}.toml"
    path.write_text(
        f'name = "scaling-{concurrency}"\n'
        f'description = "{calls} calls, {concurrency} at once, fast pacing"\n'
        f"calls = {calls}\nconcurrency = {concurrency}\n\n"
        '[generator]\nseed = 7\nturns = [2, 6]\n\n[pacing]\nmode = "fast"\n'
    )
    return path


def run_level(url: str, folder: Path, concurrency: int, calls: int) -> tuple[float, float]:
    """Deliveries per second and peak RSS (MB) of one ``harness send`` run at this level."""
    db = folder / "scaling.db"
    command = [sys.executable, "-c", CHILD, "send", "--to", url, "--secret", SECRET, "--quiet"]
    command += ["--concurrency", str(concurrency), "--db", str(db), str(scenario_file(folder, concurrency, calls))]
    result = subprocess.run(command, capture_output=True, text=True, timeout=1200, cwd=ROOT)
    rate = re.search(r"^(\d+) deliveries: .* in ([\d.]+) s", result.stdout, re.MULTILINE)
    peak = re.search(r"^peak_rss_kib (\d+)", result.stdout, re.MULTILINE)
    if result.returncode != 0 or rate is None or peak is None:
        raise SystemExit(f"harness send failed ({result.returncode}): {result.stdout}{result.stderr}")
    for path in folder.glob("scaling.db*"):
        path.unlink()
    return int(rate.group(1)) / float(rate.group(2)), int(peak.group(1)) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--calls", type=int, default=1000, help="calls per run, the same at every level")
    parser.add_argument("--levels", type=int, nargs="+", default=[1, 10, 100, 1000])
    args = parser.parse_args()
    rates: dict[int, list[float]] = {level: [] for level in args.levels}
    peaks: dict[int, list[float]] = {level: [] for level in args.levels}
    load = " ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"load average at the start: {load}", flush=True)
    with tempfile.TemporaryDirectory() as tmp, ReceiverProcess("raw") as url:
        folder = Path(tmp)
        run_level(url, folder, 10, 100)  # warm-up: bytecode caches, the receiver
        for round_number in range(1, args.rounds + 1):
            for level in args.levels:
                rate, peak = run_level(url, folder, level, args.calls)
                rates[level].append(rate)
                peaks[level].append(peak)
                figures = f"{rate:7.0f} deliveries/s, peak RSS {peak:.1f} MB"
                print(f"round {round_number}: {level:5} calls at once: {figures}", flush=True)
    load = " ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"load average at the end: {load}; {args.calls} calls per run, raw receiver, loop: $HARNESS_LOOP or auto")
    print("calls at once | deliveries/s (median) | peak RSS (median)")
    for level in args.levels:
        print(f"{level:13} | {statistics.median(rates[level]):21.0f} | {statistics.median(peaks[level]):14.1f} MB")


if __name__ == "__main__":
    main()
