"""The delivery log survives SIGKILL: a real process delivers and records, reports what is recorded, is killed.

"Recorded" means committed by the log's writer thread; the child learns that from ``flush()``, which
returns once everything recorded before it is committed, and only then reports the delivery ids.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import aiohttp
from aiohttp import web

from harness.delivery import FailureKind
from harness.serving import AppServer
from harness.store import DeliveryLog
from tests.conftest import ROOT, SECRET
from tests.integration.server_helpers import ok_app

# Delivers rounds of 20 concurrent events to its own loopback receiver, logging every attempt; after
# each round it flushes and prints the round's delivery ids. It never stops by itself before 500
# rounds: the test kills it while the next round is being delivered and recorded.
CHILD = textwrap.dedent(
    """
    import asyncio, json, sys
    from aiohttp import web
    from harness.delivery import Deliverer
    from harness.serving import AppServer
    from harness.store import DeliveryLog

    async def hook(request):
        await request.read()
        return web.Response(text="ok")

    async def main(path, secret):
        app = web.Application()
        app.router.add_post("/hook", hook)
        log = DeliveryLog(path)
        async with AppServer(app) as server, Deliverer(server.url + "/hook", secret, recorder=log) as deliverer:
            for round_number in range(500):
                body = json.dumps({"type": "call_turn", "call_id": f"ac_{round_number}"}).encode()
                deliveries = await asyncio.gather(*(deliverer.deliver(body, call_id=f"ac_{round_number}")
                                                     for _ in range(20)))
                log.flush()
                print(json.dumps([d.id for d in deliveries]), flush=True)

    asyncio.run(main(sys.argv[1], sys.argv[2]))
    """
)

# Records without flush() or close(), then exits normally: the log must still commit at exit.
FORGETFUL_CHILD = textwrap.dedent(
    """
    import sys
    from harness.delivery import Attempt, Delivery
    from harness.store import DeliveryLog

    log = DeliveryLog(sys.argv[1])
    for index in range(300):
        delivery = Delivery(id=f"dlv_exit_{index}", url="http://127.0.0.1:9/", body=b"{}")
        attempt = Attempt(number=1, url=delivery.url, request_headers={}, started_at=0.0, status=200)
        delivery.attempts.append(attempt)
        log.record_attempt(delivery, attempt)
    """
)


def run_child(script: str, tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    path = tmp_path / "child.py"
    path.write_text(script, encoding="utf-8")
    return subprocess.Popen(
        [sys.executable, str(path), *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_sigkill_loses_no_recorded_delivery(tmp_path: Path) -> None:
    db = tmp_path / "log.db"
    child = run_child(CHILD, tmp_path, str(db), SECRET)
    reported: list[str] = []
    try:
        assert child.stdout is not None
        deadline = time.monotonic() + 60
        while len(reported) < 200 and time.monotonic() < deadline:
            line = child.stdout.readline()
            if not line:
                break
            reported.extend(json.loads(line))
        assert len(reported) >= 200, f"the child reported only {len(reported)} deliveries before exiting"
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.communicate(timeout=30)
    assert child.returncode == -signal.SIGKILL

    with DeliveryLog(db) as log:
        found = {delivery.id: delivery for delivery in log.list_deliveries(limit=1_000_000)}
        assert set(reported) <= set(found)
        assert all(found[delivery_id].ok for delivery_id in reported)
        assert all(len(found[delivery_id].attempts) == 1 for delivery_id in reported)
    connection = sqlite3.connect(db)
    try:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        connection.close()


def test_the_secret_never_reaches_the_disk(tmp_path: Path) -> None:
    db = tmp_path / "log.db"
    child = run_child(CHILD, tmp_path, str(db), SECRET)
    try:
        assert child.stdout is not None
        assert child.stdout.readline()  # one round delivered and committed
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.communicate(timeout=30)

    files = [path for path in tmp_path.iterdir() if path.name.startswith("log.db")]
    assert db in files
    for path in files:
        assert SECRET.encode() not in path.read_bytes(), path
    with DeliveryLog(db) as log:
        assert log.list_deliveries(limit=1)[0].attempts[0].request_headers["X-Webhook-Secret"] == "***"


def test_an_unclosed_log_commits_at_exit(tmp_path: Path) -> None:
    db = tmp_path / "log.db"
    child = run_child(FORGETFUL_CHILD, tmp_path, str(db))
    _, stderr = child.communicate(timeout=60)
    assert child.returncode == 0, stderr

    with DeliveryLog(db) as log:
        assert log.count() == 300


def start_serve(receiver_url: str, db: Path, *options: str) -> subprocess.Popen[str]:
    """``harness serve`` on a free port; Popen, as the exit status must come from waitpid on this very pid."""
    command = [sys.executable, "-m", "harness", "serve", "--port", "0", "--to", f"{receiver_url}/webhooks"]
    command += ["--secret", SECRET, "--db", str(db), *options]
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)


async def test_harness_serve_killed_keeps_every_listed_delivery(tmp_path: Path) -> None:
    """End to end: what the control API has listed is on disk after SIGKILL of ``harness serve``."""
    db = tmp_path / "served.db"
    async with AppServer(ok_app("/webhooks")) as receiver:
        process = start_serve(receiver.url, db)
        listed: set[str] = set()
        try:
            assert process.stdout is not None
            first_line = await asyncio.wait_for(asyncio.to_thread(process.stdout.readline), timeout=60)
            match = re.search(r"http://127\.0\.0\.1:\d+", first_line)
            assert match is not None, first_line
            base = match.group(0)
            async with aiohttp.ClientSession() as session:
                async with session.post(f"{base}/_harness/calls", json={"scenario": "burst", "calls": 150}) as answer:
                    assert answer.status == 201
                deadline = time.monotonic() + 60
                while len(listed) < 200 and time.monotonic() < deadline:
                    async with session.get(f"{base}/_harness/deliveries", params={"limit": "1000"}) as answer:
                        listed.update(item["id"] for item in (await answer.json())["data"])
                    await asyncio.sleep(0.02)  # poll pacing, not synchronisation: the loop ends on a count
            assert len(listed) >= 200
            os.kill(process.pid, signal.SIGKILL)  # while the burst is still being delivered and logged
        finally:
            process.kill()
            await asyncio.to_thread(process.communicate, timeout=30)
    assert process.returncode == -signal.SIGKILL

    with DeliveryLog(db) as log:
        stored = {delivery.id for delivery in log.list_deliveries(limit=1_000_000)}
    assert listed <= stored


async def test_harness_serve_killed_with_requests_in_flight_leaves_each_one_unknown(tmp_path: Path) -> None:
    """Every request the receiver saw is in the log after SIGKILL (as an intent), and reads as ``unknown``."""
    db = tmp_path / "in-flight.db"
    in_flight = 96
    seen: list[bytes] = []
    all_arrived, release = asyncio.Event(), asyncio.Event()

    async def slow_hook(request: web.Request) -> web.Response:
        seen.append(await request.read())
        if len(seen) >= in_flight:
            all_arrived.set()
        await release.wait()  # never answers while the server lives
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/webhooks", slow_hook)
    async with AppServer(app) as receiver:
        process = start_serve(receiver.url, db, "--concurrency", str(in_flight), "--timeout", "120")
        try:
            assert process.stdout is not None
            first_line = await asyncio.wait_for(asyncio.to_thread(process.stdout.readline), timeout=60)
            match = re.search(r"http://127\.0\.0\.1:\d+", first_line)
            assert match is not None, first_line
            async with aiohttp.ClientSession() as session:
                payload = {"scenario": "burst", "calls": in_flight}
                async with session.post(f"{match.group(0)}/_harness/calls", json=payload) as answer:
                    assert answer.status == 201
            await asyncio.wait_for(all_arrived.wait(), timeout=60)
            os.kill(process.pid, signal.SIGKILL)
        finally:
            process.kill()
            await asyncio.to_thread(process.communicate, timeout=30)
            release.set()
    assert process.returncode == -signal.SIGKILL
    assert len(seen) == in_flight

    with DeliveryLog(db) as log:
        stored = {delivery.body: delivery for delivery in log.list_deliveries(limit=1_000_000)}
    missing = [body for body in seen if body not in stored]
    assert missing == [], f"{len(missing)} of the {len(seen)} requests the receiver saw are not in the log"
    outcomes = {(d.ok, len(d.attempts), d.attempts[0].failure, d.attempts[0].in_flight) for d in stored.values()}
    assert outcomes == {(False, 1, FailureKind.UNKNOWN, False)}
    assert not await asyncio.to_thread(files_holding, tmp_path, SECRET.encode())


def files_holding(folder: Path, secret: bytes) -> list[Path]:
    """The files in ``folder`` whose bytes contain ``secret``."""
    return [path for path in folder.iterdir() if secret in path.read_bytes()]
