"""Seeded, realistic call simulator: the events a Cartesia agent's webhook receives for one call.

``simulate_call(seed=...)`` returns a call's events in delivery order, built through the models so they
always validate; the same arguments always give byte-identical ``to_json()``. Calls are coherent:
one set of IDs, timestamps that never go back, alternating speakers with realistic speech rates,
tool calls that use what the caller said, system turns with the agent's log events and metrics (in the
bare-websocket or the agent SDK's shapes), and a post-call summary that names the topic. Content (names,
addresses, dates, amounts, order numbers) comes from faker in several locales, through pools that keep
the same seed giving the same bytes in any thread (the mock server plans calls in worker threads).
"""

from __future__ import annotations

import random
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pydantic import TypeAdapter

import harness._ids as _ids
from harness._content import Content
from harness._deployments import call_deployment
from harness._dialogue import ANSWER_LINE, BUILDERS, FORM_ANSWER_METRIC, Conversation, Line, voicemail_lines
from harness._seeds import derive_seed
from harness.errors import ConfigError
from harness.models import (
    AGENT_END_REASONS,
    BUILTIN_METRICS,
    DIAL_FAILURE_END_REASONS,
    END_REASONS,
    Analysis,
    Call,
    CallCompleted,
    CallFailed,
    CallStarted,
    CallTurn,
    Event,
    PostCallAnalysis,
    TelephonyParams,
    Timestamp,
    Turn,
)

__all__ = [
    "COMPLETED_END_REASONS",
    "DOMAINS",
    "FAILED_END_REASONS",
    "FORM_ANSWER_METRIC",
    "LOCALES",
    "OUTCOMES",
    "derive_seed",
    "simulate_call",
    "simulate_calls",
]

DOMAINS: tuple[str, ...] = tuple(BUILDERS)
LOCALES = ("en_US", "en_GB", "fr_FR", "de_DE", "es_ES", "ja_JP")
FAILED_END_REASONS = (*DIAL_FAILURE_END_REASONS, "error")
COMPLETED_END_REASONS = (
    *(reason for reason in END_REASONS if reason not in FAILED_END_REASONS),
    *AGENT_END_REASONS,
)
# "completed" and "failed" let the simulator pick a fitting end reason; an end reason pins it.
OUTCOMES: tuple[str, ...] = ("completed", "failed", *END_REASONS, *AGENT_END_REASONS)
# Relative weights of COMPLETED_END_REASONS in a seeded choice.
_COMPLETED_WEIGHTS = (40, 30, 4, 3, 6, 7, 8, 2)
# End reasons of calls that run the whole conversation, the last assistant turn ending the call or not.
_FULL_CALL_END_REASONS = ("agent_hangup", "client_hangup", "agent_ended")
_AGENT_ENDS_CALL = ("agent_hangup", "agent_ended", "voicemail_detected")
# A system turn's text as the platform may send it: empty, left out, or null (one way per call).
_OMITTED = object()
_SYSTEM_TEXTS: tuple[object, ...] = ("", "", _OMITTED, None)
_E164 = re.compile(r"^\+[1-9]\d{1,14}$")

# Speech and latency ranges, from Cartesia's published call examples and typical voice-agent figures.
WORDS_PER_SECOND = (2.0, 3.5)
GAP_MS = (200, 1500)
STT_TTFB_S = (0.08, 0.35)
TTS_TTFB_S = (0.15, 0.45)
VAD_BUFFER_MS = (400, 900)
INTERRUPTION_RATE = 0.15
ANALYSIS_DELAY_MS = (2000, 8000)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_TURNS = TypeAdapter(list[Turn])
_CALL_TURNS = TypeAdapter(list[CallTurn])
# Default call starts fall in the 90 days after this instant, chosen by the seed.
_DEFAULT_START_BASE = datetime(2026, 1, 5, tzinfo=UTC)
_REGIONS = {"en_US": "US", "ja_JP": "APAC"}
_ERROR_MESSAGES = {
    "dial_busy": "The callee's line was busy.",
    "dial_failed": "Could not connect the call: the number is unreachable.",
    "dial_no_answer": "No answer after 30 seconds of ringing.",
    "error": (
        "LLM provider request timed out after 30 s.",
        "TTS stream closed unexpectedly (code 1011).",
        "Agent process exited with status 1.",
    ),
}


