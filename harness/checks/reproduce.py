"""Reproductions of a failing request: a ``curl`` command (secret from the environment) and ``harness replay``."""

from __future__ import annotations

import shlex

from harness.checks.auth import SECRET_ENV, Auth
from harness.delivery import Delivery

__all__ = ["INLINE_BODY_LIMIT", "curl_command", "replay_command"]

# Bodies above this are not pasted into a terminal; `harness replay` resends them byte for byte.
INLINE_BODY_LIMIT = 16 * 1024


def curl_command(delivery: Delivery, auth: Auth, base_url: str) -> str:
    """A ``curl`` command sending the same request; it reads the secret from ``$CARTESIA_WEBHOOK_SECRET``."""
    words = ["curl", "-sS", "-i", "-X", "POST", *auth.shell_url(base_url)]
    words += ["-H", shlex.quote("Content-Type: application/json")]
    header = auth.shell_header()
    if header is not None:
        words += ["-H", header]
    if len(delivery.body) <= INLINE_BODY_LIMIT:
        words += ["--data-binary", shlex.quote(delivery.body.decode("utf-8", errors="replace"))]
    else:
        words += ["--data-binary", "@body.json"]
    command = " ".join(words)
    if len(delivery.body) > INLINE_BODY_LIMIT:
        command += f"  # body.json: the {len(delivery.body):,}-byte body; `harness replay` resends it exactly"
    return command


def replay_command(delivery: Delivery, db: str | None) -> str:
    """``harness replay <delivery-id>`` (with ``--db`` when the log is not in the default place)."""
    command = f"harness replay {delivery.id}"
    if db is not None:
        command += f" --db {shlex.quote(db)}"
    return command + f"  # reads the secret from ${SECRET_ENV}"
