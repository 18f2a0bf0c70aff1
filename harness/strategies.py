"""Hypothesis strategies for every payload the platform sends, for whole calls and for call sequences.

Field-level strategies (``turns()``, ``calls()``, ``call_completed_events()``, ...) draw arbitrary but
valid payloads for fuzzing a receiver; ``simulated_calls()`` and ``call_sequences()`` draw coherent calls
from :mod:`harness.generate`. Every strategy takes keyword-only options:

- ``legacy_fields``: ``True``/``False`` to force the legacy ``body``/``end_reason`` copies on or off,
  ``None`` to draw either;
- ``unknown_fields``: add fields the harness does not know, at every depth, as the platform may;
- ``edge_cases``: mix in empty, very long (above the agent SDK's 30,000-character truncation) and
  exotic unicode text, omitted and ``null`` optionals, unknown vocabulary values, and legacy shapes.

Everything drawn is a model instance and parses back with :func:`harness.parse_event`. After
installation, ``st.from_type(CallCompleted)`` and friends resolve to these strategies through
Hypothesis's ``hypothesis`` entry point.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

from hypothesis import strategies as st

from harness.generate import DOMAINS, LOCALES, OUTCOMES, simulate_call, simulate_calls
from harness.models import (
    AGENT_END_REASONS,
    BUILTIN_METRICS,
    CALL_STATUSES,
    CONNECTION_TYPES,
    DEPLOYMENT_REGIONS,
    DIRECTIONS,
    END_REASONS,
    EVENT_TYPES,
    FUTURE_EVENT_TYPES,
    LOG_LEVELS,
    TELEPHONY_ACCOUNT_TYPES,
    TRUNCATION_LIMIT,
    TURN_END_REASONS,
    TURN_ROLES,
    Analysis,
    BaseEvent,
    Call,
    CallCompleted,
    CallFailed,
    CallStarted,
    CallTurn,
    Event,
    LogEvent,
    LogMetric,
    PostCallAnalysis,
    TelephonyParams,
    TextChunk,
    Timestamp,
    ToolCall,
    Turn,
    UnknownEvent,
    WireModel,
    parse_event,
)

__all__ = [
    "analyses",
    "call_completed_events",
    "call_failed_events",
    "call_sequences",
    "call_started_events",
    "call_turn_events",
    "calls",
    "events",
    "json_objects",
    "log_events",
    "log_metrics",
    "post_call_analysis_events",
    "simulated_calls",
    "telephony_params",
    "text_chunks",
    "texts",
    "timestamps",
    "tool_calls",
    "turns",
    "unknown_events",
]

M = TypeVar("M", bound=WireModel)
_Ended = TypeVar("_Ended", CallCompleted, CallFailed)

# Values outside the documented vocabularies, which receivers must tolerate.
UNKNOWN_VOCABULARY = ("voicemail_detected", "transferred", "ringing", "moderator", "webrtc", "vonage", "SA", "")
_EXOTIC_TEXT = (
    "",
    " ",
    "\u202eRTL override",
    "e\u0301\u0301 combining",
    "😀🎉👩‍👩‍👧‍👦",
    "null",
    "\x00 nul and \x1f control",
    '"quoted" \\ backslash </script>',
    "日本語のテキスト",
    "Ünïcödé façade",
)
_ID_ALPHABET = string.ascii_letters + string.digits
_SAFE_TEXT = st.characters(min_codepoint=32, max_codepoint=126)
_ANY_TEXT = st.characters(codec="utf-8")  # every code point but lone surrogates, which UTF-8 cannot carry
_JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53), max_value=2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(_ANY_TEXT, max_size=20)
)
_MISSING = object()


# --- building blocks -------------------------------------------------------------------------------


@st.composite
def texts(draw: st.DrawFn, *, edge_cases: bool = False, max_size: int = 80) -> str:
    """Utterance-like text; with ``edge_cases``, also empty, exotic unicode or longer than the SDK's limit."""
    if edge_cases:
        kind = draw(st.sampled_from(("plain", "unicode", "exotic", "long")))
        if kind == "unicode":
            return draw(st.text(_ANY_TEXT, max_size=max_size))
        if kind == "exotic":
            return draw(st.sampled_from(_EXOTIC_TEXT))
        if kind == "long":
            size = draw(st.integers(min_value=TRUNCATION_LIMIT + 1, max_value=TRUNCATION_LIMIT + 5000))
            unit = draw(st.sampled_from(("word ", "é", "日本", "😀")))
            return (unit * size)[:size]
    return draw(st.text(_SAFE_TEXT, max_size=max_size))


