"""The web console over HTTP, without a browser: what each page and form answers, and what it refuses."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import aiohttp
import markupsafe
import pytest
from aiohttp import web

from harness.server import MockServer, ServerConfig
from harness.server.console.core import CONSOLE
from harness.serving import AppServer
from tests.conftest import SECRET
from tests.integration.server_helpers import RecordingReceiver, server_config

PAGES = ["/", "/deployments", "/webhooks", "/start", "/test"]


async def get(http: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    async with http.get(url) as response:
        return response.status, await response.text()


async def post(
    http: aiohttp.ClientSession, url: str, form: dict[str, str], *, token: str | None
) -> tuple[int, str, str | None]:
    """POST a form (with ``token`` as its CSRF token); status, body and where it redirects to."""
    data = {**form, **({"csrf_token": token} if token is not None else {})}
    async with http.post(url, data=data, allow_redirects=False) as response:
        return response.status, await response.text(), response.headers.get("Location")


def token_of(server: MockServer) -> str:
    """The CSRF token the server's pages embed."""
    assert server._http is not None
    return server._http.app[CONSOLE].csrf_token


async def test_every_page_answers_with_its_heading_and_locks_down_what_it_may_load(
    server: MockServer, http: aiohttp.ClientSession
) -> None:
    [call_id] = await server.start_calls("happy-path", calls=1)
    await server.wait_for_calls()
    for path in [*PAGES, *(f"/calls/{call_id}?tab={tab}" for tab in ("transcript", "logs", "recording", "webhooks"))]:
        async with http.get(server.url + path) as response:
            body = await response.text()
            assert response.status == 200, (path, body)
            assert response.headers["Content-Type"].startswith("text/html")
            assert "script-src 'self'" in response.headers["Content-Security-Policy"]
            assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
            assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert re.search(r"<h1>.+</h1>", body), path
        assert SECRET not in body, path
        assert 'name="csrf_token"' in body or path in ("/", "/deployments") or "tab=" in path
    assert server.errors == []


async def test_a_post_without_this_console_s_token_changes_nothing(
    server: MockServer, receiver: RecordingReceiver, http: aiohttp.ClientSession
) -> None:
    [call_id] = await server.start_calls("happy-path", calls=1)
    await server.wait_for_calls()
    [delivery] = server.log.list_deliveries(call_id=call_id, limit=1)
    hook = server.webhooks.active
    assert hook is not None
    before = len(receiver.received)
    attempts = [
        ("/start", {"scenario": "happy-path", "calls": "1"}),
        ("/test", {}),
        (f"/webhooks/{hook.id}/rotate", {"secret": "whsec_forged"}),
        (f"/webhooks/{hook.id}/url", {"url": "http://127.0.0.1:9/evil"}),
        (f"/deliveries/{delivery.id}/replay", {}),
    ]
    for path, form in attempts:
        for token in (None, "not-the-token"):
            status, body, _ = await post(http, server.url + path, form, token=token)
            assert status == 403, path
            assert "reload the page" in body
    assert (hook.secret, hook.url) == (SECRET, receiver.url)
    assert len(server.calls) == 1
    assert len(receiver.received) == before
    assert server._http is not None
    assert server._http.app[CONSOLE].checks.last is None


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ("/?page=abc", 400, "page must be a whole number from 1 to 100,000, got &#39;abc&#39;."),
        ("/?page=0", 400, "page must be a whole number"),
        ("/?status=lost", 400, "status must be one of in_progress, completed, failed, stopped, got &#39;lost&#39;."),
        ("/?failed=maybe", 400, "field &#34;failed&#34;: expected true or false, got &#39;maybe&#39;."),
        ("/deployments?page=-1", 400, "page must be a whole number"),
        ("/calls/ac_missing", 404, "No call with id &#39;ac_missing&#39;"),
        ("/calls/ac_missing?tab=audio", 400, "tab must be one of transcript, logs, recording, webhooks"),
        ("/_console/events?view=nonsense", 404, "Unknown live view"),
    ],
)
async def test_bad_input_in_a_url_is_answered_with_what_was_wrong(
    server: MockServer, http: aiohttp.ClientSession, path: str, status: int, message: str
) -> None:
    answered, body = await get(http, server.url + path)
    assert answered == status
    assert message in body
    assert server.errors == []


