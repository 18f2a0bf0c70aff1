"""A real `harness serve` process under hostile and careless input: clear 4xx answers, health stays ok,
memory stays under 200 MB, SIGTERM is honoured within 2 s in every state, and neither the webhook secret
nor the password in the webhook URL is found in anything the harness prints, stores or serves."""

from __future__ import annotations

import asyncio
import base64
import json
import signal
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from harness.serving import AppServer
from tests.integration.server_helpers import RecordingReceiver, Serve, request, serve

SECRET = "whsec_hostile_4f9a0c2e7b1d"
PASSWORD = "pw-hostile-8e3b5d"
RSS_LIMIT_MB = 200
REFUSED_SCENARIO = "no scenario named"


class Seen:
    """The bodies a receiver got; :meth:`wait_for` waits (with a deadline) until there are enough."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        self._arrived = asyncio.Condition()

    async def add(self, body: bytes) -> None:
        async with self._arrived:
            self.bodies.append(body)
            self._arrived.notify_all()

    async def wait_for(self, count: int) -> None:
        async with asyncio.timeout(60), self._arrived:
            await self._arrived.wait_for(lambda: len(self.bodies) >= count)


@asynccontextmanager
async def echoing_receiver(*, hang: bool = False) -> AsyncIterator[tuple[str, Seen]]:
    """A receiver that echoes every request header back, in its headers and its body (or never answers)."""
    seen = Seen()

    async def handle(request: web.Request) -> web.StreamResponse:
        await seen.add(await request.read())
        if hang:
            await asyncio.Event().wait()
        headers = {f"X-Echo-{name}": value for name, value in request.headers.items() if name.isascii()}
        return web.json_response({"you_sent": dict(request.headers)}, headers=headers)

    app = web.Application()
    app.router.add_post("/webhooks", handle)
    async with AppServer(app) as server:
        yield server.url.replace("http://", f"http://hook:{PASSWORD}@") + "/webhooks", seen


class RssWatch:
    """Samples a process's RSS every 50 ms until stopped; ``peak`` is the highest seen."""

    def __init__(self, process: Serve) -> None:
        self.process = process
        self.peak = 0.0
        self._task = asyncio.create_task(self._sample())

    async def _sample(self) -> None:
        while self.process.process.returncode is None:
            try:
                self.peak = max(self.peak, self.process.rss_mb())
            except (OSError, AssertionError):  # the process is gone (or a zombie, with no memory left)
                return
            await asyncio.sleep(0.05)

    async def stop(self) -> float:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        return self.peak


async def raw(method: str, url: str, **kwargs: Any) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.request(method, url, **kwargs) as response:
        return response.status, await response.text()


async def stop_within(server: Serve, seconds: float = 2.0) -> tuple[float, int, str, str]:
    """SIGTERM, then how long until the process exited, its exit code and output."""
    started = time.monotonic()
    server.process.send_signal(signal.SIGTERM)
    code, out, err = await server.finish()
    return time.monotonic() - started, code, out, err


async def malformed_request(base_url: str, header_line: str) -> bytes:
    """Send a request whose header block aiohttp refuses, raw; the whole answer."""
    host, port = base_url.removeprefix("http://").rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host.strip("[]"), int(port))
    try:
        writer.write(
            f"POST /webhooks HTTP/1.1\r\nHost: {host}\r\n{header_line}\r\nContent-Length: 2\r\n\r\n{{}}".encode()
        )
        await writer.drain()
        async with asyncio.timeout(10):
            return await reader.read()  # the server closes the connection after a 400
    finally:
        writer.close()


def files_of(folder: Path, pattern: str) -> list[bytes]:
    """The bytes of every file in ``folder`` matching ``pattern``."""
    return [path.read_bytes() for path in sorted(folder.glob(pattern))]


