"""What a check works with: fresh calls from the generator, a sender that logs every request, the probe."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any
from urllib.parse import quote, unquote

from harness.checks.auth import CORRECT, Auth
from harness.checks.failures import CheckFailure, CheckSkipped
from harness.checks.probe import Probe, ProbeEntry
from harness.delivery import Attempt, AttemptRecorder, Deliverer, Delivery
from harness.generate import simulate_call
from harness.models import BaseEvent, Event

__all__ = ["CheckContext", "RunSettings", "Sent", "describe", "entry_key", "event_key_of", "is_2xx"]

Payload = BaseEvent | bytes | dict[str, Any]
RESPONSE_EXCERPT = 300


@dataclass(frozen=True)
class RunSettings:
    """What every check of one run shares."""

    url: str
    secret: str
    probe_url: str | None = None
    seed: int = 0
    latency_budget: float = 10.0
    timeout: float = 10.0
    run_id: str = "0"


@dataclass
class Sent:
    """A request a check made, with how it presented the secret (for the reproduction)."""

    delivery: Delivery
    auth: Auth


@dataclass
class CheckContext:
    """Passed to every check. Use :meth:`call` for realistic events and :meth:`send` to deliver them."""

    name: str
    settings: RunSettings
    deliverer: Deliverer
    probe: Probe | None = None
    sent: list[Sent] = field(default_factory=list)
    # What the check observed, reported whatever its outcome (latency figures, say).
    evidence: dict[str, Any] = field(default_factory=dict)
    _calls: int = 0

    @property
    def url(self) -> str:
        """The receiver's webhook URL."""
        return self.settings.url

    @property
    def secret(self) -> str:
        """The shared secret the receiver expects."""
        return self.settings.secret

    # --- payloads -----------------------------------------------------------------------------------

    def new_call_id(self) -> str:
        """A call id no other check (and no earlier run) uses, so checks cannot see each other's effects."""
        self._calls += 1
        digest = hashlib.sha256(f"{self.settings.run_id}:{self.name}:{self._calls}".encode()).hexdigest()
        return "ac_" + digest[:22]

    def seed_for(self, label: str) -> int:
        """A payload seed derived from the run's seed, this check and ``label``: the same each run."""
        digest = hashlib.blake2b(f"{self.settings.seed}:{self.name}:{label}".encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big")

    def call(
        self, *, label: str = "", turns: int | None = 2, outcome: str | None = "completed", **options: Any
    ) -> list[Event]:
        """A realistic call's events in delivery order, with a fresh call id (``options`` go to the generator)."""
        seed = self.seed_for(label or str(self._calls))
        return simulate_call(seed=seed, turns=turns, outcome=outcome, call_id=self.new_call_id(), **options)

    # --- sending ------------------------------------------------------------------------------------

    async def send(
        self, payload: Payload, *, auth: Auth = CORRECT, event_type: str | None = None, call_id: str | None = None
    ) -> Delivery:
        """Deliver one event (model, wire dict, or exact bytes) the way the platform does; never raises.

        ``event_type`` and ``call_id`` name what raw bytes carry, for the delivery log.
        """
        found_type, found_call = _identity(payload)
        event_type, call_id = event_type or found_type, call_id or found_call
        if isinstance(payload, BaseEvent):
            body = payload.to_json()
        elif isinstance(payload, dict):
            body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        else:
            body = payload
        delivery = await self.deliverer.deliver(
            body,
            headers=auth.headers(self.secret),
            url=auth.url(self.url, self.secret),
            event_type=event_type,
            call_id=call_id,
        )
        self.sent.append(Sent(delivery, auth))
        return delivery

    async def send_in_order(self, payloads: Iterable[Payload], *, auth: Auth = CORRECT) -> list[Delivery]:
        """Deliver events one after another, as the platform sends one call's events."""
        return [await self.send(payload, auth=auth) for payload in payloads]

    async def send_calls(self, calls: Sequence[Sequence[Payload]]) -> list[list[Delivery]]:
        """Deliver several calls at once, each call's events in order."""
        return list(await asyncio.gather(*(self.send_in_order(call) for call in calls)))

    def auth_of(self, delivery: Delivery) -> Auth:
        """How ``delivery`` presented the secret."""
        for sent in self.sent:
            if sent.delivery is delivery:
                return sent.auth
        return CORRECT

    # --- observing ----------------------------------------------------------------------------------

    def require_probe(self) -> Probe:
        """The probe, or skip the check saying how to enable it."""
        if self.probe is None:
            raise CheckSkipped(_NO_PROBE)
        return self.probe

    async def settled(
        self,
        call_ids: Collection[str | None],
        *,
        until: Callable[[list[ProbeEntry]], bool] | None = None,
        quiet: float = 0.1,
        deadline: float = 10.0,
    ) -> list[ProbeEntry]:
        """The probe's entries for ``call_ids`` once ``until`` holds, they stop changing, or ``deadline`` passes."""
        return await self.require_probe().wait(call_ids, until=until, quiet=quiet, deadline=deadline)

    # --- verdicts -----------------------------------------------------------------------------------

    def expect_accepted(self, deliveries: Iterable[Delivery], what: str) -> None:
        """Fail unless every delivery got a 2xx; ``what`` says what was sent, for the message."""
        bad = [delivery for delivery in deliveries if not is_2xx(delivery)]
        if bad:
            first = bad[0]
            raise CheckFailure(
                f"{what} was not accepted",
                f"{outcome(first)} to {describe_event(first)}; the platform expects a 2xx for every event it sends"
                + (f" ({len(bad)} requests failed)" if len(bad) > 1 else ""),
                deliveries=bad[:3],
            )


def is_2xx(delivery: Delivery) -> bool:
    """True when the receiver answered with a 2xx."""
    return delivery.ok


def outcome(delivery: Delivery) -> str:
    """``answered 500`` or ``redirected (308) to ...`` or ``timed out ...``: what came back, in words."""
    attempt = delivery.last
    if attempt.status is None:
        return attempt.error or "no response"
    if 300 <= attempt.status < 400:
        return f"redirected ({attempt.status}) to {attempt.header('Location') or '(no Location)'}"
    return f"answered {attempt.status}"


def describe_event(delivery: Delivery) -> str:
    """``call_turn of call ac_...``, or the byte count for raw bodies."""
    if delivery.event_type:
        return f"{delivery.event_type} of call {delivery.call_id}" if delivery.call_id else delivery.event_type
    return f"a {len(delivery.body):,}-byte body"


def describe(delivery: Delivery, auth: Auth, secret: str) -> dict[str, Any]:
    """Evidence for one request: what was sent, the status, a response excerpt, the latency (secret masked)."""
    attempt = delivery.last
    body = mask_secret_in(attempt.response_body.decode("utf-8", errors="replace"), secret)
    if len(body) > RESPONSE_EXCERPT or attempt.response_truncated:
        body = body[:RESPONSE_EXCERPT] + "..."
    return {
        "delivery_id": delivery.id,
        "request": f"POST {_masked_url(delivery.url, auth)} ({describe_event(delivery)}, {len(delivery.body):,} bytes)",
        "secret": auth.label,
        "status": attempt.status,
        "error": None if attempt.error is None else mask_secret_in(attempt.error, secret),
        "response": body,
        "latency_ms": round(attempt.latency * 1000, 1),
    }


def _masked_url(url: str, auth: Auth) -> str:
    if not auth.query_names:
        return url
    base, _, query = url.partition("?")
    return base + "?" + "&".join(part.split("=", 1)[0] + "=***" for part in query.split("&"))


def event_key_of(payload: BaseEvent | dict[str, Any]) -> tuple[Any, Any, Any]:
    """``(type, call_id, timestamp)``: how the probe's entries name an event."""
    if isinstance(payload, BaseEvent):
        return (payload.type, payload.call_id, payload.timestamp)
    return (payload.get("type"), payload.get("call_id"), payload.get("timestamp"))


def entry_key(entry: ProbeEntry) -> tuple[Any, Any, Any]:
    """The ``(type, call_id, timestamp)`` of a probe entry."""
    return (entry.get("type"), entry.get("call_id"), entry.get("timestamp"))


def _identity(payload: Payload) -> tuple[str | None, str | None]:
    if isinstance(payload, BaseEvent):
        return payload.type, payload.call_id
    if isinstance(payload, dict):
        kind, call = payload.get("type"), payload.get("call_id")
        return (kind if isinstance(kind, str) else None), (call if isinstance(call, str) else None)
    return None, None


class MaskingRecorder:
    """Records attempts with the secret masked wherever it could show: URLs (one check puts it in the query
    string), a redirect's Location, the error text, and a response that echoes it back."""

    def __init__(self, inner: AttemptRecorder, secret: str) -> None:
        self.inner = inner
        self.secret = secret

    def record_attempt(self, delivery: Delivery, attempt: Attempt) -> None:
        """Record through the inner recorder, with every trace of the secret masked."""
        mask = partial(mask_secret_in, secret=self.secret)
        if any(self.secret in text for text in _texts(delivery, attempt)):
            delivery = replace(delivery, url=mask(delivery.url))
            attempt = replace(
                attempt,
                url=mask(attempt.url),
                error=None if attempt.error is None else mask(attempt.error),
                response_headers={name: mask(value) for name, value in attempt.response_headers.items()},
                response_body=mask(attempt.response_body.decode("utf-8", errors="replace")).encode(),
            )
        self.inner.record_attempt(delivery, attempt)


def _texts(delivery: Delivery, attempt: Attempt) -> list[str]:
    return [
        unquote(delivery.url),
        unquote(attempt.url),
        attempt.error or "",
        *(unquote(value) for value in attempt.response_headers.values()),
        attempt.response_body.decode("utf-8", errors="replace"),
    ]


def mask_secret_in(text: str, secret: str) -> str:
    """``text`` with the secret, plain or URL-encoded, replaced by ``***``."""
    if not secret:
        return text
    return text.replace(quote(secret, safe=""), "***").replace(quote(secret), "***").replace(secret, "***")


_NO_PROBE = (
    "needs the receiver's state probe to see what it acted on; pass --probe URL (GET <probe> answers "
    '{"processed": [{"type", "call_id", "timestamp"}, ...]}, one entry per event acted on)'
)
