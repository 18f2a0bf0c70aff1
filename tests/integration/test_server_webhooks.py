"""Webhook management: register a receiver and rotate its secret, used from the next delivery on."""

from __future__ import annotations

from typing import Any

import aiohttp

from harness.server import MockServer, ServerConfig
from tests.integration.server_helpers import SECRET, RecordingReceiver

AUTH = {"X-API-Key": "sk_test"}


async def call(http: aiohttp.ClientSession, method: str, url: str, **kwargs: Any) -> tuple[int, Any]:
    async with http.request(method, url, headers=AUTH, **kwargs) as response:
        return response.status, await response.json()


async def test_a_webhook_registered_through_the_api_receives_the_events() -> None:
    async with (
        RecordingReceiver() as receiver,
        MockServer(ServerConfig(port=0, db_path=":memory:")) as server,
        aiohttp.ClientSession() as http,
    ):
        payload = {"display_name": "mine", "url": receiver.url, "secret": "s1"}
        status, hook = await call(http, "POST", server.url + "/agents/webhooks", json=payload)
        assert status == 200
        assert hook["id"].startswith("agent_webhook_")
        assert hook["url"] == receiver.url
        assert "secret" not in hook
        _, listing = await call(http, "GET", server.url + "/agents/webhooks")
        assert listing == {"data": [hook], "has_more": False, "next_page": None}
        await server.wait_for_calls(await server.start_calls("happy-path", calls=1))
        assert receiver.received
        assert {r.secret for r in receiver.received} == {"s1"}
        assert all(b'"webhook_id":"' + hook["id"].encode() in r.body for r in receiver.received)


async def test_a_rotated_secret_is_used_from_the_next_delivery_on() -> None:
    async with RecordingReceiver(hold=True) as receiver, aiohttp.ClientSession() as http:
        config = ServerConfig(port=0, target_url=receiver.url, secret=SECRET, db_path=":memory:")
        async with MockServer(config) as server:
            call_ids = await server.start_calls("happy-path", calls=1)
            await receiver.wait_for(1)
            status, hook = await call(
                http, "PATCH", f"{server.url}/agents/webhooks/{config.webhook_id}", json={"secret": "rotated"}
            )
            assert status == 200
            assert hook["updated_at"] >= hook["created_at"]
            receiver.release()
            await server.wait_for_calls(call_ids)
            secrets = [r.secret for r in receiver.received]
            assert secrets[0] == SECRET
            assert set(secrets[1:]) == {"rotated"}
            status, _ = await call(http, "PATCH", f"{server.url}/agents/webhooks/agent_webhook_nope", json={})
            assert status == 404


async def test_bad_webhook_requests_get_400() -> None:
    async with MockServer(ServerConfig(port=0, db_path=":memory:")) as server, aiohttp.ClientSession() as http:
        status, body = await call(http, "POST", server.url + "/agents/webhooks", json={"secret": "x"})
        assert status == 400
        assert "url" in body["description"]
        status, _ = await call(http, "POST", server.url + "/agents/webhooks", data=b"not json")
        assert status == 400
        nested = b"[" * 100_000 + b"]" * 100_000
        status, body = await call(http, "POST", server.url + "/agents/webhooks", data=nested)
        assert (status, body["message"]) == (400, "Invalid JSON")
        assert server.errors == []
        for url in ("ftp://127.0.0.1/x", "http://127.0.0.1:99999/x"):
            status, body = await call(http, "POST", server.url + "/agents/webhooks", json={"url": url})
            assert (status, body["message"]) == (400, "Invalid url")
            assert url in body["description"]
        created = {"url": "http://127.0.0.1:1/webhooks", "secret": "x"}
        status, hook = await call(http, "POST", server.url + "/agents/webhooks", json=created)
        assert status == 200
        patched = server.url + "/agents/webhooks/" + hook["id"]
        status, body = await call(http, "PATCH", patched, json={"url": "ftp://127.0.0.1/x"})
        assert (status, body["message"]) == (400, "Invalid url")
        _, unchanged = await call(http, "GET", patched)
        assert unchanged["url"] == created["url"]
        new_url = {"url": "http://127.0.0.1:2/webhooks", "secret": 5}
        status, body = await call(http, "PATCH", patched, json=new_url)
        assert (status, body["message"]) == (400, "Invalid secret")
        _, unchanged = await call(http, "GET", patched)
        assert unchanged["url"] == created["url"]
        async with http.get(server.url + "/agents/webhooks") as response:
            assert response.status == 401
