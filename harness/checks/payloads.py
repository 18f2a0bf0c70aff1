"""Realistic variations of generated calls, as wire dicts: unknown fields, omitted or null optionals, ...

Every transformation keeps what the platform documents as always present (the envelope, the call's
id, status, start time and end reason, each turn's role) and changes only what the reference marks as
optional, so a correct receiver never fails because of the harness.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Sequence
from typing import Any

from harness.models import BUILTIN_METRICS, TRUNCATION_LIMIT, BaseEvent

__all__ = [
    "SYSTEM_TEXT_SHAPES",
    "UNICODE_LINES",
    "call_wire",
    "inject_unknown_fields",
    "map_turns",
    "noncanonical_json",
    "null_optionals",
    "strip_optionals",
    "truncated_tool_calls",
    "with_end_reason",
    "with_system_turn_shape",
]

Wire = dict[str, Any]
TurnMap = Callable[[Wire], Wire]

CALL_KEEP = frozenset({"id", "agent_id", "status", "start_time", "end_reason", "transcript"})
TURN_KEEP = frozenset({"role"})
UNKNOWN_FIELDS: Wire = {"x_added_later": {"nested": [1, "two", None, {"deep": True}]}, "sentiment_score": 0.42}
UNICODE_LINES = (
    "👋🏽 Thanks!! 👨‍👩‍👧 ✅ e\u0301 \u200fRTL\u200f \u2028 ok",
    "こんにちは、注文番号は４８２１３です。配送状況を教えてください。",
    "مرحبا، أريد تغيير موعدي إلى يوم الخميس من فضلك",
    "Zoë from the café — naïve question about my résumé, ça va?",
    "Привет! Посылка пришла повреждённой 📦💔",
)
# How a system turn's text may come: "" (what the platform's examples show), left out, or null.
SYSTEM_TEXT_SHAPES = ("empty", "omitted", "null")


def call_wire(events: Sequence[BaseEvent]) -> list[Wire]:
    """The events as JSON-ready wire dicts (deep copies, safe to change)."""
    return [event.to_wire() for event in events]


def map_turns(events: list[Wire], change: TurnMap) -> list[Wire]:
    """Apply ``change`` to every turn, wherever it appears (``turn``, legacy ``body``, transcripts)."""
    out = copy.deepcopy(events)
    for event in out:
        for key in ("turn", "body"):
            if isinstance(event.get(key), dict):
                event[key] = change(event[key])
        if isinstance(event.get("body"), list):
            event["body"] = [change(turn) for turn in event["body"]]
        call = event.get("call")
        if isinstance(call, dict) and isinstance(call.get("transcript"), list):
            call["transcript"] = [change(turn) for turn in call["transcript"]]
    return out


def inject_unknown_fields(events: list[Wire]) -> list[Wire]:
    """Add fields the harness does not know at every object depth (envelope, call, turns, tools, ...)."""

    def inject(value: Any, *, inside_user_data: bool = False) -> Any:
        if isinstance(value, dict):
            out = {
                key: inject(item, inside_user_data=key in ("metadata", "arguments", "parameters", "headers"))
                for key, item in value.items()
            }
            if not inside_user_data:
                out.update(copy.deepcopy(UNKNOWN_FIELDS))
            return out
        if isinstance(value, list):
            return [inject(item) for item in value]
        return value

    return [inject(event) for event in events]


def strip_optionals(events: list[Wire]) -> list[Wire]:
    """Leave out every optional field of calls and turns (turns keep only ``role``)."""
    return _optionals(events, lambda obj, keep: {key: value for key, value in obj.items() if key in keep})


def null_optionals(events: list[Wire]) -> list[Wire]:
    """Send ``null`` for every optional field of calls and turns."""
    return _optionals(events, lambda obj, keep: {key: (value if key in keep else None) for key, value in obj.items()})


def _optionals(events: list[Wire], shape: Callable[[Wire, frozenset[str]], Wire]) -> list[Wire]:
    out = map_turns(events, lambda turn: shape(turn, TURN_KEEP))
    for event in out:
        if isinstance(event.get("call"), dict):
            event["call"] = shape(event["call"], CALL_KEEP)
    return out


def with_end_reason(events: list[Wire], reason: str) -> list[Wire]:
    """The call with ``reason`` as its end reason, in ``call.end_reason`` and the legacy top-level copy."""
    out = copy.deepcopy(events)
    for event in out:
        if event.get("type") in ("call_completed", "call_failed"):
            event["call"]["end_reason"] = reason
            if "end_reason" in event:
                event["end_reason"] = reason
    return out


def with_text(events: list[Wire], lines: Sequence[str]) -> list[Wire]:
    """Spoken turns' text replaced by ``lines`` in turn, round robin; a turn gets the same line everywhere."""
    assigned: dict[Any, str] = {}

    def change(turn: Wire) -> Wire:
        if turn.get("role") not in ("user", "assistant") or not turn.get("text"):
            return turn
        key = (turn.get("role"), turn.get("start_timestamp"))
        line = assigned.setdefault(key, lines[len(assigned) % len(lines)])
        return {**turn, "text": line, "text_chunks": [{"text": line, "start_timestamp": turn.get("start_timestamp")}]}

    return map_turns(events, change)