async def harness(*args: str) -> tuple[str, str]:
    """Run a harness command; its stdout and stderr."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "harness", *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    return out.decode(), err.decode()


def hostile_requests(outside: Path) -> list[tuple[str, str, Any, int, str]]:
    """(method, path, JSON body or raw text, expected status, text the answer must contain)."""
    calls = "/_harness/calls"
    scenario_paths = ["/dev/zero", "/root/.ssh/id_rsa", "/etc", "/etc/passwd", "../../../etc/passwd", str(outside)]
    requests: list[tuple[str, str, Any, int, str]] = [
        ("POST", calls, {"scenario": path}, 400, REFUSED_SCENARIO) for path in scenario_paths
    ]
    return [
        *requests,
        ("POST", calls, {"calls": 1_000_000_000}, 400, 'field "calls": expected <= 100000'),
        ("POST", calls, {"turns": 1_000_000_000}, 400, 'field "generator.turns": expected a number of turns'),
        ("POST", calls, {"concurrency": 10**12}, 400, 'field "concurrency": expected <= 10000'),
        ("POST", calls, {"self": 1}, 400, 'field "self": unknown field'),
        ("POST", calls, {"generator": "abc"}, 400, 'field "generator": expected a dictionary'),
        (
            "POST",
            calls,
            {"outcomes": {"completed": 1e308, "failed": 1e308}},
            400,
            'outcomes.completed": expected <= 1000000',
        ),
        ("POST", calls, {"faults": {"delay": 1e300}}, 400, 'field "faults.delay": expected <= 3600'),
        ("POST", calls, {"pacing": {"mode": "realtime", "speed": 1e-300}}, 400, 'field "pacing.speed"'),
        ("POST", calls, {"turns": ["a", 2]}, 400, 'field "turns[0]": expected an integer, got "a"'),
        ("POST", calls, "[" * 100_000, 400, "Invalid JSON"),
        ("POST", calls, "{not json", 400, "Invalid JSON"),
        ("GET", "/_harness/deliveries?offset=99999999999999999999999", None, 400, 'field "offset"'),
        ("GET", "/_harness/deliveries?limit=-1", None, 400, 'field "limit"'),
        ("GET", "/_harness/deliveries?ok=maybe", None, 400, 'field "ok"'),
        ("GET", "/_harness/deliveries/dlv_nope", None, 404, "not in the delivery log"),
        ("POST", "/_harness/deliveries/dlv_nope/replay", None, 404, "not in the delivery log"),
    ]


async def test_hostile_requests_get_clear_4xx_and_leave_the_server_healthy(tmp_path: Path) -> None:
    outside = tmp_path / "outside.toml"
    outside.write_text('name = "outside"\nsecret_key_of_the_user = 1\n', encoding="utf-8")
    async with (
        RecordingReceiver() as receiver,
        serve("--to", receiver.url, "--secret", SECRET, "--db", ":memory:") as s,
    ):
        watch = RssWatch(s)
        answers: dict[str, str] = {}
        for method, path, body, status, expected in hostile_requests(outside):
            kwargs = {"data": body} if isinstance(body, str) else {"json": body}
            got, text = await raw(method, s.url + path, **kwargs)
            answer = json.loads(text)
            description = f"{answer['message']}: {answer['description']}"
            assert (got, expected in description) == (status, True), (method, path, body, text)
            if isinstance(body, dict) and "scenario" in body:
                answers[body["scenario"]] = answer["description"]
        # One answer for every path, whatever is there: nothing about the file system gets out.
        for path, description in answers.items():
            assert description == answers["/dev/zero"].replace("'/dev/zero'", repr(path)), description
            assert not any(word in description for word in ("directory", "TOML", "permission", "secret_key")), path
        # The largest request the bounds allow is played lazily: memory stays flat while it runs.
        status, body = await request("POST", s.url + "/_harness/calls", json={"scenario": "burst", "calls": 100_000})
        assert status == 201
        assert len(body["call_ids"]) == len(set(body["call_ids"])) == 100_000
        await receiver.wait_for(2_000)
        status, health = await request("GET", s.url + "/_harness/health")
        assert (status, health["status"], health["errors"]) == (200, "ok", [])
        seconds, code, _, err = await stop_within(s)
        peak = await watch.stop()
    assert "Traceback" not in err
    assert code == 0, err
    assert seconds < 2.0
    assert peak < RSS_LIMIT_MB, f"peak RSS {peak:.0f} MB"


@pytest.mark.parametrize("state", ["idle", "requests held by the receiver", "receiver never answers", "realtime wait"])
async def test_sigterm_ends_the_server_within_2_seconds(state: str) -> None:
    hold = state == "requests held by the receiver"
    async with RecordingReceiver(hold=hold) as receiver, echoing_receiver(hang=True) as (hanging, seen):
        target = hanging if state == "receiver never answers" else receiver.url
        async with serve("--to", target, "--secret", SECRET, "--db", ":memory:") as s:
            body: dict[str, Any] = {"scenario": "burst"}
            if state == "realtime wait":
                body = {"scenario": "realtime-demo", "pacing": {"mode": "realtime", "speed": 0.01}}
            if state != "idle":
                assert (await request("POST", s.url + "/_harness/calls", json=body))[0] == 201
                if state == "receiver never answers":
                    await seen.wait_for(1)
                else:
                    await receiver.wait_for(1)
            seconds, code, out, err = await stop_within(s)
    assert "Traceback" not in err
    assert code == 0, err
    assert "SIGTERM" in out
    assert seconds < 2.0, f"{state}: {seconds:.2f} s"


async def test_sigterm_while_a_long_call_is_being_generated() -> None:
    async with (
        RecordingReceiver() as receiver,
        serve("--to", receiver.url, "--secret", SECRET, "--db", ":memory:") as s,
    ):
        status, _ = await request("POST", s.url + "/_harness/calls", json={"calls": 50, "turns": 5000})
        assert status == 201
        seconds, code, _, err = await stop_within(s)
    assert code == 0, err
    assert seconds < 2.0


async def test_the_secret_and_the_url_password_are_found_nowhere(tmp_path: Path) -> None:
    db = tmp_path / "log.db"
    report = tmp_path / "report.json"
    shown: list[str] = []
    async with echoing_receiver() as (url, seen):
        async with serve("--to", url, "--secret", SECRET, "--db", str(db)) as s:
            status, _ = await request("POST", s.url + "/_harness/calls", json={"scenario": "happy-path", "calls": 2})
            assert status == 201
            await seen.wait_for(4)
            for path in ("/_harness/health", "/_harness/deliveries?limit=1000", "/agents/webhooks"):
                shown.append((await raw("GET", s.url + path, headers={"X-API-Key": "k"}))[1])
            first = json.loads(shown[1])["data"][-1]["id"]
            shown.append((await raw("POST", f"{s.url}/_harness/deliveries/{first}/replay"))[1])
            shown.append((await raw("GET", f"{s.url}/_harness/deliveries/{first}"))[1])
            # A malformed request quoting the secret in its bad header line: aiohttp's error names the line.
            # (aiohttp's 400 quotes the line back to its sender, who sent it: only the terminal must not show it.)
            answer = await malformed_request(s.url, f"X-Webhook-Secret : {SECRET}")
            assert answer.split(b"\r\n")[0].endswith(b" 400 Bad Request"), answer
            # The log as it is on disk while the server runs, WAL file included.
            on_disk = files_of(tmp_path, "log.db*")
            _, code, out, err = await stop_within(s)
        listed = await harness("deliveries", "--db", str(db), "--json")
        checked = await harness("check", url, "--secret", SECRET, "--db", str(db), "--report-json", str(report))
    assert code == 0, err
    assert "refused a malformed HTTP request" in err
    assert "Traceback" not in err
    assert any(b"***" in blob for blob in on_disk)  # the echoes were there, masked
    texts = [out, err, *shown, *listed, *checked, *(blob.decode() for blob in files_of(tmp_path, "report.json"))]
    blobs = [*on_disk, *files_of(tmp_path, "log.db*")]
    # The receiver echoes the Basic credentials the URL's password becomes, too.
    basic = base64.b64encode(f"hook:{PASSWORD}".encode()).decode()
    for needle in (SECRET, PASSWORD, basic):
        assert not [text for text in texts if needle in text], needle
        assert not [blob for blob in blobs if needle.encode() in blob], needle


async def test_off_loopback_needs_a_control_token() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "harness", "serve", "--host", "0.0.0.0", "--port", "0", "--db", ":memory:",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 2
    assert "needs a control token" in stderr.decode()
    assert "Traceback" not in stderr.decode()


async def test_with_a_token_the_control_api_needs_it_and_browsers_are_kept_out() -> None:
    token = "tok_" + "7" * 28
    async with serve("--db", ":memory:", "--control-token", token) as s:
        out = s.process.stdout
        assert out is not None
        link = (await asyncio.wait_for(out.readline(), timeout=30)).decode().split()[-1]
        assert link == f"{s.url}/?token={token}"
        assert (await raw("GET", s.url + "/_harness/health"))[0] == 401
        bearer = {"Authorization": f"Bearer {token}"}
        assert (await raw("GET", s.url + "/_harness/health", headers=bearer))[0] == 200
        # unsafe=True: keep cookies for an IP address, as browsers do (aiohttp's jar does not by default).
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            async with http.get(f"{s.url}/_harness/health?token={token}") as response:
                assert response.status == 200  # followed the redirect, with the cookie it set
                assert "token=" not in str(response.url)
            async with http.get(s.url + "/_harness/health") as response:
                assert response.status == 200  # the cookie alone is enough now
        rebinding = {**bearer, "Host": f"attacker.example:{s.url.rsplit(':', 1)[1]}"}
        assert (await raw("GET", s.url + "/_harness/health", headers=rebinding))[0] == 421
        foreign = {**bearer, "Origin": "http://attacker.example"}
        assert (await raw("POST", s.url + "/_harness/calls", json={}, headers=foreign))[0] == 403
        # Receivers calling back by another name, with an API key and no browser headers, still get answers.
        callback = {"X-API-Key": "k", "Host": "host.docker.internal"}
        assert (await raw("GET", s.url + "/agents/calls", headers=callback))[0] == 200
        seconds, code, _, _ = await stop_within(s)
    assert code == 0
    assert seconds < 2.0
