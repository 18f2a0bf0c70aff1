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

from harness._fixture_files import fixture_name, staged_folder
from harness._scenario_settings import MAX_CALLS, MAX_CONCURRENCY
from harness.delivery import Source
from harness.errors import ConfigError, PayloadError, echoed, echoed_list
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
from harness.recording import MAX_RECORDING_BYTES, RecordedCall, write_recording
from harness.scrub import Scrubber
from harness.store import DeliveryLog, StoredDelivery

__all__ = [
    "RECORDING_NAME",
    "SCENARIO_NAME",
    "Export",
    "export_captured",
    "scenario_concurrency",
    "unknown_to_the_harness",
]

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
    # Calls in the recording (those with at least one event that parses).
    recorded: int = 0
    unknown: set[str] = field(default_factory=set)
    unparsable: list[str] = field(default_factory=list)
    # Captured deliveries left out because they name no call (neither call_id nor request_id).
    without_call: int = 0


def export_captured(
    log: DeliveryLog, out: Path, *, call_ids: Sequence[str] = (), scrub: bool = False, force: bool = False
) -> Export:
    """Write the captured calls in ``log`` (all, or ``call_ids``) to ``out``; ConfigError for bad input.

    Everything is written to a hidden directory in ``out`` first and moved in at the end, so a failure never
    leaves ``out`` with fewer files than before (see :func:`harness._fixture_files.staged_folder`).
    """
    calls, without_call = _captured_calls(log)
    if call_ids:
        missing = [call_id for call_id in dict.fromkeys(call_ids) if call_id not in calls]
        if missing:
            known = echoed_list(list(calls)[:5]) or "none"
            raise ConfigError(f"--call {echoed_list(missing)}: not captured in {log.path} (captured calls: {known})")
        calls = {call_id: calls[call_id] for call_id in call_ids}
    if not calls:
        raise ConfigError(f"{log.path}: no captured calls; run `harness listen` and place a call first")
    if len(calls) > MAX_CALLS:
        raise ConfigError(
            f"{log.path}: {len(calls):,} captured calls, and a scenario replays at most {MAX_CALLS:,}; "
            "pick calls with --call ID"
        )
    scrubber = Scrubber() if scrub else None
    result = Export(without_call=without_call)
    recorded: list[RecordedCall] = []
    width = max(4, len(str(len(calls) - 1)))
    with staged_folder(out, [RECORDING_NAME, SCENARIO_NAME], force=force) as folder:
        for index, (key, deliveries) in enumerate(calls.items()):
            first = deliveries[0].created_at
            # The call as listen grouped it (call_id, or a 2025 payload's request_id), scrubbed as the events are.
            call_id = scrubber.identifier(key) if scrubber is not None else key
            bodies: list[bytes] = []
            events: list[BaseEvent | None] = []
            for delivery in deliveries:
                body, problem = _scrubbed(delivery.body, scrubber)
                bodies.append(body)
                events.append(_parsed(body, delivery, problem, result))
            for position, (body, event) in enumerate(zip(bodies, events, strict=True)):
                kind = event.type if event is not None else "unparsable"
                (folder / fixture_name(index, width, call_id, position, len(bodies), kind)).write_bytes(body + b"\n")
            # Only what parses goes into the recording: the scenario that replays it must load.
            timed = [
                (delivery.created_at - first, body)
                for delivery, body, event in zip(deliveries, bodies, events, strict=True)
                if event is not None
            ]
            if timed:
                recorded.append(RecordedCall(call_id, timed))
                result.recorded += 1
            result.calls += 1
            result.events += len(bodies)
        if recorded:
            write_recording(folder / RECORDING_NAME, recorded)
            size = (folder / RECORDING_NAME).stat().st_size
            if size > MAX_RECORDING_BYTES:
                raise ConfigError(
                    f"--out {out}: the recording would be {size:,} bytes, and a scenario reads at most "
                    f"{MAX_RECORDING_BYTES:,}; pick fewer calls with --call ID (nothing was written)"
                )
            (folder / SCENARIO_NAME).write_text(_scenario(len(recorded), scrubbed=scrub), encoding="utf-8")
    return result


def _captured_calls(log: DeliveryLog) -> tuple[dict[str, list[StoredDelivery]], int]:
    """Captured (verified) deliveries by call, oldest first; a call's events in the order they arrived. And the
    number of captured deliveries that name no call (neither ``call_id`` nor ``request_id``): left out."""
    calls: dict[str, list[StoredDelivery]] = {}
    without_call = 0
    for delivery in reversed(list(_all_captured(log))):
        if delivery.call_id is not None:
            calls.setdefault(delivery.call_id, []).append(delivery)
        else:
            without_call += 1
    return calls, without_call


def _all_captured(log: DeliveryLog) -> Iterator[StoredDelivery]:
    offset = 0
    while page := log.list_deliveries(source=Source.CAPTURED, limit=_PAGE, offset=offset):
        yield from page
        offset += len(page)


def _scrubbed(body: bytes, scrubber: Scrubber | None) -> tuple[bytes, str | None]:
    """``body`` scrubbed, and why it could not be (then nothing of it is kept)."""
    if scrubber is None:
        return body, None
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return b"{}", None  # not JSON: nothing in it can be vouched for, so nothing of it is kept
    if not isinstance(data, dict):
        return b"{}", None
    try:
        scrubbed = scrubber.event(data)
    except PayloadError as exc:  # nested beyond any payload: refused as parse_event refuses it
        return b"{}", str(exc)
    return json.dumps(scrubbed, ensure_ascii=False, separators=(",", ":")).encode(), None


def _parsed(body: bytes, delivery: StoredDelivery, problem: str | None, result: Export) -> BaseEvent | None:
    try:
        if problem is not None:
            raise PayloadError(problem)
        event = parse_event(body)
    except PayloadError as exc:
        result.unparsable.append(f"delivery {echoed(delivery.id)} of call {echoed(delivery.call_id or '')}: {exc}")
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


def scenario_concurrency(calls: int) -> int:
    """All ``calls`` at once, within the scenario loader's bounds (1 to ``MAX_CONCURRENCY``)."""
    return min(max(1, calls), MAX_CONCURRENCY)


def _scenario(calls: int, *, scrubbed: bool) -> str:
    what = "scrubbed copies of " if scrubbed else ""
    return (
        f"# {what}{calls} call(s) captured by harness listen; replays them as they arrived.\n"
        'name = "captured"\n'
        f'description = "{calls} captured call(s), replayed with their original timing"\n'
        f'recording = "{RECORDING_NAME}"\n'
        f"concurrency = {scenario_concurrency(calls)}\n\n"
        "[pacing]\n"
        'mode = "realtime"\n'
    )
