"""``harness replay``: re-send a logged delivery, byte for byte, and log it as a new delivery."""

from __future__ import annotations

import argparse
import asyncio

from harness._bounds import require_seconds
from harness._commands._tls import add_tls_arguments, tls_options
from harness._environment import SECRET_ENV, webhook_secret
from harness._logcli import add_db_argument, describe_attempt
from harness._net import require_http_url
from harness._redact import has_masked_password, mask_url
from harness.delivery import MASK, MAX_TIMEOUT, Deliverer, Delivery, DeliverySettings, webhook_headers
from harness.errors import ConfigError
from harness.models import WEBHOOK_SECRET_HEADER
from harness.store import DeliveryLog, StoredDelivery

HELP = "re-send a logged delivery (the exact bytes) and log the new attempt"
# Set by the HTTP client for each request; replaying the logged values would be wrong.
_PER_REQUEST_HEADERS = frozenset({"host", "content-length", "user-agent", "connection", "transfer-encoding"})


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("delivery_id", metavar="DELIVERY_ID", help="the delivery to re-send (dlv_...)")
    add_db_argument(parser)
    parser.add_argument("--to", metavar="URL", help="send it here instead of the logged target URL")
    parser.add_argument(
        "--secret", metavar="S", help=f"the webhook secret (default: ${SECRET_ENV}); the log keeps it masked"
    )
    parser.add_argument("--timeout", type=float, default=10.0, metavar="SECONDS", help="delivery timeout (default 10)")
    add_tls_arguments(parser)


def run(args: argparse.Namespace) -> int:
    require_seconds("--timeout", args.timeout, high=MAX_TIMEOUT)
    secret = webhook_secret(args.secret)  # bad input is refused before the log is opened
    with DeliveryLog.open_existing(args.db) as log:
        original = log.get_delivery(args.delivery_id)
        url = args.to or original.url
        if has_masked_password(url):
            raise ConfigError(f"{url}: the log keeps the URL's password masked; pass --to URL with the password")
        require_http_url(url, "--to")
        headers = replay_headers(original, secret)
        settings = DeliverySettings(timeout=args.timeout, **tls_options(args))
        delivery = asyncio.run(_replay(original, url, headers, settings, log))
    print(f"{delivery.id} (replay of {original.id}) -> {mask_url(url)}: {describe_attempt(delivery.last)}")
    return 0 if delivery.ok else 1


def replay_headers(original: StoredDelivery, secret: str | None) -> dict[str, str]:
    """The headers the original was sent with, the masked secret filled in again.

    A delivery sent without a secret header (or with an empty one, as the contract checks do) is
    replayed the same way; only a masked value needs the real secret.
    """
    if not original.attempts:
        return webhook_headers(_require(secret))
    headers: dict[str, str] = {}
    for name, value in original.attempts[0].request_headers.items():
        if name.lower() in _PER_REQUEST_HEADERS:
            continue
        if name.lower() == WEBHOOK_SECRET_HEADER.lower() and value == MASK:
            value = _require(secret)
        headers[name] = value
    return headers


def _require(secret: str | None) -> str:
    if not secret:
        raise ConfigError(f"no secret to replay with: pass --secret S or set ${SECRET_ENV} (the log keeps it masked)")
    return secret


async def _replay(
    original: StoredDelivery, url: str, headers: dict[str, str], settings: DeliverySettings, log: DeliveryLog
) -> Delivery:
    async with Deliverer(url, None, settings=settings, recorder=log) as deliverer:
        return await deliverer.deliver(
            original.body,
            headers=headers,
            event_type=original.event_type,
            call_id=original.call_id,
            replay_of=original.id,
        )
