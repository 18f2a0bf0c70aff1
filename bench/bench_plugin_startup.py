"""What installing the harness costs a pytest session that never uses it.

Runs pytest on one trivial test, alternately as installed (the ``cartesia`` pytest plugin and the
``hypothesis`` entry point both load) and with both turned off (``-p no:cartesia``, and the entry point
made inert by ``bench/_harness_hook_off.py``, so no harness code runs at all; other packages' Hypothesis
entry points load on both sides), and reports the median wall times and the
median CPU times of the pytest process (user + system, which other load on the machine disturbs far
less), their differences and ratios. Target: the difference is at most 0.1 s.

    .venv/bin/python bench/bench_plugin_startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def time_pytest(directory: Path, *extra: str, without_harness: bool = False) -> tuple[float, float]:
    """Wall and CPU seconds of one pytest run."""
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *extra, str(directory)]
    env = dict(os.environ)
    if without_harness:
        command[4:4] = ["-p", "no:cartesia", "-p", "_harness_hook_off"]
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(BENCH), env.get("PYTHONPATH")]))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, cwd=directory, env=env, check=True, capture_output=True, timeout=120)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        (directory / "test_trivial.py").write_text("def test_trivial():\n    assert 1 + 1 == 2\n")
        (directory / "pytest.ini").write_text("[pytest]\n")
        with_plugin: list[tuple[float, float]] = []
        without_plugin: list[tuple[float, float]] = []
        time_pytest(directory)  # warm the file system cache and bytecode
        for _ in range(args.runs):
            # Interleaved, so drift in machine load hits both sides alike.
            with_plugin.append(time_pytest(directory))
            without_plugin.append(time_pytest(directory, without_harness=True))
    print(f"runs per side: {args.runs}; load average {' '.join(f'{v:.1f}' for v in os.getloadavg())}")
    for index, kind in enumerate(("wall", "CPU")):
        loaded = statistics.median(run[index] for run in with_plugin)
        baseline = statistics.median(run[index] for run in without_plugin)
        print(f"{kind:4} median, harness off:  {baseline:.3f} s (baseline)")
        print(f"{kind:4} median, as installed: {loaded:.3f} s")
        print(f"{kind:4} difference:           {loaded - baseline:+.3f} s (target <= 0.100 s)")
        print(f"{kind:4} ratio:                {loaded / baseline:.3f}")


if __name__ == "__main__":
    main()
