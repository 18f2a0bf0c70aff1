"""Registers the console on the mock server's aiohttp application: routes, templates, static files, tracking."""

from __future__ import annotations

from aiohttp import web

from harness.server.console.core import CONSOLE, Console
from harness.server.console.render import STATIC, setup_templates
from harness.server.console.tracking import CallTracker
from harness.server.console.views import routes
from harness.server.services import Services

__all__ = ["setup_console"]


def setup_console(app: web.Application, services: Services) -> Console:
    """Serve the console at the root of ``app``, following the server's calls (its log must be open)."""
    console = Console(services)
    app[CONSOLE] = console
    console.env = setup_templates(app, console.secrets)
    app.add_routes(routes)
    app.router.add_static("/_console/static", STATIC)
    tracker = CallTracker(services.log, console.broadcaster, services.errors.record)
    # A server started again after a failed start still has the tracker of that start: one per server.
    listeners = services.calls.listeners
    listeners[:] = [listener for listener in listeners if not isinstance(listener, CallTracker)]
    listeners.append(tracker)

    async def stop_streams(_: web.Application) -> None:
        await console.close()

    async def unfollow(_: web.Application) -> None:
        services.calls.listeners.remove(tracker)

    app.on_shutdown.append(stop_streams)
    app.on_cleanup.append(unfollow)
    return console
