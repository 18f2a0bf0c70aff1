"""`harness replay` and `harness deliveries` as a user runs them, against receivers started here."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiohttp import web

from harness.delivery import Deliverer, Delivery
from harness.serving import AppServer
from harness.store import DeliveryLog
from tests.conftest import ROOT, SECRET

BODY = b'{"type":"call_started","call_id":"ac_replay","agent_id":"agent_x","webhook_id":"agent_webhook_x"}'


@dataclass
class Received:
    """Requests a test receiver got: (secret header, body)."""

    requests: list[tuple[str | None, bytes]] = field(default_factory=list)


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str


async def run_cli(*args: str, env: dict[str, str] | None = None, only_env: bool = False) -> CliResult:
    """Run the CLI in a thread, so the event loop keeps serving the test's receivers meanwhile.

    ``env`` adds to this process's environment, or replaces it with ``only_env``. ``subprocess.run``
    rather than asyncio's subprocess API: the exit status comes from its own waitpid on the child.
    """
    environment = dict(env or {}) if only_env else {**os.environ, **(env or {})}
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "harness", *args],
        cwd=ROOT,
        env={"NO_COLOR": "1", **environment},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return CliResult(result.returncode, result.stdout, result.stderr)


async def start_receiver(received: Received) -> AppServer:
    async def hook(request: web.Request) -> web.Response:
        provided = request.headers.get("X-Webhook-Secret")
        received.requests.append((provided, await request.read()))
        return web.Response(status=200 if provided == SECRET else 401)

    app = web.Application()
    app.router.add_post("/webhooks", hook)
    return await AppServer(app).start()


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[AppServer, Received]]:
    received = Received()
    server = await start_receiver(received)
    try:
        yield server, received
    finally:
        await server.close()


@pytest.fixture
async def logged(tmp_path: Path, receiver: tuple[AppServer, Received]) -> tuple[Path, Delivery]:
    """A log holding one successful delivery of BODY to the receiver."""
    server, received = receiver
    db = tmp_path / "deliveries.db"
    with DeliveryLog(db) as log:
        async with Deliverer(f"{server.url}/webhooks", SECRET, recorder=log) as deliverer:
            delivery = await deliverer.deliver(BODY, event_type="call_started", call_id="ac_replay")
    assert delivery.ok
    received.requests.clear()
    return db, delivery


async def test_replay_resends_the_exact_bytes_and_logs_it(
    logged: tuple[Path, Delivery], receiver: tuple[AppServer, Received]
) -> None:
    db, original = logged
    server, received = receiver

    result = await run_cli("replay", original.id, "--db", str(db), "--secret", SECRET)

    assert result.returncode == 0, result.stderr
    assert received.requests == [(SECRET, BODY)]
    with DeliveryLog(db) as log:
        [replay] = log.list_deliveries(limit=1)
    assert replay.id != original.id
    assert replay.replay_of == original.id
    assert replay.body == BODY
    assert (replay.event_type, replay.call_id, replay.url) == ("call_started", "ac_replay", f"{server.url}/webhooks")
    assert replay.ok
    assert replay.attempts[0].request_headers["X-Webhook-Secret"] == "***"
    assert result.stdout.startswith(f"{replay.id} (replay of {original.id}) -> {server.url}/webhooks: 200 in ")


async def test_replay_takes_the_secret_from_the_environment(logged: tuple[Path, Delivery]) -> None:
    db, original = logged

    result = await run_cli("replay", original.id, "--db", str(db), env={"CARTESIA_WEBHOOK_SECRET": SECRET})

    assert result.returncode == 0, result.stderr


async def test_replay_to_another_receiver(logged: tuple[Path, Delivery], receiver: tuple[AppServer, Received]) -> None:
    db, original = logged
    _, first = receiver
    other_received = Received()
    other = await start_receiver(other_received)
    try:
        result = await run_cli(
            "replay", original.id, "--db", str(db), "--secret", SECRET, "--to", f"{other.url}/webhooks"
        )
    finally:
        await other.close()

    assert result.returncode == 0, result.stderr
    assert first.requests == []
    assert other_received.requests == [(SECRET, BODY)]


async def test_a_rejected_replay_exits_1(logged: tuple[Path, Delivery]) -> None:
    db, original = logged

    result = await run_cli("replay", original.id, "--db", str(db), "--secret", "not-the-secret")

    assert result.returncode == 1
    assert "failed (status 401)" in result.stdout
    with DeliveryLog(db) as log:
        assert [d.ok for d in log.list_deliveries()] == [False, True]


async def test_an_unreachable_target_exits_1(logged: tuple[Path, Delivery]) -> None:
    db, original = logged
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    result = await run_cli(
        "replay", original.id, "--db", str(db), "--secret", SECRET, "--to", f"http://127.0.0.1:{port}/"
    )

    assert result.returncode == 1
    assert "failed (refused)" in result.stdout
    assert "Traceback" not in result.stderr


async def test_unknown_id_exits_2_naming_it(logged: tuple[Path, Delivery]) -> None:
    db, _ = logged

    result = await run_cli("replay", "dlv_nope", "--db", str(db), "--secret", SECRET)

    assert result.returncode == 2
    assert "dlv_nope" in result.stderr
    assert str(db) in result.stderr
    assert "Traceback" not in result.stderr


async def test_missing_log_exits_2_and_creates_nothing(tmp_path: Path) -> None:
    db = tmp_path / "none" / "deliveries.db"

    result = await run_cli("replay", "dlv_x", "--db", str(db), "--secret", SECRET)

    assert result.returncode == 2
    assert f"no delivery log at {db}" in result.stderr
    assert not db.parent.exists()


async def test_missing_secret_exits_2(logged: tuple[Path, Delivery]) -> None:
    db, original = logged
    env = {key: value for key, value in os.environ.items() if key != "CARTESIA_WEBHOOK_SECRET"}

    result = await run_cli("replay", original.id, "--db", str(db), env=env, only_env=True)

    assert result.returncode == 2
    assert "--secret" in result.stderr
    assert "CARTESIA_WEBHOOK_SECRET" in result.stderr


async def test_bad_target_url_exits_2(logged: tuple[Path, Delivery]) -> None:
    db, original = logged

    result = await run_cli("replay", original.id, "--db", str(db), "--secret", SECRET, "--to", "ftp://example")

    assert result.returncode == 2
    assert "ftp://example" in result.stderr


async def test_deliveries_lists_newest_first(logged: tuple[Path, Delivery]) -> None:
    db, original = logged
    replayed = await run_cli("replay", original.id, "--db", str(db), "--secret", "wrong")
    assert replayed.returncode == 1

    listing = await run_cli("deliveries", "--db", str(db))
    failed = await run_cli("deliveries", "--db", str(db), "--failed", "--json")
    by_call = await run_cli("deliveries", "--db", str(db), "--call", "ac_other")

    assert listing.returncode == 0, listing.stderr
    lines = listing.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].endswith(f"replay of {original.id}")
    assert "failed (status 401)" in lines[0]
    assert lines[1].startswith(f"{original.id}  ")
    assert "call_started  ac_replay  200 in " in lines[1]
    [failed_line] = failed.stdout.splitlines()
    data = json.loads(failed_line)
    assert data["replay_of"] == original.id
    assert data["attempts"][0]["status"] == 401
    assert data["body"] == BODY.decode()
    assert by_call.stdout == ""


@pytest.mark.parametrize("limit", ["0", "100001", "9223372036854775808"])
async def test_deliveries_limit_out_of_bounds_exits_2(logged: tuple[Path, Delivery], limit: str) -> None:
    db, _ = logged

    result = await run_cli("deliveries", "--db", str(db), "--limit", limit)

    assert result.returncode == 2
    assert f"--limit {limit}: expected a number from 1 to 100,000" in result.stderr
    assert "Traceback" not in result.stderr
