"""Call batches: each recipient becomes an outbound call whose webhooks go out; cancel stops the dialling."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest

from harness.server import MockServer
from harness.server.batches_api import MAX_RECIPIENTS
from tests.integration.server_helpers import RecordingReceiver, call_json, server_config

AUTH = {"Authorization": "Bearer sk_test_key", "Cartesia-Version": "2026-08-14"}
BATCHES = "/agents/calls/batches"


async def call(http: aiohttp.ClientSession, method: str, url: str, **kwargs: Any) -> tuple[int, Any]:
    return await call_json(http, method, url, headers=AUTH, **kwargs)


def batch_request(server: MockServer, numbers: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "name": "March outreach",
        "agent_id": server.config.agent_id,
        "from_number_id": "ap_Q8PRh7lXyZsawXJmN2KcT5",
        "recipients": [{"to_number": n, "metadata": {"customer_id": f"cust_{i}"}} for i, n in enumerate(numbers)],
        **extra,
    }


async def wait_until_dialled(http: aiohttp.ClientSession, url: str, deadline: float = 30) -> dict[str, Any]:
    """Poll the batch until every recipient's call finished (a deadline, not a sleep)."""
    async with asyncio.timeout(deadline):
        while True:
            _, batch = await call(http, "GET", url)
            if batch["total_calls_finished"] == batch["total_calls_scheduled"]:
                return dict(batch)
            await asyncio.sleep(0.02)


async def test_a_batch_places_one_outbound_call_per_recipient_and_their_webhooks_go_out(
    http: aiohttp.ClientSession,
) -> None:
    numbers = ["+14155550101", "+14155550102", "+14155550103"]
    async with RecordingReceiver() as receiver:
        config = server_config(receiver.url)
        async with MockServer(config) as server:
            status, created = await call(http, "POST", server.url + BATCHES, json=batch_request(server, numbers))
            assert status == 201
            assert created["id"].startswith("acb_")
            assert (created["name"], created["agent_id"], created["region"]) == (
                "March outreach",
                server.config.agent_id,
                "US",
            )
            assert created["total_calls_scheduled"] == 3
            assert created["retry_count"] == 0
            assert "recipients" not in created
            batch = await wait_until_dialled(http, f"{server.url}{BATCHES}/{created['id']}")
            assert batch["status"] == "completed"
            assert batch["total_calls_dispatched"] == 3
            by_number = {r["to_number"]: r for r in batch["recipients"]}
            assert set(by_number) == set(numbers)
            assert {r["status"] for r in batch["recipients"]} <= {"completed", "failed"}

            _, listed = await call(http, "GET", server.url + "/agents/calls", params={"batch_id": created["id"]})
            assert {c["id"] for c in listed["data"]} == {r["agent_call_id"] for r in batch["recipients"]}
            await server.wait_for_calls([c["id"] for c in listed["data"]])
            _, unbatched = await call(http, "GET", server.url + "/agents/calls", params={"batch_id": "acb_other"})
            assert unbatched["data"] == []

            started = [json.loads(r.body) for r in receiver.received if b'"call_started"' in r.body]
            assert len(started) == 3
            for event in started:
                recipient = by_number[event["call"]["telephony_params"]["to"]]
                assert event["call_id"] == recipient["agent_call_id"]
                assert event["call"]["telephony_params"]["direction"] == "outbound"
                assert event["call"]["metadata"] == recipient["metadata"]
            _, page = await call(http, "GET", server.url + BATCHES)
            assert [b["id"] for b in page["data"]] == [created["id"]]
            assert "recipients" not in page["data"][0]


async def test_cancel_stops_the_recipients_not_yet_dialled_and_lets_the_call_in_progress_finish(
    http: aiohttp.ClientSession,
) -> None:
    numbers = [f"+1415555{index:04d}" for index in range(5)]
    async with RecordingReceiver(hold=True) as receiver:
        config = server_config(receiver.url)
        async with MockServer(config) as server:
            request = batch_request(server, numbers, target_concurrency_limit=1)
            _, created = await call(http, "POST", server.url + BATCHES, json=request)
            url = f"{server.url}{BATCHES}/{created['id']}"
            await receiver.wait_for(1)  # the first recipient's call_started is in flight, held by the receiver
            status, cancelled = await call(http, "POST", url + "/cancel")
            assert status == 200
            assert cancelled["status"] == "cancelled"
            assert cancelled["total_calls_dispatched"] == 1
            status, again = await call(http, "POST", url + "/cancel")  # idempotent
            assert (status, again["status"], again["total_calls_dispatched"]) == (200, "cancelled", 1)
            receiver.release()
            batch = None
            async with asyncio.timeout(30):
                while batch is None or batch["total_calls_finished"] < 1:
                    _, batch = await call(http, "GET", url)
            statuses = [r["status"] for r in batch["recipients"]]
            assert statuses[0] in ("completed", "failed")  # the call in progress finished
            assert statuses[1:] == ["cancelled"] * 4
            assert [r["agent_call_id"] for r in batch["recipients"][1:]] == [None] * 4
            _, listed = await call(http, "GET", server.url + "/agents/calls", params={"batch_id": created["id"]})
            assert [c["id"] for c in listed["data"]] == [batch["recipients"][0]["agent_call_id"]]
            await server.wait_for_calls()
            call_ids = {json.loads(r.body)["call_id"] for r in receiver.received}
            assert call_ids == {batch["recipients"][0]["agent_call_id"]}


