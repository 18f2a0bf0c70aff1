"""A minimal aiohttp webhook receiver for the benchmarks, run in its own process.

``python bench/_receiver.py`` prints its port on the first line, then serves ``POST /webhooks``
(read the body, answer 200) until its stdin closes, so it never outlives the benchmark.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from aiohttp import web


async def hook(request: web.Request) -> web.Response:
    await request.read()
    return web.Response(text="ok")


async def serve() -> None:
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


class ReceiverProcess:
    """The receiver as a child process: ``with ReceiverProcess() as url: ...``."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[str] | None = None
        self.url = ""

    def __enter__(self) -> str:
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__))], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        port = int(self.process.stdout.readline())
        self.url = f"http://127.0.0.1:{port}/webhooks"
        return self.url

    def __exit__(self, *exc_info: object) -> None:
        if self.process is not None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


if __name__ == "__main__":
    asyncio.run(serve())
