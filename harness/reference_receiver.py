"""The reference receiver: a webhook receiver that does everything right, as an aiohttp application.

It is what the contract checker is measured against, and what ``harness receiver`` and ``harness demo``
run. It is built from the helpers in :mod:`harness.receiver` that your own receiver can use.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from harness.errors import PayloadError
from harness.models import WEBHOOK_SECRET_HEADER, Event, parse_event
from harness.receiver import event_key, verify_secret

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "DEFAULT_PROBE_PATH",
    "DEFAULT_WEBHOOK_PATH",
    "STATE_KEY",
    "EventHandler",
    "ReceiverState",
    "create_app",
]

DEFAULT_WEBHOOK_PATH = "/webhooks"
DEFAULT_PROBE_PATH = "/_harness/processed"
DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024

EventHandler = Callable[[Event], Awaitable[None] | None]


@dataclass
class ReceiverState:
    """What the reference receiver has acted on, in order; served by the state probe."""

    processed: list[dict[str, Any]] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)

    def act_once(self, event: Event) -> bool:
        """Record ``event`` unless an equal one was acted on; True when it is new.

        There is no ``await`` between the membership test and the insert, so two concurrent
        deliveries of one event cannot both pass the test on aiohttp's single event loop.
        """
        key = event_key(event)
        if key in self.seen:
            return False
        self.seen.add(key)
        self.processed.append({"type": event.type, "call_id": event.call_id, "timestamp": event.timestamp, "key": key})
        return True

    def clear(self) -> None:
        """Forget everything acted on."""
        self.processed.clear()
        self.seen.clear()


STATE_KEY = web.AppKey("harness_receiver_state", ReceiverState)


def create_app(
    secret: str | Sequence[str],
    *,
    path: str = DEFAULT_WEBHOOK_PATH,
    probe_path: str | None = DEFAULT_PROBE_PATH,
    on_event: EventHandler | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
) -> web.Application:
    """The reference webhook receiver as an aiohttp application.

    It verifies the secret before reading the body (401 otherwise), answers 400 to a payload that
    is not a JSON object with a ``type``, 200 to every event including unknown types, acts on each
    event once however often or concurrently it arrives, and serves the state probe at
    ``probe_path`` (``None`` to leave it out). ``on_event`` is called once per new event. Bodies up to
    ``max_body_bytes`` are accepted (a long call's ``call_completed`` is several MiB).
    """
    state = ReceiverState()

    async def receive(request: web.Request) -> web.Response:
        if not verify_secret(request.headers.get(WEBHOOK_SECRET_HEADER), secret):
            return web.json_response({"error": f"missing or wrong {WEBHOOK_SECRET_HEADER} header"}, status=401)
        try:
            event = parse_event(await request.read())
        except PayloadError as exc:
            return web.json_response({"error": str(exc)}, status=400)
        if state.act_once(event) and on_event is not None:
            outcome = on_event(event)
            if outcome is not None:
                await outcome
        return web.json_response({"received": event.type})

    async def probe(request: web.Request) -> web.Response:
        return web.json_response({"processed": state.processed})

    # aiohttp's default 1 MiB body limit would 413 a long call's call_completed (its full transcript,
    # twice with the legacy body); real receivers must take those.
    app = web.Application(client_max_size=max_body_bytes)
    app[STATE_KEY] = state
    app.router.add_post(path, receive)
    if probe_path is not None:
        app.router.add_get(probe_path, probe)
    return app