async def test_retry_dials_again_only_the_recipients_whose_calls_failed(http: aiohttp.ClientSession) -> None:
    async with RecordingReceiver() as receiver:
        config = server_config(receiver.url)
        async with MockServer(config) as server:
            numbers = [f"+4477009000{index:02d}" for index in range(12)]
            _, created = await call(http, "POST", server.url + BATCHES, json=batch_request(server, numbers))
            url = f"{server.url}{BATCHES}/{created['id']}"
            first = await wait_until_dialled(http, url)
            failed = {r["id"]: r["agent_call_id"] for r in first["recipients"] if r["status"] == "failed"}
            assert failed  # the seeds of a fresh server give some failed calls among these twelve
            async with asyncio.timeout(30):
                while True:  # the dialler may still be finishing after the last call ended
                    status, retried = await call(http, "POST", url + "/retry")
                    if status == 200:
                        break
                    assert (status, retried["title"]) == (400, "Batch still dialling")
                    await asyncio.sleep(0.02)
            assert retried["retry_count"] == 1
            second = await wait_until_dialled(http, url)
            for recipient in second["recipients"]:
                if recipient["id"] in failed:
                    assert recipient["agent_call_id"] != failed[recipient["id"]]  # a new call
                else:
                    before = next(r for r in first["recipients"] if r["id"] == recipient["id"])
                    assert recipient["agent_call_id"] == before["agent_call_id"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"recipients": []}, "Invalid recipients"),
        ({"recipients": [{"to_number": "555-0100"}]}, "Invalid recipients"),
        ({"recipients": [{"to_number": "+14155550100", "metadata": "x"}]}, "Invalid recipients"),
        ({"recipients": [{"to_number": "+14155550100"}] * (MAX_RECIPIENTS + 1)}, "Invalid recipients"),
        ({"agent_id": None}, "Missing agent_id"),
        ({"agent_id": "agent_someone_else"}, "Agent not found"),
        ({"target_concurrency_limit": 0}, "Invalid target_concurrency_limit"),
        ({"target_concurrency_limit": 101}, "Invalid target_concurrency_limit"),
        ({"scheduled_at": "2020-01-01T00:00:00Z"}, "Invalid scheduled_at"),
        ({"scheduled_at": "tomorrow"}, "Invalid scheduled_at"),
        ({"region": "MARS"}, "Invalid region"),
    ],
)
async def test_bad_batch_requests_get_a_clear_400_or_404(
    http: aiohttp.ClientSession, change: dict[str, Any], message: str
) -> None:
    async with RecordingReceiver() as receiver:
        config = server_config(receiver.url)
        async with MockServer(config) as server:
            request = {**batch_request(server, ["+14155550100"]), **change}
            status, body = await call(http, "POST", server.url + BATCHES, json=request)
            assert status in (400, 404)
            assert body["title"] == message
            assert len(server.calls.batches) == 0
            assert len(server.calls) == 0
            status, body = await call(http, "GET", f"{server.url}{BATCHES}/acb_missing")
            assert (status, body["title"]) == (404, "Call batch not found")


async def test_clearing_or_stopping_the_server_stops_a_batch_dialling(http: aiohttp.ClientSession) -> None:
    numbers = [f"+1415555{index:04d}" for index in range(30)]
    async with RecordingReceiver(hold=True) as receiver:
        config = server_config(receiver.url)
        async with MockServer(config) as server:
            request = batch_request(server, numbers, target_concurrency_limit=1)
            _, created = await call(http, "POST", server.url + BATCHES, json=request)
            await receiver.wait_for(1)
            [task] = [b.task for b in server.calls.batches.newest_first()]
            assert task is not None
            await server.aclear()
            receiver.release()
            await asyncio.gather(task, return_exceptions=True)
            assert task.cancelled()
            status, _ = await call(http, "GET", f"{server.url}{BATCHES}/{created['id']}")
            assert status == 404
            assert len(server.calls) == 0  # no recipient was dialled after the clear
            _, created = await call(http, "POST", server.url + BATCHES, json=request)
            [task] = [b.task for b in server.calls.batches.newest_first()]
        assert task is not None
        assert task.done()  # stopping the server stopped the dialling
        assert server.errors == []