async def test_start_calls_starts_them_and_says_so_on_the_calls_list(
    server: MockServer, receiver: RecordingReceiver, http: aiohttp.ClientSession
) -> None:
    form = {"scenario": "failed-calls", "calls": "2", "fault_duplicates": "1"}
    status, _, location = await post(http, server.url + "/start", form, token=token_of(server))
    assert (status, location) == (303, "/?started=2&scenario=failed-calls")
    await server.wait_for_calls()
    assert len(server.calls) == 2
    types = [json.loads(r.body)["type"] for r in receiver.received]
    assert types.count("call_failed") == 2 * 2  # every event twice: the duplicates fault at probability 1
    _, page = await get(http, f"{server.url}{location}")
    assert "Started 2 calls of failed-calls." in page
    status, page, _ = await post(
        http, server.url + "/start", {"scenario": "happy-path", "calls": "0"}, token=token_of(server)
    )
    assert status == 400
    assert "Calls: expected a whole number from 1 to 10,000, got &#39;0&#39;" in page
    assert len(server.calls) == 2


async def test_a_rotated_secret_is_shown_once_and_carried_from_the_next_delivery(
    server: MockServer, receiver: RecordingReceiver, http: aiohttp.ClientSession
) -> None:
    hook = server.webhooks.active
    assert hook is not None
    status, page, _ = await post(http, f"{server.url}/webhooks/{hook.id}/rotate", {}, token=token_of(server))
    assert status == 200
    shown = re.search(r'<code class="secret" id="new-secret">(whsec_[\w-]+)</code>', page)
    assert shown is not None
    assert hook.secret == shown[1] != SECRET
    _, again = await get(http, server.url + "/webhooks")
    assert shown[1] not in again
    await server.start_calls("happy-path", calls=1)
    await server.wait_for_calls()
    assert {r.secret for r in receiver.received} == {shown[1]}
    status, page, _ = await post(
        http, f"{server.url}/webhooks/{hook.id}/rotate", {"secret": "has a space"}, token=token_of(server)
    )
    assert status == 400
    assert "visible ASCII characters" in page
    assert hook.secret == shown[1]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://127.0.0.1/hook", "expected an http:// or https:// URL"),
        ("http://127.0.0.1:8000/hook\r\nX-Evil: 1", "control characters"),
        ("http://127.0.0.1:99999/hook", "expected a port number"),
    ],
)
async def test_a_url_it_could_never_deliver_to_is_refused_and_the_webhook_kept(
    server: MockServer, receiver: RecordingReceiver, http: aiohttp.ClientSession, url: str, message: str
) -> None:
    hook = server.webhooks.active
    assert hook is not None
    status, page, _ = await post(http, f"{server.url}/webhooks/{hook.id}/url", {"url": url}, token=token_of(server))
    assert status == 400
    assert message in page
    assert hook.url == receiver.url


async def test_a_changed_url_takes_the_next_delivery(server: MockServer, http: aiohttp.ClientSession) -> None:
    hook = server.webhooks.active
    assert hook is not None
    async with RecordingReceiver() as other:
        status, _, location = await post(
            http, f"{server.url}/webhooks/{hook.id}/url", {"url": other.url}, token=token_of(server)
        )
        assert (status, location) == (303, "/webhooks?saved=1")
        await server.start_calls("happy-path", calls=1)
        await server.wait_for_calls()
        assert other.received
    _, page = await get(http, f"{server.url}{location}")
    assert "URL saved: the next delivery goes there." in page