def truncated_tool_calls(events: list[Wire]) -> list[Wire]:
    """Give the first assistant turn two tool calls whose arguments and result the agent SDK truncated."""
    target: Any = None
    for event in events:
        turn = event.get("turn")
        if event.get("type") == "call_turn" and isinstance(turn, dict) and turn.get("role") == "assistant":
            target = turn.get("start_timestamp")
            break
    preview = json.dumps({"rows": [{"sku": f"SKU-{i:05d}", "qty": i % 7} for i in range(2000)]})[:TRUNCATION_LIMIT]
    extra = [
        {
            "id": "call_trunc_args",
            "name": "lookup_orders",
            "arguments": preview + "... [truncated]",
            "result": preview + "... [truncated]",
        },
        {
            "id": "call_trunc_obj",
            "name": "export_history",
            "arguments": {"_truncated": True, "_preview": preview[:200]},
            "result": {"_truncated": True, "_preview": preview[:200]},
        },
    ]

    def change(turn: Wire) -> Wire:
        if turn.get("role") != "assistant" or turn.get("start_timestamp") != target:
            return turn
        return {**turn, "tool_calls": [*(turn.get("tool_calls") or []), *copy.deepcopy(extra)]}

    return map_turns(events, change)


def noncanonical_json(event: Wire) -> bytes:
    """The same JSON value written differently: keys reversed, indented, CRLF, ASCII escapes, ``\\/``."""

    def reverse(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: reverse(value[key]) for key in reversed(list(value))}
        if isinstance(value, list):
            return [reverse(item) for item in value]
        return value

    text = json.dumps(reverse(event), indent=2, ensure_ascii=True).replace("/", "\\/").replace("\n", "\r\n")
    return (" \r\n" + text + "\r\n").encode()


def with_system_turn_shape(
    events: list[Wire], *, text: str, sdk_log_events: bool, metric_values: Sequence[Any] = ()
) -> list[Wire]:
    """System turns reshaped as the platform may send them; user and assistant turns are left alone.

    ``text`` is one of :data:`SYSTEM_TEXT_SHAPES`. ``sdk_log_events`` puts each log event in the agent SDK's
    ``LogMessage`` shape (``metadata: {level, message, metadata}``), else in the bare-websocket shape
    (``metadata: {...}``). ``metric_values`` replace, in turn, the values of metrics that are not the SDK's
    built-in timing metrics (those stay numbers). A turn is changed the same way wherever it appears.
    """
    if text not in SYSTEM_TEXT_SHAPES:
        raise ValueError(f"text: expected one of {', '.join(SYSTEM_TEXT_SHAPES)}, got {text!r}")
    assigned: dict[Any, Any] = {}

    def change(turn: Wire) -> Wire:
        if turn.get("role") != "system":
            return turn
        out = {key: value for key, value in turn.items() if key != "text"}
        if text != "omitted":
            out["text"] = "" if text == "empty" else None
        log_event = turn.get("log_event")
        if isinstance(log_event, dict):
            out["log_event"] = {**log_event, "metadata": _log_metadata(log_event, sdk=sdk_log_events)}
        metric = turn.get("log_metric")
        if isinstance(metric, dict) and metric_values and metric.get("name") not in BUILTIN_METRICS:
            key = turn.get("start_timestamp")
            value = assigned.setdefault(key, metric_values[len(assigned) % len(metric_values)])
            out["log_metric"] = {**metric, "value": copy.deepcopy(value)}
        return out

    return map_turns(events, change)


def _log_metadata(log_event: Wire, *, sdk: bool) -> Any:
    metadata = log_event.get("metadata")
    wrapped = isinstance(metadata, dict) and {"level", "message", "metadata"} <= set(metadata)
    if sdk and not wrapped:
        name = str(log_event.get("event") or "event")
        return {"level": "info", "message": name.replace("_", " "), "metadata": copy.deepcopy(metadata or {})}
    if not sdk and wrapped:
        assert isinstance(metadata, dict)
        return copy.deepcopy(metadata["metadata"])
    return copy.deepcopy(metadata)
