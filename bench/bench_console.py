"""The web console under load: page times with 10,000 calls in the log, and deliveries/s with five live tabs.

Two parts, each against a real ``harness serve`` (log in a file) delivering to the minimal receiver
(bench/_receiver.py), all on loopback, each stopping by itself:

  - list: logs --calls calls (burst scenario, in batches of 1,000; the first 100 to a closed port, so the
    oldest calls have failed deliveries and the "failed deliveries only" filter must look deep), then times
    each console page --requests times, beside a baseline measured in the same run: the control API's
    ``GET /_harness/deliveries?limit=50`` (one page of the same log, as JSON).
  - live: --rounds bursts of --burst calls, each cut into windows of --window seconds that alternate between
    no console page open and five open (two on the calls list, one filtered to calls in progress, one to
    failed deliveries, one on a call in progress), each following its server-sent events as a browser does.
    Adjacent windows make a pair, so the load other processes put on the machine hits both sides alike.
    Per window: deliveries/s (from the log's send times) and the server's CPU time per delivery (from
    /proc). Target: the median ratio of rates, five tabs / none, >= 0.90.

    .venv/bin/python bench/bench_console.py [--only list|live] [--calls 10000] [--rounds 4] [--burst 6000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
from _receiver import ReceiverProcess

SECRET = "whsec_bench_0123456789"
ROOT = Path(__file__).resolve().parent.parent
BATCH = 1_000
FAILING = 100  # calls delivered to a closed port first
TARGET_RATIO = 0.90


@asynccontextmanager
async def harness_serve(target: str, db: Path) -> AsyncIterator[tuple[str, int]]:
    """A ``harness serve`` process; yields its base URL and pid, and stops it with SIGTERM."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "harness", "serve", "--port", "0", "--to", target, "--secret", SECRET, "--db", str(db),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, cwd=ROOT, env={**os.environ, "NO_COLOR": "1"},
    )  # fmt: skip
    assert process.stdout is not None
    banner = (await asyncio.wait_for(process.stdout.readline(), 60)).decode()
    if not banner.startswith("mock Cartesia server: "):
        raise SystemExit(f"harness serve did not start: {banner}")
    try:
        yield banner.split()[3], process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.communicate(), 60)


async def start(http: aiohttp.ClientSession, base: str, **request: Any) -> list[str]:
    async with http.post(base + "/_harness/calls", json=request) as response:
        if response.status != 201:
            raise SystemExit(f"cannot start calls: {response.status} {await response.text()}")
        call_ids: list[str] = (await response.json())["call_ids"]
        return call_ids


async def until_idle(http: aiohttp.ClientSession, base: str, deadline: float = 600) -> None:
    """Poll health until no call is in progress (a deadline, not a sleep)."""
    async with asyncio.timeout(deadline):
        while True:
            async with http.get(base + "/_harness/health") as response:
                if (await response.json())["calls_in_progress"] == 0:
                    return
            await asyncio.sleep(0.05)


async def set_url(http: aiohttp.ClientSession, base: str, url: str) -> None:
    headers = {"Authorization": "Bearer bench"}
    async with http.get(base + "/agents/webhooks", headers=headers) as response:
        [hook] = (await response.json())["data"]
    async with http.patch(f"{base}/agents/webhooks/{hook['id']}", json={"url": url}, headers=headers) as response:
        assert response.status == 200, await response.text()


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/webhooks"


def log_counts(db: Path, since: float = 0.0) -> tuple[int, int, float]:
    """Calls, deliveries since ``since``, and the span of those deliveries' send times, from the log."""
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        calls = int(connection.execute("SELECT count(*) FROM calls").fetchone()[0])
        count, first, last = connection.execute(
            "SELECT count(*), min(created_at), max(created_at) FROM deliveries WHERE created_at >= ?", (since,)
        ).fetchone()
    finally:
        connection.close()
    return calls, int(count), float(last - first) if count > 1 else 0.0


async def timed(http: aiohttp.ClientSession, url: str, requests: int) -> tuple[float, int]:
    """Median milliseconds of ``requests`` GETs (after one warm-up), and the size of the answer."""
    times: list[float] = []
    size = 0
    for number in range(requests + 1):
        started = time.perf_counter()
        async with http.get(url) as response:
            body = await response.read()
            if response.status != 200:
                raise SystemExit(f"GET {url}: {response.status} {body[:300]!r}")
        if number:
            times.append((time.perf_counter() - started) * 1000)
        size = len(body)
    return statistics.median(times), size


