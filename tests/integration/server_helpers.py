"""Helpers for server and CLI tests: a recording receiver that can hold requests until the test releases them,
a receiver answering 200 on its own thread, the servers' test configuration, `harness serve` subprocesses.

The fixtures built from them are in conftest.py."""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from harness.models import WEBHOOK_SECRET_HEADER
from harness.server import ServerConfig
from harness.serving import AppServer
from tests.conftest import SECRET


def server_config(target_url: str | None, **changes: Any) -> ServerConfig:
    """A mock server's configuration for tests: a free port, ``target_url`` with ``SECRET``, the log in memory."""
    return ServerConfig(port=0, target_url=target_url, secret=SECRET, db_path=":memory:", **changes)


def ok_app(path: str) -> web.Application:
    """An application answering 200 ``ok`` to every POST to ``path``, once it read the body."""

    async def handle(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post(path, handle)
    return app


@dataclass
class Received:
    """One request the receiver got."""

    secret: str | None
    body: bytes


@dataclass
class RecordingReceiver:
    """Records every POST; with ``hold`` set, answers only once :meth:`release` is called."""

    status: int = 200
    hold: bool = False
    received: list[Received] = field(default_factory=list)
    _arrived: asyncio.Condition = field(default_factory=asyncio.Condition)
    _gate: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(0))
    _open: bool = False
    server: AppServer | None = None

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        async with self._arrived:
            self.received.append(Received(request.headers.get(WEBHOOK_SECRET_HEADER), body))
            self._arrived.notify_all()
        if self.hold and not self._open:
            await self._gate.acquire()
        return web.Response(status=self.status, text="ok")

    async def __aenter__(self) -> RecordingReceiver:
        app = web.Application()
        app.router.add_post("/webhooks", self._handle)
        self.server = await AppServer(app).start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.release()
        assert self.server is not None
        await self.server.close()

    @property
    def url(self) -> str:
        assert self.server is not None
        return self.server.url + "/webhooks"

    async def wait_for(self, count: int, deadline: float = 30) -> None:
        """Wait until at least ``count`` requests arrived (a deadline, not a sleep)."""
        async with asyncio.timeout(deadline), self._arrived:
            await self._arrived.wait_for(lambda: len(self.received) >= count)

    def release_one(self) -> None:
        """Let one held request (the next to arrive, if none is waiting) be answered."""
        self._gate.release()

    def release(self) -> None:
        """Answer every held request, and the following ones at once."""
        if not self._open:
            self._open = True
            for _ in range(len(self.received) + 1000):
                self._gate.release()


@contextmanager
def threaded_receiver() -> Iterator[str]:
    """A receiver answering 200, on its own loop in a thread (as a user's app runs beside sync tests)."""
    loop = asyncio.new_event_loop()
    server = AppServer(ok_app("/webhooks"))
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(server.start(), loop).result()
    try:
        yield server.url + "/webhooks"
    finally:
        asyncio.run_coroutine_threadsafe(server.close(), loop).result()
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()


class Serve:
    """A running `harness serve` subprocess and its base URL (read from its first line of output)."""

    def __init__(self, process: asyncio.subprocess.Process, url: str) -> None:
        self.process = process
        self.url = url

    async def finish(self) -> tuple[int, str, str]:
        stdout, stderr = await asyncio.wait_for(self.process.communicate(), timeout=60)
        assert self.process.returncode is not None
        return self.process.returncode, stdout.decode(), stderr.decode()

    def rss_mb(self) -> float:
        """The process's resident memory now, in MB (from /proc)."""
        with open(f"/proc/{self.process.pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        raise AssertionError("no VmRSS in /proc status")


async def spawn(*args: str, env: dict[str, str] | None = None) -> asyncio.subprocess.Process:
    """``harness serve ARGS`` as a subprocess with piped output."""
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "harness", "serve", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env={**os.environ, **(env or {})},
    )  # fmt: skip


@asynccontextmanager
async def serve(*args: str, env: dict[str, str] | None = None) -> AsyncIterator[Serve]:
    """`harness serve --port 0 ARGS`, killed on exit if still running."""
    process = await spawn("--port", "0", *args, env=env)
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), timeout=60)).decode()
        assert line.startswith("mock Cartesia server: http://127.0.0.1:"), line
        yield Serve(process, line.split()[3])
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def request(method: str, url: str, **kwargs: Any) -> tuple[int, Any]:
    """``(status, parsed JSON body)`` of one request."""
    async with aiohttp.ClientSession() as http:
        return await call_json(http, method, url, **kwargs)


async def call_json(http: aiohttp.ClientSession, method: str, url: str, **kwargs: Any) -> tuple[int, Any]:
    """``(status, parsed JSON body)`` of one request made with ``http``."""
    async with http.request(method, url, **kwargs) as response:
        return response.status, await response.json()
