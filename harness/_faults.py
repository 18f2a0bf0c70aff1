"""Seeded fault injection: duplicates (one after the other or at once), reordering, drops and unknown events."""

from __future__ import annotations

import random
from dataclasses import replace

from harness._plan import PlannedCall, PlannedDelivery
from harness._scenario_settings import Faults
from harness.models import FUTURE_EVENT_TYPES, BaseEvent, UnknownEvent

__all__ = ["FAULT_KINDS", "inject_faults"]

FAULT_KINDS = ("duplicate", "concurrent_duplicate", "reordered", "dropped", "unknown_event")


def _unknown_event(like: BaseEvent, rng: random.Random) -> BaseEvent:
    return UnknownEvent.model_validate(
        {
            "type": rng.choice(FUTURE_EVENT_TYPES),
            **{k: v for k, v in like.to_wire().items() if k in ("call_id", "agent_id", "webhook_id", "timestamp")},
            "detail": {"note": "an event type this receiver has never seen", "version": 2},
        }
    )


def inject_faults(
    index: int,
    call_id: str,
    events: list[BaseEvent],
    offsets: list[float],
    faults: Faults,
    rng: random.Random,
) -> PlannedCall:
    """The deliveries of one call's ``events`` (sent ``offsets`` seconds after the call starts), with faults."""
    bodies = [event.to_json() for event in events]
    # Columns by send position; faults and offsets belong to positions, events and bodies move with a swap.
    sent, sent_bodies, offsets = list(events), list(bodies), list(offsets)
    fault_of: list[str | None] = [None] * len(sent)
    origin: list[int | None] = list(range(len(sent)))
    if faults.unknown_events and len(sent) > 1 and rng.random() < faults.unknown_events:
        position = rng.randint(1, len(sent) - 1)
        unknown = _unknown_event(sent[position - 1], rng)
        sent.insert(position, unknown)
        sent_bodies.insert(position, unknown.to_json())
        offsets.insert(position, offsets[position - 1])
        fault_of.insert(position, "unknown_event")
        origin.insert(position, None)
    if faults.reorder and rng.random() < faults.reorder:
        # Swap a few adjacent pairs after call_started; each swapped event keeps its own send time slot.
        swaps = max(1, len(sent) // 6)
        for _ in range(swaps):
            if len(sent) < 3:
                break
            i = rng.randint(1, len(sent) - 2)
            sent[i], sent[i + 1] = sent[i + 1], sent[i]
            sent_bodies[i], sent_bodies[i + 1] = sent_bodies[i + 1], sent_bodies[i]
            origin[i], origin[i + 1] = origin[i + 1], origin[i]
            fault_of[i], fault_of[i + 1] = "reordered", "reordered"
    planned: list[PlannedDelivery] = []
    agent_id = events[0].agent_id if events else None
    rows = zip(sent, sent_bodies, offsets, fault_of, origin, strict=True)
    for seq, (event, body, offset, fault, event_index) in enumerate(rows):
        delay = faults.delay + (rng.uniform(0, faults.jitter) if faults.jitter else 0.0)
        dropped = bool(faults.drop) and rng.random() < faults.drop
        base = PlannedDelivery(
            call_index=index,
            call_id=call_id,
            seq=seq,
            body=body,
            event_type=event.type,
            event_index=event_index,
            at=offset,
            delay=round(delay, 6),
            fault="dropped" if dropped else fault,
            dropped=dropped,
        )
        planned.append(base)
        if dropped:
            continue
        if faults.duplicates and rng.random() < faults.duplicates:
            planned.append(_copy(base, fault="duplicate", concurrent=False))
        if faults.concurrent_duplicates and rng.random() < faults.concurrent_duplicates:
            planned.append(_copy(base, fault="concurrent_duplicate", concurrent=True))
    return PlannedCall(index=index, call_id=call_id, agent_id=agent_id, event_bodies=bodies, deliveries=planned)


def _copy(base: PlannedDelivery, *, fault: str, concurrent: bool) -> PlannedDelivery:
    return replace(base, fault=fault, concurrent_with_previous=concurrent)
