"""The console's per-server state, kept on the mock server's aiohttp application under ``CONSOLE``."""

from __future__ import annotations

import asyncio
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import jinja2
from aiohttp import web

from harness.server.console.checkrun import CheckRuns
from harness.server.console.live import Broadcaster
from harness.server.services import Services

__all__ = ["CONSOLE", "Console", "console_of"]

T = TypeVar("T")


class Console:
    """One server's console: the live broadcaster, the contract check runs, the CSRF token of its forms."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.started_at = time.time()  # calls logged before this and never ended were stopped with their server
        # Forms and fetch() calls carry it; a page on another site cannot read it, so cannot forge them.
        self.csrf_token = secrets.token_urlsafe(32)
        self._cpu = 0.0
        self._cpu_lock = threading.Lock()
        record_error = services.errors.record
        self.broadcaster = Broadcaster(
            on_error=record_error, cpu=lambda: self._cpu, before_flush=lambda: self.offload(services.log.flush)
        )
        self.checks = CheckRuns(on_change=lambda: self.broadcaster.publish("test"), on_error=record_error)
        self.env: jinja2.Environment | None = None  # set by setup_console
        # Live view key -> (what its data looked like, its fragments): a view that did not change is not re-rendered.
        self.rendered: dict[str, tuple[Any, dict[str, str]]] = {}

    async def offload(self, function: Callable[..., T], *args: Any) -> T:
        """Run ``function`` (a log read, a template render) in a worker thread, counting the CPU time it takes."""

        def measured() -> T:
            started = time.thread_time()
            try:
                return function(*args)
            finally:
                with self._cpu_lock:
                    self._cpu += time.thread_time() - started

        return await asyncio.to_thread(measured)

    def secrets(self) -> list[str]:
        """Every secret the server has sent or been given, rotated ones too: masked wherever text is shown."""
        return sorted(self.services.webhooks.known_secrets, key=len, reverse=True)

    async def close(self) -> None:
        """End live streams and any check run."""
        await self.broadcaster.close()
        await self.checks.close()


CONSOLE: web.AppKey[Console] = web.AppKey("harness_console", Console)


def console_of(request: web.Request) -> Console:
    """The console of the application serving ``request``."""
    return request.app[CONSOLE]
