"""The mock server's Host, Origin and control-token rules, its masking of credentials, and its call ids."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from harness.errors import ScenarioError
from harness.server import MockServer, ServerConfig
from harness.serving import AppServer
from harness.store import DeliveryLog
from tests.conftest import SECRET
from tests.integration.server_helpers import RecordingReceiver, server_config

TOKEN = "control-token-0123456789abcdef"


async def status_of(method: str, url: str, **kwargs: Any) -> int:
    async with aiohttp.ClientSession() as http, http.request(method, url, **kwargs) as response:
        await response.read()
        return response.status


def log_bytes(folder: Path) -> bytes:
    """Every byte of the delivery log in ``folder`` (the database and its WAL)."""
    return b"".join(path.read_bytes() for path in sorted(folder.glob("log.db*")))


def port_of(url: str) -> str:
    return url.rsplit(":", 1)[1]


async def test_the_control_api_answers_only_to_its_own_names(receiver: RecordingReceiver) -> None:
    async with MockServer(server_config(receiver.url, allowed_hosts=frozenset({"harness.test"}))) as server:
        port = port_of(server.url)
        for host, expected in [
            (f"127.0.0.1:{port}", 200),
            (f"localhost:{port}", 200),
            (f"harness.test:{port}", 200),
            (f"rebound.attacker.example:{port}", 421),
            ("", 421),
        ]:
            assert await status_of("GET", server.url + "/_harness/health", headers={"Host": host}) == expected, host


async def test_the_calls_api_answers_receivers_calling_back_by_any_name_but_not_browsers(
    receiver: RecordingReceiver,
) -> None:
    async with MockServer(server_config(receiver.url)) as server:
        callback = {"Host": "host.docker.internal", "X-API-Key": "k"}
        assert await status_of("GET", server.url + "/agents/calls", headers=callback) == 200
        browser = {**callback, "Sec-Fetch-Site": "same-origin"}
        assert await status_of("GET", server.url + "/agents/calls", headers=browser) == 421


async def test_state_changing_requests_from_another_sites_page_are_refused(receiver: RecordingReceiver) -> None:
    async with MockServer(server_config(receiver.url)) as server:
        url = server.url + "/_harness/calls"
        body = json.dumps({"calls": 1, "turns": 0})
        same_origin = {"Origin": server.url, "Content-Type": "text/plain"}
        assert await status_of("POST", url, data=body, headers={"Origin": "http://evil.example"}) == 403
        assert await status_of("POST", url, data=body, headers={"Origin": "null"}) == 403
        assert await status_of("POST", url, data=body, headers={"Sec-Fetch-Site": "cross-site"}) == 403
        assert await status_of("POST", url, data=body, headers=same_origin) == 201
        assert await status_of("POST", url, data=body) == 201  # curl and scripts send no Origin
        webhooks = server.url + "/agents/webhooks"
        attack = {"Origin": "http://evil.example", "X-API-Key": "k"}
        assert await status_of("POST", webhooks, json={"url": "http://evil.example/x"}, headers=attack) == 403
        assert server.webhooks.active is not None
        assert server.webhooks.active.url == receiver.url


async def test_a_control_token_is_required_once_set(receiver: RecordingReceiver) -> None:
    async with MockServer(server_config(receiver.url, control_token=TOKEN)) as server:
        health = server.url + "/_harness/health"
        assert await status_of("GET", health) == 401
        assert await status_of("GET", health, headers={"Authorization": "Bearer wrong"}) == 401
        assert await status_of("GET", health, headers={"Authorization": f"Bearer {TOKEN}"}) == 200
        assert await status_of("GET", health, cookies={"harness_control_token": TOKEN}) == 200
        # The Calls API keeps its own keys: receivers calling back need no control token.
        assert await status_of("GET", server.url + "/agents/calls", headers={"X-API-Key": "k"}) == 200


def test_binding_beyond_loopback_needs_a_token() -> None:
    with pytest.raises(ValueError, match="needs a control token"):
        ServerConfig(host="0.0.0.0", port=0)
    assert ServerConfig(host="0.0.0.0", port=0, control_token=TOKEN).control_token == TOKEN
    assert ServerConfig(host="127.0.0.2", port=0).control_token is None  # 127.0.0.0/8 is loopback too


async def test_an_ipv6_server_url_has_brackets() -> None:
    async with MockServer(ServerConfig(host="::1", port=0, db_path=":memory:")) as server:
        assert server.url.startswith("http://[::1]:")
        assert await status_of("GET", server.url + "/_harness/health") == 200


async def test_a_password_in_the_webhook_url_is_masked_wherever_shown_or_stored(tmp_path: Path) -> None:
    got: list[str | None] = []

    async def handle(request: web.Request) -> web.Response:
        got.append(request.headers.get("Authorization"))
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", handle)
    async with AppServer(app) as plain:
        url = plain.url.replace("http://", "http://user:s3cret-pw@") + "/hook"
        db = tmp_path / "log.db"
        async with MockServer(ServerConfig(port=0, target_url=url, secret=SECRET, db_path=db)) as server:
            await server.wait_for_calls(await server.start_calls(calls=1, turns=0))
            async with aiohttp.ClientSession() as http, http.get(server.url + "/_harness/health") as response:
                health = await response.json()
    assert got
    assert all(auth and auth.startswith("Basic ") for auth in got)  # the password was used...
    assert health["webhook_url"] == url.replace("s3cret-pw", "***")  # ...and never shown
    with DeliveryLog(db) as log:
        stored = log.list_deliveries()
    assert stored
    assert {d.url for d in stored} == {url.replace("s3cret-pw", "***")}
    assert {a.url for d in stored for a in d.attempts} == {url.replace("s3cret-pw", "***")}
    assert b"s3cret-pw" not in log_bytes(tmp_path)


async def test_a_secret_echoed_by_the_receiver_is_stored_masked_rotated_ones_too(tmp_path: Path) -> None:
    old, new = "whsec_old_0123456789", "whsec_new_9876543210"

    async def echo(request: web.Request) -> web.Response:
        sent = request.headers.get("X-Webhook-Secret", "")
        return web.Response(text=f"got {sent}; before that {old}", headers={"X-Echo": sent})

    app = web.Application()
    app.router.add_post("/hook", echo)
    async with AppServer(app) as echoing:
        settings = ServerConfig(port=0, target_url=echoing.url + "/hook", secret=old, db_path=tmp_path / "log.db")
        async with MockServer(settings) as server:
            await server.wait_for_calls(await server.start_calls(calls=1, turns=0))
            server.set_webhook(echoing.url + "/hook", new)
            await server.wait_for_calls(await server.start_calls(calls=1, turns=0))
            stored = server.log.list_deliveries()
    attempts = [attempt for delivery in stored for attempt in delivery.attempts]
    assert attempts
    for attempt in attempts:
        assert attempt.response_body == b"got ***; before that ***"
        assert attempt.header("X-Echo") == "***"
    on_disk = log_bytes(tmp_path)
    assert old.encode() not in on_disk
    assert new.encode() not in on_disk


async def test_each_run_draws_its_own_call_ids_unless_the_seed_is_fixed(receiver: RecordingReceiver) -> None:
    async def ids(**changes: Any) -> list[str]:
        async with MockServer(server_config(receiver.url, **changes)) as server:
            started = await server.start_calls("happy-path", calls=3)
            await server.wait_for_calls(started)
            return started

    assert set(await ids()).isdisjoint(await ids())
    assert await ids(seed=5) == await ids(seed=5)
    assert set(await ids(seed=5)).isdisjoint(await ids(seed=6))


async def test_the_control_api_starts_scenarios_from_its_folders_only(
    receiver: RecordingReceiver, tmp_path: Path
) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "tiny.toml").write_text("calls = 1\n[generator]\nturns = 0\n", encoding="utf-8")
    (tmp_path / "elsewhere.toml").write_text("calls = 1\n", encoding="utf-8")
    (mine / "escape.toml").symlink_to(tmp_path / "elsewhere.toml")
    async with MockServer(server_config(receiver.url, scenario_dirs=(mine,))) as server:
        url = server.url + "/_harness/calls"
        async with aiohttp.ClientSession() as http:
            async with http.post(url, json={"scenario": "tiny"}) as response:
                assert response.status == 201
                await server.wait_for_calls((await response.json())["call_ids"])
            for name in ("escape", str(tmp_path / "elsewhere.toml"), "../elsewhere", "happy-path/../../x"):
                async with http.post(url, json={"scenario": name}) as response:
                    assert response.status == 400, name
                    assert "no scenario named" in (await response.json())["description"]
            async with http.get(server.url + "/_harness/scenarios") as response:
                names = [item["name"] for item in (await response.json())["data"]]
        assert "tiny" in names
        assert "happy-path" in names
        with pytest.raises(ScenarioError, match="no scenario named 'escape'"):
            await server.scenarios.load("escape")


async def test_an_unexpected_error_is_a_500_in_the_callers_shape_and_marks_the_server_degraded(
    receiver: RecordingReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with MockServer(server_config(receiver.url)) as server:

        def broken(*args: object, **kwargs: object) -> list[object]:
            raise RuntimeError(f"storage exploded near {SECRET}")

        monkeypatch.setattr(server.calls, "newest_first", broken)
        headers = {"X-API-Key": "k", "Cartesia-Version": "2026-08-14"}
        async with aiohttp.ClientSession() as http:
            async with http.get(server.url + "/agents/calls", headers=headers) as response:
                assert response.status == 500
                body = await response.json()
            async with http.get(server.url + "/_harness/health") as response:
                health = await response.json()
    assert (body["error_code"], body["title"]) == ("internal_error", "Internal error")
    assert body["message"] == "RuntimeError: storage exploded near ***"
    assert health["status"] == "degraded"
    assert health["errors"] == ["RuntimeError: storage exploded near ***"]
