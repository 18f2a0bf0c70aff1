"""A call batch's status and counters, derived from its recipients as the platform documents."""

from __future__ import annotations

from harness.server.batch_state import MAX_BATCHES, BatchRegistry, CallBatch, Recipient


def batch(*statuses: str, cancelled: bool = False) -> CallBatch:
    recipients = [
        Recipient(
            id=f"acbr_{i}",
            to_number=f"+1415555010{i}",
            metadata=None,
            created_at="2026-03-01T12:00:00Z",
            status=status,
            agent_call_id=None if status in ("queued", "cancelled") else f"ac_{i}",
        )
        for i, status in enumerate(statuses)
    ]
    return CallBatch(
        id="acb_x",
        name="n",
        agent_id="agent_x",
        from_number_id=None,
        region="US",
        target_concurrency_limit=2,
        created_at="2026-03-01T12:00:00Z",
        recipients=recipients,
        cancelled=cancelled,
    )


def no_calls(call_id: str) -> str | None:
    return None


def test_status_follows_dispatch_progress() -> None:
    assert batch("queued", "queued").to_json(no_calls)["status"] == "pending"
    assert batch("dispatched", "queued").to_json(no_calls)["status"] == "in_progress"
    assert batch("dispatched", "completed").to_json(no_calls)["status"] == "completed"
    assert batch("dispatched", "cancelled", cancelled=True).to_json(no_calls)["status"] == "cancelled"
    failed_before_dialling = batch("queued", "queued")
    for recipient in failed_before_dialling.recipients:
        recipient.status = "failed"  # start_calls refused: no call was placed
    assert failed_before_dialling.to_json(no_calls)["status"] == "failed"


def test_counters_and_recipients_follow_the_calls() -> None:
    b = batch("dispatched", "dispatched", "queued")
    ended = {"ac_0": "completed", "ac_1": "started"}
    data = b.to_json(ended.get, recipients=True)
    assert (data["total_calls_scheduled"], data["total_calls_dispatched"], data["total_calls_finished"]) == (3, 2, 1)
    assert [r["status"] for r in data["recipients"]] == ["completed", "dispatched", "queued"]
    assert data["recipients"][0]["metadata"] == {}
    assert "recipients" not in b.to_json(ended.get)


def test_the_registry_forgets_the_oldest_idle_batches_past_its_cap() -> None:
    registry = BatchRegistry()
    for index in range(MAX_BATCHES):
        b = batch("completed")
        b.id = f"acb_{index}"
        assert registry.add(b)
    newest = batch("completed")
    newest.id = "acb_new"
    assert registry.add(newest)
    assert len(registry) == MAX_BATCHES
    assert registry.get("acb_0") is None
    assert registry.newest_first()[0] is newest