@st.composite
def json_objects(draw: st.DrawFn, *, edge_cases: bool = False, max_size: int = 4) -> dict[str, Any]:
    """A JSON object of arbitrary nested values (``metadata``, tool ``arguments``, ...)."""
    values = st.recursive(
        _JSON_SCALARS,
        lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
        max_leaves=8,
    )
    keys = st.text(_ANY_TEXT if edge_cases else _SAFE_TEXT, max_size=12)
    return draw(st.dictionaries(keys, values, max_size=max_size))


@st.composite
def timestamps(draw: st.DrawFn, *, edge_cases: bool = False) -> Timestamp:
    """An RFC 3339 timestamp; by default as Cartesia writes it (UTC, ``Z``, nanoseconds)."""
    moment = draw(
        st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC))
    )
    nanos = draw(st.integers(min_value=0, max_value=999_999_999))
    if not edge_cases or draw(st.booleans()):
        return Timestamp.from_datetime(moment, nanoseconds=nanos)
    # Other RFC 3339 spellings: any fraction length, none, lowercase z, numeric offsets.
    digits = draw(st.integers(min_value=0, max_value=9))
    fraction = f".{nanos:09d}"[: digits + 1] if digits else ""
    zone = draw(st.sampled_from(("Z", "z", "+00:00", "-07:00", "+05:30", "+14:00")))
    return Timestamp.parse(moment.strftime("%Y-%m-%dT%H:%M:%S") + fraction + zone)


def _vocabulary(known: tuple[str, ...], *, edge_cases: bool) -> st.SearchStrategy[str]:
    return st.sampled_from(known) | st.sampled_from(UNKNOWN_VOCABULARY) if edge_cases else st.sampled_from(known)


def _seconds(*, edge_cases: bool) -> st.SearchStrategy[int | float]:
    usual = st.floats(min_value=0, max_value=3600, allow_nan=False).map(lambda value: round(value, 3))
    if not edge_cases:
        return usual
    unusual = st.integers(min_value=-(2**53), max_value=2**53) | st.floats(allow_nan=False, allow_infinity=False)
    return usual | unusual


def _ids(prefix: str, length: int) -> st.SearchStrategy[str]:
    return st.text(st.sampled_from(_ID_ALPHABET), min_size=length, max_size=length).map(lambda tail: prefix + tail)


@st.composite
def _unknown_fields(draw: st.DrawFn) -> dict[str, Any]:
    # The "x_" prefix keeps injected names clear of every real field and wire alias.
    names = st.text(st.sampled_from(string.ascii_lowercase + "_"), min_size=1, max_size=12).map(lambda n: "x_" + n)
    values = st.recursive(
        _JSON_SCALARS, lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=6), c, max_size=3)
    )
    return draw(st.dictionaries(names, values, min_size=1, max_size=3))


