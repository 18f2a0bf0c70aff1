"""aiohttp receivers: a correct one written as a user would, an acknowledge-then-process one, and faulty ones.

Each faulty receiver overrides one method of :class:`AiohttpReceiver` with one bug seen in real receivers
(section 8 of the platform reference); everything else stays correct, so the checker must flag exactly
the checks that bug breaks.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from tests.receivers._ledger import (
    PROBE_PATH,
    SECRET_HEADER,
    WEBHOOK_PATH,
    Ledger,
    secret_matches,
    spoken_turns,
    summarize,
)

# Cartesia publishes no size limit and a long call's transcript passes aiohttp's 1 MiB default.
MAX_BODY = 32 * 1024 * 1024


class AiohttpReceiver:
    """A correct receiver: verify the secret, parse, act once per event, answer 200 (400 for bad JSON)."""

    max_body = MAX_BODY

    def __init__(self, secret: str, *, probe: bool = True) -> None:
        self.secret = secret
        self.probe = probe
        self.ledger = Ledger()

    def app(self) -> web.Application:
        app = web.Application(client_max_size=self.max_body)
        app.router.add_post(WEBHOOK_PATH, self.receive)
        if self.probe:
            app.router.add_get(PROBE_PATH, self.serve_probe)
        return app

    async def receive(self, request: web.Request) -> web.Response:
        if not self.authorized(request):
            return self.unauthorized()
        try:
            payload = await self.parse(request)
        except ValueError:
            return web.json_response({"error": "expected a JSON object with a type"}, status=400)
        await self.handle(payload)
        return web.json_response({"ok": True})

    def authorized(self, request: web.Request) -> bool:
        return secret_matches(request.headers.get(SECRET_HEADER), self.secret)

    def unauthorized(self) -> web.Response:
        return web.json_response({"error": "unauthorized"}, status=401)

    async def parse(self, request: web.Request) -> dict[str, Any]:
        payload = json.loads(await request.read())  # JSONDecodeError is a ValueError
        if not isinstance(payload, dict) or not isinstance(payload.get("type"), str):
            raise ValueError("not an event")
        return payload

    async def handle(self, payload: dict[str, Any]) -> None:
        self.process(payload)
        await self.record(payload)

    def process(self, payload: dict[str, Any]) -> None:
        summarize(payload)

    async def record(self, payload: dict[str, Any]) -> None:
        self.ledger.act_once(payload)

    async def serve_probe(self, request: web.Request) -> web.Response:
        return web.json_response(self.ledger.snapshot())


class AckThenProcessReceiver(AiohttpReceiver):
    """Correct: answers 202 at once and acts on events from a queue a moment later."""

    def app(self) -> web.Application:
        app = super().app()
        app.cleanup_ctx.append(self._worker)
        return app

    async def _worker(self, app: web.Application) -> AsyncIterator[None]:
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

        async def work() -> None:
            while True:
                payload = await self.queue.get()
                await asyncio.sleep(0.005)  # the slow work a real receiver does after answering
                self.process(payload)
                self.ledger.act_once(payload)

        task = asyncio.create_task(work())
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def receive(self, request: web.Request) -> web.Response:
        if not self.authorized(request):
            return self.unauthorized()
        try:
            payload = await self.parse(request)
        except ValueError:
            return web.json_response({"error": "expected a JSON object with a type"}, status=400)
        self.queue.put_nowait(payload)
        return web.Response(status=202)


class ActsOnlyOnCallEnd(AiohttpReceiver):
    """Correct: acknowledges every event but only acts on the end of a call (its probe lists only those)."""

    async def record(self, payload: dict[str, Any]) -> None:
        if payload.get("type") in ("call_completed", "call_failed"):
            await super().record(payload)


# --- secret bugs -------------------------------------------------------------------------------------


class PrefixCompare(AiohttpReceiver):
    """Compares only as many characters as were sent, so any prefix of the secret passes."""

    def authorized(self, request: web.Request) -> bool:
        provided = request.headers.get(SECRET_HEADER)
        return bool(provided) and secret_matches(provided, self.secret[: len(provided or "")])


class StartsWithSecret(AiohttpReceiver):
    """``provided.startswith(secret)``: the secret followed by anything passes."""

    def authorized(self, request: web.Request) -> bool:
        return request.headers.get(SECRET_HEADER, "").startswith(self.secret)


class CaseInsensitiveCompare(AiohttpReceiver):
    """Lower-cases both sides "to be forgiving"."""

    def authorized(self, request: web.Request) -> bool:
        return request.headers.get(SECRET_HEADER, "").lower() == self.secret.lower()


class FailOpenMissingHeader(AiohttpReceiver):
    """Only rejects a header that is present and wrong; no header at all passes."""

    def authorized(self, request: web.Request) -> bool:
        provided = request.headers.get(SECRET_HEADER)
        return provided is None or secret_matches(provided, self.secret)


class FailOpenEmptyHeader(AiohttpReceiver):
    """Lets an empty header through (meant for a load balancer's health probe)."""

    def authorized(self, request: web.Request) -> bool:
        provided = request.headers.get(SECRET_HEADER)
        return provided == "" or secret_matches(provided, self.secret)


class SecretFromQuery(AiohttpReceiver):
    """Falls back to a ``?token=`` query parameter when the header is missing."""

    def authorized(self, request: web.Request) -> bool:
        return secret_matches(request.headers.get(SECRET_HEADER) or request.query.get("token"), self.secret)


class OkOnRejectedSecret(AiohttpReceiver):
    """Ignores a bad secret but answers 200, so nobody notices."""

    def unauthorized(self) -> web.Response:
        return web.json_response({"ok": False})


class ForbiddenInsteadOf401(AiohttpReceiver):
    """Answers 403 to a bad secret (tolerated: a warning)."""

    def unauthorized(self) -> web.Response:
        return web.json_response({"error": "forbidden"}, status=403)


class CaseSensitiveHeaderName(AiohttpReceiver):
    """Copies the headers into a plain dict, so the lookup depends on how the sender cased the name."""

    def authorized(self, request: web.Request) -> bool:
        return secret_matches(dict(request.headers).get(SECRET_HEADER), self.secret)


class ActsBeforeVerifying(AiohttpReceiver):
    """Stores the event first and checks the secret afterwards."""

    async def receive(self, request: web.Request) -> web.Response:
        try:
            payload = await self.parse(request)
        except ValueError:
            return web.json_response({"error": "expected a JSON object with a type"}, status=400)
        await self.handle(payload)
        if not self.authorized(request):
            return self.unauthorized()
        return web.json_response({"ok": True})


# --- handling bugs -----------------------------------------------------------------------------------


class CrashOnMissingText(AiohttpReceiver):
    """``turn["text"] or ""`` copes with null but not with a missing key."""

    def process(self, payload: dict[str, Any]) -> None:
        for turn in spoken_turns(payload):
            len(turn["text"] or "")


class CrashOnNullText(AiohttpReceiver):
    """``turn.get("text", "").strip()`` copes with a missing key but not with null."""

    def process(self, payload: dict[str, Any]) -> None:
        for turn in spoken_turns(payload):
            turn.get("text", "").strip()


class UnknownTypeCrashes(AiohttpReceiver):
    """Dispatches on a dict of handlers: an unknown type raises KeyError (500)."""

    HANDLERS = frozenset({"call_started", "call_turn", "call_completed", "call_failed", "post_call_analysis"})

    def process(self, payload: dict[str, Any]) -> None:
        handler = {kind: summarize for kind in self.HANDLERS}[payload["type"]]
        handler(payload)


class MalformedJsonCrashes(AiohttpReceiver):
    """``await request.json()`` without a try: a parse error escapes as a 500."""

    async def receive(self, request: web.Request) -> web.Response:
        if not self.authorized(request):
            return self.unauthorized()
        payload = await request.json()
        await self.handle(payload)
        return web.json_response({"ok": True})


class RegexRouting(AiohttpReceiver):
    """Finds the event type with a regex over the raw body that assumes compact JSON (``"type":"..."``)."""

    TYPE = re.compile(rb'"type":"([a-z_]+)"')

    async def parse(self, request: web.Request) -> dict[str, Any]:
        body = await request.read()
        if self.TYPE.search(body) is None:
            raise ValueError("no event type")  # answered 400: "not an event"
        return await super().parse(request)


class LegacyBodyOnly(AiohttpReceiver):
    """Written against the 2025 docs: reads the transcript only from the legacy top-level ``body``."""

    def process(self, payload: dict[str, Any]) -> None:
        if payload["type"] in ("call_turn", "call_completed", "call_failed"):
            payload["body"]


class RequiresCallId(AiohttpReceiver):
    """Rejects events without a ``call_id`` with 400, which only the 2025 format lacks (a warning)."""

    async def receive(self, request: web.Request) -> web.Response:
        if not self.authorized(request):
            return self.unauthorized()
        try:
            payload = await self.parse(request)
        except ValueError:
            return web.json_response({"error": "expected a JSON object with a type"}, status=400)
        if not payload.get("call_id"):
            return web.json_response({"error": "call_id is required"}, status=400)
        await self.handle(payload)
        return web.json_response({"ok": True})


class ThreeByteUtf8Storage(AiohttpReceiver):
    """Stores text in a MySQL ``utf8`` (3-byte) column: emoji and other 4-byte characters fail (500)."""

    def process(self, payload: dict[str, Any]) -> None:
        for turn in spoken_turns(payload):
            if any(ord(char) > 0xFFFF for char in turn.get("text") or ""):
                raise ValueError("Incorrect string value for column 'text'")


class ToolArgumentsAsObject(AiohttpReceiver):
    """Assumes tool-call arguments are always an object; the SDK's truncated string form crashes it."""

    def process(self, payload: dict[str, Any]) -> None:
        for turn in spoken_turns(payload):
            for tool in turn.get("tool_calls") or []:
                tool["arguments"].get("order_id")


class DefaultBodyLimit(AiohttpReceiver):
    """Keeps aiohttp's default 1 MiB body limit: a long call's transcript gets a 413."""

    max_body = 1024 * 1024


# --- delivery bugs -----------------------------------------------------------------------------------


class NotIdempotent(AiohttpReceiver):
    """Acts on every delivery, duplicates included (double billing)."""

    async def record(self, payload: dict[str, Any]) -> None:
        with self.ledger._lock:
            self.ledger.processed.append({k: payload.get(k) for k in ("type", "call_id", "timestamp")})


class CheckThenInsertRace(AiohttpReceiver):
    """Checks for a duplicate, awaits a database write, then marks the event seen: concurrent copies all pass."""

    async def record(self, payload: dict[str, Any]) -> None:
        key = (payload.get("type"), payload.get("call_id"), payload.get("timestamp"))
        seen: set[Any] = self.__dict__.setdefault("seen", set())
        if key in seen:
            return
        await asyncio.sleep(0.05)  # the database round trip between the check and the insert
        seen.add(key)
        with self.ledger._lock:
            self.ledger.processed.append({k: payload.get(k) for k in ("type", "call_id", "timestamp")})


class BreaksOutOfOrder(AiohttpReceiver):
    """Keeps per-call state created by call_started; any other event for an unknown call is a KeyError (500)."""

    def __init__(self, secret: str, *, probe: bool = True) -> None:
        super().__init__(secret, probe=probe)
        self.calls: dict[Any, list[str]] = {}

    def process(self, payload: dict[str, Any]) -> None:
        kind = payload["type"]
        if kind == "call_started":
            self.calls[payload.get("call_id")] = []
        elif kind in ("call_turn", "call_completed", "call_failed", "post_call_analysis"):
            self.calls[payload.get("call_id")].append(kind)


class TrailingSlashRedirect(AiohttpReceiver):
    """The route is ``/webhooks/`` and aiohttp's path normalizer redirects ``/webhooks`` to it (308)."""

    def app(self) -> web.Application:
        app = web.Application(client_max_size=self.max_body, middlewares=[web.normalize_path_middleware()])
        app.router.add_post(WEBHOOK_PATH + "/", self.receive)
        if self.probe:
            app.router.add_get(PROBE_PATH, self.serve_probe)
        return app


class SlowOnCallEnd(AiohttpReceiver):
    """Updates the CRM synchronously when a call ends, taking seconds before it answers."""

    delay = 2.0

    async def handle(self, payload: dict[str, Any]) -> None:
        if payload.get("type") == "call_completed":
            await asyncio.sleep(self.delay)  # the CRM round trip this receiver waits for
        await super().handle(payload)
