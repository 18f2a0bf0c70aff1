"""Registers the console on the mock server's aiohttp application: routes, templates, static files, tracking."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from harness.server.console import views
from harness.server.console.core import CONSOLE, Console
from harness.server.console.render import STATIC, setup_templates
from harness.server.console.tracking import CallTracker

if TYPE_CHECKING:
    from harness.server.app import MockServer

__all__ = ["setup_console"]


def setup_console(app: web.Application, server: MockServer) -> Console:
    """Serve the console at the root of ``app``, following ``server``'s calls (its log must be open)."""
    console = Console(server)
    app[CONSOLE] = console
    console.env = setup_templates(app, console.secrets)
    app.add_routes(views.routes)
    app.router.add_static("/_console/static", STATIC)
    tracker = CallTracker(server.log, console.broadcaster, server.record_error)
    # A server started again after a failed start still has the tracker of that start: one per server.
    listeners = server.calls.listeners
    listeners[:] = [listener for listener in listeners if not isinstance(listener, CallTracker)]
    listeners.append(tracker)

    async def stop_streams(_: web.Application) -> None:
        await console.close()

    async def unfollow(_: web.Application) -> None:
        server.calls.listeners.remove(tracker)

    app.on_shutdown.append(stop_streams)
    app.on_cleanup.append(unfollow)
    return console
