"""Where a delivery goes and the headers it carries: the URL and the secret, read together, and the
``Content-Type`` and ``X-Webhook-Secret`` headers Cartesia sends (built here only, masked here only)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from harness._redact import MASK
from harness.models import WEBHOOK_SECRET_HEADER

__all__ = ["Endpoint", "EndpointSource", "mask_secret", "webhook_headers"]


@dataclass(frozen=True)
class Endpoint:
    """A webhook's URL and secret as one value: whoever changes where deliveries go replaces both at once."""

    url: str
    secret: str | None = None


# Read once per delivery, so a rotation applies from the next delivery on, URL and secret together
# (the mock server passes its webhook registry's, which follows the active webhook).
EndpointSource = Callable[[], Endpoint]


def webhook_headers(secret: str | None, *, header_name: str = WEBHOOK_SECRET_HEADER) -> dict[str, str]:
    """The headers Cartesia sends with every event; ``secret=None`` leaves the secret header out."""
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers[header_name] = secret
    return headers


def mask_secret(headers: Mapping[str, str]) -> dict[str, str]:
    """A copy of ``headers`` with the secret header's value masked (any casing of its name).

    A name given more than once (``headers`` a multidict) keeps its first casing and every value, joined with
    ``", "`` in order, as HTTP reads repeated fields (RFC 9110 5.3).
    """
    secret_name = WEBHOOK_SECRET_HEADER.lower()
    masked: dict[str, str] = {}
    names: dict[str, str] = {}  # lowercased name -> the casing it first came with
    for name, value in headers.items():
        shown = MASK if name.lower() == secret_name and value else value
        key = names.setdefault(name.lower(), name)
        masked[key] = f"{masked[key]}, {shown}" if key in masked else shown
    return masked