def simulate_calls(*, seed: int, count: int, **options: Any) -> Iterator[list[Event]]:
    """Yield ``count`` simulated calls; call ``i`` is ``simulate_call(seed=derive_seed(seed, i), **options)``."""
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise ConfigError(f"count: expected an integer >= 0, got {count!r}")
    for index in range(count):
        yield simulate_call(seed=derive_seed(seed, index), **options)


def simulate_call(
    *,
    seed: int,
    outcome: str | None = None,
    domain: str | None = None,
    turns: int | None = None,
    start: datetime | None = None,
    legacy_fields: bool = True,
    locale: str | None = None,
    agent_id: str | None = None,
    webhook_id: str | None = None,
    call_id: str | None = None,
    outbound_to: str | None = None,
    metadata: dict[str, Any] | None = None,
    webhook_request_id: bool = False,
) -> list[Event]:
    """Simulate one call and return its webhook events in delivery order.

    ``outcome`` is ``None`` (a seeded choice, mostly completed), ``"completed"``, ``"failed"`` or one of
    :data:`OUTCOMES`' end reasons: dial failures fail before anyone speaks, ``"error"`` fails mid-call,
    ``"voicemail_detected"`` is an outbound call that reached voicemail (the greeting and the agent's
    message), any other reason completes the call with it. ``turns`` fixes the number of user and
    assistant turns (system log turns come on top); an explicit dial failure has none whatever ``turns``
    says, an explicit voicemail at most two; a seeded outcome is neither when ``turns`` is above 0 (nor
    is a ``"completed"`` one a voicemail). ``start`` is the call's aware start time; by default it is
    derived from the seed. ``legacy_fields`` adds the top-level ``body`` and ``end_reason`` copies the
    platform still sends. ``locale`` picks the faker locale (one of :data:`LOCALES`); the ID options pin
    the IDs the events carry. ``outbound_to`` makes it an outbound phone call to that E.164 number, and
    ``metadata`` pins the call's metadata object (a call batch sets both for each recipient).
    ``webhook_request_id`` adds an id per event to the envelope (third-party receivers mention one,
    stable across retries; Cartesia does not publish it, so it is off by default).
    """
    _check_options(
        seed=seed,
        outcome=outcome,
        domain=domain,
        turns=turns,
        start=start,
        locale=locale,
        outbound_to=outbound_to,
        metadata=metadata,
        webhook_request_id=webhook_request_id,
    )
    rng = random.Random(seed)
    # Every choice is drawn even when an option pins it, so pinning one thing changes nothing else.
    drawn_locale, drawn_domain = rng.choice(LOCALES), rng.choice(DOMAINS)
    locale, domain = locale or drawn_locale, domain or drawn_domain
    failed, end_reason = _pick_outcome(rng, outcome, want_turns=bool(turns))
    drawn_start_ns = _default_start_ns(rng)
    start_ns = _to_ns(start) if start is not None else drawn_start_ns
    # Content has a generator of its own, so what a call says never shifts the draws after it.
    fake = Content(locale, random.Random(rng.getrandbits(32)))
    drawn_ids = _Ids(call_id=_ids.call_id(rng), agent_id=_ids.agent_id(rng), webhook_id=_ids.webhook_id(rng))
    request_seed = rng.getrandbits(64)  # drawn either way, so the option changes nothing else
    ids = _Ids(
        call_id=call_id or drawn_ids.call_id,
        agent_id=agent_id or drawn_ids.agent_id,
        webhook_id=webhook_id or drawn_ids.webhook_id,
        request_seed=request_seed if webhook_request_id else None,
    )
    conversation = BUILDERS[domain](fake, rng, locale, _date_of(start_ns))
    dial_failure = end_reason in DIAL_FAILURE_END_REASONS
    call_fields = _call_fields(
        rng,
        fake,
        locale,
        ids,
        conversation,
        start_time=Timestamp.from_epoch_ns(start_ns),
        # Only an outbound phone call can fail to connect or reach voicemail.
        outbound=dial_failure or end_reason == "voicemail_detected" or outbound_to is not None,
        outbound_to=outbound_to,
        metadata=metadata,
    )
    telephony = call_fields.get("telephony_params")
    outbound = telephony is not None and telephony.direction == "outbound"
    logging = _Logging(sdk=rng.random() < 0.5, system_text=rng.choice(_SYSTEM_TEXTS))

    if dial_failure:
        lines = []
    elif end_reason == "voicemail_detected":
        lines = voicemail_lines(conversation)[:turns]
    else:
        lines = _choose_lines(rng, conversation, turns, end_reason, outbound=outbound)
    transcript = _Timeline(rng, domain, logging).build(lines, end_reason)
    resolved = conversation.core[-1] in lines

    if transcript:
        end_ms = _end_ms(transcript[-1]) + _randint(rng, 300, 2000)
    else:
        end_ms = _randint(rng, 5000, 35000) if dial_failure else _randint(rng, 1000, 5000)
    analysis_ms = end_ms + _randint(rng, *ANALYSIS_DELAY_MS)
    error_message = _error_message(rng, end_reason) if failed else None

    events: list[Event] = [
        CallStarted(**ids.envelope(Timestamp.from_epoch_ns(start_ns)), call=Call(status="started", **call_fields)),
    ]
    turn_events: list[dict[str, Any]] = []
    for turn in transcript:
        envelope = ids.envelope(Timestamp.from_epoch_ns(start_ns + _end_ms(turn) * 1_000_000))
        turn_events.append({**envelope, "turn": turn, "body": turn} if legacy_fields else {**envelope, "turn": turn})
    events += _CALL_TURNS.validate_python(turn_events)  # one validation pass for all (CallTurn(...) each costs more)

    end_stamp = Timestamp.from_epoch_ns(start_ns + end_ms * 1_000_000)
    final: dict[str, Any] = {
        "status": "failed" if failed else "completed",
        "end_time": end_stamp,
        "end_reason": end_reason,
        "transcript": transcript,
    }
    if error_message is not None:
        final["error_message"] = error_message
    call = Call(**call_fields, **final)
    legacy: dict[str, Any] = {"body": transcript, "end_reason": end_reason} if legacy_fields else {}
    ended_class = CallFailed if failed else CallCompleted
    events.append(ended_class(**ids.envelope(end_stamp), call=call, **legacy))

    if not failed or transcript:
        summary = _summary(conversation, end_reason, resolved=resolved, error_message=error_message)
        events.append(
            PostCallAnalysis(
                **ids.envelope(Timestamp.from_epoch_ns(start_ns + analysis_ms * 1_000_000)),
                analysis=Analysis(summary=summary),
            )
        )
    return events


