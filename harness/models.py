"""Pydantic models of what Cartesia sends: the envelope, call, turn, analysis and one class per event.

The models are deliberately lenient, because the harness must never be stricter than the real platform:
- every field but ``type`` is optional, and ``null`` is kept apart from "omitted" (dumps use
  ``exclude_unset``, so a parse/dump round trip writes back exactly the keys the source had);
- unknown fields are kept at every depth (``extra="allow"``) and written back out;
- vocabularies (``end_reason``, ``status``, ``role``, ...) are open strings; the known values are
  exported as constants for generators and checks;
- timestamps keep the exact text they were parsed from, so nanosecond precision survives.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, ClassVar, Literal, TypeAlias

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    ValidationError,
    WithJsonSchema,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

from harness.errors import PayloadError

__all__ = [
    "AGENT_END_REASONS",
    "BUILTIN_METRICS",
    "CALL_STATUSES",
    "CONNECTION_TYPES",
    "DEPLOYMENT_REGIONS",
    "DIAL_FAILURE_END_REASONS",
    "DIRECTIONS",
    "END_REASONS",
    "EVENT_CLASSES",
    "EVENT_TYPES",
    "FUTURE_EVENT_TYPES",
    "LOG_LEVELS",
    "MAX_NESTING",
    "TELEPHONY_ACCOUNT_TYPES",
    "TRUNCATION_LIMIT",
    "TURN_END_REASONS",
    "TURN_ROLES",
    "WEBHOOK_SECRET_HEADER",
    "Analysis",
    "BaseEvent",
    "Call",
    "CallCompleted",
    "CallFailed",
    "CallStarted",
    "CallTurn",
    "Event",
    "LogEvent",
    "LogMetric",
    "PostCallAnalysis",
    "TelephonyParams",
    "TextChunk",
    "Timestamp",
    "ToolCall",
    "Turn",
    "UnknownEvent",
    "WireModel",
    "check_nesting",
    "parse_event",
]

WEBHOOK_SECRET_HEADER = "X-Webhook-Secret"

EVENT_TYPES = ("call_started", "call_turn", "call_completed", "call_failed", "post_call_analysis")
# Event types Cartesia may add one day ("Ignore event types you don't handle; Cartesia may add more"): what the
# harness sends to show that a receiver answers 2xx to a type it does not know, and ignores it.
FUTURE_EVENT_TYPES = ("call_transferred", "call_recording_ready", "agent_handoff", "agent_updated", "call_note")
END_REASONS = (
    "agent_hangup",
    "client_hangup",
    "api_cancelled",
    "max_duration",
    "inactivity",
    "client_disconnected",
    "dial_busy",
    "dial_failed",
    "dial_no_answer",
    "error",
)
DIAL_FAILURE_END_REASONS = ("dial_busy", "dial_failed", "dial_no_answer")
# Beside the documented ten: the reasons the agent SDK's EndCall gives (the agent hung up; it reached voicemail).
AGENT_END_REASONS = ("agent_ended", "voicemail_detected")
# "active" and "cancelled" are only known to older clients; the platform documents the first four.
CALL_STATUSES = ("created", "started", "completed", "failed", "active", "cancelled")
TURN_ROLES = ("user", "assistant", "system")
TURN_END_REASONS = ("call_ended", "interrupted", "tts_completed")
DIRECTIONS = ("inbound", "outbound")  # assumed: not published
CONNECTION_TYPES = ("websocket", "phone")  # "phone" is assumed
TELEPHONY_ACCOUNT_TYPES = ("cartesia", "twilio", "sip_trunk")
DEPLOYMENT_REGIONS = ("US", "EU", "APAC")
BUILTIN_METRICS = ("agent_turn_ms", "llm_first_chunk_ms", "llm_first_text_ms")
# The agent SDK truncates tool-call arguments and results longer than this many characters
# ("... [truncated]", or {"_truncated": true, "_preview": ...}).
TRUNCATION_LIMIT = 30_000
# The agent SDK's LogMessage levels; its log_event metadata is {"level", "message", "metadata": {...}}.
LOG_LEVELS = ("info", "error")
# Real payloads nest under 10 levels (plus what users put in metadata); pydantic cannot write back
# beyond about 250, so anything deeper could not round-trip.
MAX_NESTING = 200


class _StrictNumber:
    """A JSON number: an int stays an int (a float annotation would turn 1 into 1.0 and break byte-faithful round
    trips), a bool is refused (an int subclass in Python, never a number in JSON).

    Validated by pydantic-core alone, without a Python call per value: numbers are the most frequent field.
    """

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.union_schema(
            [core_schema.int_schema(strict=True), core_schema.float_schema(strict=True)],
            custom_error_type="number_type",
            custom_error_message="expected a number",
        )


Number: TypeAlias = Annotated[int | float, _StrictNumber, WithJsonSchema({"type": "number"})]
JsonObject: TypeAlias = dict[str, Any]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Day number since the epoch -> "YYYY-MM-DDT" (a small cache, cleared when full).
_DAY_PREFIXES: dict[int, str] = {}
_RFC3339 = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})[Tt ](?P<time>\d{2}:\d{2}:\d{2})(?:\.(?P<frac>\d+))?(?P<tz>[Zz]|[+-]\d{2}:\d{2})$"
)


class Timestamp(str):
    """An RFC 3339 timestamp that keeps the exact text it was made from.

    Python's ``datetime`` stops at microseconds; Cartesia sends nanoseconds
    (``2025-06-24T23:36:40.360473878Z``). Keeping the text makes a round trip lossless, while
    :attr:`datetime` gives the parsed value for comparisons.
    """

    __slots__ = ()

    @classmethod
    def parse(cls, text: str) -> Timestamp:
        """Validate ``text`` as RFC 3339 and wrap it; raise ``ValueError`` otherwise."""
        if not _RFC3339.match(text):
            raise ValueError("expected an RFC 3339 timestamp such as 2025-06-24T23:36:40.360473878Z")
        stamp = cls(text)
        try:
            stamp.datetime  # noqa: B018 - parsing rejects impossible dates such as month 13
        except ValueError as exc:
            raise ValueError(f"expected an RFC 3339 timestamp with a real date and time ({exc})") from exc
        return stamp

    @classmethod
    def from_datetime(cls, value: datetime, *, nanoseconds: int | None = None) -> Timestamp:
        """Format an aware datetime as Cartesia does: UTC, ``Z``, nine fractional digits.

        ``nanoseconds`` (0 to 999,999,999) replaces the fraction of a second, which a datetime holds only to
        the microsecond.
        """
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        if nanoseconds is not None and not 0 <= nanoseconds < 1_000_000_000:
            raise ValueError(f"nanoseconds: expected 0 to 999,999,999, got {nanoseconds!r}")
        utc = value.astimezone(UTC)
        whole = (utc - _EPOCH) // timedelta(seconds=1)
        nanos = utc.microsecond * 1000 if nanoseconds is None else nanoseconds
        return cls.from_epoch_ns(whole * 1_000_000_000 + nanos)

    @classmethod
    def from_epoch_ns(cls, ns: int, *, digits: int = 9) -> Timestamp:
        """Format nanoseconds since the Unix epoch as Cartesia does: UTC, ``Z``, ``digits`` fractional digits.

        Every RFC 3339 time the harness writes is formatted here. The generator formats one per event, so the
        date part is looked up rather than computed each time (a call's events fall on a day or two).
        """
        seconds, nanos = divmod(ns, 1_000_000_000)
        day, second = divmod(seconds, 86_400)
        prefix = _DAY_PREFIXES.get(day)
        if prefix is None:
            if len(_DAY_PREFIXES) >= 4096:
                _DAY_PREFIXES.clear()
            moment = _EPOCH + timedelta(days=day)
            prefix = _DAY_PREFIXES[day] = f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T"
        hour, rest = divmod(second, 3600)
        minute, sec = divmod(rest, 60)
        fraction = f".{nanos:09d}"[: digits + 1] if digits > 0 else ""
        return cls(f"{prefix}{hour:02d}:{minute:02d}:{sec:02d}{fraction}Z")

    @classmethod
    def now(cls) -> Timestamp:
        """The current time, formatted as Cartesia does (microsecond resolution, nine digits)."""
        return cls.from_datetime(datetime.now(UTC))

    @property
    def datetime(self) -> datetime:
        """The timestamp as an aware datetime (truncated to microseconds)."""
        match = _RFC3339.match(self)
        if match is None:  # only reachable for a Timestamp built without parse()
            raise ValueError(f"not an RFC 3339 timestamp: {str(self)!r}")
        frac = (match["frac"] or "")[:6].ljust(6, "0")
        tz = "+00:00" if match["tz"] in ("Z", "z") else match["tz"]
        return datetime.fromisoformat(f"{match['date']}T{match['time']}.{frac}{tz}")

    @property
    def nanoseconds(self) -> int:
        """Nanoseconds since the Unix epoch, exact to the digits given."""
        match = _RFC3339.match(self)
        frac = ((match["frac"] if match else None) or "")[:9].ljust(9, "0")
        whole = self.datetime.replace(microsecond=0)
        return int(whole.timestamp()) * 1_000_000_000 + int(frac)

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            # Serialised by pydantic-core as the string it is, without calling back into Python.
            cls._validate,
            serialization=core_schema.to_string_ser_schema(),
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"type": "string", "format": "date-time"}

    @classmethod
    def _validate(cls, value: Any) -> Timestamp:
        if isinstance(value, Timestamp):
            return value
        if isinstance(value, datetime):
            return cls.from_datetime(value)
        if isinstance(value, str):
            return cls.parse(value)
        raise ValueError("expected an RFC 3339 timestamp string")


class WireModel(BaseModel):
    """Base of every payload model: keeps unknown fields and dumps Cartesia's wire format."""

    # strict: lax coercion ("5" -> 5, "true" -> True) would silently rewrite what the platform sent.
    model_config = ConfigDict(extra="allow", populate_by_name=True, strict=True)

    def to_wire(self) -> dict[str, Any]:
        """The payload as JSON-ready data: wire names, only the keys that were set, unknown fields kept."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)

    def to_json(self) -> bytes:
        """The payload as compact UTF-8 JSON bytes, exactly as the mock server sends it."""
        # The serializer's bytes as they are: model_dump_json() would decode them to str, and we would encode back.
        return self.__pydantic_serializer__.to_json(self, by_alias=True, exclude_unset=True)


class ToolCall(WireModel):
    """A tool call made during an assistant turn. Arguments or results may be truncated by the agent SDK."""

    id: str | None = None
    name: str | None = None
    arguments: JsonObject | str | None = None
    result: str | JsonObject | None = None


class TextChunk(WireModel):
    """A piece of a turn's text with the time (seconds from call start) it was produced."""

    text: str | None = None
    start_timestamp: Number | None = None


class LogEvent(WireModel):
    """A custom event an agent logged; appears on ``system`` turns.

    Over a bare websocket, ``metadata`` is the agent's own object (``{"key": "value"}``); from the agent
    SDK's ``LogMessage(name, level, message, metadata)`` it is ``{"level", "message", "metadata": {...}}``.
    """

    event: str | None = None
    metadata: JsonObject | None = None
    timestamp: Number | None = None


class LogMetric(WireModel):
    """A metric an agent logged; appears on ``system`` turns.

    ``value`` is any JSON value: the SDK's built-in timing metrics (``agent_turn_ms`` and friends) are
    numbers, an agent's own metrics may be strings (a form answer), booleans or objects.
    """

    name: str | None = None
    value: Any = None
    timestamp: Number | None = None


class Turn(WireModel):
    """One transcript entry: a user or assistant utterance, or a ``system`` log entry.

    A ``system`` turn's ``text`` may be empty, omitted or ``null``.
    """

    role: str | None = None
    text: str | None = None
    start_timestamp: Number | None = None
    end_timestamp: Number | None = None
    was_interrupted: bool | None = None
    tool_calls: list[ToolCall] | None = None
    stt_ttfb: Number | None = None
    tts_ttfb: Number | None = None
    text_chunks: list[TextChunk] | None = None
    end_reason: str | None = None
    vad_buffer_ms: int | None = None
    log_event: LogEvent | None = None
    log_metric: LogMetric | None = None


class TelephonyParams(WireModel):
    """Phone details of a call; absent for calls that are not made by phone."""

    to: str | None = None
    from_: str | None = Field(default=None, alias="from")
    call_sid: str | None = None
    direction: str | None = None
    parameters: JsonObject | None = None
    headers: JsonObject | None = None
    connection_type: str | None = None


class Call(WireModel):
    """A call, as in ``call_*`` events and ``GET /agents/calls/{call_id}``."""

    id: str | None = None
    agent_id: str | None = None
    agent_name: str | None = None
    status: str | None = None
    start_time: Timestamp | None = None
    end_time: Timestamp | None = None
    transcript: list[Turn] | None = None
    telephony_params: TelephonyParams | None = None
    telephony_account_type: str | None = None
    summary: str | None = None
    error_message: str | None = None
    end_reason: str | None = None
    deployment_id: str | None = None
    deployment_version_id: str | None = None
    deployment_region: str | None = None
    metadata: JsonObject | None = None
    zdr: bool | None = None
    redacted_at: Timestamp | None = None


class Analysis(WireModel):
    """The result of post-call analysis. More fields are expected; unknown ones are kept."""

    summary: str | None = None


class BaseEvent(WireModel):
    """The envelope every webhook event carries."""

    type: str
    call_id: str | None = None
    agent_id: str | None = None
    webhook_id: str | None = None
    timestamp: Timestamp | None = None
    # Only in the 2025 format, which had no call_id.
    request_id: str | None = None
    # Assumed, not published: third-party receivers mention an id per event, stable across retries.
    webhook_request_id: str | None = None

    def model_post_init(self, context: Any, /) -> None:
        # A defaulted ``type`` would count as unset and vanish from exclude_unset dumps.
        self.model_fields_set.add("type")


class CallStarted(BaseEvent):
    """``call_started``: the call session began. ``call`` has no ``end_time`` yet."""

    type: Literal["call_started"] = "call_started"
    call: Call | None = None


class CallTurn(BaseEvent):
    """``call_turn``: one utterance. ``body`` is the legacy copy of ``turn``."""

    type: Literal["call_turn"] = "call_turn"
    turn: Turn | None = None
    body: Turn | None = None

    @property
    def effective_turn(self) -> Turn | None:
        """The turn, from ``turn`` or else the legacy ``body``."""
        return self.turn if self.turn is not None else self.body


class _CallEnded(BaseEvent):
    """What ``call_completed`` and ``call_failed`` share, legacy fields included."""

    call: Call | None = None
    body: list[Turn] | None = None
    end_reason: str | None = None

    @property
    def transcript(self) -> list[Turn]:
        """The transcript from ``call.transcript``, else the legacy ``body`` (the only one in 2025 payloads)."""
        if self.call is not None and self.call.transcript is not None:
            return self.call.transcript
        return self.body or []

    @property
    def effective_end_reason(self) -> str | None:
        """``call.end_reason``, else the legacy top-level ``end_reason``."""
        if self.call is not None and self.call.end_reason is not None:
            return self.call.end_reason
        return self.end_reason


class CallCompleted(_CallEnded):
    """``call_completed``: the call ended normally."""

    type: Literal["call_completed"] = "call_completed"


class CallFailed(_CallEnded):
    """``call_failed``: the call ended with an error (``call.error_message``)."""

    type: Literal["call_failed"] = "call_failed"


class PostCallAnalysis(BaseEvent):
    """``post_call_analysis``: asynchronous analysis finished."""

    type: Literal["post_call_analysis"] = "post_call_analysis"
    analysis: Analysis | None = None


class UnknownEvent(BaseEvent):
    """Any event type the harness does not know; Cartesia may add more, and receivers must accept them."""

    known_types: ClassVar[tuple[str, ...]] = EVENT_TYPES


Event: TypeAlias = CallStarted | CallTurn | CallCompleted | CallFailed | PostCallAnalysis | UnknownEvent

EVENT_CLASSES: Mapping[str, type[BaseEvent]] = {
    "call_started": CallStarted,
    "call_turn": CallTurn,
    "call_completed": CallCompleted,
    "call_failed": CallFailed,
    "post_call_analysis": PostCallAnalysis,
}


def parse_event(data: bytes | str | Mapping[str, Any]) -> Event:
    """Parse one webhook payload into its event class, chosen by ``type``.

    Accepts every format the platform may send (current, current without legacy fields, 2025),
    unknown types (:class:`UnknownEvent`) and unknown fields. Raises :class:`PayloadError` naming
    the field path for anything that is not a JSON object with a string ``type``.
    """
    if isinstance(data, bytes | bytearray | str):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as exc:
            raise PayloadError(f"payload is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from exc
        except UnicodeDecodeError as exc:
            raise PayloadError(f"payload is not UTF-8 text: {exc.reason} at byte {exc.start}") from exc
        except RecursionError as exc:  # valid JSON, but nested beyond what the parser can recurse into
            raise PayloadError("payload is nested too deeply to parse (arrays or objects ~1000 levels deep)") from exc
    if not isinstance(data, Mapping):
        raise PayloadError(f"payload must be a JSON object, got {_json_type_name(data)}")
    check_nesting(data)
    event_type = data.get("type")
    if event_type is None:
        raise PayloadError('field "type": required, but the payload has no "type" (expected e.g. "call_started")')
    if not isinstance(event_type, str):
        raise PayloadError(f'field "type": expected a string, got {_json_type_name(event_type)}')
    cls = EVENT_CLASSES.get(event_type, UnknownEvent)
    try:
        event = cls.model_validate(data)
    except ValidationError as exc:
        raise PayloadError(_describe_validation_error(event_type, exc)) from exc
    return event  # type: ignore[return-value]  # cls is one of Event's members


def check_nesting(data: Any) -> None:
    """PayloadError when objects/arrays in ``data`` nest deeper than ``MAX_NESTING`` levels (a parsed payload)."""
    if _nesting_exceeds(data, MAX_NESTING):
        raise PayloadError(
            f"payload is nested more than {MAX_NESTING} levels deep; no webhook payload is, and it could not be "
            "written back out"
        )


def _nesting_exceeds(data: Any, limit: int) -> bool:
    """True when objects/arrays in ``data`` nest deeper than ``limit`` levels (``data`` itself is level 1).

    Level by level and containers only: no recursion to exhaust, and scalars are never visited twice.
    """
    level = [data]
    depth = 1
    while level:
        if depth > limit:
            return True
        below: list[Any] = []
        for value in level:
            children = value.values() if isinstance(value, Mapping) else value
            below += [child for child in children if isinstance(child, dict | list)]
        level = below
        depth += 1
    return False


def _describe_validation_error(event_type: str, exc: ValidationError) -> str:
    # A union field fails once per branch; group those into one "expected X or Y" per field path.
    expectations: dict[str, list[str]] = {}
    inputs: dict[str, Any] = {}
    for error in exc.errors(include_url=False):
        path = _format_location(error["loc"])
        expected = _expected(error)
        if expected not in expectations.setdefault(path, []):
            expectations[path].append(expected)
        inputs.setdefault(path, error.get("input"))
    problems = [
        f'field "{path}": expected {" or ".join(expected)}, got {_json_type_name(inputs[path])}'
        for path, expected in expectations.items()
    ]
    return f"{event_type} payload is invalid: " + "; ".join(problems)


# Names pydantic puts in an error location for union branches and validators, not for fields.
_BRANCH_TAGS = frozenset({"str", "int", "float", "bool", "none", "list", "dict"})


def _format_location(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part in _BRANCH_TAGS or "[" in part or part[:1].isupper():
            continue
        else:
            path += f".{part}" if path else part
    return path


def _expected(error: Any) -> str:
    message = str(error["msg"])
    if message.startswith("Value error, "):
        message = message.removeprefix("Value error, ")
    expected = message.removeprefix("Input should be ").replace("a valid ", "a ").replace("a integer", "an integer")
    expected = re.sub(r"a dictionary( or instance of \w+)?", "an object", expected)
    return expected.removeprefix("expected ")


def _json_type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"the string {shown!r}"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return "an array"
    return type(value).__name__
