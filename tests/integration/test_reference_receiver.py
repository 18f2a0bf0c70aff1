"""The reference receiver, served on a free loopback port and driven over real HTTP."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp

from harness.delivery import Deliverer
from harness.serving import AppServer
from tests.conftest import SECRET, load_fixture

WEBHOOK = "/webhooks"
PROBE = "/_harness/processed"


async def post(server: AppServer, body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(server.url + WEBHOOK, data=body, headers=headers) as response,
    ):
        return response.status, await response.json()


async def processed(server: AppServer) -> list[dict[str, Any]]:
    async with aiohttp.ClientSession() as session, session.get(server.url + PROBE) as response:
        assert response.status == 200
        assert response.content_type == "application/json"
        entries: list[dict[str, Any]] = (await response.json())["processed"]
        return entries


def body(name: str) -> bytes:
    return json.dumps(load_fixture(name)).encode()


async def test_correct_secret_is_acted_on_and_probed(reference_receiver: AppServer) -> None:
    status, _ = await post(reference_receiver, body("call_started"), {"X-Webhook-Secret": SECRET})
    assert status == 200
    entries = await processed(reference_receiver)
    source = load_fixture("call_started")
    assert [(e["type"], e["call_id"], e["timestamp"]) for e in entries] == [
        ("call_started", source["call_id"], source["timestamp"])
    ]


async def test_header_name_is_case_insensitive(reference_receiver: AppServer) -> None:
    status, _ = await post(reference_receiver, body("call_turn"), {"x-webhook-secret": SECRET})
    assert status == 200


async def test_bad_secrets_get_401_and_no_side_effect(reference_receiver: AppServer) -> None:
    for headers in (
        {},
        {"X-Webhook-Secret": ""},
        {"X-Webhook-Secret": SECRET[:-1]},
        {"X-Webhook-Secret": SECRET + "x"},
    ):
        status, _ = await post(reference_receiver, body("call_started"), headers)
        assert status == 401, headers
    async with (
        aiohttp.ClientSession() as session,
        session.post(reference_receiver.url + WEBHOOK + "?secret=" + SECRET, data=body("call_started")) as response,
    ):
        assert response.status == 401
    assert await processed(reference_receiver) == []


async def test_a_secret_header_that_is_not_utf8_gets_401(reference_receiver: AppServer) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", reference_receiver.port)
    try:
        writer.write(
            b"POST /webhooks HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Webhook-Secret: \xff\xfe\r\n"
            b"Content-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"
        )
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), 10)
    finally:
        writer.close()
        await writer.wait_closed()
    assert answer.startswith(b"HTTP/1.1 401 "), answer[:80]
    assert await processed(reference_receiver) == []


async def test_malformed_json_is_400(reference_receiver: AppServer) -> None:
    status, answer = await post(reference_receiver, b'{"type": "call_started",', {"X-Webhook-Secret": SECRET})
    assert status == 400
    assert "not valid JSON" in answer["error"]
    assert await processed(reference_receiver) == []


async def test_json_nested_too_deeply_is_400(reference_receiver: AppServer) -> None:
    nested = b'{"type": "call_turn", "call_id": "ac_deep", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    status, answer = await post(reference_receiver, nested, {"X-Webhook-Secret": SECRET})
    assert status == 400
    assert "nested too deeply" in answer["error"]


async def test_unknown_type_is_200(reference_receiver: AppServer) -> None:
    status, _ = await post(reference_receiver, body("unknown_event_type"), {"X-Webhook-Secret": SECRET})
    assert status == 200


async def test_concurrent_duplicates_are_acted_on_once(reference_receiver: AppServer) -> None:
    payload = body("call_completed")
    async with aiohttp.ClientSession() as session:

        async def send() -> int:
            async with session.post(
                reference_receiver.url + WEBHOOK, data=payload, headers={"X-Webhook-Secret": SECRET}
            ) as response:
                return response.status

        statuses = await asyncio.gather(*(send() for _ in range(20)))
    assert statuses == [200] * 20
    assert len(await processed(reference_receiver)) == 1


async def test_acts_in_arrival_order_whatever_the_order(reference_receiver: AppServer) -> None:
    names = ["post_call_analysis", "call_completed", "call_turn", "call_started"]
    for name in names:
        status, _ = await post(reference_receiver, body(name), {"X-Webhook-Secret": SECRET})
        assert status == 200
    assert [e["type"] for e in await processed(reference_receiver)] == names


async def test_rotation_accepts_both_secrets() -> None:
    from harness.receiver import create_app

    async with AppServer(create_app(["old", "new"])) as server:
        for secret in ("old", "new"):
            status, _ = await post(server, body("call_started"), {"X-Webhook-Secret": secret})
            assert status == 200


async def test_server_start_and_close_are_idempotent() -> None:
    from harness.receiver import create_app

    server = AppServer(create_app(SECRET))
    await server.start()
    port = server.port
    await server.start()
    assert server.port == port != 0
    await server.close()
    await server.close()


async def test_accepts_a_long_call_of_several_mib(reference_receiver: AppServer) -> None:
    source = load_fixture("call_completed")
    turns = source["call"]["transcript"] * 400
    source["call"]["transcript"] = source["body"] = turns
    payload = json.dumps(source).encode()
    assert len(payload) > 2 * 1024 * 1024
    async with Deliverer(reference_receiver.url + WEBHOOK, SECRET) as deliverer:
        delivery = await deliverer.deliver(payload)
    assert delivery.last.status == 200, delivery.last.response_body
