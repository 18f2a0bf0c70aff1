"""Worker ledgers, the master's tally, and its JSON round trip."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from harness.load.tally import LoadTally, WorkerLedger, failure_label, latency_bucket, percentile


def test_a_ledger_batches_what_happened_since_the_last_batch() -> None:
    ledger = WorkerLedger()
    assert not ledger.pending
    ledger.call_started("ac_1")
    ledger.record("call_started", "ac_1", "t0", latency=0.0012, failure=None)
    ledger.record("call_turn", "ac_1", "t1", latency=0.25, failure=failure_label("status", 503))
    ledger.record("call_turn", "ac_1", "t2", latency=None, failure="timeout")
    ledger.call_started("ac_1", replay=True)
    batch = ledger.drain()
    assert batch["calls"] == ["ac_1"]
    assert batch["replays"] == 1
    assert batch["sent"] == {"call_started": 1, "call_turn": 2}
    assert batch["acked"] == {"call_started": 1}
    assert batch["failed"] == {"call_turn": {"HTTP 503": 1, "timeout": 1}}
    assert batch["latency_us"] == {"call_started": {"1200": 1}, "call_turn": {"250000": 1}}
    assert batch["acked_events"] == [["ac_1", "call_started", "t0"]]
    assert batch["final"] is False
    assert not ledger.pending
    assert ledger.drain(final=True)["sent"] == {}


def test_the_master_merges_workers_and_counts_repeated_acknowledgements() -> None:
    tally = LoadTally()
    for worker, index in (("w0", 0), ("w1", 1)):
        ledger = WorkerLedger()
        ledger.call_started(f"ac_{worker}")
        ledger.record("call_started", f"ac_{worker}", "t0", latency=0.001, failure=None)
        ledger.call_started(f"ac_{worker}", replay=True)
        ledger.record("call_started", f"ac_{worker}", "t0", latency=0.003, failure=None)
        tally.merge(worker, json.loads(json.dumps(ledger.drain(final=True))), index=index)  # as msgpack carries it
    assert tally.calls == 2
    assert tally.replays == 2
    assert tally.total("acked") == Counter({"call_started": 4})
    assert tally.acked_events == Counter({("ac_w0", "call_started", "t0"): 2, ("ac_w1", "call_started", "t0"): 2})
    assert all(totals.final for totals in tally.workers.values())
    assert [tally.workers[w].index for w in ("w0", "w1")] == [0, 1]
    assert tally.latency["call_started"] == Counter({1000: 2, 3000: 2})


def test_calls_beyond_the_cap_are_counted_but_not_reconciled() -> None:
    tally = LoadTally(max_calls=2)
    ledger = WorkerLedger()
    for call in ("ac_a", "ac_b", "ac_c"):
        ledger.call_started(call)
        ledger.record("call_started", call, "t", latency=0.001, failure=None)
    tally.merge("w", ledger.drain())
    assert tally.calls == 3
    assert tally.call_ids == {"ac_a", "ac_b"}
    assert tally.unreconciled_calls == 1
    assert set(tally.acked_events) == {("ac_a", "call_started", "t"), ("ac_b", "call_started", "t")}


def test_a_tally_round_trips_through_json() -> None:
    tally = LoadTally()
    ledger = WorkerLedger()
    ledger.call_started("ac_1")
    ledger.record("call_turn", "ac_1", "t", latency=0.01, failure=None)
    ledger.record("call_turn", "ac_1", "u", latency=0.02, failure="refused")
    tally.merge("w", ledger.drain(final=True), index=3)
    tally.elapsed = 2.5
    again = LoadTally.from_json(json.loads(json.dumps(tally.to_json())))
    assert again.to_json() == tally.to_json()
    assert again.workers["w"].failed == {"call_turn": Counter({"refused": 1})}


def test_a_batch_from_another_version_with_missing_keys_is_tolerated() -> None:
    tally = LoadTally()
    tally.merge("w", {"sent": {"call_started": 2}, "unknown": [1, 2]})
    assert tally.total("sent") == Counter({"call_started": 2})
    assert tally.workers["w"].final is False


@pytest.mark.parametrize(
    ("seconds", "bucket"), [(0.0, 1), (0.000042, 42), (0.001234, 1200), (0.0456, 46000), (1.26, 1300000)]
)
def test_latency_buckets_keep_two_significant_digits(seconds: float, bucket: int) -> None:
    assert latency_bucket(seconds) == bucket


def test_percentiles_are_nearest_rank() -> None:
    histogram = Counter({1000: 18, 5000: 1, 9000: 1})  # 20 answers
    assert percentile(histogram, 0.5) == 0.001
    assert percentile(histogram, 0.95) == 0.005  # rank 19
    assert percentile(histogram, 0.99) == 0.009  # rank 20
    assert percentile(Counter(), 0.5) is None
