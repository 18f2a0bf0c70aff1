"""harness listen and harness export: a simulated platform posts real-looking calls through the listener to a
real receiver; what arrives, what is answered, what is recorded, replayed and exported."""

from __future__ import annotations

import asyncio
import gzip
import io
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from markupsafe import escape
from multidict import CIMultiDict

from harness._environment import SECRET_ENV
from harness.delivery import FailureKind, Source
from harness.generate import simulate_call
from harness.listen import Captured, Listener
from harness.models import parse_event
from harness.reference_receiver import DEFAULT_MAX_BODY_BYTES
from harness.scenarios import load_scenario
from harness.server import MockServer, ServerConfig
from harness.serving import AppServer
from harness.store import DeliveryLog

SECRET = "whsec_listen_0123456789abcdef"
PLATFORM_HEADERS = {"User-Agent": "Cartesia-Webhooks/1.0", "X-Cartesia-Trace": "t-42"}


@dataclass
class Receiver:
    """A receiver that keeps every request's headers and bytes, and answers ``status``."""

    status: int = 200
    got: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    header_lines: list[list[tuple[str, str]]] = field(default_factory=list)  # every line, repeated ones too
    server: AppServer | None = None

    async def handle(self, request: web.Request) -> web.Response:
        self.header_lines.append(list(request.headers.items()))
        self.got.append((dict(request.headers), await request.read()))
        headers = {"Location": "http://127.0.0.1:9/elsewhere"} if 300 <= self.status < 400 else {}
        return web.json_response({"seen": len(self.got)}, status=self.status, headers=headers)

    async def start(self, port: int = 0) -> str:
        app = web.Application()
        app.router.add_post("/webhooks", self.handle)
        self.server = await AppServer(app, port=port).start()
        return self.server.url + "/webhooks"

    async def stop(self) -> None:
        assert self.server is not None
        await self.server.close()


@asynccontextmanager
async def listening(forward_to: str, log: DeliveryLog, **options: Any) -> AsyncIterator[Listener]:
    async with Listener(forward_to, log=log, **options) as listener:
        yield listener


async def platform_post(url: str, body: bytes | io.BytesIO, *, secret: str = SECRET) -> tuple[int, bytes]:
    """What Cartesia would send: the exact bytes, its headers, the secret."""
    headers = {"Content-Type": "application/json", "X-Webhook-Secret": secret, **PLATFORM_HEADERS}
    async with (
        aiohttp.ClientSession() as http,
        http.post(url, data=body, headers=headers, allow_redirects=False) as response,
    ):
        return response.status, await response.read()


def calls(*seeds: int) -> list[list[bytes]]:
    return [[event.to_json() for event in simulate_call(seed=seed, outcome="completed", turns=4)] for seed in seeds]


async def test_bytes_and_headers_arrive_unchanged_and_statuses_relay(tmp_path: Path) -> None:
    receiver = Receiver()
    with DeliveryLog(tmp_path / "log.db") as log:
        async with listening(await receiver.start(), log, secret=SECRET) as listener:
            [call] = calls(1)
            for body in call:
                assert (await platform_post(listener.url + "/hook", body))[0] == 200
            for status in (202, 500, 302):
                receiver.status = status
                assert (await platform_post(listener.url + "/hook", call[0]))[0] == status
        await receiver.stop()
        logged = list(reversed(log.list_deliveries(source=Source.CAPTURED, limit=100)))
    assert [body for _, body in receiver.got[: len(call)]] == call
    for headers, _ in receiver.got:
        assert headers["X-Webhook-Secret"] == SECRET
        assert headers["Content-Type"] == "application/json"
        assert {name: headers[name] for name in PLATFORM_HEADERS} == PLATFORM_HEADERS
    assert [d.body for d in logged[: len(call)]] == call
    assert [d.event_type for d in logged[: len(call)]] == [json.loads(b)["type"] for b in call]
    assert all(d.attempts[0].request_headers["X-Webhook-Secret"] == "***" for d in logged)
    assert [d.attempts[-1].status for d in logged[len(call) :]] == [202, 500, 302]


