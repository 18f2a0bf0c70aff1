"""The control API under /_harness/: start calls, list, show and replay deliveries, scenarios, health."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest

from harness.scenarios import list_scenarios
from harness.server import MockServer, ServerConfig
from tests.conftest import SECRET
from tests.integration.server_helpers import RecordingReceiver, server_config
from tests.integration.server_helpers import call_json as call


async def test_start_calls_from_a_scenario_name_returns_their_ids(
    server: MockServer, receiver: RecordingReceiver, http: aiohttp.ClientSession
) -> None:
    status, body = await call(http, "POST", server.url + "/_harness/calls", json={"scenario": "happy-path", "calls": 2})
    assert status == 201
    assert len(body["call_ids"]) == 2
    await server.wait_for_calls(body["call_ids"])
    delivered_calls = {json.loads(r.body)["call_id"] for r in receiver.received}
    assert delivered_calls == set(body["call_ids"])
    assert all(r.secret == SECRET for r in receiver.received)


async def test_start_calls_from_parameters(
    server: MockServer, receiver: RecordingReceiver, http: aiohttp.ClientSession
) -> None:
    status, body = await call(
        http, "POST", server.url + "/_harness/calls", json={"calls": 3, "outcome": "dial_busy", "seed": 4}
    )
    assert status == 201
    await server.wait_for_calls(body["call_ids"])
    types = [json.loads(r.body)["type"] for r in receiver.received]
    assert types.count("call_failed") == 3
    assert "call_completed" not in types


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"scenario": "nope"}, "no scenario named 'nope'"),
        ({"calls": 0}, 'field "calls": expected >= 1'),
        ({"scenario": 3}, 'field "scenario": expected the name of a scenario this server offers'),
    ],
)
async def test_bad_requests_get_400_with_the_reason(
    server: MockServer, http: aiohttp.ClientSession, payload: dict[str, Any], expected: str
) -> None:
    status, body = await call(http, "POST", server.url + "/_harness/calls", json=payload)
    assert status == 400
    assert expected in body["description"]


@pytest.mark.parametrize("body", [b"not json", b"[1]", b"[" * 100_000 + b"]" * 100_000])
async def test_a_body_that_is_not_a_json_object_gets_400_and_no_server_error(
    server: MockServer, http: aiohttp.ClientSession, body: bytes
) -> None:
    status, answer = await call(http, "POST", server.url + "/_harness/calls", data=body)
    assert (status, answer["message"]) == (400, "Invalid JSON")
    assert server.errors == []


async def test_deliveries_are_listed_filtered_and_shown_with_attempts(
    server: MockServer, http: aiohttp.ClientSession
) -> None:
    first, second = await server.start_calls("happy-path", calls=2)
    await server.wait_for_calls()
    status, listing = await call(http, "GET", server.url + "/_harness/deliveries", params={"call_id": first})
    assert status == 200
    assert listing["data"]
    assert {d["call_id"] for d in listing["data"]} == {first}
    _, started = await call(
        http, "GET", server.url + "/_harness/deliveries", params={"event_type": "call_started", "ok": "true"}
    )
    assert {d["call_id"] for d in started["data"]} == {first, second}
    _, limited = await call(http, "GET", server.url + "/_harness/deliveries", params={"limit": "1"})
    assert len(limited["data"]) == 1
    delivery_id = listing["data"][0]["id"]
    status, shown = await call(http, "GET", f"{server.url}/_harness/deliveries/{delivery_id}")
    assert status == 200
    assert shown["id"] == delivery_id
    assert shown["attempts"][0]["status"] == 200
    status, missing = await call(http, "GET", f"{server.url}/_harness/deliveries/dlv_missing")
    assert status == 404
    assert "dlv_missing" in missing["description"]
    status, _ = await call(http, "GET", server.url + "/_harness/deliveries", params={"ok": "maybe"})
    assert status == 400


async def test_replay_resends_the_exact_bytes_as_a_new_delivery(
    server: MockServer, receiver: RecordingReceiver, http: aiohttp.ClientSession
) -> None:
    [call_id] = await server.start_calls("happy-path", calls=1)
    await server.wait_for_calls()
    _, listing = await call(http, "GET", server.url + "/_harness/deliveries", params={"call_id": call_id, "limit": "1"})
    original = listing["data"][0]
    before = len(receiver.received)
    status, replayed = await call(http, "POST", f"{server.url}/_harness/deliveries/{original['id']}/replay")
    assert status == 201
    assert replayed["replay_of"] == original["id"]
    assert replayed["id"] != original["id"]
    assert len(receiver.received) == before + 1
    assert receiver.received[-1].body.decode() == original["body"]
    status, _ = await call(http, "POST", f"{server.url}/_harness/deliveries/dlv_missing/replay")
    assert status == 404


async def test_scenarios_and_health(
    server: MockServer, receiver: RecordingReceiver, http: aiohttp.ClientSession
) -> None:
    status, scenarios = await call(http, "GET", server.url + "/_harness/scenarios")
    assert status == 200
    assert [s["name"] for s in scenarios["data"]] == [s.name for s in list_scenarios()]
    status, health = await call(http, "GET", server.url + "/_harness/health")
    assert status == 200
    assert health["status"] == "ok"
    assert health["webhook_url"] == receiver.url
    assert health["errors"] == []


async def test_without_a_webhook_starting_calls_says_what_to_do(http: aiohttp.ClientSession) -> None:
    async with MockServer(ServerConfig(port=0, db_path=":memory:")) as server:
        status, body = await call(http, "POST", server.url + "/_harness/calls", json={"scenario": "happy-path"})
    assert status == 400
    assert "--to URL" in body["description"]


async def test_clear_forgets_calls_and_deliveries(server: MockServer) -> None:
    await server.start_calls("happy-path", calls=1)
    await server.wait_for_calls()
    assert server.log.count() > 0
    server.clear()
    assert server.log.count() == 0
    assert len(server.calls) == 0


async def test_aclear_stops_calls_in_progress_before_forgetting() -> None:
    async with RecordingReceiver(hold=True) as receiver:
        config = server_config(receiver.url)
        async with MockServer(config) as server:
            await server.start_calls("happy-path", calls=2)
            await receiver.wait_for(2)
            await server.aclear()
            receiver.release()
            assert server.calls_in_progress == 0
            server.log.flush()
            assert server.log.count() == 0
            assert len(server.calls) == 0
