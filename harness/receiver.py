"""Helpers for your own webhook receiver: check the secret, and key events to act on each one once.

Use :func:`verify_secret` and :func:`event_key` with :func:`harness.parse_event` in your receiver, or copy
them: they need only the standard library and :mod:`harness.models` (no web framework).

The reference receiver (a correct receiver as an aiohttp app, what ``harness receiver`` and ``harness demo``
run) lives in :mod:`harness.reference_receiver`; ``harness.receiver.create_app`` still finds it, importing
aiohttp only when it is asked for.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from harness.models import BaseEvent, CallTurn, UnknownEvent

if TYPE_CHECKING:
    from harness.reference_receiver import DEFAULT_MAX_BODY_BYTES as DEFAULT_MAX_BODY_BYTES
    from harness.reference_receiver import DEFAULT_PROBE_PATH as DEFAULT_PROBE_PATH
    from harness.reference_receiver import DEFAULT_WEBHOOK_PATH as DEFAULT_WEBHOOK_PATH
    from harness.reference_receiver import ReceiverState as ReceiverState
    from harness.reference_receiver import create_app as create_app

__all__ = ["event_key", "verify_secret"]

# What moved to harness.reference_receiver, still importable from here for existing callers.
_REFERENCE_RECEIVER_NAMES = frozenset(
    {"DEFAULT_MAX_BODY_BYTES", "DEFAULT_PROBE_PATH", "DEFAULT_WEBHOOK_PATH", "ReceiverState", "create_app"}
)


def verify_secret(provided: str | None, secret: str | Sequence[str]) -> bool:
    """True when ``provided`` equals the secret, or one of several during a rotation.

    Compares in constant time (``hmac.compare_digest`` on UTF-8 bytes) and fails closed: a missing or
    empty header never matches, and neither does an empty or unset configured secret.
    """
    if not isinstance(provided, str) or not provided:
        return False
    candidates = [secret] if isinstance(secret, str) else list(secret)
    # A header of bytes that are not UTF-8 reaches aiohttp handlers as surrogate escapes; "surrogatepass"
    # encodes any string without raising, and equal bytes still mean equal strings.
    provided_bytes = provided.encode("utf-8", "surrogatepass")
    matched = False
    for candidate in candidates:
        if isinstance(candidate, str) and candidate:
            # No early exit: which secret matched (or that none did) must not show in the timing.
            matched |= hmac.compare_digest(provided_bytes, candidate.encode("utf-8", "surrogatepass"))
    return matched


def event_key(event: BaseEvent) -> str:
    """A key that is equal for two deliveries of the same event, to make a receiver idempotent.

    Cartesia's payloads carry no event id. A call has one ``call_started``, one end event and one
    analysis, so those are keyed by type and call; a turn by its call, role and start time; anything
    else by type, call and envelope timestamp, or by its content when it names no call.
    """
    call = event.call_id or event.request_id
    if call is None:
        digest = hashlib.sha256(event.to_json()).hexdigest()[:32]
        return f"{event.type}|sha256:{digest}"
    if isinstance(event, CallTurn):
        turn = event.effective_turn
        if turn is not None and turn.start_timestamp is not None:
            return f"call_turn|{call}|{turn.role}|{turn.start_timestamp!r}"
    if isinstance(event, CallTurn | UnknownEvent):
        return f"{event.type}|{call}|{event.timestamp}"
    return f"{event.type}|{call}"


def __getattr__(name: str) -> Any:
    # PEP 562: the reference receiver needs aiohttp, which the helpers above must not import.
    if name in _REFERENCE_RECEIVER_NAMES:
        import harness.reference_receiver as reference_receiver

        return getattr(reference_receiver, name)
    raise AttributeError(f"module 'harness.receiver' has no attribute {name!r}")