async def test_replay_sends_again_and_shows_the_call_s_deliveries(
    server: MockServer, receiver: RecordingReceiver, http: aiohttp.ClientSession
) -> None:
    [call_id] = await server.start_calls("happy-path", calls=1)
    await server.wait_for_calls()
    first = server.log.list_deliveries(call_id=call_id, limit=1000)[-1]
    before = len(receiver.received)
    status, _, location = await post(http, f"{server.url}/deliveries/{first.id}/replay", {}, token=token_of(server))
    assert status == 303
    assert location is not None
    assert location.startswith(f"/calls/{call_id}?tab=webhooks&replayed=dlv_")
    assert len(receiver.received) == before + 1
    assert receiver.received[-1].body == first.body
    _, page = await get(http, server.url + location)
    assert f'replay of <a href="#{first.id}">' in page
    assert 'class="highlight"' in page
    status, page, _ = await post(http, f"{server.url}/deliveries/dlv_missing/replay", {}, token=token_of(server))
    assert status == 400
    assert "dlv_missing" in page


async def test_calls_the_calls_api_forgot_are_still_listed_and_shown_from_the_log(
    receiver: RecordingReceiver, http: aiohttp.ClientSession
) -> None:
    config = server_config(receiver.url, max_calls=2)
    async with MockServer(config) as server:
        call_ids = await server.start_calls("happy-path", calls=3)
        await server.wait_for_calls()
        call_ids += await server.start_calls("happy-path", calls=2)  # the Calls API forgets the oldest ended
        await server.wait_for_calls()
        assert server.calls.get(call_ids[0]) is None
        _, listing = await get(http, server.url + "/")
        assert listing.count('<span class="status status-completed">completed</span>') == 5
        assert "Calls 1\N{EN DASH}5 of 5" in listing
        _, page = await get(http, f"{server.url}/calls/{call_ids[0]}")
        assert "The Calls API no longer keeps this call" in page
        ended = server.log.list_deliveries(call_id=call_ids[0], event_type="call_completed", limit=1)[0]
        transcript = json.loads(ended.body)["call"]["transcript"]
        spoken = [t["text"] for t in transcript if t.get("role") in ("user", "assistant")]
        assert spoken
        for text in spoken:
            assert str(markupsafe.escape(text)) in page
        assert page.count('class="turn ') == len(transcript)


