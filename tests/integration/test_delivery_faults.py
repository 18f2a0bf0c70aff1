"""Receivers that misbehave: every fault becomes a recorded attempt of the right kind, and nothing raises.

Each test starts its own loopback receiver: aiohttp for HTTP-level behaviour, raw ``asyncio`` sockets
for what no HTTP framework would do (garbage, hanging, cutting the connection).
"""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager

import pytest
from aiohttp import web

from harness.delivery import Deliverer, Delivery, DeliverySettings, FailureKind
from harness.serving import AppServer
from harness.store import MEMORY, DeliveryLog
from tests.conftest import SECRET

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@pytest.fixture
def log() -> Iterator[DeliveryLog]:
    with DeliveryLog(MEMORY) as log:
        yield log


@asynccontextmanager
async def raw_server(handler: Handler) -> AsyncIterator[str]:
    """A loopback TCP server running ``handler`` per connection; yields its URL and closes every connection."""
    writers: set[asyncio.StreamWriter] = set()
    tasks: set[asyncio.Task[None]] = set()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.add(writer)
        task = asyncio.current_task()
        assert task is not None
        tasks.add(task)
        try:
            await handler(reader, writer)
        except (ConnectionError, asyncio.CancelledError):
            pass  # the client went away, as several tests intend
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/hook"
    finally:
        server.close()
        for task in tasks:
            task.cancel()
        for writer in writers:
            writer.close()
        await asyncio.gather(*tasks, return_exceptions=True)
        await server.wait_closed()