def _build(
    draw: st.DrawFn,
    cls: type[M],
    fields: Mapping[str, st.SearchStrategy[Any]],
    *,
    unknown_fields: bool,
    edge_cases: bool,
    fixed: Mapping[str, Any] | None = None,
) -> M:
    """Build ``cls`` from drawn fields: each optional is present or omitted, and with edge cases also null."""
    modes = ("value", "value", "omitted", "null") if edge_cases else ("value", "value", "omitted")
    kwargs: dict[str, Any] = dict(fixed or {})
    for name, strategy in fields.items():
        mode = draw(st.sampled_from(modes))
        if mode == "value":
            kwargs[name] = draw(strategy)
        elif mode == "null":
            kwargs[name] = None
    if unknown_fields:
        kwargs.update(draw(_unknown_fields()))
    return cls(**kwargs)


# --- transcript parts -------------------------------------------------------------------------------


@st.composite
def tool_calls(draw: st.DrawFn, *, unknown_fields: bool = False, edge_cases: bool = False) -> ToolCall:
    """A tool call; with ``edge_cases`` also string arguments and the agent SDK's truncation shapes."""
    arguments: st.SearchStrategy[Any] = json_objects(edge_cases=edge_cases)
    result: st.SearchStrategy[Any] = texts(edge_cases=edge_cases)
    if edge_cases:
        preview = texts(max_size=40).map(lambda text: {"_truncated": True, "_preview": text})
        arguments = arguments | preview | texts(edge_cases=True).map(lambda text: text + "... [truncated]")
        result = result | preview | json_objects(edge_cases=True)
    fields = {
        "id": _ids("call_", 8) | (texts(edge_cases=True) if edge_cases else st.nothing()),
        "name": st.sampled_from(("lookup_order", "check_availability", "issue_refund", "submit_form")),
        "arguments": arguments,
        "result": result,
    }
    return _build(draw, ToolCall, fields, unknown_fields=unknown_fields, edge_cases=edge_cases)


@st.composite
def text_chunks(draw: st.DrawFn, *, unknown_fields: bool = False, edge_cases: bool = False) -> TextChunk:
    """A piece of an assistant turn's text with its start time."""
    fields = {"text": texts(edge_cases=edge_cases, max_size=30), "start_timestamp": _seconds(edge_cases=edge_cases)}
    return _build(draw, TextChunk, fields, unknown_fields=unknown_fields, edge_cases=edge_cases)


@st.composite
def _log_messages(draw: st.DrawFn, *, edge_cases: bool) -> dict[str, Any]:
    """The agent SDK's ``LogMessage`` as a log event's metadata: ``{level, message, metadata}``."""
    level = _vocabulary(LOG_LEVELS, edge_cases=edge_cases)
    return {
        "level": draw(level),
        "message": draw(texts(edge_cases=edge_cases, max_size=40)),
        "metadata": draw(json_objects(edge_cases=edge_cases)),
    }


@st.composite
def log_events(draw: st.DrawFn, *, unknown_fields: bool = False, edge_cases: bool = False) -> LogEvent:
    """A custom event an agent logged, as carried by a ``system`` turn: its metadata in the bare-websocket shape
    (the agent's own object) or the agent SDK's ``LogMessage`` shape."""
    fields = {
        "event": st.sampled_from(("intent_detected", "transfer_requested", "escalation"))
        | texts(edge_cases=edge_cases, max_size=20),
        "metadata": json_objects(edge_cases=edge_cases) | _log_messages(edge_cases=edge_cases),
        "timestamp": _seconds(edge_cases=edge_cases),
    }
    return _build(draw, LogEvent, fields, unknown_fields=unknown_fields, edge_cases=edge_cases)


@st.composite
def log_metrics(draw: st.DrawFn, *, unknown_fields: bool = False, edge_cases: bool = False) -> LogMetric:
    """A metric an agent logged: the SDK's built-in timing metrics with a number, an agent's own metrics with any
    JSON value (a form answer is a string)."""
    number = st.integers(min_value=0, max_value=10_000) | st.floats(min_value=0, max_value=1e4, allow_nan=False)
    own_value = number | json_objects(edge_cases=edge_cases) | st.lists(_JSON_SCALARS, max_size=3) | _JSON_SCALARS
    builtin = draw(st.booleans())
    fields = {
        "name": st.sampled_from(BUILTIN_METRICS) if builtin else texts(edge_cases=edge_cases, max_size=20),
        "value": (number | (_JSON_SCALARS if edge_cases else st.nothing())) if builtin else own_value,
        "timestamp": _seconds(edge_cases=edge_cases),
    }
    return _build(draw, LogMetric, fields, unknown_fields=unknown_fields, edge_cases=edge_cases)


