"""How a check sends: as the platform does, through the run's deliverer, remembering how each request
presented the secret (its reproduction depends on it)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from harness.checks.auth import CORRECT, Auth
from harness.delivery import Deliverer, Delivery
from harness.models import BaseEvent

__all__ = ["CheckSender", "Payload", "Sent"]

# An event model, its wire dict (which may break the models' rules on purpose), or exact bytes.
Payload = BaseEvent | bytes | dict[str, Any]


@dataclass
class Sent:
    """A request a check made, with how it presented the secret (for the reproduction)."""

    delivery: Delivery
    auth: Auth


class CheckSender:
    """Sends one check's requests to the receiver and keeps them, in order, in :attr:`sent`."""

    def __init__(self, deliverer: Deliverer, url: str, secret: str) -> None:
        self.deliverer = deliverer
        self.url = url
        self.secret = secret
        self.sent: list[Sent] = []

    async def send(
        self, payload: Payload, *, auth: Auth = CORRECT, event_type: str | None = None, call_id: str | None = None
    ) -> Delivery:
        """Deliver one event (model, wire dict, or exact bytes) the way the platform does; never raises.

        ``event_type`` and ``call_id`` name what raw bytes carry, for the delivery log.
        """
        if isinstance(payload, dict):
            event_type = event_type or _text(payload.get("type"))
            call_id = call_id or _text(payload.get("call_id"))
            payload = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        delivery = await self.deliverer.deliver(
            payload,
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
        return next((sent.auth for sent in self.sent if sent.delivery is delivery), CORRECT)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None
