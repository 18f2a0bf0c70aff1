"""``harness export``: turn captured deliveries into fixture files and a scenario that replays them.

What ``harness listen`` captured from the real platform is written as fixture files (one per event, named
as ``harness fixtures`` names them), a recording (``calls.jsonl``: the events with their original gaps),
and ``captured.toml``, a scenario that replays those calls with their original timing. With ``scrub``,
personal data is replaced first (:mod:`harness.scrub`), so the files can be committed.

Every exported event is parsed with :func:`harness.parse_event`; what the harness's models do not know
(fields, and values of the platform's vocabularies) is reported, which shows where the harness is behind
the platform.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from harness._fixture_files import fixture_name, prepare_folder
from harness.delivery import Source
from harness.errors import ConfigError, PayloadError
from harness.models import (
    CALL_STATUSES,
    CONNECTION_TYPES,
    DEPLOYMENT_REGIONS,
    DIRECTIONS,
    END_REASONS,
    EVENT_TYPES,
    TELEPHONY_ACCOUNT_TYPES,
    TURN_END_REASONS,
    TURN_ROLES,
    BaseEvent,
    parse_event,
)
from harness.recording import RecordedCall, write_recording
from harness.scrub import Scrubber
from harness.store import DeliveryLog, StoredDelivery

__all__ = ["RECORDING_NAME", "SCENARIO_NAME", "Export", "export_captured", "unknown_to_the_harness"]

RECORDING_NAME = "calls.jsonl"
SCENARIO_NAME = "captured.toml"
_PAGE = 1000
# Open vocabularies of the platform, by the field that holds them: a value outside is worth reporting.
_VOCABULARIES: dict[str, Sequence[str]] = {
    "type": EVENT_TYPES,
    "status": CALL_STATUSES,
    "end_reason": (*END_REASONS, *TURN_END_REASONS),
    "role": TURN_ROLES,
    "direction": DIRECTIONS,
    "connection_type": CONNECTION_TYPES,
    "telephony_account_type": TELEPHONY_ACCOUNT_TYPES,
    "deployment_region": DEPLOYMENT_REGIONS,
}


@dataclass
class Export:
    """What an export wrote, and what it saw that the harness does not know."""

    calls: int = 0
    events: int = 0
    unknown: set[str] = field(default_factory=set)
    unparsable: list[str] = field(default_factory=list)


def export_captured(
    log: DeliveryLog, out: Path, *, call_ids: Sequence[str] = (), scrub: bool = False, force: bool = False
) -> Export:
    """Write the captured calls in ``log`` (all, or ``call_ids``) to ``out``; ConfigError for bad input."""
    calls = _captured_calls(log)
    if call_ids:
        missing = [call_id for call_id in call_ids if call_id not in calls]
        if missing:
            known = ", ".join(list(calls)[:5]) or "none"
            raise ConfigError(f"--call {', '.join(missing)}: not captured in {log.path} (captured calls: {known})")
        calls = {call_id: calls[call_id] for call_id in call_ids}
    if not calls:
        raise ConfigError(f"{log.path}: no captured calls; run `harness listen` and place a call first")
    prepare_folder(out, [RECORDING_NAME, SCENARIO_NAME], force=force)
    scrubber = Scrubber() if scrub else None
    result = Export()
    recorded: list[RecordedCall] = []
    width = max(4, len(str(len(calls) - 1)))
    for index, deliveries in enumerate(calls.values()):
        first = deliveries[0].created_at
        bodies = [_scrubbed(delivery.body, scrubber) for delivery in deliveries]
        events = [_parsed(body, result) for body in bodies]
        call_id = next((event.call_id for event in events if event is not None and event.call_id), None)
        for position, (body, event) in enumerate(zip(bodies, events, strict=True)):
            kind = event.type if event is not None else "unparsable"
            (out / fixture_name(index, width, call_id, position, len(bodies), kind)).write_bytes(body + b"\n")
        offsets = [delivery.created_at - first for delivery in deliveries]
        recorded.append(RecordedCall(call_id or f"call_{index}", list(zip(offsets, bodies, strict=True))))
        result.calls += 1
        result.events += len(bodies)
    write_recording(out / RECORDING_NAME, recorded)
    (out / SCENARIO_NAME).write_text(_scenario(result.calls, scrubbed=scrub), encoding="utf-8")
    return result


def _captured_calls(log: DeliveryLog) -> dict[str, list[StoredDelivery]]:
    """Captured (verified) deliveries by call, oldest first; a call's events in the order they arrived."""
    calls: dict[str, list[StoredDelivery]] = {}
    for delivery in reversed(list(_all_captured(log))):
        if delivery.call_id is not None:
            calls.setdefault(delivery.call_id, []).append(delivery)
    return calls


def _all_captured(log: DeliveryLog) -> Iterator[StoredDelivery]:
    offset = 0
    while page := log.list_deliveries(source=Source.CAPTURED, limit=_PAGE, offset=offset):
        yield from page
        offset += len(page)


def _scrubbed(body: bytes, scrubber: Scrubber | None) -> bytes:
    if scrubber is None:
        return body
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return b"{}"  # not JSON: nothing in it can be vouched for, so nothing of it is kept
    if not isinstance(data, dict):
        return b"{}"
    return json.dumps(scrubber.event(data), ensure_ascii=False, separators=(",", ":")).encode()


def _parsed(body: bytes, result: Export) -> BaseEvent | None:
    try:
        event = parse_event(body)
    except PayloadError as exc:
        result.unparsable.append(str(exc))
        return None
    result.unknown |= unknown_to_the_harness(event)
    return event


def unknown_to_the_harness(event: BaseEvent) -> set[str]:
    """Fields (``call.foo``) and vocabulary values (``end_reason=bar``) in ``event`` the models do not know."""
    found: set[str] = set()
    _walk(event, "", found)
    return found


def _walk(value: Any, path: str, found: set[str]) -> None:
    if isinstance(value, BaseModel):
        for name in value.model_extra or {}:
            found.add(f"{path}{name}")
        for name in type(value).model_fields:
            if name in value.model_fields_set:
                child = getattr(value, name)
                known = _VOCABULARIES.get(name)
                if known is not None and isinstance(child, str) and child not in known:
                    found.add(f"{path}{name}={child}")
                _walk(child, f"{path}{name}.", found)
    elif isinstance(value, list):
        for item in value:
            _walk(item, path.removesuffix(".") + "[].", found)


def _scenario(calls: int, *, scrubbed: bool) -> str:
    what = "scrubbed copies of " if scrubbed else ""
    return (
        f"# {what}{calls} call(s) captured by harness listen; replays them as they arrived.\n"
        'name = "captured"\n'
        f'description = "{calls} captured call(s), replayed with their original timing"\n'
        f'recording = "{RECORDING_NAME}"\n'
        f"concurrency = {max(1, calls)}\n\n"
        "[pacing]\n"
        'mode = "realtime"\n'
    )