@st.composite
def turns(draw: st.DrawFn, *, role: str | None = None, unknown_fields: bool = False, edge_cases: bool = False) -> Turn:
    """A transcript turn: ``user``, ``assistant`` or ``system`` (with a log entry), or ``role`` if given."""
    options: dict[str, Any] = {"unknown_fields": unknown_fields, "edge_cases": edge_cases}
    chosen = role if role is not None else draw(_vocabulary(TURN_ROLES, edge_cases=edge_cases))
    seconds = _seconds(edge_cases=edge_cases)
    fields: dict[str, st.SearchStrategy[Any]] = {
        "text": texts(edge_cases=edge_cases),
        "start_timestamp": seconds,
        "end_timestamp": seconds,
    }
    if chosen == "user" or edge_cases:
        fields["stt_ttfb"] = seconds
        fields["vad_buffer_ms"] = st.integers(min_value=0, max_value=2000)
    if chosen == "assistant" or edge_cases:
        fields["was_interrupted"] = st.booleans()
        fields["tts_ttfb"] = seconds
        fields["end_reason"] = _vocabulary(TURN_END_REASONS, edge_cases=edge_cases)
        fields["text_chunks"] = st.lists(text_chunks(**options), max_size=4)
        fields["tool_calls"] = st.lists(tool_calls(**options), max_size=2)
    fixed: dict[str, Any] = {"role": chosen}
    if chosen == "system" or edge_cases:
        fields["log_event"] = log_events(**options)
        fields["log_metric"] = log_metrics(**options)
    if chosen == "system":
        # A system turn's text comes empty, left out or null.
        del fields["text"]
        text = draw(st.sampled_from(("", None, _MISSING)))
        if text is not _MISSING:
            fixed["text"] = text
    return _build(draw, Turn, fields, fixed=fixed, **options)


@st.composite
def telephony_params(draw: st.DrawFn, *, unknown_fields: bool = False, edge_cases: bool = False) -> TelephonyParams:
    """Phone details of a call: E.164 numbers, a ``CA`` call SID, direction and connection type."""
    numbers = st.from_regex(r"\A\+[1-9][0-9]{9,13}\Z")
    fields = {
        "to": numbers | (texts(edge_cases=True) if edge_cases else st.nothing()),
        "from_": numbers,
        "call_sid": st.text(st.sampled_from("0123456789abcdef"), min_size=32, max_size=32).map(lambda h: "CA" + h),
        "direction": _vocabulary(DIRECTIONS, edge_cases=edge_cases),
        "parameters": json_objects(edge_cases=edge_cases),
        "headers": st.dictionaries(
            st.from_regex(r"\AX-[A-Za-z-]{1,12}\Z"), st.text(_SAFE_TEXT, max_size=20), max_size=3
        ),
        "connection_type": _vocabulary(CONNECTION_TYPES, edge_cases=edge_cases),
    }
    return _build(draw, TelephonyParams, fields, unknown_fields=unknown_fields, edge_cases=edge_cases)


