"""Webhook receivers for the benchmarks, each run in its own process.

``python bench/_receiver.py [aiohttp|raw]`` prints its port on the first line, then serves ``POST /webhooks``
until its stdin closes, so it never outlives the benchmark:

- ``aiohttp`` (the default): a minimal aiohttp app that reads the body and answers 200, as a small real
  receiver would;
- ``raw``: an asyncio protocol on uvloop (when installed) that frames requests by Content-Length and answers
  a fixed 200 without parsing anything else: a receiver that is not the bottleneck.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path
from typing import cast

from aiohttp import web

_OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok"


async def hook(request: web.Request) -> web.Response:
    await request.read()
    return web.Response(text="ok")


async def serve_aiohttp() -> None:
    app = web.Application()
    app.router.add_post("/webhooks", hook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
    await site.start()
    server = site._server
    assert isinstance(server, asyncio.Server)
    print(server.sockets[0].getsockname()[1], flush=True)
    # Serve until the benchmark closes our stdin (or dies, which closes it too).
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await runner.cleanup()


class _FixedAnswer(asyncio.Protocol):
    """Answers each request (head, then Content-Length bytes of body) with the same 200, in order."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without deriving from it: no isinstance check.
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        answers = 0
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            length = _body_length(bytes(self.buffer[:end]))
            if len(self.buffer) < end + 4 + length:
                break
            del self.buffer[: end + 4 + length]
            answers += 1
        if answers and self.transport is not None:
            self.transport.write(_OK * answers)


def _body_length(head: bytes) -> int:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 0


async def serve_raw() -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(_FixedAnswer, "127.0.0.1", 0, backlog=1024)
    print(server.sockets[0].getsockname()[1], flush=True)
    await loop.run_in_executor(None, sys.stdin.read)
    server.close()


class ReceiverProcess:
    """A receiver as a child process: ``with ReceiverProcess("raw") as url: ...``."""

    def __init__(self, kind: str = "aiohttp") -> None:
        self.kind = kind
        self.process: subprocess.Popen[str] | None = None
        self.url = ""

    def __enter__(self) -> str:
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__)), self.kind], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        port = int(self.process.stdout.readline())
        self.url = f"http://127.0.0.1:{port}/webhooks"
        return self.url

    def __exit__(self, *exc_info: object) -> None:
        if self.process is not None:
            assert self.process.stdin is not None
            assert self.process.stdout is not None
            self.process.stdin.close()
            self.process.stdout.close()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def main() -> None:
    kind = sys.argv[1] if len(sys.argv) > 1 else "aiohttp"
    if kind == "raw":
        try:
            import uvloop
        except ImportError:
            asyncio.run(serve_raw())
        else:
            uvloop.run(serve_raw())
    else:
        asyncio.run(serve_aiohttp())


if __name__ == "__main__":
    main()