async def test_a_wrong_secret_is_refused_and_not_forwarded_unless_asked(tmp_path: Path) -> None:
    receiver = Receiver()
    url = await receiver.start()
    [call] = calls(2)
    with DeliveryLog(tmp_path / "log.db") as log:
        async with listening(url, log, secret=SECRET) as listener:
            status, _ = await platform_post(listener.url, call[0], secret="whsec_wrong_0123456789")
        assert status == 401
        assert receiver.got == []
        async with listening(url, log, secret=SECRET, forward_unverified=True) as listener:
            status, _ = await platform_post(listener.url, call[0], secret="whsec_wrong_0123456789")
        assert status == 200
        assert [body for _, body in receiver.got] == [call[0]]
        refused, forwarded = reversed(log.list_deliveries(source=Source.CAPTURED_UNVERIFIED))
    await receiver.stop()
    assert refused.attempts[0].failure == FailureKind.NOT_FORWARDED
    assert forwarded.ok
    assert "whsec_wrong" not in json.dumps([refused.to_dict(), forwarded.to_dict()])


async def test_a_stopped_receiver_gives_502_and_a_record_that_replays_once_it_is_back(tmp_path: Path) -> None:
    receiver = Receiver()
    url = await receiver.start()
    port = int(url.split(":")[2].split("/")[0])
    await receiver.stop()
    db = tmp_path / "log.db"
    [call] = calls(3)
    with DeliveryLog(db) as log:
        async with listening(url, log, secret=SECRET) as listener:
            status, body = await platform_post(listener.url, call[0])
        assert status == 502
        assert json.loads(body)["failure"] == FailureKind.REFUSED
        [kept] = log.list_deliveries()
    assert kept.body == call[0]
    again = Receiver()
    await again.start(port=port)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "harness", "replay", kept.id, "--db", str(db), "--secret", SECRET,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    await again.stop()
    assert process.returncode == 0, err.decode()
    assert [(headers["X-Webhook-Secret"], body) for headers, body in again.got] == [(SECRET, call[0])]
    assert f"replay of {kept.id}" in out.decode()


async def capture(tmp_path: Path, bodies: list[list[bytes]]) -> Path:
    """A log holding ``bodies`` (calls of events) as harness listen captured them from the platform."""
    receiver = Receiver()
    db = tmp_path / "captured.db"
    with DeliveryLog(db) as log:
        async with listening(await receiver.start(), log, secret=SECRET) as listener:
            for call in bodies:
                for body in call:
                    assert (await platform_post(listener.url, body))[0] == 200
    await receiver.stop()
    return db


async def harness(*args: str, env: dict[str, str] | None = None, within: float = 120) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "harness", *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout=within)
    except TimeoutError:  # `harness listen` that accepted its input listens until stopped
        process.kill()
        await process.wait()
        pytest.fail(f"harness {args[0]} still running after {within} s")
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def exported_files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


async def test_export_writes_fixtures_that_parse_and_a_scenario_that_replays_the_calls(tmp_path: Path) -> None:
    bodies = calls(4, 5)
    db = await capture(tmp_path, bodies)
    out = tmp_path / "export"
    code, stdout, stderr = await harness("export", "--db", str(db), "--out", str(out))
    assert code == 0, stderr
    files = exported_files(out)
    fixtures = [content for name, content in files.items() if name.endswith(".json")]
    assert [content.rstrip(b"\n") for content in fixtures] == [body for call in bodies for body in call]
    for content in fixtures:
        parse_event(content)
    plan = load_scenario(out / "captured.toml").plan()
    assert [[d.body for d in call.deliveries] for call in plan.calls] == bodies
    assert f"wrote {sum(len(call) for call in bodies)} events of 2 calls" in stdout


async def test_a_scrubbed_export_holds_none_of_the_personal_data(tmp_path: Path) -> None:
    domain = "appointment_scheduling"  # callers give names, phone numbers and dates here
    events = [simulate_call(seed=seed, outcome="completed", turns=6, domain=domain) for seed in (6, 7)]
    bodies = [[event.to_json() for event in call] for call in events]
    personal: set[str] = set()
    for call in events:
        for event in call:
            wire = event.to_wire()
            params = (wire.get("call") or {}).get("telephony_params") or {}
            personal |= {value for key, value in params.items() if key in ("to", "from") and value}
            turn = wire.get("turn") or {}
            if turn.get("role") in ("user", "assistant") and len(turn.get("text", "")) > 12:
                personal.add(turn["text"])
    assert len(personal) > 10
    db = await capture(tmp_path, bodies)
    out = tmp_path / "export"
    code, _, stderr = await harness("export", "--db", str(db), "--out", str(out), "--scrub")
    assert code == 0, stderr
    text = b"".join(exported_files(out).values()).decode()
    assert [value for value in personal if value in text] == []
    plan = load_scenario(out / "captured.toml").plan()
    assert [[d.event_type for d in call.deliveries] for call in plan.calls] == [[e.type for e in c] for c in events]