@dataclass(slots=True)
class _Ids:
    call_id: str
    agent_id: str
    webhook_id: str
    # Set when events carry a webhook_request_id: each event's id is derived from it and the event's position.
    request_seed: int | None = None
    events: int = 0

    def envelope(self, stamp: Timestamp) -> dict[str, Any]:
        data = {"call_id": self.call_id, "agent_id": self.agent_id, "webhook_id": self.webhook_id, "timestamp": stamp}
        if self.request_seed is not None:
            digest = derive_seed(self.request_seed, self.events, bits=128).to_bytes(16, "big")
            data["webhook_request_id"] = str(uuid.UUID(bytes=digest, version=4))
        self.events += 1
        return data


def _check_options(
    *,
    seed: int,
    outcome: str | None,
    domain: str | None,
    turns: int | None,
    start: datetime | None,
    locale: str | None,
    outbound_to: str | None,
    metadata: dict[str, Any] | None,
    webhook_request_id: bool,
) -> None:
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ConfigError(f"seed: expected an integer, got {seed!r}")
    if outcome is not None and outcome not in OUTCOMES:
        raise ConfigError(f"outcome: expected one of {', '.join(OUTCOMES)}, got {outcome!r}")
    if domain is not None and domain not in DOMAINS:
        raise ConfigError(f"domain: expected one of {', '.join(DOMAINS)}, got {domain!r}")
    if turns is not None and (isinstance(turns, bool) or not isinstance(turns, int) or turns < 0):
        raise ConfigError(f"turns: expected an integer >= 0, got {turns!r}")
    if start is not None and (not isinstance(start, datetime) or start.utcoffset() is None):
        raise ConfigError(f"start: expected a timezone-aware datetime (e.g. 2026-03-02T15:04:05Z), got {start!r}")
    if locale is not None and locale not in LOCALES:
        raise ConfigError(f"locale: expected one of {', '.join(LOCALES)}, got {locale!r}")
    if outbound_to is not None and (not isinstance(outbound_to, str) or not _E164.match(outbound_to)):
        raise ConfigError(f"outbound_to: expected an E.164 phone number such as +15555550100, got {outbound_to!r}")
    if metadata is not None and not isinstance(metadata, dict):
        raise ConfigError(f"metadata: expected a JSON object, got {metadata!r}")
    if not isinstance(webhook_request_id, bool):
        raise ConfigError(f"webhook_request_id: expected true or false, got {webhook_request_id!r}")


