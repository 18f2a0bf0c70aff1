"""Handling checks: every payload the platform may send is acknowledged with a 2xx, malformed ones with a 4xx."""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from typing import Any

from harness.checks import payloads
from harness.checks.context import CheckContext
from harness.checks.registry import check
from harness.checks.violations import (
    EndReasonRejected,
    LegacyFormatRefused,
    MalformedJsonMishandled,
    UnknownEventTypeRejected,
)
from harness.delivery import Delivery
from harness.errors import HarnessError
from harness.generate import COMPLETED_END_REASONS
from harness.legacy import to_2025_format
from harness.models import END_REASONS, FUTURE_EVENT_TYPES, BaseEvent, CallTurn

# Values outside the documented ten occur; the agent SDK speaks of voicemail_detected.
UNKNOWN_END_REASONS = ("voicemail_detected", "transferred_to_human")
# Besides the envelope, an event of a type Cartesia adds one day carries an object the receiver cannot know.
FUTURE_EVENT_DETAIL: dict[str, Any] = {"detail": {"note": "an event type this receiver has never seen", "version": 2}}
LARGE_PAYLOAD_BYTES = 1024 * 1024
ENVELOPE = ("call_id", "agent_id", "webhook_id", "timestamp")


@check(area="handling")
async def handles_legacy_fields(ctx: CheckContext) -> None:
    """Events carrying the legacy top-level body and end_reason (as the platform sends today) get a 2xx."""
    calls = [ctx.call(label="completed"), ctx.call(label="failed", outcome="error", turns=1)]
    deliveries = await ctx.send_calls(calls)
    ctx.expect_accepted([d for call in deliveries for d in call], "an event with the legacy body and end_reason fields")


@check(area="handling")
async def handles_payload_without_legacy_fields(ctx: CheckContext) -> None:
    """Events without the legacy body and end_reason copies (read call.transcript, turn) get a 2xx."""
    calls = [
        ctx.call(label="completed", legacy_fields=False),
        ctx.call(label="failed", outcome="error", turns=1, legacy_fields=False),
    ]
    deliveries = await ctx.send_calls(calls)
    ctx.expect_accepted([d for call in deliveries for d in call], "an event without the legacy fields")


@check(area="handling")
async def handles_legacy_2025_format(ctx: CheckContext) -> None:
    """A call_completed in the 2025 format (no call object, transcript in body) gets a 2xx; a warning if not."""
    ended = payloads.call_wire(ctx.call(label="2025"))[-2]
    delivery = await ctx.send(to_2025_format(ended))
    if not delivery.ok:
        raise LegacyFormatRefused(delivery)


@check(area="handling")
async def tolerates_unknown_event_type(ctx: CheckContext) -> None:
    """An event type the receiver does not know gets a 2xx (Cartesia may add more types)."""
    events = payloads.call_wire(ctx.call(turns=1))
    envelope: dict[str, Any] = {key: events[1][key] for key in ENVELOPE if key in events[1]}
    unknown: list[payloads.Wire] = [
        {"type": kind, **envelope, **copy.deepcopy(FUTURE_EVENT_DETAIL)} for kind in FUTURE_EVENT_TYPES
    ]
    deliveries = await ctx.send_in_order([events[0], *unknown, *events[1:]])
    bad = [d for d in deliveries if d.event_type in FUTURE_EVENT_TYPES and not d.ok]
    if bad:
        raise UnknownEventTypeRejected(bad)


@check(area="handling")
async def tolerates_unknown_fields(ctx: CheckContext) -> None:
    """Events with fields the receiver does not know, at any depth, get a 2xx."""
    events = payloads.inject_unknown_fields(payloads.call_wire(ctx.call()))
    ctx.expect_accepted(await ctx.send_in_order(events), "an event with unknown fields")


@check(area="handling")
async def tolerates_missing_optional_fields(ctx: CheckContext) -> None:
    """Events whose optional fields are left out (turns with only a role) get a 2xx."""
    events = payloads.strip_optionals(payloads.call_wire(ctx.call()))
    ctx.expect_accepted(await ctx.send_in_order(events), "an event without its optional fields")


@check(area="handling")
async def tolerates_null_optional_fields(ctx: CheckContext) -> None:
    """Events whose optional fields are null get a 2xx."""
    events = payloads.null_optionals(payloads.call_wire(ctx.call()))
    ctx.expect_accepted(await ctx.send_in_order(events), "an event with null optional fields")