async def test_export_names_what_real_traffic_has_that_the_harness_does_not_know(tmp_path: Path) -> None:
    [call] = calls(8)
    end = json.loads(call[-2])
    end["call"]["foo"] = {"new": True}
    end["call"]["end_reason"] = "bar"
    db = await capture(tmp_path, [[*call[:-2], json.dumps(end).encode(), call[-1]]])
    code, _, stderr = await harness("export", "--db", str(db), "--out", str(tmp_path / "x"))
    assert code == 0
    assert "seen in real traffic, unknown to the harness: call.end_reason=bar, call.foo" in stderr


async def test_captured_calls_appear_in_the_console_marked_captured(tmp_path: Path) -> None:
    [call] = calls(9)
    db = await capture(tmp_path, [call])
    call_id = json.loads(call[0])["call_id"]
    async with MockServer(ServerConfig(port=0, db_path=db)) as server, aiohttp.ClientSession() as http:
        async with http.get(server.url + "/") as response:
            listing = await response.text()
        async with http.get(f"{server.url}/calls/{call_id}") as response:
            page = await response.text()
    assert call_id in listing
    assert 'class="badge captured"' in listing
    assert "completed" in page
    texts = [json.loads(body).get("turn", {}).get("text") or "" for body in call]
    assert [text for text in texts if text and str(escape(text)) not in page] == []


async def test_the_command_prints_ndjson_and_stops_on_sigterm(tmp_path: Path) -> None:
    receiver = Receiver()
    url = await receiver.start()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "harness", "listen", "--port", "0", "--forward-to", url, "--secret", SECRET,
        "--db", str(tmp_path / "log.db"), "--json",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stderr is not None
    banner = (await asyncio.wait_for(process.stderr.readline(), timeout=60)).decode()
    listen_url = banner.split()[2].rstrip(",")
    [call] = calls(10)
    await platform_post(listen_url, call[0])
    await platform_post(listen_url, call[1], secret="whsec_wrong_0123456789")
    process.send_signal(signal.SIGTERM)
    out, err = await asyncio.wait_for(process.communicate(), timeout=10)
    await receiver.stop()
    lines = [json.loads(line) for line in out.decode().splitlines()]
    assert process.returncode == 0, err.decode()
    assert [(line["event_type"], line["answered"], line["forwarded"]) for line in lines] == [
        ("call_started", 200, True),
        ("call_turn", 401, False),
    ]
    assert SECRET not in out.decode() + err.decode()


@pytest.mark.parametrize("secret", [None, SECRET])
async def test_listening_beyond_loopback_needs_a_secret(secret: str | None) -> None:
    extra = ["--secret", secret] if secret else []
    code, _, stderr = await harness("listen", "--host", "192.0.2.1", "--forward-to", "http://127.0.0.1:9/x", *extra)
    assert code == 2
    if secret is None:
        assert "pass --secret S" in stderr
    else:  # it got past the rule, and failed to bind an address this machine does not have
        assert "cannot listen" in stderr


async def test_a_compressed_body_is_recorded_and_forwarded_as_received(tmp_path: Path) -> None:
    receiver = Receiver()
    [call] = calls(11)
    compressed = gzip.compress(call[0], mtime=0)
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip", "X-Webhook-Secret": SECRET}
    with DeliveryLog(tmp_path / "log.db") as log:
        async with (
            listening(await receiver.start(), log, secret=SECRET) as listener,
            aiohttp.ClientSession(auto_decompress=False) as http,
            http.post(listener.url, data=compressed, headers=headers) as response,
        ):
            status = response.status
        [kept] = log.list_deliveries()
    await receiver.stop()
    assert status == 200
    # The receiver (aiohttp, decompressing as a server does) read the gzip it was told it got.
    [(got_headers, got_body)] = receiver.got
    assert (got_headers["Content-Encoding"], got_body) == ("gzip", call[0])
    assert kept.body == compressed
    assert (kept.event_type, kept.call_id) == (None, None)  # not parsed out of compressed bytes


