"""Memory of a process logging 100,000 deliveries: RSS sampled over time, against a 150 MB target.

Two runs, each stopping by itself once the log holds --deliveries deliveries:
  - server: ``harness serve`` (log in a file) delivering burst-scenario calls to a minimal receiver
    (bench/_receiver.py), started batch by batch through ``POST /_harness/calls``; the server's RSS is
    read from /proc while it works;
  - direct: a child process posting the same body through Deliverer + DeliveryLog (the engine and the
    log alone), reporting its own RSS.
RSS is sampled every --every deliveries. "Stops growing": the second half of the run adds less than
10 % to the RSS at half-way. Loopback only.

    .venv/bin/python bench/bench_memory.py [--deliveries 100000] [--every 10000] [--only server|direct]
                                           [--max-calls N]
"""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from pathlib import Path

from _receiver import ReceiverProcess

SECRET = "whsec_bench_0123456789"
ROOT = Path(__file__).resolve().parent.parent
TARGET_MB = 150.0
BATCH_CALLS = 150  # one burst scenario: ~1,000 deliveries

DIRECT_CHILD = textwrap.dedent(
    """
    import asyncio, json, sys
    from harness.delivery import Deliverer, DeliverySettings
    from harness.store import DeliveryLog

    def rss_mb():
        with open("/proc/self/status") as status:
            line = next(line for line in status if line.startswith("VmRSS:"))
        return int(line.split()[1]) / 1024

    async def main(url, db, total, every):
        body = json.dumps({"type": "call_turn", "call_id": "ac_memory", "turn": {"role": "user", "text": "x" * 400}})
        log = DeliveryLog(db)
        sent = 0
        async with Deliverer(url, sys.argv[5], settings=DeliverySettings(concurrency=64), recorder=log) as deliverer:
            async def worker():
                nonlocal sent
                while sent < total:
                    sent += 1
                    number = sent
                    await deliverer.deliver(body.encode(), call_id="ac_memory", event_type="call_turn")
                    if number % every == 0:
                        log.flush()
                        print(json.dumps([log.count(), rss_mb()]), flush=True)
            await asyncio.gather(*(worker() for _ in range(64)))
        log.close()

    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
    """
)


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        line = next(line for line in status if line.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


def logged(db: Path) -> int:
    """Deliveries logged so far, read from the server's log."""
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return int(connection.execute("SELECT count(*) FROM deliveries").fetchone()[0])
    finally:
        connection.close()


def in_progress(base: str) -> int:
    """Calls whose deliveries are still going out, from the server's health endpoint."""
    with urllib.request.urlopen(f"{base}/_harness/health", timeout=30) as response:
        return int(json.loads(response.read())["calls_in_progress"])


def post_json(url: str, data: dict[str, object]) -> object:
    request = urllib.request.Request(
        url, data=json.dumps(data).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def run_server(
    receiver_url: str, workdir: Path, total: int, every: int, max_calls: int | None
) -> list[tuple[int, float]]:
    db = workdir / "server.db"
    command = [sys.executable, "-m", "harness", "serve", "--port", "0", "--to", receiver_url, "--secret", SECRET]
    command += ["--db", str(db), "--concurrency", "64"]
    if max_calls is not None:
        command += ["--max-calls", str(max_calls)]
    server = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    samples: list[tuple[int, float]] = []
    try:
        assert server.stdout is not None
        match = re.search(r"(http://127\.0\.0\.1:\d+)", server.stdout.readline())
        if match is None:
            raise SystemExit(f"harness serve did not start: {server.stderr.read() if server.stderr else ''}")
        base = match.group(1)
        samples.append((0, rss_mb(server.pid)))
        next_sample = every
        deadline = time.monotonic() + 900
        count = 0
        while count < total and time.monotonic() < deadline:
            post_json(f"{base}/_harness/calls", {"scenario": "burst", "calls": BATCH_CALLS})
            # One batch at a time: what is measured is the log's footprint, not a growing backlog. The
            # server says when the batch is done (the log's calls rows land a few ms after the POST
            # answers, so a count read from the log alone would let the next batch start too early).
            while time.monotonic() < deadline:
                count = logged(db)
                if count >= next_sample:
                    samples.append((count, rss_mb(server.pid)))
                    next_sample += every
                if in_progress(base) == 0:
                    break
                time.sleep(0.05)
        samples.append((count, rss_mb(server.pid)))
    finally:
        server.terminate()
        try:
            server.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.communicate()
    return samples


def run_direct(receiver_url: str, workdir: Path, total: int, every: int) -> list[tuple[int, float]]:
    script = workdir / "direct_child.py"
    script.write_text(DIRECT_CHILD)
    command = [sys.executable, str(script), receiver_url, str(workdir / "direct.db"), str(total), str(every), SECRET]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900, check=False)
    if result.returncode != 0:
        raise SystemExit(f"direct child failed: {result.stderr}")
    return [(int(count), float(rss)) for count, rss in map(json.loads, result.stdout.splitlines())]


def report(name: str, samples: list[tuple[int, float]]) -> None:
    print(f"{name}: RSS by deliveries logged")
    for count, rss in samples:
        print(f"  {count:>8,}  {rss:6.1f} MB")
    final_count, final = samples[-1]
    half = min(samples, key=lambda sample: abs(sample[0] - final_count / 2))
    peak = max(rss for _, rss in samples)
    growth = (final - half[1]) / half[1]
    verdict = "ok" if peak < TARGET_MB and growth < 0.10 else "NOT MET"
    print(
        f"  peak {peak:.1f} MB (target < {TARGET_MB:.0f} MB, ratio {peak / TARGET_MB:.2f}); "
        f"second half adds {growth:+.1%} ({half[0]:,} -> {final_count:,} deliveries): {verdict}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=100_000)
    parser.add_argument("--every", type=int, default=10_000, help="sample RSS every N deliveries")
    parser.add_argument("--only", choices=("server", "direct"))
    parser.add_argument("--max-calls", type=int, help="passed to harness serve (calls its Calls API remembers)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, ReceiverProcess() as url:
        workdir = Path(tmp)
        if args.only in (None, "server"):
            name = "harness serve" + (f" --max-calls {args.max_calls}" if args.max_calls is not None else "")
            report(name, run_server(url, workdir, args.deliveries, args.every, args.max_calls))
        if args.only in (None, "direct"):
            report("Deliverer + DeliveryLog", run_direct(url, workdir, args.deliveries, args.every))


if __name__ == "__main__":
    main()
