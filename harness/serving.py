"""Serve an aiohttp application on a loopback port, with explicit and idempotent start and stop."""

from __future__ import annotations

from types import TracebackType

from aiohttp import web

from harness._net import bind_socket

__all__ = ["AppServer"]


class AppServer:
    """An aiohttp application listening on ``host:port`` (port 0 picks a free one; read it from ``url``).

    Use as ``async with AppServer(app) as server: ...`` or call :meth:`start` and :meth:`close`.
    """

    def __init__(self, app: web.Application, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        """Base URL without a trailing slash, e.g. ``http://127.0.0.1:54321``."""
        if self._runner is None:
            raise RuntimeError("the server is not started; call start() first")
        return f"http://{self.host}:{self.port}"

    async def start(self) -> AppServer:
        """Bind and start serving; does nothing when already started."""
        if self._runner is not None:
            return self
        sock = bind_socket(self.host, self.port)
        self.port = sock.getsockname()[1]
        runner = web.AppRunner(self.app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        try:
            await runner.setup()
            await web.SockSite(runner, sock).start()
        except BaseException:
            sock.close()
            await runner.cleanup()
            raise
        self._runner = runner
        return self

    async def close(self) -> None:
        """Stop serving; does nothing when already stopped."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> AppServer:
        return await self.start()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()