async def test_the_size_cap_counts_the_bytes_received_not_the_decompressed_ones(tmp_path: Path) -> None:
    receiver = Receiver()
    bomb = gzip.compress(b'{"pad":"' + b"a" * DEFAULT_MAX_BODY_BYTES + b'"}', mtime=0)
    assert len(bomb) < DEFAULT_MAX_BODY_BYTES
    headers = {"Content-Encoding": "gzip", "X-Webhook-Secret": SECRET}
    with DeliveryLog(tmp_path / "log.db") as log:
        async with listening(await receiver.start(), log, secret=SECRET) as listener, aiohttp.ClientSession() as http:
            async with http.post(listener.url, data=bomb, headers=headers) as response:
                small = response.status
            too_large = io.BytesIO(b"x" * (DEFAULT_MAX_BODY_BYTES + 1))
            async with http.post(listener.url, data=too_large, headers=headers) as response:
                large = response.status
        forwarded = log.list_deliveries(source=Source.CAPTURED)
    await receiver.stop()
    # The compressed body (over the cap once decompressed) went through; the receiver (aiohttp, capped at 1 MiB
    # decompressed) refused it. The one over the cap as received was not forwarded.
    assert [(d.body, d.attempts[-1].status, d.attempts[-1].failure) for d in reversed(forwarded)] == [
        (bomb, 413, FailureKind.STATUS),
        (b"", None, FailureKind.NOT_FORWARDED),
    ]
    assert small == 413
    assert large == 413


async def test_repeated_headers_are_forwarded_every_one_in_order(tmp_path: Path) -> None:
    receiver = Receiver()
    [call] = calls(12)
    headers = CIMultiDict(
        [("Content-Type", "application/json"), ("X-Cartesia-Trace", "t-1"), ("X-Webhook-Secret", SECRET),
         ("X-Cartesia-Trace", "t-2"), ("X-Cartesia-Trace", "t-3")]
    )  # fmt: skip
    with DeliveryLog(tmp_path / "log.db") as log:
        async with (
            listening(await receiver.start(), log, secret=SECRET) as listener,
            aiohttp.ClientSession() as http,
            http.post(listener.url, data=call[0], headers=headers) as response,
        ):
            status = response.status
        [kept] = log.list_deliveries()
    await receiver.stop()
    assert status == 200
    [lines] = receiver.header_lines
    assert [value for name, value in lines if name == "X-Cartesia-Trace"] == ["t-1", "t-2", "t-3"]
    assert [value for name, value in lines if name == "X-Webhook-Secret"] == [SECRET]
    assert kept.attempts[0].request_headers["X-Cartesia-Trace"] == "t-1, t-2, t-3"


@pytest.mark.parametrize("forward_unverified", [False, True])
async def test_a_repeated_secret_header_does_not_pass_verification(tmp_path: Path, forward_unverified: bool) -> None:
    receiver = Receiver()
    [call] = calls(13)
    seen: list[Captured] = []
    with DeliveryLog(tmp_path / "log.db") as log:
        for second in (SECRET, "whsec_other_0123456789"):
            headers = CIMultiDict([("X-Webhook-Secret", SECRET), ("X-Webhook-Secret", second)])
            async with (
                listening(
                    await receiver.start(), log, secret=SECRET, forward_unverified=forward_unverified,
                    on_captured=seen.append,
                ) as listener,
                aiohttp.ClientSession() as http,
                http.post(listener.url, data=call[0], headers=headers) as response,
            ):  # fmt: skip
                assert response.status == (200 if forward_unverified else 401)
            await receiver.stop()
        kept = log.list_deliveries(source=Source.CAPTURED_UNVERIFIED)
    assert [(captured.verified, captured.refused) for captured in seen] == [
        (False, "X-Webhook-Secret repeated (2 headers)")
    ] * 2
    assert len(kept) == 2
    if forward_unverified:
        assert [[value for name, value in lines if name == "X-Webhook-Secret"] for lines in receiver.header_lines] == [
            [SECRET, SECRET],
            [SECRET, "whsec_other_0123456789"],
        ]
    else:
        assert receiver.got == []
        assert all("X-Webhook-Secret repeated" in (d.attempts[0].error or "") for d in kept)
    assert SECRET not in json.dumps([d.to_dict() for d in kept])
    assert "whsec_other" not in json.dumps([d.to_dict() for d in kept])


