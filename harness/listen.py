"""``harness listen``: sit between the real platform and a local receiver; forward, answer, and record.

Cartesia (through the user's tunnel) POSTs to the listener; each request is recorded in the delivery log
as a *captured* delivery (exact bytes and headers, the secret masked), forwarded byte for byte with its
headers to the local receiver (no redirects followed, the delivery timeout), and answered with the
receiver's status and body. When the receiver cannot be reached the platform gets a 502, and the record
stays, so ``harness replay`` can send it again once the receiver is back.

With a secret, a request whose ``X-Webhook-Secret`` does not match, or that carries the header more than once, is
answered 401 and not forwarded, as a correct receiver would answer it (recorded too); ``forward_unverified``
forwards it anyway, flagged. Every other header line is forwarded as it came, repeated ones included.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import TracebackType

from aiohttp import web
from multidict import MultiDict

from harness.delivery import Attempt, Deliverer, Delivery, DeliverySettings, Source
from harness.models import WEBHOOK_SECRET_HEADER
from harness.receiver import verify_secret
from harness.reference_receiver import DEFAULT_MAX_BODY_BYTES
from harness.server.console.tracking import state_of
from harness.server.security import guard
from harness.server.state import CallRecord, CallsState
from harness.serving import AppServer
from harness.store import DeliveryLog

__all__ = ["Captured", "Listener"]

logger = logging.getLogger("harness.listen")

# Set per connection by the HTTP client; forwarding Cartesia's values would describe the wrong connection.
_HOP_BY_HOP = frozenset(
    {"host", "content-length", "connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
     "proxy-connection", "proxy-authorization"}
)  # fmt: skip
# Not relayed back: the listener's own framing replaces the receiver's.
_NOT_RELAYED = _HOP_BY_HOP | {"content-encoding", "date", "server"}


@dataclass(frozen=True)
class Captured:
    """One request the listener got, and what became of it (for the printed line or NDJSON)."""

    delivery: Delivery
    verified: bool | None  # None when no secret was given to check it with
    forwarded: bool
    answered: int  # the status the platform got back
    # Why it was not forwarded (401: the secret did not pass; 413: too large), or, forwarded anyway with
    # forward_unverified, why its secret did not pass.
    refused: str | None = None

    @property
    def response_truncated(self) -> bool:
        """True when the receiver's answer was longer than the cap, and what was relayed is its beginning."""
        last = self.delivery.attempts[-1] if self.delivery.attempts else None
        return self.forwarded and last is not None and last.response_truncated

    def to_dict(self) -> dict[str, object]:
        """The NDJSON line of ``harness listen --json``."""
        last = self.delivery.attempts[-1] if self.delivery.attempts else None
        return {
            "delivery_id": self.delivery.id,
            "event_type": self.delivery.event_type,
            "call_id": self.delivery.call_id,
            "verified": self.verified,
            "refused": self.refused,
            "forwarded": self.forwarded,
            "receiver_status": last.status if last is not None and self.forwarded else None,
            "failure": None if last is None or not self.forwarded else last.failure,
            "answered": self.answered,
            "response_truncated": self.response_truncated,
            "latency_ms": None if last is None else round(last.latency * 1000, 1),
        }


OnCaptured = Callable[[Captured], None]