async def run_list(calls: int, requests: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, ReceiverProcess() as receiver:
        db = Path(tmp) / "log.db"
        async with harness_serve(receiver, db) as (base, _), aiohttp.ClientSession() as http:
            started = time.perf_counter()
            await set_url(http, base, closed_port_url())
            await start(http, base, scenario="burst", calls=min(FAILING, calls), seed=1)
            await until_idle(http, base)
            await set_url(http, base, receiver)
            done = min(FAILING, calls)
            while done < calls:
                batch = min(BATCH, calls - done)
                await start(http, base, scenario="burst", calls=batch, seed=1000 + done)
                await until_idle(http, base)
                done += batch
            logged_calls, deliveries, _ = log_counts(db)
            print(f"logged {logged_calls:,} calls, {deliveries:,} deliveries in {time.perf_counter() - started:.0f} s")
            async with http.get(base + "/agents/calls?limit=1", headers={"Authorization": "Bearer b"}) as response:
                newest = (await response.json())["data"][0]["id"]
            async with http.get(f"{base}/_harness/deliveries?limit=1&ok=false") as response:
                failing_call = (await response.json())["data"][0]["call_id"]
            pages = {
                "baseline: GET /_harness/deliveries?limit=50 (JSON)": "/_harness/deliveries?limit=50",
                "/ (calls, page 1)": "/",
                "/?page=100 (calls 4,951-5,000)": "/?page=100",
                "/?status=completed": "/?status=completed",
                "/?status=in_progress (none)": "/?status=in_progress",
                "/?failed=1 (failed deliveries only)": "/?failed=1",
                "/?agent=...": "/?agent=" + quote("agent_HarnessLocal0000000001"),
                "/deployments": "/deployments",
                "/calls/{id} (transcript)": f"/calls/{newest}",
                "/calls/{id}?tab=webhooks": f"/calls/{newest}?tab=webhooks",
                "/calls/{id}?tab=webhooks (a forgotten call)": f"/calls/{failing_call}?tab=webhooks",
            }
            results = {label: await timed(http, base + path, requests) for label, path in pages.items()}
    baseline = results["baseline: GET /_harness/deliveries?limit=50 (JSON)"][0]
    print(f"\n{logged_calls:,} calls, {deliveries:,} deliveries in the log; median of {requests} requests each")
    print(f"| {'page':<52} | {'median ms':>9} | {'bytes':>9} | {'ratio':>5} |")
    for label, (ms, size) in results.items():
        print(f"| {label:<52} | {ms:9.1f} | {size:9,} | {ms / baseline:5.1f} |")


LIST_TABS = (("/", "calls?"), ("/", "calls?"), ("/?status=in_progress", "calls?status=in_progress"),
             ("/?failed=1", "calls?failed=1"))  # fmt: skip


class Tab:
    """A console page left open: it follows its server-sent events, parsing each update as a browser does."""

    def __init__(self, http: aiohttp.ClientSession, base: str, view: str) -> None:
        self.http, self.base, self.view = http, base, view
        self.updates = 0
        self.bytes = 0
        self.task: asyncio.Task[None] | None = None

    async def load(self, page: str) -> None:
        """Load the page itself once, as the tab did when it was opened."""
        async with self.http.get(self.base + page) as response:
            await response.read()

    def follow(self, since: int) -> None:
        """Open the page's event stream (``since``: the change the page was last up to date with)."""
        self.task = asyncio.create_task(self._follow(since))

    async def _follow(self, since: int) -> None:
        url = f"{self.base}/_console/events?view={quote(self.view)}&since={since}"
        async with self.http.get(url, timeout=aiohttp.ClientTimeout(total=None)) as response:
            async for line in response.content:
                self.bytes += len(line)
                if line.startswith(b"data: "):
                    json.loads(line[6:])
                    self.updates += 1

    async def close(self) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
            self.task = None


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def json_of(http: aiohttp.ClientSession, url: str) -> Any:
    async with http.get(url, headers={"Authorization": "Bearer bench"}) as response:
        return await response.json()


@dataclass
class Window:
    """A stretch of a burst, with or without tabs open: its wall and server CPU times, and its deliveries."""

    tabs: bool
    started: float
    ended: float
    cpu: float
    deliveries: int = 0

    @property
    def rate(self) -> float:
        return self.deliveries / (self.ended - self.started)

    @property
    def cpu_per_delivery(self) -> float:
        return self.cpu / self.deliveries


async def burst_in_windows(
    http: aiohttp.ClientSession, base: str, pid: int, db: Path, calls: int, seed: int, window: float, first_tabs: bool
) -> list[Window]:
    """One burst, cut into windows that alternate between no tab and five tabs open."""
    tabs = [Tab(http, base, view) for _, view in LIST_TABS]
    for tab, (page, _) in zip(tabs, LIST_TABS, strict=True):
        await tab.load(page)
    await start(http, base, scenario="burst", calls=calls, seed=seed)
    windows: list[Window] = []
    with_tabs = first_tabs
    while (await json_of(http, base + "/_harness/health"))["calls_in_progress"]:
        opened: list[Tab] = []
        if with_tabs:
            since = (await json_of(http, base + "/_console/stats"))["changes"]
            started = [c["id"] for c in (await json_of(http, base + "/agents/calls?limit=100"))["data"]
                       if c["status"] == "started"]  # fmt: skip
            opened = list(tabs)
            if started:
                watched = Tab(http, base, f"call/{started[-1]}?tab=webhooks")
                await watched.load(f"/calls/{started[-1]}?tab=webhooks")
                opened.append(watched)
            for tab in opened:
                tab.follow(since)
        begin, cpu_begin = time.time(), cpu_seconds(pid)
        await asyncio.sleep(window)  # the measured stretch of the burst: time passing is the point here
        end, cpu_end = time.time(), cpu_seconds(pid)
        for tab in opened:
            await tab.close()
        windows.append(Window(with_tabs, begin, end, cpu_end - cpu_begin))
        with_tabs = not with_tabs
    # The first window saw the burst start (its first calls' events being generated), the last saw it end:
    # neither is a full stretch of deliveries.
    windows = windows[1:-1]
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        for item in windows:
            query = "SELECT count(*) FROM deliveries WHERE created_at >= ? AND created_at < ?"
            item.deliveries = int(connection.execute(query, (item.started, item.ended)).fetchone()[0])
    finally:
        connection.close()
    updates = sum(tab.updates for tab in tabs)
    print(f"    the list tabs received {updates} live updates ({sum(t.bytes for t in tabs) / 1e6:.1f} MB)", flush=True)
    return windows


async def run_live(rounds: int, calls: int, window: float) -> None:
    pairs: list[tuple[Window, Window]] = []  # (no tab, five tabs), adjacent in time
    with tempfile.TemporaryDirectory() as tmp, ReceiverProcess() as receiver:
        db = Path(tmp) / "log.db"
        async with harness_serve(receiver, db) as (base, pid), aiohttp.ClientSession() as http:
            await start(http, base, scenario="burst", calls=300, seed=1)  # warm-up: imports, caches, the receiver
            await until_idle(http, base)
            for number in range(1, rounds + 1):
                windows = await burst_in_windows(http, base, pid, db, calls, number + 1, window, number % 2 == 0)
                for left, right in zip(windows[::2], windows[1::2], strict=False):
                    pairs.append((left, right) if right.tabs else (right, left))
                for item in windows:
                    print(
                        f"round {number}: {'five tabs' if item.tabs else 'no tab   '} {item.rate:7,.0f} deliveries/s,"
                        f" {1e6 * item.cpu_per_delivery:6.1f} µs of server CPU per delivery",
                        flush=True,
                    )
            stats = await json_of(http, base + "/_console/stats")
    rate_ratios = sorted(tabs.rate / alone.rate for alone, tabs in pairs)
    cpu_ratios = sorted(alone.cpu_per_delivery / tabs.cpu_per_delivery for alone, tabs in pairs)
    alone_rate = statistics.median(alone.rate for alone, _ in pairs)
    tabs_rate = statistics.median(tabs.rate for _, tabs in pairs)
    print(f"\n{len(pairs)} pairs of adjacent {window:g} s windows in bursts of {calls:,} calls ({rounds} bursts)")
    print(f"deliveries/s, no console tab (baseline): {alone_rate:8,.0f} (median)")
    print(f"deliveries/s, five console tabs:         {tabs_rate:8,.0f} (median)")
    print(f"ratio of rates, median of pairs:   {statistics.median(rate_ratios):.2f} (target >= {TARGET_RATIO:.2f});"
          f" pairs {rate_ratios[0]:.2f} - {rate_ratios[-1]:.2f}")  # fmt: skip
    print(f"ratio of server CPU per delivery:  {statistics.median(cpu_ratios):.2f} (median of pairs;"
          f" {cpu_ratios[0]:.2f} - {cpu_ratios[-1]:.2f})")  # fmt: skip
    print(
        f"live updates: {stats['flushes']} flushes, {stats['render_seconds']:.2f} s of CPU in all"
        f" ({1000 * stats['render_seconds'] / max(1, stats['flushes']):.1f} ms per flush)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--only", choices=("list", "live"))
    parser.add_argument("--calls", type=int, default=10_000, help="calls logged before timing the pages")
    parser.add_argument("--requests", type=int, default=20, help="requests per page timed")
    parser.add_argument("--rounds", type=int, default=4, help="bursts in the live part")
    parser.add_argument("--burst", type=int, default=6_000, help="calls per burst in the live part")
    parser.add_argument("--window", type=float, default=3.0, help="seconds with, then without tabs, in turn")
    args = parser.parse_args()
    if args.only in (None, "list"):
        asyncio.run(run_list(args.calls, args.requests))
    if args.only in (None, "live"):
        asyncio.run(run_live(args.rounds, args.burst, args.window))


if __name__ == "__main__":
    main()
