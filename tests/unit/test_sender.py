"""WebhookSender: blocking and awaitable sends reach a real receiver and share one connection pool per target."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness import parse_event
from harness.receiver import create_app
from harness.sender import WebhookSender
from harness.serving import AppServer
from tests.conftest import EVENT_FIXTURES, SECRET, load_fixture


@pytest.fixture
def sender() -> Iterator[WebhookSender]:
    with WebhookSender(secret=SECRET) as sender:
        yield sender


async def test_send_blocks_and_returns_the_delivery(sender: WebhookSender) -> None:
    async with AppServer(create_app(SECRET)) as server:
        delivery = await sender.asend(parse_event(load_fixture("call_started")), url=server.url + "/webhooks")
        assert delivery.ok
        assert delivery.last.status == 200
        assert delivery.event_type == "call_started"


async def test_send_call_keeps_order_and_secret_override(sender: WebhookSender) -> None:
    events = [parse_event(p.read_bytes()) for p in EVENT_FIXTURES if p.stem.startswith("call_")][:4]
    async with AppServer(create_app(SECRET)) as server:
        deliveries = await sender.asend_call(events, url=server.url + "/webhooks")
        assert [d.event_type for d in deliveries] == [e.type for e in events]
        assert all(d.ok for d in deliveries)
        rejected = await sender.asend(events[0], url=server.url + "/webhooks", secret="wrong")
        assert rejected.last.status == 401


def test_blocking_send_from_sync_code() -> None:
    import asyncio

    async def serve_and_send() -> int:
        async with AppServer(create_app(SECRET)) as server:
            # The blocking API must not need the caller's loop: run it in a worker thread of this loop.
            with WebhookSender(server.url + "/webhooks", SECRET) as sender:
                delivery = await asyncio.to_thread(sender.send, parse_event(load_fixture("call_turn")))
            return delivery.last.status or 0

    assert asyncio.run(serve_and_send()) == 200


def test_send_without_url_is_a_clear_error(sender: WebhookSender) -> None:
    with pytest.raises(ValueError, match="no URL"):
        sender.send(b"{}")


def test_threads_sending_to_a_new_target_share_one_pool() -> None:
    import threading

    with WebhookSender(secret=SECRET) as sender:
        start = threading.Barrier(8)
        pools = []

        def first_use() -> None:
            start.wait()
            pools.append(sender._deliverer("http://127.0.0.1:9/webhooks", None))

        threads = [threading.Thread(target=first_use) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=10)
        assert len(pools) == 8
        assert len({id(pool) for pool in pools}) == 1
