"""Webhook management: register a receiver and rotate its secret, used from the next delivery on.

The request and answer shapes are the platform's: POST requires url and secret and shows the secret once;
GET lists without secrets in cursor pages; PATCH requires url and answers the id; DELETE answers the id.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from harness.errors import ConfigError
from harness.server import MockServer, ServerConfig
from tests.conftest import SECRET
from tests.integration.server_helpers import RecordingReceiver, call_json, server_config

AUTH = {"X-API-Key": "sk_test"}


async def call(http: aiohttp.ClientSession, method: str, url: str, **kwargs: Any) -> tuple[int, Any]:
    return await call_json(http, method, url, headers=AUTH, **kwargs)


async def test_a_webhook_registered_through_the_api_receives_the_events() -> None:
    async with (
        RecordingReceiver() as receiver,
        MockServer(ServerConfig(port=0, db_path=":memory:")) as server,
        aiohttp.ClientSession() as http,
    ):
        payload = {"display_name": "mine", "url": receiver.url, "secret": "s1"}
        status, created = await call(http, "POST", server.url + "/agents/webhooks", json=payload)
        assert status == 200
        assert created["id"].startswith("agent_webhook_")
        assert created["url"] == receiver.url
        assert created["secret"] == "s1"  # shown once, in the answer to the POST
        hook = {key: value for key, value in created.items() if key != "secret"}
        _, listing = await call(http, "GET", server.url + "/agents/webhooks")
        assert listing == {"data": [hook], "has_more": False, "next_page": None}
        _, fetched = await call(http, "GET", server.url + "/agents/webhooks/" + hook["id"])
        assert fetched == hook
        await server.wait_for_calls(await server.start_calls("happy-path", calls=1))
        assert receiver.received
        assert {r.secret for r in receiver.received} == {"s1"}
        assert all(b'"webhook_id":"' + hook["id"].encode() in r.body for r in receiver.received)


async def test_a_rotated_secret_is_used_from_the_next_delivery_on() -> None:
    async with RecordingReceiver(hold=True) as receiver, aiohttp.ClientSession() as http:
        config = server_config(receiver.url)
        async with MockServer(config) as server:
            call_ids = await server.start_calls("happy-path", calls=1)
            await receiver.wait_for(1)
            hook_url = f"{server.url}/agents/webhooks/{config.webhook_id}"
            status, answer = await call(http, "PATCH", hook_url, json={"url": receiver.url, "secret": "rotated"})
            assert (status, answer) == (200, config.webhook_id)
            _, hook = await call(http, "GET", hook_url)
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
        assert server.errors == []
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


async def test_a_secret_no_request_can_carry_gets_400_and_is_not_echoed() -> None:
    unsendable = SECRET + "\r\nX-Injected: 1"
    async with MockServer(ServerConfig(port=0, db_path=":memory:")) as server, aiohttp.ClientSession() as http:
        hooks = server.url + "/agents/webhooks"
        status, body = await call(http, "POST", hooks, json={"url": "http://127.0.0.1:1/hook", "secret": unsendable})
        assert (status, body["message"]) == (400, "Invalid secret")
        assert "control character (U+000D)" in body["description"]
        assert SECRET not in str(body)
        status, hook = await call(http, "POST", hooks, json={"url": "http://127.0.0.1:1/hook", "secret": SECRET})
        assert status == 200
        rotated = {"url": "http://127.0.0.1:1/hook", "secret": unsendable}
        status, body = await call(http, "PATCH", f"{hooks}/{hook['id']}", json=rotated)
        assert (status, body["message"]) == (400, "Invalid secret")
        assert server.webhooks.get(hook["id"]).secret == SECRET  # type: ignore[union-attr]
        assert server.errors == []


async def test_callers_of_the_earlier_shapes_get_a_clear_400() -> None:
    async with MockServer(ServerConfig(port=0, db_path=":memory:")) as server, aiohttp.ClientSession() as http:
        status, body = await call(http, "POST", server.url + "/agents/webhooks", json={"url": "http://127.0.0.1:1/w"})
        assert (status, body["message"]) == (400, "Missing secret")
        assert "X-Webhook-Secret" in body["description"]
        assert len(server.webhooks) == 0
        created = {"url": "http://127.0.0.1:1/w", "secret": "s"}
        _, hook = await call(http, "POST", server.url + "/agents/webhooks", json=created)
        status, body = await call(http, "PATCH", server.url + "/agents/webhooks/" + hook["id"], json={"secret": "t"})
        assert (status, body["message"]) == (400, "Missing url")
        assert "send the current url to keep it" in body["description"]
        assert server.webhooks.get(hook["id"]).secret == "s"  # type: ignore[union-attr]


async def test_listing_pages_with_cursors_and_never_shows_secrets() -> None:
    async with MockServer(ServerConfig(port=0, db_path=":memory:")) as server, aiohttp.ClientSession() as http:
        ids = []
        for index in range(12):
            payload = {"url": f"http://127.0.0.1:1/w{index}", "secret": f"secret-{index}"}
            _, hook = await call(http, "POST", server.url + "/agents/webhooks", json=payload)
            ids.append(hook["id"])
        status, first = await call(http, "GET", server.url + "/agents/webhooks")
        assert status == 200
        assert [h["id"] for h in first["data"]] == list(reversed(ids))[:10]  # default limit 10, newest first
        assert (first["has_more"], first["next_page"]) == (True, ids[2])
        seen: list[str] = []
        params = {"limit": "5"}
        while True:  # as the official clients page: until data is empty
            status, page = await call(http, "GET", server.url + "/agents/webhooks", params=params)
            assert status == 200
            if not page["data"]:
                assert (page["has_more"], page["next_page"]) == (False, None)
                break
            assert all("secret" not in h for h in page["data"])
            seen += [h["id"] for h in page["data"]]
            params["starting_after"] = seen[-1]
        assert seen == list(reversed(ids))
        for bad in ({"limit": "0"}, {"limit": "101"}, {"starting_after": "agent_webhook_nope"}):
            status, body = await call(http, "GET", server.url + "/agents/webhooks", params=bad)
            assert (status, body["message"][:7]) == (400, "Invalid"), bad


async def test_deleting_a_webhook_answers_its_id_and_the_next_takes_over() -> None:
    async with (
        RecordingReceiver() as first,
        RecordingReceiver() as second,
        MockServer(server_config(first.url)) as server,
        aiohttp.ClientSession() as http,
    ):
        _, hook = await call(http, "POST", server.url + "/agents/webhooks", json={"url": second.url, "secret": "s2"})
        status, answer = await call(http, "DELETE", f"{server.url}/agents/webhooks/{server.config.webhook_id}")
        assert (status, answer) == (200, server.config.webhook_id)
        status, _ = await call(http, "GET", f"{server.url}/agents/webhooks/{server.config.webhook_id}")
        assert status == 404
        status, _ = await call(http, "DELETE", f"{server.url}/agents/webhooks/{server.config.webhook_id}")
        assert status == 404
        await server.wait_for_calls(await server.start_calls("happy-path", calls=1))
        assert first.received == []
        assert {r.secret for r in second.received} == {"s2"}
        await call(http, "DELETE", f"{server.url}/agents/webhooks/{hook['id']}")
        with pytest.raises(ConfigError, match="no webhook to deliver to"):
            await server.start_calls("happy-path", calls=1)