class Listener:
    """``async with Listener(forward_to, log=log) as listener: listener.url`` receives and forwards."""

    def __init__(
        self,
        forward_to: str,
        *,
        log: DeliveryLog,
        secret: str | None = None,
        forward_unverified: bool = False,
        settings: DeliverySettings | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        on_captured: OnCaptured | None = None,
    ) -> None:
        self.forward_to = forward_to
        self.secret = secret
        self.forward_unverified = forward_unverified
        self.log = log
        self.on_captured = on_captured
        masked = [secret] if secret else []
        self._recorder = _Recorder(log)
        self._deliverer = Deliverer(forward_to, None, settings=settings, recorder=self._recorder, masked=masked)
        # What the captured calls look like, as the Calls API would show them: the console lists them from
        # the log, as it lists played calls (state changes only, as the server records them).
        self._calls = CallsState(max_calls=1000)
        self._calls.listeners.append(self._record_state)
        # Any Host (the tunnel's name reaches us), but no browser page may post through us (CSRF). Bodies are
        # read as received (aiohttp would decompress a Content-Encoding: gzip one): stored and forwarded byte
        # for byte, still labelled as they came, and capped on the bytes that arrived.
        app = web.Application(
            client_max_size=DEFAULT_MAX_BODY_BYTES,
            middlewares=[guard(host=host, token=None, allowed_hosts={"*"})],
            handler_args={"auto_decompress": False},
        )
        app.router.add_post("/{path:.*}", self._receive)
        self._server = AppServer(app, host=host, port=port, shutdown_timeout=0.5)

    @property
    def url(self) -> str:
        """Where the platform (through the tunnel) should POST."""
        return self._server.url

    @property
    def recorded(self) -> int:
        """How many requests were recorded in the log: forwarded, refused, or cut short by stopping."""
        return self._recorder.deliveries

    async def start(self) -> Listener:
        """Start listening; does nothing when already started."""
        await self._server.start()
        return self

    async def close(self) -> None:
        """Stop listening and close the connections to the receiver; idempotent."""
        await self._server.close()
        await self._deliverer.close()

    async def __aenter__(self) -> Listener:
        return await self.start()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def _receive(self, request: web.Request) -> web.StreamResponse:
        # Every header line as it came, repeated ones too, in order (a dict would keep only the last of them).
        headers = MultiDict((name, value) for name, value in request.headers.items() if name.lower() not in _HOP_BY_HOP)
        verified, refused = self._verify(request.headers.getall(WEBHOOK_SECRET_HEADER, []))
        source = Source.CAPTURED if verified is not False else Source.CAPTURED_UNVERIFIED
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge as too_large:
            # Refused unread past the cap, so there are no bytes to keep; the record says that it came, and why.
            reason = f"body over {DEFAULT_MAX_BODY_BYTES} bytes"
            delivery = self._deliverer.record_not_forwarded(
                b"", headers=headers, reason=f"{reason}: answered 413, not forwarded", source=source
            )
            self._report(Captured(delivery, verified, False, too_large.status, refused=reason))
            raise
        event = _json_object(body)
        event_type, call_id = _text(event.get("type")), _text(event.get("call_id") or event.get("request_id"))
        forwarded = verified is not False or self.forward_unverified
        if forwarded:
            delivery = await self._deliverer.deliver(
                body, headers=headers, event_type=event_type, call_id=call_id, source=source
            )
            response = _relay(delivery)
        else:
            delivery = self._deliverer.record_not_forwarded(
                body,
                headers=headers,
                reason=f"{refused}: answered 401, not forwarded",
                event_type=event_type,
                call_id=call_id,
            )
            response = web.json_response({"error": "unauthorized"}, status=401)
        # The answer is settled: nothing below may turn it into a 500 (a malformed event the state tracking
        # cannot follow, a printer whose reader went away).
        if call_id is not None and verified is not False:
            with _unless_failing("following its call", delivery.id):
                self._follow(call_id, event)
        self._report(Captured(delivery, verified, forwarded, response.status, refused=refused))
        return response

    def _report(self, captured: Captured) -> None:
        if self.on_captured is not None:
            with _unless_failing("reporting it", captured.delivery.id):
                self.on_captured(captured)

    def _verify(self, offered: list[str]) -> tuple[bool | None, str | None]:
        """Whether the secret headers offered pass ``--secret`` (None: no secret to check), and why not."""
        if self.secret is None:
            return None, None
        if len(offered) > 1:
            # Which one would the receiver read? Servers differ (first, last, joined), so none passes.
            return False, f"{WEBHOOK_SECRET_HEADER} repeated ({len(offered)} headers)"
        if not verify_secret(offered[0] if offered else None, self.secret):
            return False, f"{WEBHOOK_SECRET_HEADER} does not match --secret"
        return True, None

    def _follow(self, call_id: str, event: dict[str, object]) -> None:
        if self._calls.get(call_id) is None:
            agent = _text(event.get("agent_id"))
            # Logged under the scenario name "captured": the console marks these calls so.
            self.log.record_call(call_id, agent_id=agent, scenario=Source.CAPTURED, events=0)
        self._calls.apply(call_id, event)

    def _record_state(self, record: CallRecord, before: str | None) -> None:
        if record.status != before:
            self.log.record_call_state(state_of(record))


class _Recorder:
    """The delivery log, as the deliverer records into it: a write that fails is logged, never raised.

    Raised, it would lose the receiver's answer (the deliverer records it before returning it), and the
    platform would get a 500 for a request the receiver took.
    """

    def __init__(self, log: DeliveryLog) -> None:
        self.log = log
        self.deliveries = 0  # recorded (each delivery's first attempt once, whether answered, refused or cancelled)

    def record_attempt(self, delivery: Delivery, attempt: Attempt) -> None:
        with _unless_failing("recording it", delivery.id):
            self.log.record_attempt(delivery, attempt)
            if attempt.number == 1:
                self.deliveries += 1

    async def record_intent(self, delivery: Delivery, attempt: Attempt) -> None:
        with _unless_failing("recording it before forwarding", delivery.id):
            await self.log.record_intent(delivery, attempt)


@contextmanager
def _unless_failing(what: str, delivery_id: str) -> Iterator[None]:
    """Log an exception of the bookkeeping in one line, and let the request's answer go out all the same.

    Only the exception's type is named: its message could quote the request (headers, the secret).
    """
    try:
        yield
    except Exception as exc:
        logger.warning(
            "harness listen: %s: %s failed (%s); answered all the same", delivery_id, what, type(exc).__name__
        )


def _json_object(body: bytes) -> dict[str, object]:
    """The body as a JSON object, or an empty one when it is not one (it is forwarded all the same)."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return {}
    return data if isinstance(data, dict) else {}


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _relay(delivery: Delivery) -> web.Response:
    """The receiver's answer for the platform; 502 when there was none."""
    attempt = delivery.attempts[-1]
    if attempt.status is None:
        detail = {"error": "the local receiver did not answer", "failure": attempt.failure, "detail": attempt.error}
        return web.json_response(detail, status=502)
    headers = {name: value for name, value in attempt.response_headers.items() if name.lower() not in _NOT_RELAYED}
    return web.Response(status=attempt.status, body=attempt.response_body, headers=headers)
