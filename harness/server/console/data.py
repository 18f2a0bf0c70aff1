"""What a call page shows, from the Calls API's state when it still has the call, else from the delivery log.

Values are prepared here (turns, deliveries with masked headers and pretty bodies) so the templates only lay
them out. Reading the log happens in a worker thread; reading the Calls API's state happens on the loop.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from harness.server.console.queries import CallRow
from harness.server.console.render import mask_secrets, pretty_json
from harness.server.state import CallRecord
from harness.store import StoredDelivery

__all__ = [
    "MAX_DELIVERIES",
    "CallPage",
    "DeliveryView",
    "ToolCallView",
    "TurnView",
    "delivery_views",
    "page_from_log",
    "page_from_record",
    "transcript_from_deliveries",
    "turn_views",
]

# Deliveries a call page lists (a 320-turn call with duplicates has about 400); the rest via the control API.
MAX_DELIVERIES = 2_000
_END_TYPES = ("call_completed", "call_failed")


@dataclass
class ToolCallView:
    """A tool call of an assistant turn: its name, arguments as indented JSON, and its result."""

    name: str
    arguments: str
    result: str | None


@dataclass
class TurnView:
    """One transcript entry: a spoken turn, or a ``system`` turn's log event or metric."""

    index: int
    role: str
    kind: str  # "speech", "event" or "metric"
    text: str
    start: Any
    end: Any
    interrupted: bool = False
    latency: str | None = None
    tools: list[ToolCallView] = field(default_factory=list)
    name: str | None = None
    detail: str | None = None


@dataclass
class DeliveryView:
    """One delivery of a call as its Webhooks tab shows it; bodies and headers already masked."""

    number: int
    id: str
    event_type: str
    created_at: float
    ok: bool
    status: int | None
    failure: str | None
    error: str | None
    latency: float | None
    attempts: int
    replay_of: str | None
    url: str
    request_headers: list[tuple[str, str]]
    body: str
    body_cut: bool
    body_size: int
    response_headers: list[tuple[str, str]]
    response_body: str
    response_truncated: bool
    in_flight: bool = False  # sent (written ahead), its answer not in yet
    source: str = "played"


@dataclass
class CallPage:
    """Everything the call page shows about one call."""

    id: str
    status: str
    agent_id: str | None
    agent_name: str | None
    start_time: str | None
    end_time: str | None
    duration: float | None
    end_reason: str | None
    deployment_id: str | None
    deployment_version_id: str | None
    deployment_region: str | None
    summary: str | None
    error_message: str | None
    transcript: list[dict[str, Any]]
    logs: list[str] | None  # None: the Calls API no longer has the call
    in_calls_api: bool
    ended: bool
    deliveries: int = 0
    failed: int = 0
    scenario: str | None = None
    redacted_at: str | None = None
    no_recording: str | None = None  # why an ended call has no recording (as the Calls API's audio answers)


def page_from_record(record: CallRecord, row: CallRow | None) -> CallPage:
    """The call as the Calls API has it (called on the event loop: it copies what it reads)."""
    call = record.to_json()
    return CallPage(
        id=record.id,
        status=record.status,
        agent_id=record.agent_id,
        agent_name=_text(call.get("agent_name")),
        start_time=_text(call.get("start_time")),
        end_time=_text(call.get("end_time")),
        duration=record.duration() if record.ended else None,
        end_reason=_text(call.get("end_reason")),
        deployment_id=_text(call.get("deployment_id")),
        deployment_version_id=_text(call.get("deployment_version_id")),
        deployment_region=_text(call.get("deployment_region")),
        summary=_text(call.get("summary")),
        error_message=_text(call.get("error_message")),
        transcript=list(call.get("transcript") or []),
        logs=list(record.logs),
        in_calls_api=True,
        ended=record.ended,
        deliveries=row.deliveries if row else 0,
        failed=row.failed if row else 0,
        scenario=row.scenario if row else None,
        redacted_at=record.redacted_at,
        no_recording=_no_recording(record),
    )


def _no_recording(record: CallRecord) -> str | None:
    if record.redacted_at is not None:
        return "The call was deleted (redacted): its recording was erased."
    if record.ended and record.failed_before_connecting:
        return "The call failed before connecting: there is no recording."
    return None


def page_from_log(row: CallRow, deliveries: list[StoredDelivery]) -> CallPage:
    """A call the Calls API has forgotten, as the log recorded it (its transcript from the deliveries)."""
    call = _end_event(deliveries).get("call")
    if not isinstance(call, dict):
        call = {}
    return CallPage(
        id=row.id,
        status=row.status or "unknown",
        agent_id=row.agent_id,
        agent_name=row.agent_name,
        start_time=row.start_time,
        end_time=row.end_time,
        duration=row.duration,
        end_reason=row.end_reason,
        deployment_id=row.deployment_id,
        deployment_version_id=row.deployment_version_id,
        deployment_region=row.deployment_region,
        summary=_text(call.get("summary")),
        error_message=_text(call.get("error_message")),
        transcript=transcript_from_deliveries(deliveries),
        logs=None,
        in_calls_api=False,
        ended=row.status in ("completed", "failed"),
        deliveries=row.deliveries,
        failed=row.failed,
        scenario=row.scenario,
    )


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return {}
    return data if isinstance(data, dict) else {}