@check(area="handling")
async def handles_every_end_reason(ctx: CheckContext) -> None:
    """Calls ending with each of the ten known end reasons, and unknown ones, get a 2xx."""
    calls: list[Sequence[BaseEvent | payloads.Wire]] = [
        ctx.call(label=reason, outcome=reason, turns=1) for reason in END_REASONS
    ]
    for reason in UNKNOWN_END_REASONS:
        base = payloads.call_wire(ctx.call(label=reason, outcome=COMPLETED_END_REASONS[0], turns=1))
        calls.append(payloads.with_end_reason(base, reason))
    deliveries = [d for call in await ctx.send_calls(calls) for d in call]
    bad = [d for d in deliveries if not d.ok]
    if bad:
        raise EndReasonRejected(bad, _end_reason(bad[0]))


def _end_reason(delivery: Delivery) -> str:
    try:
        data = json.loads(delivery.body)
        return str((data.get("call") or {}).get("end_reason") or data.get("end_reason"))
    except (ValueError, AttributeError):
        return "?"


# Metric values an agent's own metrics may carry (the SDK's built-in timing metrics stay numbers).
METRIC_VALUES: tuple[Any, ...] = ("Jane Doe", True, {"answer": "yes", "confidence": 0.9}, ["a", 1], None, 3.5)


@check(area="handling")
async def handles_system_log_turns(ctx: CheckContext) -> None:
    """System turns in every shape (log events both ways, any metric value, text empty/omitted/null) get a 2xx."""
    calls: list[Sequence[BaseEvent | payloads.Wire]] = []
    for index, text in enumerate(payloads.SYSTEM_TEXT_SHAPES):
        events = ctx.call(label=f"system-{text}", domain="form_intake", turns=6)
        if not any(isinstance(e, CallTurn) and e.turn is not None and e.turn.role == "system" for e in events):
            raise HarnessError("the call generator made no system turn; this is a bug in the harness")
        values = METRIC_VALUES[index * 2 : index * 2 + 2]
        shaped = payloads.with_system_turn_shape(
            payloads.call_wire(events), text=text, sdk_log_events=index % 2 == 1, metric_values=values
        )
        calls.append(shaped)
    deliveries = [d for call in await ctx.send_calls(calls) for d in call]
    ctx.expect_accepted(deliveries, "a call with system log turns")


@check(area="handling")
async def handles_tool_calls(ctx: CheckContext) -> None:
    """Turns with tool calls, including arguments and results the agent SDK truncated, get a 2xx."""
    events = payloads.truncated_tool_calls(payloads.call_wire(ctx.call(domain="order_status", turns=3)))
    ctx.expect_accepted(await ctx.send_in_order(events), "a call with tool calls")


@check(area="handling")
async def handles_unicode_text(ctx: CheckContext) -> None:
    """Turns in many scripts, with emoji, combining marks and RTL text, get a 2xx."""
    events = payloads.with_text(payloads.call_wire(ctx.call(turns=len(payloads.UNICODE_LINES))), payloads.UNICODE_LINES)
    ctx.expect_accepted(await ctx.send_in_order(events), "a call with non-ASCII text")


@check(area="handling")
async def handles_noncanonical_json(ctx: CheckContext) -> None:
    """The same events written as different but equal JSON (key order, whitespace, escapes) get a 2xx."""
    events = payloads.call_wire(ctx.call(turns=1))
    bodies = [payloads.noncanonical_json(event) for event in events]
    deliveries = [
        await ctx.send(body, event_type=event["type"], call_id=event.get("call_id"))
        for body, event in zip(bodies, events, strict=True)
    ]
    ctx.expect_accepted(deliveries, "an event written as non-canonical JSON")


@check(area="handling")
async def handles_large_payload(ctx: CheckContext) -> None:
    """A long call's call_completed of 1 MiB or more gets a 2xx."""
    turns = 1000
    while True:
        events = ctx.call(label=f"large-{turns}", turns=turns)
        ended = next(e for e in events if e.type == "call_completed")
        size = len(ended.to_json())
        if size > LARGE_PAYLOAD_BYTES:
            break
        turns = int(turns * LARGE_PAYLOAD_BYTES / size * 1.05) + 1
    deliveries = await ctx.send_in_order([events[0], ended, events[-1]])
    ctx.expect_accepted(deliveries, f"a {len(ended.to_json()) / 1024 / 1024:.1f} MiB call_completed")


@check(area="handling")
async def rejects_malformed_json(ctx: CheckContext) -> None:
    """A body that is not valid JSON gets a 4xx (a 2xx is tolerated; a 3xx, 5xx or dropped connection fails)."""
    event = payloads.call_wire(ctx.call(turns=1))[0]
    text = json.dumps(event).encode()
    delivery = await ctx.send(text[: len(text) // 2], event_type=event["type"], call_id=event["call_id"])
    status = delivery.last.status
    if status is not None and (200 <= status < 300 or 400 <= status < 500):
        return  # 4xx: rejected; 2xx: a receiver may acknowledge first and validate later
    raise MalformedJsonMishandled(delivery)