@st.composite
def calls(
    draw: st.DrawFn,
    *,
    status: str | None = None,
    max_turns: int = 6,
    unknown_fields: bool = False,
    edge_cases: bool = False,
) -> Call:
    """A call object, as in ``call_*`` events and the Calls API; ``status`` pins the status."""
    options: dict[str, Any] = {"unknown_fields": unknown_fields, "edge_cases": edge_cases}
    fields: dict[str, st.SearchStrategy[Any]] = {
        "id": _ids("ac_", 22),
        "agent_id": _ids("agent_", 22),
        "agent_name": texts(edge_cases=edge_cases, max_size=30),
        "start_time": timestamps(edge_cases=edge_cases),
        "end_time": timestamps(edge_cases=edge_cases),
        "transcript": st.lists(turns(**options), max_size=max_turns),
        "telephony_params": telephony_params(**options),
        "telephony_account_type": _vocabulary(TELEPHONY_ACCOUNT_TYPES, edge_cases=edge_cases),
        "summary": texts(edge_cases=edge_cases),
        "error_message": texts(edge_cases=edge_cases),
        "end_reason": _vocabulary((*END_REASONS, *AGENT_END_REASONS), edge_cases=edge_cases),
        "deployment_id": _ids("ad_", 16),
        "deployment_version_id": _ids("adv_", 12),
        "deployment_region": _vocabulary(DEPLOYMENT_REGIONS, edge_cases=edge_cases),
        "metadata": json_objects(edge_cases=edge_cases),
        "zdr": st.booleans(),
        "redacted_at": timestamps(edge_cases=edge_cases),
    }
    if status is None:
        fields["status"] = _vocabulary(CALL_STATUSES, edge_cases=edge_cases)
        return _build(draw, Call, fields, **options)
    return _build(draw, Call, fields, fixed={"status": status}, **options)


@st.composite
def analyses(draw: st.DrawFn, *, unknown_fields: bool = False, edge_cases: bool = False) -> Analysis:
    """A post-call analysis: a summary, and whatever fields the platform adds later."""
    fields = {"summary": texts(edge_cases=edge_cases, max_size=200)}
    return _build(draw, Analysis, fields, unknown_fields=unknown_fields, edge_cases=edge_cases)


# --- events -----------------------------------------------------------------------------------------


def _envelope(*, edge_cases: bool) -> dict[str, st.SearchStrategy[Any]]:
    fields: dict[str, st.SearchStrategy[Any]] = {
        "call_id": _ids("ac_", 22),
        "agent_id": _ids("agent_", 22),
        "webhook_id": _ids("agent_webhook_", 22),
        "timestamp": timestamps(edge_cases=edge_cases),
    }
    if edge_cases:
        fields["request_id"] = _ids("MZ", 32)
        # Assumed, not published: the id per event that third-party receivers mention.
        fields["webhook_request_id"] = st.uuids(version=4).map(str)
    return fields


def _event(
    draw: st.DrawFn,
    cls: type[M],
    body: dict[str, Any],
    *,
    unknown_fields: bool,
    edge_cases: bool,
) -> M:
    # The envelope is always present outside edge cases: receivers key their idempotency on it.
    envelope = _envelope(edge_cases=edge_cases)
    if not edge_cases:
        body = {**{name: draw(strategy) for name, strategy in envelope.items()}, **body}
        return _build(draw, cls, {}, fixed=body, unknown_fields=unknown_fields, edge_cases=False)
    return _build(draw, cls, envelope, fixed=body, unknown_fields=unknown_fields, edge_cases=True)


@st.composite
def call_started_events(draw: st.DrawFn, *, unknown_fields: bool = False, edge_cases: bool = False) -> CallStarted:
    """A ``call_started`` event; its call has no ``end_time`` (unless ``edge_cases``)."""
    call = draw(calls(status="started", max_turns=0, unknown_fields=unknown_fields, edge_cases=edge_cases))
    if not edge_cases and "end_time" in call.model_fields_set:
        call = Call(**{name: getattr(call, name) for name in call.model_fields_set if name != "end_time"})
        if unknown_fields:
            call = call.model_copy(update=draw(_unknown_fields()))
    return _event(draw, CallStarted, {"call": call}, unknown_fields=unknown_fields, edge_cases=edge_cases)