async def test_an_event_the_state_tracking_cannot_follow_still_gets_the_receivers_answer(tmp_path: Path) -> None:
    receiver = Receiver(status=202)
    body = b'{"type":"call_turn","call_id":"ac_f1","turn":{"log_metric":5}}'
    with DeliveryLog(tmp_path / "log.db") as log:
        async with listening(await receiver.start(), log, secret=SECRET) as listener:
            status, answer = await platform_post(listener.url, body)
        [kept] = log.list_deliveries(source=Source.CAPTURED)
    await receiver.stop()
    assert (status, json.loads(answer)) == (202, {"seen": 1})
    assert (kept.body, kept.call_id, kept.attempts[-1].status) == (body, "ac_f1", 202)


async def test_bookkeeping_that_fails_is_logged_in_one_line_and_the_answer_relayed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    receiver = Receiver(status=201)
    [call] = calls(14)

    def broken_printer(captured: Captured) -> None:
        raise RuntimeError(f"printing failed for {SECRET}")

    def broken_tracking(*args: object) -> None:
        raise KeyError(SECRET)

    with DeliveryLog(tmp_path / "log.db") as log:
        async with listening(await receiver.start(), log, secret=SECRET, on_captured=broken_printer) as listener:
            monkeypatch.setattr(log, "record_call", broken_tracking)
            forwarded = await platform_post(listener.url, call[0])
            refused = await platform_post(listener.url, call[1], secret="whsec_wrong_0123456789")
        kept = log.list_deliveries()
    await receiver.stop()
    assert (forwarded[0], json.loads(forwarded[1])) == (201, {"seen": 1})
    assert refused[0] == 401
    assert len(kept) == 2
    messages = [record.getMessage() for record in caplog.records if record.name == "harness.listen"]
    assert len(messages) == 3  # tracking and printing the forwarded one, printing the refused one
    assert all("\n" not in message and SECRET not in message for message in messages)
    assert all(record.exc_info is None for record in caplog.records if record.name == "harness.listen")
    assert [kept_one.id in message for kept_one in reversed(kept) for message in messages].count(True) == 3