async def read_request(reader: asyncio.StreamReader) -> bytes:
    """The request head and body (by Content-Length)."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return head + await reader.readexactly(length)


async def deliver_once(url: str, log: DeliveryLog, **settings: object) -> Delivery:
    async with Deliverer(url, SECRET, settings=DeliverySettings(**settings), recorder=log) as deliverer:  # type: ignore[arg-type]
        return await deliverer.deliver(b'{"type":"call_started"}', event_type="call_started", call_id="ac_fault")


def assert_logged(log: DeliveryLog, delivery: Delivery, *failures: str | None) -> None:
    stored = log.get_delivery(delivery.id)
    assert [attempt.failure for attempt in stored.attempts] == list(failures)
    assert stored.ok is (failures[-1] is None)
    assert stored.attempts[-1].error == delivery.last.error


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_refused_connection(log: DeliveryLog) -> None:
    url = f"http://127.0.0.1:{free_port()}/hook"

    delivery = await deliver_once(url, log)

    assert delivery.last.failure == FailureKind.REFUSED
    assert delivery.last.status is None
    assert "connection refused" in (delivery.last.error or "")
    assert_logged(log, delivery, FailureKind.REFUSED)


async def test_refused_connection_is_retried_when_enabled(log: DeliveryLog) -> None:
    url = f"http://127.0.0.1:{free_port()}/hook"

    delivery = await deliver_once(url, log, retries=2, backoff=(0.001, 0.002))

    assert [a.number for a in delivery.attempts] == [1, 2, 3]
    assert_logged(log, delivery, FailureKind.REFUSED, FailureKind.REFUSED, FailureKind.REFUSED)


async def test_hanging_past_the_timeout(log: DeliveryLog) -> None:
    got_request = asyncio.Event()

    async def hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        got_request.set()
        await asyncio.Event().wait()

    async with raw_server(hang) as url:
        delivery = await deliver_once(url, log, timeout=0.3)

    assert got_request.is_set()
    assert delivery.last.failure == FailureKind.TIMEOUT
    assert delivery.last.error == "no complete response within 0.3 s"
    assert_logged(log, delivery, FailureKind.TIMEOUT)


async def test_garbage_instead_of_http(log: DeliveryLog) -> None:
    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"SSH-2.0-OpenSSH_9.2 this is not http\r\n\r\n")
        await writer.drain()

    async with raw_server(garbage) as url:
        delivery = await deliver_once(url, log)

    assert delivery.last.failure == FailureKind.INVALID_HTTP
    assert delivery.last.status is None
    assert_logged(log, delivery, FailureKind.INVALID_HTTP)


async def test_huge_body_is_capped_not_buffered(log: DeliveryLog) -> None:
    size = 50 * 1024 * 1024
    chunk = b"x" * 65536
    written = 0
    finished = asyncio.Event()

    async def huge(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal written
        try:
            await read_request(reader)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n" % size)
            while written < size:
                writer.write(chunk)
                await writer.drain()  # blocks while the client does not read: nothing piles up here either
                written += len(chunk)
        finally:
            finished.set()

    async with raw_server(huge) as url:
        delivery = await deliver_once(url, log, max_response_bytes=4096)
        await finished.wait()  # the client closed the connection, so the receiver's writes failed

    assert delivery.ok
    assert delivery.last.response_body == b"x" * 4096
    assert delivery.last.response_truncated is True
    # The client read 4 KiB and hung up: the receiver got nowhere near sending all 50 MB.
    assert written < size // 2
    stored = log.get_delivery(delivery.id)
    assert len(stored.attempts[0].response_body) == 4096
    assert_logged(log, delivery, None)


def close_with_reset(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close sends an RST
    writer.close()


async def close_before_answering(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await read_request(reader)
    writer.close()


async def cut_mid_body(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await read_request(reader)
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nonly ten b")
    await writer.drain()
    writer.close()


async def reset_mid_headers(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await read_request(reader)
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Ty")
    await writer.drain()
    close_with_reset(writer)


@pytest.mark.parametrize("handler", [close_before_answering, cut_mid_body, reset_mid_headers])
async def test_closing_mid_response(log: DeliveryLog, handler: Handler) -> None:
    async with raw_server(handler) as url:
        delivery = await deliver_once(url, log)

    assert delivery.last.failure == FailureKind.RESET
    assert not delivery.ok
    assert_logged(log, delivery, FailureKind.RESET)


async def test_redirect_is_not_followed(log: DeliveryLog) -> None:
    followed: list[str] = []

    async def redirect(request: web.Request) -> web.Response:
        raise web.HTTPFound("/elsewhere")

    async def elsewhere(request: web.Request) -> web.Response:
        followed.append(request.method)
        return web.Response(text="should never be reached")

    app = web.Application()
    app.router.add_post("/hook", redirect)
    app.router.add_route("*", "/elsewhere", elsewhere)
    async with AppServer(app) as server:
        # Retries on: a redirect is still final, as following it would hide the receiver's bug.
        delivery = await deliver_once(f"{server.url}/hook", log, retries=2, backoff=(0.001,))

    assert followed == []
    assert delivery.last.status == 302
    assert delivery.last.failure == FailureKind.REDIRECT
    assert "/elsewhere" in (delivery.last.error or "")
    assert_logged(log, delivery, FailureKind.REDIRECT)


async def test_retry_statuses_then_success(log: DeliveryLog) -> None:
    answers = [503, 429]

    async def flaky(request: web.Request) -> web.Response:
        return web.Response(status=answers.pop(0) if answers else 204)

    app = web.Application()
    app.router.add_post("/hook", flaky)
    async with AppServer(app) as server:
        delivery = await deliver_once(
            f"{server.url}/hook", log, retries=3, backoff=(0.001, 0.002), retry_statuses=frozenset({429, 503})
        )

    assert [a.status for a in delivery.attempts] == [503, 429, 204]
    assert_logged(log, delivery, FailureKind.STATUS, FailureKind.STATUS, None)


async def test_status_outside_retry_statuses_stops(log: DeliveryLog) -> None:
    async def teapot(request: web.Request) -> web.Response:
        return web.Response(status=418)

    app = web.Application()
    app.router.add_post("/hook", teapot)
    async with AppServer(app) as server:
        delivery = await deliver_once(f"{server.url}/hook", log, retries=3, backoff=(0.001,))

    assert [a.status for a in delivery.attempts] == [418]
    assert_logged(log, delivery, FailureKind.STATUS)
