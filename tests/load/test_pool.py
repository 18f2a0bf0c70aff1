"""The call pool: generated once from a seed, handed out in order, replayed under fresh call ids."""

from __future__ import annotations

import json

import pytest

from harness.errors import ConfigError
from harness.generate import derive_seed, simulate_call
from harness.load.pool import MAX_POOL_CALLS, CallPool
from harness.models import Timestamp, parse_event


def test_the_same_seed_gives_the_same_calls_and_another_seed_other_ones() -> None:
    first, again, other = CallPool(seed=5, size=3), CallPool(seed=5, size=3), CallPool(seed=6, size=3)
    assert [call.events for call in first.calls] == [call.events for call in again.calls]
    assert {c.call_id for c in first.calls}.isdisjoint(c.call_id for c in other.calls)


def test_pooled_events_are_the_simulators_bytes_with_the_pause_before_each() -> None:
    pool = CallPool(seed=5, size=1)
    [call] = pool.calls
    events = simulate_call(seed=derive_seed(5, 0))
    assert [e.body for e in call.events] == [event.to_json() for event in events]
    assert [e.type for e in call.events] == [event.type for event in events]
    assert call.events[0].gap == 0
    start = Timestamp(call.events[0].timestamp).nanoseconds
    end = Timestamp(call.events[-1].timestamp).nanoseconds
    assert call.duration == pytest.approx((end - start) / 1e9)
    assert all(event.gap >= 0 for event in call.events)


def test_every_template_once_then_again_under_fresh_ids_with_everything_else_equal() -> None:
    pool = CallPool(seed=9, size=2)
    served = [pool.next_call() for _ in range(6)]
    assert served[:2] == pool.calls
    ids = [call.call_id for call in served]
    assert len(set(ids)) == 6
    replay, template = served[2], pool.calls[0]
    for fresh, original in zip(replay.events, template.events, strict=True):
        event = parse_event(fresh.body)
        assert event.call_id == replay.call_id
        assert template.call_id.encode() not in fresh.body
        assert json.loads(fresh.body.replace(replay.call_id.encode(), template.call_id.encode())) == json.loads(
            original.body
        )
        assert (fresh.type, fresh.timestamp, fresh.gap) == (original.type, original.timestamp, original.gap)


def test_each_call_names_its_events_distinctly_for_the_reconciliation() -> None:
    pool = CallPool(seed=1, size=20)
    for call in pool.calls:
        assert len({(e.type, e.timestamp) for e in call.events}) == len(call.events)


@pytest.mark.parametrize("size", [0, -1, MAX_POOL_CALLS + 1, True])
def test_pool_size_is_bounded(size: int) -> None:
    with pytest.raises(ConfigError, match=f"pool size: expected a number of calls from 1 to {MAX_POOL_CALLS}"):
        CallPool(seed=1, size=size)


def test_pause_runs_after_each_generated_call() -> None:
    pauses: list[None] = []
    CallPool(seed=1, size=4, pause=lambda: pauses.append(None))
    assert len(pauses) == 4