async def test_a_delivery_log_that_cannot_write_loses_no_answer(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    receiver = Receiver(status=202)
    [call] = calls(15)

    def cannot_write(*args: object) -> None:
        raise OSError(28, "No space left on device")

    async def cannot_write_ahead(*args: object) -> None:
        cannot_write()

    with DeliveryLog(tmp_path / "log.db") as log:
        monkeypatch.setattr(log, "record_attempt", cannot_write)
        monkeypatch.setattr(log, "record_intent", cannot_write_ahead)
        async with listening(await receiver.start(), log, secret=SECRET) as listener:
            forwarded = await platform_post(listener.url, call[0])
            refused = await platform_post(listener.url, call[1], secret="whsec_wrong_0123456789")
    await receiver.stop()
    assert (forwarded[0], json.loads(forwarded[1])) == (202, {"seen": 1})
    assert refused[0] == 401
    messages = [record.getMessage() for record in caplog.records if record.name == "harness.listen"]
    assert [message.split(": ", 2)[2] for message in messages] == [
        "recording it before forwarding failed (OSError); answered all the same",
        "recording it failed (OSError); answered all the same",
        "recording it failed (OSError); answered all the same",
    ]


@dataclass
class SlowOrLongReceiver:
    """Answers ``b"long"`` with 100 KiB, never answers ``b"hang"`` (until stopped), and 200 otherwise."""

    hanging: asyncio.Event = field(default_factory=asyncio.Event)
    server: AppServer | None = None

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        if body == b"hang":
            self.hanging.set()
            await asyncio.Event().wait()
        return web.Response(body=b"x" * (100 * 1024) if body == b"long" else b"ok")

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/webhooks", self.handle)
        self.server = await AppServer(app, shutdown_timeout=0.1).start()
        return self.server.url + "/webhooks"

    async def stop(self) -> None:
        assert self.server is not None
        await self.server.close()


async def test_a_request_too_large_is_recorded_and_reported_and_a_cut_answer_said(tmp_path: Path) -> None:
    receiver = SlowOrLongReceiver()
    seen: list[Captured] = []
    with DeliveryLog(tmp_path / "log.db") as log:
        async with listening(await receiver.start(), log, secret=SECRET, on_captured=seen.append) as listener:
            too_large, _ = await platform_post(listener.url, io.BytesIO(b"x" * (DEFAULT_MAX_BODY_BYTES + 1)))
            long_answer, relayed = await platform_post(listener.url, b"long")
            recorded = listener.recorded
        refused, answered = reversed(log.list_deliveries(source=Source.CAPTURED))
    await receiver.stop()
    assert (too_large, long_answer, len(relayed)) == (413, 200, 64 * 1024)
    assert recorded == 2
    assert refused.attempts[0].failure == FailureKind.NOT_FORWARDED
    assert refused.attempts[0].error == f"body over {DEFAULT_MAX_BODY_BYTES} bytes: answered 413, not forwarded"
    assert [(line["answered"], line["forwarded"], line["refused"], line["response_truncated"]) for line in (
        captured.to_dict() for captured in seen
    )] == [(413, False, f"body over {DEFAULT_MAX_BODY_BYTES} bytes", False), (200, True, None, True)]  # fmt: skip
    assert answered.attempts[0].response_truncated


async def test_the_command_counts_what_it_recorded_and_prints_refusals_and_cut_answers(tmp_path: Path) -> None:
    receiver = SlowOrLongReceiver()
    url = await receiver.start()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "harness", "listen", "--port", "0", "--forward-to", url, "--secret", SECRET,
        "--db", str(tmp_path / "log.db"),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env={**os.environ, "NO_COLOR": "1"},
    )  # fmt: skip
    assert process.stdout is not None
    banner = (await asyncio.wait_for(process.stdout.readline(), timeout=60)).decode()
    listen_url = banner.split()[2].rstrip(",")
    await platform_post(listen_url, io.BytesIO(b"x" * (DEFAULT_MAX_BODY_BYTES + 1)))
    await platform_post(listen_url, b"long")
    in_flight = asyncio.create_task(platform_post(listen_url, b"hang"))
    await asyncio.wait_for(receiver.hanging.wait(), timeout=10)
    process.send_signal(signal.SIGTERM)
    out, err = await asyncio.wait_for(process.communicate(), timeout=10)
    with pytest.raises(aiohttp.ClientError):  # the listener stopped before the receiver answered
        await asyncio.wait_for(in_flight, timeout=10)
    await receiver.stop()
    assert process.returncode == 0, err.decode()
    lines = out.decode().splitlines()[-2:]
    assert lines[0].endswith(f"413 not forwarded: body over {DEFAULT_MAX_BODY_BYTES} bytes")
    assert lines[1].endswith(f"(answer over {64 * 1024} bytes: relayed cut short)")
    assert f"stopped; 3 requests recorded in {tmp_path / 'log.db'}" in err.decode()
    with DeliveryLog(tmp_path / "log.db") as log:
        assert log.list_deliveries()[0].attempts[-1].failure == FailureKind.CANCELLED


@pytest.mark.parametrize("short", ["short-secret", "whsec_012345678"])  # 12 and 15 characters
async def test_listening_beyond_loopback_needs_a_secret_of_16_characters(short: str) -> None:
    code, _, stderr = await harness(
        "listen", "--host", "192.0.2.1", "--forward-to", "http://127.0.0.1:9/x", "--secret", short, within=30
    )
    assert code == 2
    assert f"needs a secret of at least 16 characters (the one given has {len(short)};" in stderr
    assert short not in stderr


@pytest.mark.parametrize(
    ("bad", "from_env"),
    [("\r", False), ("\n", False), ("\x0b", False), ("\x7f", False), ("\x85", False), ("\n", True)],
)  # (NUL cannot come from a command line or the environment; a tab inside a secret is legal)
async def test_a_secret_no_header_can_carry_is_refused(bad: str, from_env: bool) -> None:
    secret = SECRET + bad
    env = {key: value for key, value in os.environ.items() if key != SECRET_ENV}
    if from_env:
        env[SECRET_ENV] = secret
    given = [] if from_env else ["--secret", secret]
    code, _, stderr = await harness(
        "listen", "--port", "0", "--forward-to", "http://127.0.0.1:9/x", "--db", ":memory:", *given, env=env, within=30
    )
    assert code == 2
    named = f"${SECRET_ENV}" if from_env else "--secret"
    assert f"{named}: the secret holds a control character (U+{ord(bad):04X})" in stderr
    assert SECRET not in stderr