def _pick_outcome(rng: random.Random, outcome: str | None, *, want_turns: bool) -> tuple[bool, str]:
    """(failed?, end_reason) for the requested outcome.

    A seeded choice never picks a dial failure when turns were asked for (those calls have none), nor does
    a seeded or ``"completed"`` outcome pick a voicemail (at most two turns).
    """
    drawn_failed = rng.random() < 0.15
    completed_reason = rng.choices(COMPLETED_END_REASONS, weights=_COMPLETED_WEIGHTS)[0]
    failed_reason = rng.choices(FAILED_END_REASONS, weights=(3, 2, 3, 4))[0]
    if want_turns and completed_reason == "voicemail_detected" and outcome in (None, "completed"):
        completed_reason = "agent_hangup"
    if outcome is None and want_turns:
        failed_reason = "error"
    if outcome is None:
        outcome = "failed" if drawn_failed else "completed"
    if outcome == "completed":
        reason = completed_reason
    elif outcome == "failed":
        reason = failed_reason
    else:
        reason = outcome
    return reason in FAILED_END_REASONS, reason


def _default_start_ns(rng: random.Random) -> int:
    offset_s = rng.randrange(90 * 24 * 3600)
    return _to_ns(_DEFAULT_START_BASE) + offset_s * 1_000_000_000 + rng.randrange(1_000_000_000)


