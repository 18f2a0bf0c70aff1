"""The environment variables the command line, the plugin, the server and the load workers share.

One name each, so that ``harness send``, ``harness check``, the pytest plugin, ``harness serve`` and the
Locust workers all read the secret (and the receiver's URL, and the delivery log) from the same place.
"""

from __future__ import annotations

import os

from harness.errors import ConfigError

__all__ = ["DB_ENV", "SECRET_ENV", "URL_ENV", "require_webhook_secret", "webhook_secret"]

# The receiver's webhook secret, sent in X-Webhook-Secret. Read from here, never printed, logged or stored.
SECRET_ENV = "CARTESIA_WEBHOOK_SECRET"
# The receiver's webhook URL (where events are POSTed).
URL_ENV = "CARTESIA_WEBHOOK_URL"
# The delivery log's path (default .harness/deliveries.db; ":memory:" keeps nothing).
DB_ENV = "HARNESS_DB"


def webhook_secret(given: str | None) -> str | None:
    """``given`` (a ``--secret`` option) unless empty, else ``$CARTESIA_WEBHOOK_SECRET`` unless empty, else None."""
    return given or os.environ.get(SECRET_ENV) or None


def require_webhook_secret(given: str | None, *, hint: str = "") -> str:
    """:func:`webhook_secret`, or a ConfigError (exit 2) saying where to put it; ``hint`` ends the message."""
    secret = webhook_secret(given)
    if secret is None:
        raise ConfigError(f"no secret: pass --secret S or set {SECRET_ENV}{hint}")
    return secret