def _end_event(deliveries: list[StoredDelivery]) -> dict[str, Any]:
    for delivery in reversed(deliveries):
        if delivery.event_type in _END_TYPES:
            return _json_object(delivery.body)
    return {}


def transcript_from_deliveries(deliveries: list[StoredDelivery]) -> list[dict[str, Any]]:
    """The call's transcript: its end event's, else its turns' as delivered (each turn once, in order)."""
    end = _end_event(deliveries)
    call = end.get("call")
    transcript = call.get("transcript") if isinstance(call, dict) else end.get("body")
    if isinstance(transcript, list):
        return [turn for turn in transcript if isinstance(turn, dict)]
    turns: dict[str, dict[str, Any]] = {}
    for delivery in deliveries:
        if delivery.event_type == "call_turn":
            event = _json_object(delivery.body)
            turn = event.get("turn", event.get("body"))
            if isinstance(turn, dict):
                # Duplicates and replays carry the same turn: one entry per role and start time.
                turns.setdefault(f"{turn.get('role')}|{turn.get('start_timestamp')}", turn)
    return sorted(turns.values(), key=lambda t: _number(t.get("start_timestamp")))


def _number(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def turn_views(transcript: list[dict[str, Any]]) -> list[TurnView]:
    """The transcript laid out for reading: spoken turns with their tool calls, system turns inline."""
    views: list[TurnView] = []
    for index, turn in enumerate(transcript, start=1):
        role = str(turn.get("role") or "unknown")
        view = TurnView(
            index=index,
            role=role,
            kind="speech",
            text=str(turn.get("text") or ""),
            start=turn.get("start_timestamp"),
            end=turn.get("end_timestamp"),
            interrupted=turn.get("was_interrupted") is True,
        )
        event, metric = turn.get("log_event"), turn.get("log_metric")
        if isinstance(event, dict):
            view.kind, view.name = "event", str(event.get("event"))
            view.detail = _event_detail(event.get("metadata"))
            view.start = event.get("timestamp", view.start)
        elif isinstance(metric, dict):
            view.kind, view.name = "metric", str(metric.get("name"))
            value = metric.get("value")
            view.detail = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            view.start = metric.get("timestamp", view.start)
        for key, label in (("tts_ttfb", "TTS first byte"), ("stt_ttfb", "STT first byte")):
            if isinstance(turn.get(key), int | float):
                view.latency = f"{label} {turn[key] * 1000:.0f} ms"
        tools = turn.get("tool_calls")
        for tool in tools if isinstance(tools, list) else []:  # a captured turn may hold anything there
            if isinstance(tool, dict):
                arguments = tool.get("arguments")
                result = tool.get("result")
                view.tools.append(
                    ToolCallView(
                        name=str(tool.get("name")),
                        arguments=json.dumps(arguments, indent=2, ensure_ascii=False),
                        result=None if result is None else pretty_json(str(result))[0],
                    )
                )
        views.append(view)
    return views


def _event_detail(metadata: Any) -> str:
    """``key=value`` pairs; the agent SDK's ``{level, message, metadata}`` shape as ``level: message {...}``."""
    if not isinstance(metadata, dict):
        return "" if metadata is None else json.dumps(metadata, ensure_ascii=False)
    if "level" in metadata and "message" in metadata:
        inner = metadata.get("metadata")
        extra = f" {json.dumps(inner, ensure_ascii=False)}" if inner else ""
        return f"{metadata['level']}: {metadata['message']}{extra}"
    return ", ".join(f"{key}={json.dumps(value, ensure_ascii=False)}" for key, value in metadata.items())


def delivery_views(deliveries: list[StoredDelivery], secrets: list[str]) -> list[DeliveryView]:
    """Deliveries oldest first, numbered, with every secret masked in what the receiver sent back."""
    views: list[DeliveryView] = []
    for number, delivery in enumerate(deliveries, start=1):
        last = delivery.attempts[-1] if delivery.attempts else None
        body, cut = pretty_json(delivery.body)
        response = b"" if last is None else last.response_body
        views.append(
            DeliveryView(
                number=number,
                id=delivery.id,
                event_type=delivery.event_type or "?",
                created_at=delivery.created_at,
                ok=delivery.ok,
                status=None if last is None else last.status,
                failure=None if last is None else last.failure,
                error=None if last is None else _masked(last.error, secrets),
                latency=None if last is None else last.latency,
                attempts=len(delivery.attempts),
                replay_of=delivery.replay_of,
                url=delivery.url,
                request_headers=_headers({} if last is None else last.request_headers, secrets),
                body=mask_secrets(body, secrets),
                body_cut=cut,
                body_size=len(delivery.body),
                response_headers=_headers({} if last is None else last.response_headers, secrets),
                response_body=mask_secrets(pretty_json(response)[0], secrets),
                response_truncated=bool(last and last.response_truncated),
                in_flight=bool(last and last.in_flight),
                source=delivery.source,
            )
        )
    return views


def _masked(text: str | None, secrets: list[str]) -> str | None:
    return None if text is None else mask_secrets(text, secrets)


def _headers(headers: dict[str, str], secrets: list[str]) -> list[tuple[str, str]]:
    # The log stores X-Webhook-Secret masked already; a receiver's response headers may still echo it.
    return [(name, mask_secrets(str(value), secrets)) for name, value in headers.items()]
