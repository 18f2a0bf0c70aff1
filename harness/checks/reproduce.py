"""Reproductions of a failing request: a ``curl`` command (secret from the environment) and ``harness replay``."""

from __future__ import annotations

import shlex
from urllib.parse import unquote, urlsplit, urlunsplit

from harness.checks.auth import SECRET_ENV, Auth
from harness.delivery import Delivery

__all__ = ["INLINE_BODY_LIMIT", "MAX_INLINE_BODY", "curl_command", "replay_command"]

# Bodies above this are not pasted into a terminal when `harness replay` can resend them byte for byte;
# without a replay, bodies up to MAX_INLINE_BODY are pasted anyway, so the curl command stands alone.
INLINE_BODY_LIMIT = 4 * 1024
MAX_INLINE_BODY = 256 * 1024


def curl_command(delivery: Delivery, auth: Auth, base_url: str, *, inline_limit: int = INLINE_BODY_LIMIT) -> str:
    """A ``curl`` command sending the same request; it reads the secret from ``$CARTESIA_WEBHOOK_SECRET``.

    A body longer than ``inline_limit`` is referred to as ``@body.json`` instead of pasted.
    """
    words = ["curl", "-sS", "-i", "-X", "POST", *_credentials(base_url), *auth.shell_url(_without_password(base_url))]
    words += ["-H", shlex.quote("Content-Type: application/json")]
    header = auth.shell_header()
    if header is not None:
        words += ["-H", header]
    if len(delivery.body) <= inline_limit:
        words += ["--data-binary", shlex.quote(delivery.body.decode("utf-8", errors="replace"))]
    else:
        words += ["--data-binary", "@body.json"]
    command = " ".join(words)
    if len(delivery.body) > inline_limit:
        command += f"  # body.json: the {len(delivery.body):,}-byte body; `harness replay` resends it exactly"
    return command


def _credentials(url: str) -> list[str]:
    # The URL's password is never printed: `-u user` makes curl ask for it.
    user = urlsplit(url).username
    return ["-u", shlex.quote(unquote(user))] if user is not None and urlsplit(url).password is not None else []


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def replay_command(delivery: Delivery, db: str | None) -> str:
    """``harness replay <delivery-id>`` (with ``--db`` when the log is not in the default place)."""
    command = f"harness replay {delivery.id}"
    if db is not None:
        command += f" --db {shlex.quote(db)}"
    return command + f"  # reads the secret from ${SECRET_ENV}"