def _to_ns(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(microseconds=1) * 1000


def _date_of(ns: int) -> date:
    return (_EPOCH + timedelta(microseconds=ns // 1000)).date()


def _randint(rng: random.Random, low: int, high: int) -> int:
    """An integer from ``low`` to ``high``, both included; ``Random.randint`` costs four Python calls per number."""
    return low + int(rng.random() * (high - low + 1))


def _call_fields(
    rng: random.Random,
    fake: Content,
    locale: str,
    ids: _Ids,
    conversation: Conversation,
    *,
    start_time: Timestamp,
    outbound: bool,
    outbound_to: str | None,
    metadata: dict[str, Any] | None,
) -> dict[str, Any]:
    """The call fields that stay the same from ``call_started`` to the end of the call.

    ``outbound`` forces an outbound phone call; every number is drawn either way, so forcing changes nothing else.
    """
    fields: dict[str, Any] = {
        "id": ids.call_id,
        "agent_id": ids.agent_id,
        "agent_name": conversation.agent_name,
        "start_time": start_time,
    }
    by_phone = rng.random() < 0.8 or outbound
    telephony = _telephony(rng, locale, outbound=rng.random() < 0.35 or outbound, callee=outbound_to)
    account_type = rng.choices(("cartesia", "twilio", "sip_trunk"), weights=(4, 4, 2))[0]
    if by_phone:
        fields["telephony_params"] = telephony
        fields["telephony_account_type"] = account_type
    else:
        fields["telephony_account_type"] = "cartesia"
    fields["deployment_id"], fields["deployment_version_id"] = call_deployment(rng, ids.agent_id)
    fields["deployment_region"] = _REGIONS.get(locale, "EU")
    tier = rng.choice(("bronze", "silver", "gold"))
    drawn = {} if rng.random() < 0.2 else {"customer_tier": tier, "crm_id": fake.pattern("CRM-#####")}
    fields["metadata"] = drawn if metadata is None else metadata
    fields["zdr"] = rng.random() < 0.1
    return fields


def _telephony(rng: random.Random, locale: str, *, outbound: bool, callee: str | None = None) -> TelephonyParams:
    agent_number = _ids.phone_number(rng, locale)
    customer_number = _ids.phone_number(rng, locale)
    if callee is not None:
        customer_number = callee
    while agent_number == customer_number:  # some number plans are small (1,000 UK drama numbers)
        agent_number = _ids.phone_number(rng, locale)
    caller, callee = (agent_number, customer_number) if outbound else (customer_number, agent_number)
    return TelephonyParams(
        to=callee,
        from_=caller,
        call_sid=_ids.call_sid(rng),
        direction="outbound" if outbound else "inbound",
        parameters={},
        headers={},
        connection_type="phone",
    )


def _choose_lines(
    rng: random.Random, conversation: Conversation, turns: int | None, end_reason: str, *, outbound: bool
) -> list[Line]:
    """The user and assistant lines actually spoken, ``turns`` of them when it is given."""
    fillers = rng.sample(conversation.fillers, len(conversation.fillers))
    if turns is not None:
        natural = conversation.core + conversation.closing
        if turns <= len(natural):
            return natural[:turns]
        extra = turns - len(natural)
        # An odd count is made even by the callee answering first, as on an outbound call.
        opening = [ANSWER_LINE] if extra % 2 else []
        middle = [line for index in range(extra // 2) for line in fillers[index % len(fillers)]]
        return opening + conversation.core + middle + conversation.closing
    opening = [ANSWER_LINE] if outbound and rng.random() < 0.7 else []
    middle = [line for pair in fillers[: rng.choice((0, 0, 1, 2))] for line in pair]
    lines = opening + conversation.core + middle + conversation.closing
    if end_reason not in _FULL_CALL_END_REASONS:
        # Cancelled, timed-out, dropped and errored calls stop part-way through.
        lines = lines[: _randint(rng, 1, len(lines) - 1)]
    return lines


def _error_message(rng: random.Random, end_reason: str) -> str:
    message = _ERROR_MESSAGES.get(end_reason, "The call failed.")
    return message if isinstance(message, str) else rng.choice(message)


def _summary(conversation: Conversation, end_reason: str, *, resolved: bool, error_message: str | None) -> str:
    if end_reason == "voicemail_detected":
        return f"{conversation.caller_name} did not answer; the agent left a voicemail about {conversation.topic}."
    about = f"{conversation.caller_name} called about {conversation.topic}"
    if error_message is not None:
        return f"{about}, but the call failed before it was resolved: {error_message}"
    if resolved:
        return f"{about}. {conversation.resolution}"
    return f"{about}; the call ended ({end_reason.replace('_', ' ')}) before it was resolved."


def _end_ms(turn: Turn) -> int:
    return round((turn.end_timestamp or 0) * 1000)


def _words(text: str) -> list[str]:
    return text.split(" ")


@dataclass(frozen=True, slots=True)
class _Logging:
    """How the call's agent logs: through the agent SDK (``LogMessage``) or a bare websocket, and how the
    platform writes a system turn's text (``""``, ``None``, or ``_OMITTED``)."""

    sdk: bool
    system_text: object


class _Timeline:
    """Lays out lines in time and turns them into ``Turn`` models, adding the agent's system log turns."""

    def __init__(self, rng: random.Random, domain: str, logging: _Logging) -> None:
        self.rng = rng
        self.domain = domain
        self.logging = logging
        self.metric_index = 0

    def build(self, lines: list[Line], end_reason: str) -> list[Turn]:
        """The call's transcript: every turn is laid out as data, then validated through ``Turn`` in one pass."""
        rng = self.rng
        rates = [rng.uniform(*WORDS_PER_SECOND) for _ in lines]
        texts = [line.text for line in lines]
        overlaps = [0] * len(lines)
        for index, line in enumerate(lines[:-1]):
            following = lines[index + 1]
            if (
                line.role == "assistant"
                and line.tool is None
                and not line.uses_result
                and line.interruptible
                and following.role == "user"
                and rng.random() < INTERRUPTION_RATE
            ):
                words = _words(line.text)
                kept = max(2, round(len(words) * rng.uniform(0.4, 0.8)))
                if kept < len(words):
                    texts[index] = " ".join(words[:kept])
                    spoken_ms = _duration_ms(texts[index], rates[index])
                    limit = min(700, _duration_ms(following.text, rates[index + 1]) - 100, spoken_ms - 100)
                    overlaps[index + 1] = _randint(rng, 150, limit) if limit >= 150 else 0
                    if overlaps[index + 1] == 0:
                        texts[index] = line.text

        turns: list[dict[str, Any]] = []
        cursor = _randint(rng, 300, 1500)
        last_assistant = max((i for i, line in enumerate(lines) if line.role == "assistant"), default=-1)
        user_turns_seen = 0
        previous_end = 0
        for index, line in enumerate(lines):
            # The caller cuts in before an interrupted assistant turn ends.
            start = previous_end - overlaps[index] if overlaps[index] else cursor
            end = start + _duration_ms(texts[index], rates[index])
            interrupted = index + 1 < len(lines) and overlaps[index + 1] > 0
            if line.role == "user":
                turns.append(self._user_turn(texts[index], start, end))
                user_turns_seen += 1
                gap = _randint(rng, *GAP_MS)
                turns.extend(self._system_turns(line, end, gap, first_user=user_turns_seen == 1))
                cursor = end + gap
            else:
                if interrupted:
                    reason = "interrupted"
                elif index == last_assistant and end_reason in _AGENT_ENDS_CALL:
                    reason = "call_ended"
                else:
                    reason = "tts_completed"
                turns.append(self._assistant_turn(line, texts[index], start, end, reason, interrupted))
                cursor = end + _randint(rng, *GAP_MS)
            previous_end = end
        if end_reason == "error" and turns:
            # The agent logs what went wrong just before the call fails.
            at = (round(turns[-1]["end_timestamp"] * 1000) + _randint(rng, 100, 400)) / 1000
            exception = rng.choice(("TimeoutError", "ConnectionResetError", "RuntimeError"))
            turns.append(self._event_turn(at, "agent_error", {"exception": exception}, level="error"))
        # One validation of the whole list: a Turn(...) per turn costs about twice as much.
        return _TURNS.validate_python(turns)

    def _user_turn(self, text: str, start: int, end: int) -> dict[str, Any]:
        return {
            "role": "user",
            "text": text,
            "start_timestamp": start / 1000,
            "end_timestamp": end / 1000,
            "stt_ttfb": round(self.rng.uniform(*STT_TTFB_S), 3),
            "vad_buffer_ms": _randint(self.rng, *VAD_BUFFER_MS),
        }

    def _assistant_turn(
        self, line: Line, text: str, start: int, end: int, reason: str, interrupted: bool
    ) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "role": "assistant",
            "text": text,
            "start_timestamp": start / 1000,
            "end_timestamp": end / 1000,
            "tts_ttfb": round(self.rng.uniform(*TTS_TTFB_S), 3),
            "was_interrupted": interrupted,
            "end_reason": reason,
            "text_chunks": self._chunks(text, start, end),
        }
        if line.tool is not None:
            tool = line.tool
            call = {"id": _ids.tool_call_id(self.rng), "name": tool.name, "arguments": dict(tool.arguments)}
            fields["tool_calls"] = [{**call, "result": tool.result_json()}]
        return fields

    def _chunks(self, text: str, start: int, end: int) -> list[dict[str, Any]]:
        """The turn's text chunks, as plain data: the Turn validates them in one pass (a model each costs more)."""
        words = _words(text)
        chunks: list[dict[str, Any]] = []
        position = 0
        while position < len(words):
            size = 3 + int(self.rng.random() * 4)  # 3 to 6 words (inlined _randint: this loop is hot)
            piece = " ".join(words[position : position + size])
            offset = start + (end - start) * position // len(words)
            chunks.append({"text": piece if position == 0 else " " + piece, "start_timestamp": offset / 1000})
            position += size
        return chunks

    def _system_turns(self, line: Line, user_end: int, gap: int, *, first_user: bool) -> list[dict[str, Any]]:
        """The agent's log entries after a user turn, spread inside the gap before the next turn."""
        # (kind, name, metadata or value)
        entries: list[tuple[str, str, Any]] = []
        if first_user:
            confidence = round(self.rng.uniform(0.7, 0.99), 2)
            entries.append(("event", "intent_detected", {"intent": self.domain, "confidence": confidence}))
        if line.form_answer is not None:
            # The form-filling agent logs each answer as it is given: a metric whose value is a string.
            entries.append(("metric", FORM_ANSWER_METRIC, line.form_answer))
        name = BUILTIN_METRICS[self.metric_index % len(BUILTIN_METRICS)]
        self.metric_index += 1
        entries.append(("metric", name, gap if name == "agent_turn_ms" else _randint(self.rng, 150, 700)))

        turns: list[dict[str, Any]] = []
        step = gap // (len(entries) + 1)
        for position, (kind, entry_name, payload) in enumerate(entries, start=1):
            at = (user_end + step * position) / 1000
            if kind == "event":
                turns.append(self._event_turn(at, entry_name, payload))
            else:
                turns.append(self._system_turn(at, log_metric={"name": entry_name, "value": payload, "timestamp": at}))
        return turns

    def _event_turn(self, at: float, name: str, metadata: dict[str, Any], *, level: str = "info") -> dict[str, Any]:
        """A log event as the agent's logging puts it on the wire."""
        if self.logging.sdk:  # the agent SDK's LogMessage(name, level, message, metadata)
            details = ", ".join(f"{key}={value}" for key, value in metadata.items())
            message = f"{name.replace('_', ' ')}: {details}"
            metadata = {"level": level, "message": message, "metadata": metadata}
        # else a bare websocket message: {"type": "log_event", "event": name, "metadata": {...}}
        return self._system_turn(at, log_event={"event": name, "metadata": metadata, "timestamp": at})

    def _system_turn(
        self, at: float, *, log_event: dict[str, Any] | None = None, log_metric: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        fields: dict[str, Any] = {"role": "system"}
        if self.logging.system_text is not _OMITTED:
            fields["text"] = self.logging.system_text
        fields["start_timestamp"] = fields["end_timestamp"] = at
        fields["log_event" if log_event is not None else "log_metric"] = log_event or log_metric
        return fields


def _duration_ms(text: str, words_per_second: float) -> int:
    return max(1, round(len(_words(text)) / words_per_second * 1000))
