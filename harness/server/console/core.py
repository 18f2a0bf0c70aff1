"""The console's per-server state, kept on the mock server's aiohttp application under ``CONSOLE``."""

from __future__ import annotations

import secrets
import time
from typing import TYPE_CHECKING

import jinja2
from aiohttp import web

from harness.server.console.checkrun import CheckRuns
from harness.server.console.live import Broadcaster

if TYPE_CHECKING:
    from harness.server.app import MockServer

__all__ = ["CONSOLE", "Console", "console_of"]


class Console:
    """One server's console: the live broadcaster, the contract check runs, the CSRF token of its forms."""

    def __init__(self, server: MockServer) -> None:
        self.server = server
        self.started_at = time.time()  # calls logged before this and never ended were stopped with their server
        # Forms and fetch() calls carry it; a page on another site cannot read it, so cannot forge them.
        self.csrf_token = secrets.token_urlsafe(32)
        self.broadcaster = Broadcaster(on_error=server.record_error)
        self.checks = CheckRuns(on_change=lambda: self.broadcaster.publish("test"), on_error=server.record_error)
        self.env: jinja2.Environment | None = None  # set by setup_console

    def secrets(self) -> list[str]:
        """Every registered webhook's secret: masked wherever the console shows text a receiver sent."""
        return [hook.secret for hook in self.server.webhooks.all() if hook.secret]

    async def close(self) -> None:
        """End live streams and any check run."""
        await self.broadcaster.close()
        await self.checks.close()


CONSOLE: web.AppKey[Console] = web.AppKey("harness_console", Console)


def console_of(request: web.Request) -> Console:
    """The console of the application serving ``request``."""
    return request.app[CONSOLE]
