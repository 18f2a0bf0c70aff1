"""Reconciliation: acknowledged events against what the probe says was acted on."""

from __future__ import annotations

from typing import Any

from harness.load.reconcile import MAX_EXAMPLES, reconcile


def entry(call: str, kind: str, stamp: str) -> dict[str, Any]:
    return {"type": kind, "call_id": call, "timestamp": stamp, "key": "ignored"}


def test_lost_duplicated_and_unacknowledged_per_type() -> None:
    acked = {("ac_1", "call_started", "t0"): 1, ("ac_1", "call_turn", "t1"): 2, ("ac_1", "call_completed", "t2"): 1}
    entries = [
        entry("ac_1", "call_started", "t0"),
        entry("ac_1", "call_turn", "t1"),
        entry("ac_1", "call_turn", "t1"),  # acted on twice: the re-sent copy was not deduplicated
        entry("ac_1", "post_call_analysis", "t3"),  # acted on, though its request failed
        entry("ac_other", "call_completed", "t2"),  # another run's call: not ours
    ]
    result = reconcile(acked, entries, {"ac_1"})
    assert result.checked == 3
    assert result.lost_counts == {"call_completed": 1}
    assert result.lost == {"call_completed": [("ac_1", "call_completed", "t2")]}
    assert result.duplicated_counts == {"call_turn": 1}
    assert result.duplicated == {"call_turn": [(("ac_1", "call_turn", "t1"), 2)]}
    assert result.unacknowledged == 1
    assert result.to_json()["lost"] == {
        "call_completed": {
            "count": 1,
            "examples": [{"call_id": "ac_1", "type": "call_completed", "timestamp": "t2"}],
        }
    }


def test_a_clean_run_has_nothing_to_report() -> None:
    acked = {("ac_1", "call_started", "t0"): 2}
    result = reconcile(acked, [entry("ac_1", "call_started", "t0")], {"ac_1"})
    assert (result.lost_total, result.duplicated_total, result.unacknowledged) == (0, 0, 0)


def test_counts_stay_exact_when_examples_are_capped() -> None:
    acked = {(f"ac_{i}", "call_turn", "t"): 1 for i in range(MAX_EXAMPLES + 5)}
    result = reconcile(acked, [], {call for call, _, _ in acked})
    assert result.lost_counts == {"call_turn": MAX_EXAMPLES + 5}
    assert len(result.lost["call_turn"]) == MAX_EXAMPLES