async def test_calls_an_earlier_server_left_unfinished_show_as_stopped(
    receiver: RecordingReceiver, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    db = tmp_path / "log.db"
    receiver.hold = True  # the calls stay in progress until the first server stops
    config = ServerConfig(port=0, target_url=receiver.url, secret=SECRET, db_path=db, delivery=_quick())
    async with MockServer(config) as first:
        call_ids = await first.start_calls("happy-path", calls=2)
        await receiver.wait_for(2)
        _, listing = await get(http, first.url + "/?status=in_progress")
        assert all(call_id in listing for call_id in call_ids)
        receiver.release()
    async with MockServer(config) as second:
        _, stopped = await get(http, second.url + "/?status=stopped")
        _, running = await get(http, second.url + "/?status=in_progress")
    assert all(call_id in stopped for call_id in call_ids)
    assert stopped.count('<span class="status status-stopped">stopped</span>') == 2
    assert not any(call_id in running for call_id in call_ids)


def _quick() -> Any:
    from harness.delivery import DeliverySettings

    return DeliverySettings(timeout=5)


async def test_the_contract_check_runs_one_at_a_time_and_its_report_stays(
    server: MockServer, receiver: RecordingReceiver, http: aiohttp.ClientSession
) -> None:
    receiver.hold = True  # the run waits on the receiver, so a second one can be tried meanwhile
    status, _, location = await post(http, server.url + "/test", {}, token=token_of(server))
    assert (status, location) == (303, "/test")
    await receiver.wait_for(1)
    status, page, _ = await post(http, server.url + "/test", {}, token=token_of(server))
    assert status == 400
    assert "a contract check is already running" in page
    receiver.release()
    assert server._http is not None
    checks = server._http.app[CONSOLE].checks
    async with asyncio.timeout(120):
        while checks.last is None or checks.last.running:  # noqa: ASYNC110  (polling with a deadline)
            await asyncio.sleep(0.05)
    _, page = await get(http, server.url + "/test")
    # The recording receiver accepts everything, so the secret checks fail, each with its reproduction.
    assert re.search(r"<strong>31 checks: \d+ passed, [1-9]\d* failed", page)
    assert "FAIL" in page
    assert "curl -sS" in page
    assert "${CARTESIA_WEBHOOK_SECRET}" in page
    assert SECRET not in page


async def test_a_live_stream_sends_the_list_again_when_calls_change(
    server: MockServer, http: aiohttp.ClientSession
) -> None:
    since = server._http.app[CONSOLE].broadcaster.changes if server._http else 0
    async with http.get(f"{server.url}/_console/events", params={"view": "calls?", "since": str(since)}) as stream:
        assert stream.headers["Content-Type"] == "text/event-stream"
        [call_id] = await server.start_calls("happy-path", calls=1)
        async with asyncio.timeout(30):
            async for line in stream.content:
                if line.startswith(b"data: ") and call_id in json.loads(line[6:])["fragments"]["calls-results"]:
                    break


async def test_a_secret_echoed_by_the_receiver_is_never_shown(http: aiohttp.ClientSession) -> None:
    async def echo(request: web.Request) -> web.Response:
        await request.read()
        secret = request.headers.get("X-Webhook-Secret", "")
        return web.json_response({"got": secret}, headers={"X-Echo": secret})

    app = web.Application()
    app.router.add_post("/webhooks", echo)
    async with AppServer(app) as echoing:
        config = server_config(echoing.url + "/webhooks")
        async with MockServer(config) as server:
            [call_id] = await server.start_calls("happy-path", calls=1)
            await server.wait_for_calls()
            _, page = await get(http, f"{server.url}/calls/{call_id}?tab=webhooks")
    assert "&#34;got&#34;: &#34;***&#34;" in page
    assert SECRET not in page


async def test_the_recording_of_a_call_in_progress_is_not_there_yet(
    server: MockServer, receiver: RecordingReceiver, http: aiohttp.ClientSession
) -> None:
    receiver.hold = True
    [call_id] = await server.start_calls("happy-path", calls=1)
    await receiver.wait_for(1)
    status, _ = await get(http, f"{server.url}/calls/{call_id}/recording.wav")
    _, page = await get(http, f"{server.url}/calls/{call_id}?tab=recording")
    receiver.release()
    await server.wait_for_calls()
    assert status == 404
    assert "The recording is available once the call ends." in page
    async with http.get(f"{server.url}/calls/{call_id}/recording.wav") as response:
        assert response.headers["Content-Type"] == "audio/wav"
        assert (await response.content.read(4)) == b"RIFF"


async def test_a_call_without_a_recording_says_why(server: MockServer, http: aiohttp.ClientSession) -> None:
    [busy] = await server.start_calls(calls=1, outcome="dial_busy")
    [talked] = await server.start_calls("happy-path", calls=1)
    await server.wait_for_calls()
    _, page = await get(http, f"{server.url}/calls/{busy}?tab=recording")
    assert "The call failed before connecting: there is no recording." in page
    assert "<audio" not in page
    async with http.delete(f"{server.url}/agents/calls/{talked}", headers={"X-API-Key": "k"}) as response:
        assert response.status == 200, await response.text()
    _, page = await get(http, f"{server.url}/calls/{talked}?tab=recording")
    assert "The call was deleted (redacted): its recording was erased." in page
    assert "Deleted (redacted) at " in page