@st.composite
def call_turn_events(
    draw: st.DrawFn, *, legacy_fields: bool | None = None, unknown_fields: bool = False, edge_cases: bool = False
) -> CallTurn:
    """A ``call_turn`` event; with legacy fields, ``body`` repeats ``turn`` (edge cases: ``body`` alone)."""
    turn = draw(turns(unknown_fields=unknown_fields, edge_cases=edge_cases))
    legacy = draw(st.booleans()) if legacy_fields is None else legacy_fields
    body: dict[str, Any] = {"turn": turn}
    if legacy:
        body["body"] = turn
        if edge_cases and draw(st.booleans()):
            del body["turn"]
    return _event(draw, CallTurn, body, unknown_fields=unknown_fields, edge_cases=edge_cases)


@st.composite
def _call_ended_events(
    draw: st.DrawFn,
    cls: type[_Ended],
    status: str,
    *,
    legacy_fields: bool | None,
    unknown_fields: bool,
    edge_cases: bool,
) -> _Ended:
    call = draw(calls(status=status, unknown_fields=unknown_fields, edge_cases=edge_cases))
    body: dict[str, Any] = {"call": call}
    if draw(st.booleans()) if legacy_fields is None else legacy_fields:
        body["body"] = call.transcript if call.transcript is not None else []
        body["end_reason"] = call.end_reason
        if edge_cases and draw(st.booleans()):
            del body["call"]  # the 2025 format: no call object at all
    return _event(draw, cls, body, unknown_fields=unknown_fields, edge_cases=edge_cases)


def call_completed_events(
    *, legacy_fields: bool | None = None, unknown_fields: bool = False, edge_cases: bool = False
) -> st.SearchStrategy[CallCompleted]:
    """A ``call_completed`` event; legacy ``body``/``end_reason`` mirror the call when present."""
    return _call_ended_events(
        CallCompleted, "completed", legacy_fields=legacy_fields, unknown_fields=unknown_fields, edge_cases=edge_cases
    )


def call_failed_events(
    *, legacy_fields: bool | None = None, unknown_fields: bool = False, edge_cases: bool = False
) -> st.SearchStrategy[CallFailed]:
    """A ``call_failed`` event; legacy ``body``/``end_reason`` mirror the call when present."""
    return _call_ended_events(
        CallFailed, "failed", legacy_fields=legacy_fields, unknown_fields=unknown_fields, edge_cases=edge_cases
    )


@st.composite
def post_call_analysis_events(
    draw: st.DrawFn, *, unknown_fields: bool = False, edge_cases: bool = False
) -> PostCallAnalysis:
    """A ``post_call_analysis`` event."""
    analysis = draw(analyses(unknown_fields=unknown_fields, edge_cases=edge_cases))
    return _event(draw, PostCallAnalysis, {"analysis": analysis}, unknown_fields=unknown_fields, edge_cases=edge_cases)


@st.composite
def unknown_events(draw: st.DrawFn, *, unknown_fields: bool = False, edge_cases: bool = False) -> UnknownEvent:
    """An event of a type Cartesia may add later; receivers must answer 2xx and ignore it."""
    event_type = draw(
        st.sampled_from(FUTURE_EVENT_TYPES)
        | st.text(_ANY_TEXT if edge_cases else _SAFE_TEXT, max_size=30).filter(lambda t: t not in EVENT_TYPES)
    )
    return _event(draw, UnknownEvent, {"type": event_type}, unknown_fields=unknown_fields, edge_cases=edge_cases)


def events(
    *,
    legacy_fields: bool | None = None,
    unknown_fields: bool = False,
    edge_cases: bool = False,
    unknown_types: bool = True,
) -> st.SearchStrategy[Event]:
    """Any single event, of every known type and (with ``unknown_types``) of types not yet known."""
    options: dict[str, Any] = {"unknown_fields": unknown_fields, "edge_cases": edge_cases}
    legacy: dict[str, Any] = {"legacy_fields": legacy_fields, **options}
    strategies: list[st.SearchStrategy[Any]] = [
        call_started_events(**options),
        call_turn_events(**legacy),
        call_completed_events(**legacy),
        call_failed_events(**legacy),
        post_call_analysis_events(**options),
    ]
    if unknown_types:
        strategies.append(unknown_events(**options))
    return st.one_of(strategies)


