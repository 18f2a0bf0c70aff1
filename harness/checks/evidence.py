"""Evidence: typed records of what a check observed, which the reports render and the JSON report carries.

A failing check's evidence names the requests that show the failure (:class:`RequestEvidence`) and any
other facts it observed (figures, the probe's entries: JSON values). Every text in it has been through
:mod:`harness._redact` before a report shows it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from harness._redact import mask_text
from harness.checks.auth import Auth
from harness.checks.wording import describe_event
from harness.delivery import Delivery

__all__ = ["RESPONSE_EXCERPT", "Evidence", "RequestEvidence"]

# Characters of a response body shown; the delivery log keeps what the engine read (up to its cap).
RESPONSE_EXCERPT = 300


@dataclass(frozen=True)
class RequestEvidence:
    """One request a check made: where it went, what it carried, how it presented the secret, what came back."""

    delivery_id: str
    url: str
    event: str
    size: int
    secret: str
    status: int | None
    error: str | None
    response: str
    latency_ms: float

    @classmethod
    def of(cls, delivery: Delivery, auth: Auth) -> RequestEvidence:
        """The evidence of ``delivery``, sent presenting the secret as ``auth`` does."""
        attempt = delivery.last
        response = attempt.response_body.decode("utf-8", errors="replace")
        if len(response) > RESPONSE_EXCERPT or attempt.response_truncated:
            response = response[:RESPONSE_EXCERPT] + "..."
        return cls(
            delivery_id=delivery.id,
            url=delivery.url,
            event=describe_event(delivery),
            size=len(delivery.body),
            secret=auth.label,
            status=attempt.status,
            error=attempt.error,
            response=response,
            latency_ms=round(attempt.latency * 1000, 1),
        )

    @property
    def request(self) -> str:
        """``POST <url> (call_turn of call ac_..., 1,234 bytes)``."""
        return f"POST {self.url} ({self.event}, {self.size:,} bytes)"

    def masked(self, secrets: Iterable[str | None]) -> RequestEvidence:
        """A copy with every secret in ``secrets`` masked in its texts."""
        secrets = tuple(secrets)
        return replace(
            self,
            url=mask_text(self.url, secrets),
            event=mask_text(self.event, secrets),
            error=None if self.error is None else mask_text(self.error, secrets),
            response=mask_text(self.response, secrets),
        )

    def to_json(self) -> dict[str, Any]:
        """The JSON report's shape of a request."""
        return {
            "delivery_id": self.delivery_id,
            "request": self.request,
            "secret": self.secret,
            "status": self.status,
            "error": self.error,
            "response": self.response,
            "latency_ms": self.latency_ms,
        }


@dataclass(frozen=True)
class Evidence:
    """What a check observed: the requests that show its failure, then other facts (name -> JSON value)."""

    requests: tuple[RequestEvidence, ...] = ()
    facts: Mapping[str, Any] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.requests or self.facts)

    def masked(self, secrets: Iterable[str | None]) -> Evidence:
        """A copy with every secret in ``secrets`` masked wherever it could show (a probe may echo it, too)."""
        secrets = tuple(secrets)
        return Evidence(
            tuple(request.masked(secrets) for request in self.requests),
            {mask_text(name, secrets): _masked_value(value, secrets) for name, value in self.facts.items()},
        )

    def to_json(self) -> dict[str, Any]:
        """``{"requests": [...], <fact>: <value>, ...}``; ``requests`` only when there are some."""
        requests = {"requests": [request.to_json() for request in self.requests]} if self.requests else {}
        return {**requests, **self.facts}


def _masked_value(value: Any, secrets: tuple[str | None, ...]) -> Any:
    """``value`` (JSON: objects, arrays, strings, numbers) with its strings masked; anything else as masked text."""
    if isinstance(value, str):
        return mask_text(value, secrets)
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, Mapping):
        return {mask_text(str(key), secrets): _masked_value(item, secrets) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_masked_value(item, secrets) for item in value]
    return mask_text(str(value), secrets)
