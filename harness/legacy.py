"""The 2025 payload format: what an agent's webhook received before the ``call`` and ``turn`` objects existed.

Cartesia's published example of it (``fixtures/events/legacy_2025_call_completed.json``) has no ``call_id``
and no ``call`` object: a ``request_id`` (``MZ`` and 32 hex digits), the envelope's ``agent_id``,
``webhook_id`` and ``timestamp``, and the transcript as a top-level ``body`` whose turns carry only
``role``, ``text``, their start and end times and the speech timings. The platform no longer sends it; the
``legacy-2025`` scenario and the ``handles_legacy_2025_format`` check send it to receivers of old agents.

The conversion never adds what the published example does not show (the harness must not be stricter than
the platform was): turns keep only those fields, and a transcript leaves out ``system`` (log) turns.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from harness.models import BaseEvent

__all__ = ["LEGACY_TURN_FIELDS", "legacy_request_id", "to_2025_format"]

# The turn fields of the 2025 format's transcripts (the published example's, and the user's speech timing).
LEGACY_TURN_FIELDS = ("end_timestamp", "role", "start_timestamp", "text", "tts_ttfb", "stt_ttfb")
_ENDED = ("call_completed", "call_failed")


def legacy_request_id(call_id: str | None) -> str:
    """The 2025 format's ``request_id`` for a call: ``MZ`` and 32 hex digits, the same for every event of it."""
    return "MZ" + hashlib.sha256((call_id or "").encode("utf-8", "surrogatepass")).hexdigest()[:32]


def to_2025_format(event: BaseEvent | Mapping[str, Any]) -> dict[str, Any]:
    """``event`` (a model or its wire dict) as the 2025 platform sent it, as a wire dict.

    No ``call``, ``turn`` or ``call_id``: a ``request_id`` derived from the call id; a ``call_turn``'s turn
    and a ``call_completed``/``call_failed``'s transcript in ``body``; ``analysis`` as it is. Envelope
    fields the event lacks stay out.
    """
    wire = event.to_wire() if isinstance(event, BaseEvent) else dict(event)
    call_id = wire.get("call_id")
    old: dict[str, Any] = {
        "type": wire["type"],
        "request_id": legacy_request_id(call_id if isinstance(call_id, str) else None),
    }
    for key in ("agent_id", "webhook_id"):
        if key in wire:
            old[key] = wire[key]
    if wire["type"] == "call_turn":
        turn = wire.get("turn", wire.get("body"))
        old["body"] = _legacy_turn(turn) if isinstance(turn, Mapping) else turn
    elif wire["type"] in _ENDED:
        call = wire.get("call")
        transcript = (call.get("transcript") if isinstance(call, Mapping) else None) or wire.get("body") or []
        old["body"] = [
            _legacy_turn(turn) for turn in transcript if isinstance(turn, Mapping) and turn.get("role") != "system"
        ]
    elif "analysis" in wire:
        old["analysis"] = wire["analysis"]
    if "timestamp" in wire:
        old["timestamp"] = wire["timestamp"]
    return old


def _legacy_turn(turn: Mapping[str, Any]) -> dict[str, Any]:
    return {key: turn[key] for key in LEGACY_TURN_FIELDS if key in turn}
