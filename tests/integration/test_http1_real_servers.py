"""The delivery engine's HTTP/1.1 client against real receiver stacks: aiohttp, werkzeug (Flask), uvicorn (FastAPI).

What each stack really sends back (chunked, close-delimited, HTTP/1.0, keep-alive timeouts, TLS) is what the
client has to get right; raw hand-written responses are in tests/unit/test_http1.py.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse, StreamingResponse
from flask import Flask
from flask import request as flask_request

from harness._http1 import ConnectionPool, HTTPFailure, Target
from harness.delivery import Deliverer, DeliverySettings
from harness.errors import ConfigError
from harness.serving import AppServer, ASGIServer, WSGIServer

BODY = b'{"type":"call_started","n":1}'


async def post(pool: ConnectionPool, url: str, body: bytes = BODY, **headers: str) -> Any:
    return await pool.post(Target.parse(url), {"Content-Type": "application/json", **headers}, body, limit=4096)


# -- aiohttp ---------------------------------------------------------------------------------------------


def aiohttp_app(seen: list[web.Request], peers: set[object]) -> web.Application:
    async def echo(request: web.Request) -> web.Response:
        seen.append(request)
        peers.add(request.transport.get_extra_info("peername") if request.transport else None)
        return web.Response(body=await request.read())

    async def chunked(request: web.Request) -> web.StreamResponse:
        await request.read()
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(request)
        for part in (b"one,", b"two,", b"three"):
            await response.write(part)
        await response.write_eof()
        return response

    async def empty(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/echo", echo)
    app.router.add_post("/chunked", chunked)
    app.router.add_post("/empty", empty)
    return app


async def test_aiohttp_keep_alive_framing_and_request_head() -> None:
    seen: list[web.Request] = []
    peers: set[object] = set()
    async with AppServer(aiohttp_app(seen, peers)) as server:
        port = server.url.rsplit(":", 1)[1]
        pool = ConnectionPool(idle_limit=4, user_agent="t")
        try:
            echoes = [
                await post(pool, server.url + "/echo", b'{"n":%d}' % i, **{"X-Webhook-Secret": "s"}) for i in range(5)
            ]
            chunked = await post(pool, server.url + "/chunked")
            empty = await post(pool, server.url + "/empty")
            after = await post(pool, server.url + "/echo")
        finally:
            await pool.close()

    assert [r.body for r in echoes] == [b'{"n":%d}' % i for i in range(5)]
    assert (chunked.status, chunked.body) == (200, b"one,two,three")
    assert (empty.status, empty.body) == (204, b"")
    assert (after.status, after.body) == (200, BODY)
    assert len(peers) == 1  # every request, chunked and 204 included, on one kept-alive connection
    assert seen[0].headers["Host"] == f"127.0.0.1:{port}"
    assert (b"X-Webhook-Secret", b"s") in seen[0].raw_headers  # the name's casing as given


# -- werkzeug (Flask) ------------------------------------------------------------------------------------


def flask_app(seen: list[tuple[str, str, bytes]]) -> Flask:
    app = Flask(__name__)

    @app.post("/<path:name>")
    def hook(name: str) -> tuple[str, int]:
        seen.append((flask_request.path, flask_request.headers["Host"], flask_request.get_data()))
        return "ok", 200

    return app


async def test_werkzeug_answers_every_request_and_sees_an_encoded_path() -> None:
    seen: list[tuple[str, str, bytes]] = []
    async with WSGIServer(flask_app(seen)) as server:
        port = server.url.rsplit(":", 1)[1]
        pool = ConnectionPool(idle_limit=4, user_agent="t")
        try:
            responses = [await post(pool, server.url + "/hooks/a b") for _ in range(3)]
        finally:
            await pool.close()

    assert [(r.status, r.body) for r in responses] == [(200, b"ok")] * 3
    assert seen == [("/hooks/a b", f"127.0.0.1:{port}", BODY)] * 3


# -- uvicorn (FastAPI) -----------------------------------------------------------------------------------


def fastapi_app() -> FastAPI:
    app = FastAPI()

    @app.post("/hook")
    async def hook(request: Request) -> PlainTextResponse:
        return PlainTextResponse((await request.body()).decode())

    @app.post("/stream")
    async def stream(request: Request) -> StreamingResponse:
        await request.body()

        async def parts() -> AsyncIterator[bytes]:
            for part in (b"a", b"b", b"c"):
                yield part

        return StreamingResponse(parts())

    return app


async def test_uvicorn_keep_alive_streaming_and_an_idle_close() -> None:
    async with ASGIServer(fastapi_app()) as server:
        pool = ConnectionPool(idle_limit=4, user_agent="t")
        try:
            first = await post(pool, server.url + "/hook")
            streamed = await post(pool, server.url + "/stream")
            # uvicorn closes an idle kept-alive connection after 5 s; wait until it has, then post again.
            [idle] = next(iter(pool._idle.values()))
            async with asyncio.timeout(30):
                await idle.lost
            after_idle_close = await post(pool, server.url + "/hook")
        finally:
            await pool.close()

    assert (first.status, first.body) == (200, BODY)
    assert (streamed.status, streamed.body) == (200, b"abc")
    assert (after_idle_close.status, after_idle_close.body) == (200, BODY)


# -- TLS -------------------------------------------------------------------------------------------------


@asynccontextmanager
async def https_receiver(certificate: tuple[Path, Path], server_names: list[str | None]) -> AsyncIterator[str]:
    """An aiohttp receiver over TLS on a free port (its https://localhost URL); records each handshake's SNI name."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)

    def record_sni(_sock: ssl.SSLObject, name: str | None, _context: ssl.SSLContext) -> None:
        server_names.append(name)

    context.sni_callback = record_sni

    async def hook(request: web.Request) -> web.Response:
        return web.Response(body=await request.read())

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    site = web.SockSite(runner, sock, ssl_context=context)
    await site.start()
    try:
        yield f"https://localhost:{sock.getsockname()[1]}/hook"
    finally:
        await runner.cleanup()


async def test_tls_is_verified_by_default_and_names_the_way_out(certificate: tuple[Path, Path]) -> None:
    names: list[str | None] = []
    async with https_receiver(certificate, names) as url, Deliverer(url, "s") as deliverer:
        delivery = await deliverer.deliver(BODY)

    assert delivery.last.failure == "tls"
    assert delivery.last.error is not None
    assert "certificate verify failed" in delivery.last.error
    assert "tls_ca_file" in delivery.last.error


@pytest.mark.parametrize("settings", ["ca_file", "no_verify"])
async def test_tls_with_a_trusted_or_unverified_self_signed_receiver(
    certificate: tuple[Path, Path], settings: str
) -> None:
    names: list[str | None] = []
    chosen = (
        DeliverySettings(tls_ca_file=str(certificate[0]))
        if settings == "ca_file"
        else DeliverySettings(tls_verify=False)
    )
    async with https_receiver(certificate, names) as url, Deliverer(url, "s", settings=chosen) as deliverer:
        deliveries = [await deliverer.deliver(BODY) for _ in range(3)]

    assert [(d.last.status, d.last.response_body) for d in deliveries] == [(200, BODY)] * 3
    assert names == ["localhost"]  # SNI sent, and one handshake: the connection was kept alive


async def test_a_ca_file_that_is_not_pem_is_a_config_error(tmp_path: Path) -> None:
    bad = tmp_path / "ca.pem"
    bad.write_text("not a certificate")
    with pytest.raises(ConfigError, match=r"ca\.pem: cannot load it as CA certificates"):
        Deliverer("https://localhost:1/hook", "s", settings=DeliverySettings(tls_ca_file=str(bad)))


async def test_https_to_a_plain_http_receiver_is_a_tls_failure() -> None:
    async with AppServer(web.Application()) as server:
        pool = ConnectionPool(idle_limit=1, user_agent="t")
        try:
            with pytest.raises(HTTPFailure) as caught:
                await post(pool, server.url.replace("http://", "https://") + "/hook")
        finally:
            await pool.close()

    assert caught.value.kind == "tls"


# -- one deadline for connect, write and read ------------------------------------------------------------


@pytest.mark.parametrize("stall", ["never_reads_the_body", "trickles_the_answer"])
async def test_the_timeout_covers_writing_and_a_trickled_answer(stall: str) -> None:
    stop = asyncio.Event()
    handlers: list[asyncio.Task[Any]] = []

    async def receiver(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        handlers.append(asyncio.current_task())  # type: ignore[arg-type]
        try:
            if stall == "trickles_the_answer":
                await reader.readuntil(b"\r\n\r\n")
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
                while not stop.is_set():  # a byte now and then: each read makes progress, the answer never ends
                    writer.write(b"x")
                    await writer.drain()
                    await asyncio.sleep(0.05)
            await stop.wait()
        except ConnectionError:
            pass  # the client gave up: what this receiver is for
        finally:
            writer.close()

    server = await asyncio.start_server(receiver, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/hook"
    body = b"x" * (32 * 1024 * 1024) if stall == "never_reads_the_body" else BODY
    try:
        async with Deliverer(url, "s", settings=DeliverySettings(timeout=0.5)) as deliverer:
            delivery = await deliverer.deliver(body)
    finally:
        stop.set()
        server.close()
        await asyncio.gather(*handlers)  # each closes its writer
        await server.wait_closed()

    assert (delivery.last.failure, delivery.last.status) == ("timeout", None)
