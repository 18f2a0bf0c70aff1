"""What gallery receivers act on, served by their state probe; and the robust per-event work they do."""

from __future__ import annotations

import hmac
import threading
from typing import Any

WEBHOOK_PATH = "/webhooks"
PROBE_PATH = "/_probe/processed"
SECRET_HEADER = "X-Webhook-Secret"


def secret_matches(provided: str | None, secret: str) -> bool:
    """The whole header equals the secret, compared in constant time; a missing or empty header never matches."""
    return bool(provided) and hmac.compare_digest(str(provided).encode(), secret.encode())


def event_key(payload: dict[str, Any]) -> tuple[Any, Any, Any]:
    """Duplicates are byte-identical, so (type, call, envelope timestamp) names an event."""
    return (payload.get("type"), payload.get("call_id") or payload.get("request_id"), payload.get("timestamp"))


def probe_entry(payload: dict[str, Any]) -> dict[str, Any]:
    return {"type": payload.get("type"), "call_id": payload.get("call_id"), "timestamp": payload.get("timestamp")}


class Ledger:
    """Events acted on, once each; safe from threads (Flask) and from one event loop (aiohttp, FastAPI)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: set[tuple[Any, Any, Any]] = set()
        self.processed: list[dict[str, Any]] = []

    def act_once(self, payload: dict[str, Any]) -> bool:
        """Record the event unless it was already acted on; the test and the insert are one atomic step."""
        with self._lock:
            key = event_key(payload)
            if key in self._seen:
                return False
            self._seen.add(key)
            self.processed.append(probe_entry(payload))
            return True

    def snapshot(self) -> dict[str, Any]:
        """The probe's answer."""
        with self._lock:
            return {"processed": list(self.processed)}


def spoken_turns(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """The user and assistant turns an event carries, from the current or the legacy fields."""
    turns: list[Any] = []
    if payload.get("type") == "call_turn":
        turn = payload.get("turn") or payload.get("body")
        turns = [turn] if isinstance(turn, dict) else []
    elif payload.get("type") in ("call_completed", "call_failed"):
        call = payload.get("call") or {}
        turns = call.get("transcript") or payload.get("body") or []
    return [t for t in turns if isinstance(t, dict) and t.get("role") in ("user", "assistant")]


def summarize(payload: dict[str, Any]) -> dict[str, Any]:
    """What a receiver does with an event (a CRM note), written defensively: any field may be missing or null."""
    kind = payload.get("type")
    note: dict[str, Any] = {"type": kind, "call": payload.get("call_id")}
    words = 0
    for turn in spoken_turns(payload):
        words += len((turn.get("text") or "").split())
        for tool in turn.get("tool_calls") or []:
            arguments = tool.get("arguments") if isinstance(tool, dict) else None
            note.setdefault("tools", []).append(sorted(arguments) if isinstance(arguments, dict) else "truncated")
    note["words"] = words
    if kind in ("call_completed", "call_failed"):
        call = payload.get("call") or {}
        note["end_reason"] = call.get("end_reason") or payload.get("end_reason") or "unknown"
    if kind == "post_call_analysis":
        note["summary"] = (payload.get("analysis") or {}).get("summary") or ""
    return note
