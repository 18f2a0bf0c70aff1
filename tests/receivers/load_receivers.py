"""Receivers for the load tests: faults that only show when many calls arrive, found by reconciliation."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from tests.receivers._ledger import event_key
from tests.receivers.aiohttp_receivers import AiohttpReceiver

# PostgreSQL refuses a NOTIFY payload of 8000 bytes or more.
NOTIFY_LIMIT = 8000


class NotifyDropsLargeEvents(AiohttpReceiver):
    """Answers 202, then hands the event to its worker with Postgres NOTIFY; the 8000-byte payload limit makes
    the NOTIFY fail for long calls' end events, and the error is only logged: acknowledged, never acted on."""

    def __init__(self, secret: str, *, probe: bool = True) -> None:
        super().__init__(secret, probe=probe)
        self.dropped: set[tuple[Any, Any, Any]] = set()

    async def receive(self, request: web.Request) -> web.Response:
        if not self.authorized(request):
            return self.unauthorized()
        body = await request.read()
        try:
            payload = json.loads(body)
        except ValueError:
            return web.json_response({"error": "expected a JSON object with a type"}, status=400)
        if len(body) >= NOTIFY_LIMIT:
            self.dropped.add(event_key(payload))  # the swallowed "payload string too long" error
        else:
            await self.handle(payload)
        return web.Response(status=202)
