"""Recorded calls: events as they were captured, with their timing, in a JSON Lines file a scenario replays.

One line per event, in the order received: ``{"call_id": "ac_...", "at": 1.25, "event": {...}}``, where
``at`` is seconds since the call's first event arrived. ``harness export`` writes such a file beside a
scenario that names it (``recording = "calls.jsonl"``); playing that scenario sends the same events, in the
same order, with the same gaps (in realtime pacing).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from harness._files import read_capped
from harness.errors import PayloadError, ScenarioError
from harness.models import parse_event

__all__ = ["MAX_RECORDING_BYTES", "RecordedCall", "read_recording", "write_recording"]

MAX_RECORDING_BYTES = 32 * 1024 * 1024


@dataclass
class RecordedCall:
    """One call's events (exact JSON bytes), each with its offset in seconds from the call's first event."""

    call_id: str
    events: list[tuple[float, bytes]] = field(default_factory=list)


def write_recording(path: Path, calls: Iterable[RecordedCall]) -> int:
    """Write ``calls`` to ``path`` (one line per event); returns the number of events written."""
    written = 0
    with path.open("w", encoding="utf-8") as out:
        for call in calls:
            for at, body in call.events:
                line = {"call_id": call.call_id, "at": round(at, 6), "event": json.loads(body)}
                out.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n")
                written += 1
    return written


def read_recording(path: Path) -> list[RecordedCall]:
    """The calls in a recording, in the order they first appear; ScenarioError naming ``path:line`` if broken."""
    text = read_capped(path, limit=MAX_RECORDING_BYTES, what="recording", error=ScenarioError)
    calls: dict[str, RecordedCall] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            entry = json.loads(line)
        except (ValueError, RecursionError) as exc:
            raise ScenarioError(f"{where}: not a JSON object ({exc})") from exc
        if not isinstance(entry, dict) or not isinstance(entry.get("event"), dict):
            raise ScenarioError(f'{where}: expected {{"call_id": ..., "at": seconds, "event": {{...}}}}')
        at, call_id = entry.get("at", 0.0), entry.get("call_id")
        if isinstance(at, bool) or not isinstance(at, int | float) or not math.isfinite(at) or at < 0:
            raise ScenarioError(f'{where}: field "at": expected a number of seconds >= 0, got {at!r}')
        if not isinstance(call_id, str) or not call_id:
            raise ScenarioError(f'{where}: field "call_id": expected the id of the call the event belongs to')
        body = json.dumps(entry["event"], ensure_ascii=False, separators=(",", ":")).encode()
        try:
            parse_event(body)
        except PayloadError as exc:
            raise ScenarioError(f"{where}: {exc}") from exc
        calls.setdefault(call_id, RecordedCall(call_id)).events.append((float(at), body))
    if not calls:
        raise ScenarioError(f"{path}: the recording has no events")
    return list(calls.values())
