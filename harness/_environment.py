"""The environment variables the command line, the plugin, the server and the load workers share.

One name each, so that ``harness send``, ``harness check``, the pytest plugin, ``harness serve`` and the
Locust workers all read the secret (and the receiver's URL, and the delivery log) from the same place.
"""

from __future__ import annotations

import os
import unicodedata

from harness.errors import ConfigError

__all__ = [
    "DB_ENV",
    "DEFAULT_WRITER_NICENESS",
    "SECRET_ENV",
    "URL_ENV",
    "WRITER_NICENESS_ENV",
    "require_sendable_secret",
    "require_webhook_secret",
    "unsendable_secret",
    "webhook_secret",
    "writer_niceness",
]

# The receiver's webhook secret, sent in X-Webhook-Secret. Read from here, never printed, logged or stored.
SECRET_ENV = "CARTESIA_WEBHOOK_SECRET"
# The receiver's webhook URL (where events are POSTed).
URL_ENV = "CARTESIA_WEBHOOK_URL"
# The delivery log's path (default .harness/deliveries.db; ":memory:" keeps nothing).
DB_ENV = "HARNESS_DB"
# How much nicer than its process the delivery log's writer thread runs, 0 to 19 (Linux; see
# harness.store._yield_cpu_to_others); 0 keeps it at the process's priority.
WRITER_NICENESS_ENV = "HARNESS_WRITER_NICENESS"
DEFAULT_WRITER_NICENESS = 10


def webhook_secret(given: str | None) -> str | None:
    """``given`` (a ``--secret`` option) unless empty, else ``$CARTESIA_WEBHOOK_SECRET`` unless empty, else None.

    ConfigError (exit 2) for a secret no request can carry, naming where it came from (see
    :func:`unsendable_secret`): every delivery with it would fail, each blamed on the receiver.
    """
    secret = given or os.environ.get(SECRET_ENV) or None
    if secret is not None:
        require_sendable_secret(secret, "--secret" if given else f"${SECRET_ENV}")
    return secret


def unsendable_secret(secret: str) -> str | None:
    """Why no request can carry ``secret`` in its header as it is, or None: what the sender refuses or what HTTP
    changes on the way, so that every delivery with it would fail (RFC 9110 5.5: a header value is Latin-1
    bytes without control characters but the tab, and loses spaces and tabs at either end).

    Names the code point, never the secret: a stray newline from a file or a paste is the usual cause.
    """
    for char in secret:
        if char != "\t" and unicodedata.category(char) == "Cc":
            return (
                f"the secret holds a control character (U+{ord(char):04X}), which no request's secret header can"
                " carry; pass it without (a trailing newline from a file or a paste is the usual cause)"
            )
        if ord(char) > 0xFF:  # also a lone surrogate: what a byte that is not UTF-8 becomes in the environment
            return (
                f"the secret holds a character outside Latin-1 (U+{ord(char):04X}), which no request's secret header"
                " can carry (a header value is Latin-1 bytes); pass the webhook's own secret"
            )
    if secret != secret.strip(" \t"):
        return (
            "the secret begins or ends with a space or a tab, which HTTP drops from a header value, so no receiver"
            " would see it; pass it without"
        )
    return None


def require_sendable_secret(secret: str, given_as: str) -> None:
    """ConfigError naming ``given_as`` (the option or variable) when :func:`unsendable_secret` finds a problem."""
    problem = unsendable_secret(secret)
    if problem is not None:
        raise ConfigError(f"{given_as}: {problem}")


def require_webhook_secret(given: str | None, *, hint: str = "") -> str:
    """:func:`webhook_secret`, or a ConfigError (exit 2) saying where to put it; ``hint`` ends the message."""
    secret = webhook_secret(given)
    if secret is None:
        raise ConfigError(f"no secret: pass --secret S or set {SECRET_ENV}{hint}")
    return secret


def writer_niceness() -> int:
    """``$HARNESS_WRITER_NICENESS`` (0 to 19), or ``DEFAULT_WRITER_NICENESS``; ConfigError for anything else."""
    given = os.environ.get(WRITER_NICENESS_ENV, "").strip()
    if not given:
        return DEFAULT_WRITER_NICENESS
    if not given.isdigit() or int(given) > 19:
        raise ConfigError(f"{WRITER_NICENESS_ENV}={given[:20]!r}: expected an integer from 0 to 19")
    return int(given)