# --- whole calls ------------------------------------------------------------------------------------


def _with_unknown_fields(draw: st.DrawFn, event: Event) -> Event:
    # Through parse_event, so an injected field lands exactly where a real payload would carry it.
    wire = event.to_wire()
    wire.update(draw(_unknown_fields()))
    for key in ("call", "turn", "analysis"):
        if isinstance(wire.get(key), dict) and draw(st.booleans()):
            wire[key].update(draw(_unknown_fields()))
    return parse_event(wire)


@st.composite
def simulated_calls(
    draw: st.DrawFn,
    *,
    outcome: str | None = None,
    domain: str | None = None,
    legacy_fields: bool | None = None,
    unknown_fields: bool = False,
    max_turns: int = 20,
) -> list[Event]:
    """One coherent call's events in delivery order, from :func:`harness.generate.simulate_call`.

    Options left as ``None`` are drawn; ``max_turns`` bounds the user and assistant turns.
    """
    events_ = simulate_call(
        seed=draw(st.integers(min_value=0, max_value=2**63 - 1)),
        outcome=outcome if outcome is not None else draw(st.sampled_from(OUTCOMES) | st.none()),
        domain=domain if domain is not None else draw(st.sampled_from(DOMAINS)),
        turns=draw(st.integers(min_value=0, max_value=max_turns)),
        legacy_fields=draw(st.booleans()) if legacy_fields is None else legacy_fields,
        locale=draw(st.sampled_from(LOCALES)),
    )
    if unknown_fields:
        events_ = [_with_unknown_fields(draw, event) for event in events_]
    return events_


@st.composite
def call_sequences(
    draw: st.DrawFn,
    *,
    min_calls: int = 1,
    max_calls: int = 5,
    same_agent: bool = True,
    outcome: str | None = None,
    domain: str | None = None,
    legacy_fields: bool | None = None,
    max_turns: int = 12,
) -> list[list[Event]]:
    """Several coherent calls, each a list of events in delivery order.

    With ``same_agent`` (the default) every call belongs to one agent and webhook, as when one
    receiver serves one agent; otherwise each call has its own IDs.
    """
    count = draw(st.integers(min_value=min_calls, max_value=max_calls))
    options: dict[str, Any] = {
        "outcome": outcome,
        "domain": domain,
        "turns": draw(st.integers(min_value=0, max_value=max_turns)),
        "legacy_fields": draw(st.booleans()) if legacy_fields is None else legacy_fields,
    }
    if same_agent:
        options["agent_id"] = draw(_ids("agent_", 22))
        options["webhook_id"] = draw(_ids("agent_webhook_", 22))
    seed = draw(st.integers(min_value=0, max_value=2**63 - 1))
    return list(simulate_calls(seed=seed, count=count, **options))


# --- registration -----------------------------------------------------------------------------------

# Used through harness._hypothesis_hook, the entry point Hypothesis runs on import.
TYPE_STRATEGIES: dict[type[Any], st.SearchStrategy[Any]] = {
    Timestamp: timestamps(),
    ToolCall: tool_calls(),
    TextChunk: text_chunks(),
    LogEvent: log_events(),
    LogMetric: log_metrics(),
    Turn: turns(),
    TelephonyParams: telephony_params(),
    Call: calls(),
    Analysis: analyses(),
    CallStarted: call_started_events(),
    CallTurn: call_turn_events(),
    CallCompleted: call_completed_events(),
    CallFailed: call_failed_events(),
    PostCallAnalysis: post_call_analysis_events(),
    UnknownEvent: unknown_events(),
    BaseEvent: events(),
}
