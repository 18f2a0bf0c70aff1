"""Deliveries whose outcome the log never got read as ``unknown`` everywhere, and can be replayed."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from harness.delivery import Attempt, Delivery, mask_secret, webhook_headers
from harness.server import MockServer, ServerConfig
from harness.store import UNKNOWN_OUTCOME, DeliveryLog
from tests.conftest import ROOT, SECRET
from tests.integration.server_helpers import RecordingReceiver

BODY = b'{"type":"call_started","call_id":"ac_unknown","agent_id":"agent_x","webhook_id":"agent_webhook_x"}'


@pytest.fixture
async def unknown_log(tmp_path: Path, receiver: RecordingReceiver) -> Path:
    """A log holding one delivery to the receiver whose intent was recorded, but never its outcome."""
    db = tmp_path / "deliveries.db"
    log = DeliveryLog(db)
    delivery = Delivery(id="dlv_unknown", url=receiver.url, body=BODY, event_type="call_started", call_id="ac_unknown")
    attempt = Attempt(number=1, url=receiver.url, request_headers=mask_secret(webhook_headers(SECRET)), started_at=1.0)
    log.record_call("ac_unknown", agent_id="agent_x", scenario="happy-path", events=5)
    await log.record_intent(delivery, attempt)
    log.close()  # with the attempt still in flight, as a stopped server would leave it
    return db


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "NO_COLOR": "1"}
    command = [sys.executable, "-m", "harness", *args]
    return subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60, check=False)


async def test_harness_deliveries_shows_unknown(unknown_log: Path) -> None:
    listing = await asyncio.to_thread(run_cli, "deliveries", "--db", str(unknown_log))
    as_json = await asyncio.to_thread(run_cli, "deliveries", "--db", str(unknown_log), "--json")

    assert listing.returncode == 0, listing.stderr
    [line] = listing.stdout.splitlines()
    assert line.startswith("dlv_unknown  ")
    assert line.endswith(f"call_started  ac_unknown  unknown: {UNKNOWN_OUTCOME}")
    [attempt] = json.loads(as_json.stdout)["attempts"]
    assert (attempt["failure"], attempt["in_flight"], attempt["status"]) == ("unknown", False, None)


async def test_harness_replay_sends_an_unknown_delivery_again(unknown_log: Path, receiver: RecordingReceiver) -> None:
    result = await asyncio.to_thread(run_cli, "replay", "dlv_unknown", "--db", str(unknown_log), "--secret", SECRET)

    assert result.returncode == 0, result.stderr
    assert [(r.secret, r.body) for r in receiver.received] == [(SECRET, BODY)]
    with DeliveryLog(unknown_log) as log:
        replay, original = log.list_deliveries()
    assert (replay.replay_of, replay.ok, original.id, original.ok) == ("dlv_unknown", True, "dlv_unknown", False)


async def test_the_control_api_lists_and_replays_an_unknown_delivery(
    unknown_log: Path, receiver: RecordingReceiver
) -> None:
    config = ServerConfig(port=0, target_url=receiver.url, secret=SECRET, db_path=str(unknown_log))
    async with MockServer(config) as server, aiohttp.ClientSession() as http:
        async with http.get(server.url + "/_harness/deliveries") as answer:
            [listed] = (await answer.json())["data"]
        async with http.post(server.url + "/_harness/deliveries/dlv_unknown/replay") as answer:
            replayed_status, replayed = answer.status, await answer.json()

    assert listed["id"] == "dlv_unknown"
    assert [(a["failure"], a["error"]) for a in listed["attempts"]] == [("unknown", UNKNOWN_OUTCOME)]
    assert (replayed_status, replayed["replay_of"], replayed["ok"]) == (201, "dlv_unknown", True)
    assert [(r.secret, r.body) for r in receiver.received] == [(SECRET, BODY)]


async def test_the_console_shows_an_unknown_delivery_as_unknown(unknown_log: Path, receiver: RecordingReceiver) -> None:
    config = ServerConfig(port=0, target_url=receiver.url, secret=SECRET, db_path=str(unknown_log))
    async with (
        MockServer(config) as server,
        aiohttp.ClientSession() as http,
        http.get(server.url + "/calls/ac_unknown?tab=webhooks") as answer,
    ):
        page = await answer.text()
    assert '<span class="status status-unknown"' in page
    assert "no answer · unknown" not in page


async def test_the_console_shows_a_delivery_in_flight_as_in_flight(tmp_path: Path, receiver: RecordingReceiver) -> None:
    config = ServerConfig(port=0, target_url=receiver.url, secret=SECRET, db_path=str(tmp_path / "log.db"))
    async with MockServer(config) as server, aiohttp.ClientSession() as http:
        delivery = Delivery(
            id="dlv_flying", url=receiver.url, body=BODY, event_type="call_started", call_id="ac_unknown"
        )
        attempt = Attempt(number=1, url=receiver.url, request_headers={}, started_at=1.0)
        server.log.record_call("ac_unknown", agent_id="agent_x", scenario="happy-path", events=5)
        await server.log.record_intent(delivery, attempt)  # this process wrote it, and is still running
        async with http.get(server.url + "/calls/ac_unknown?tab=webhooks") as answer:
            page = await answer.text()
    assert '<span class="status status-in-progress">in flight</span>' in page
