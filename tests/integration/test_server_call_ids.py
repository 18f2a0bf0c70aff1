"""Call ids never repeat within a server's life, even once the Calls API has forgotten the older calls."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from harness.server import MockServer
from tests.integration.server_helpers import RecordingReceiver, server_config


@pytest.fixture
async def server(receiver: RecordingReceiver) -> AsyncIterator[MockServer]:
    async with MockServer(server_config(receiver.url, max_calls=2)) as running:
        yield running


async def start_and_finish(server: MockServer) -> list[str]:
    call_ids = await server.start_calls(calls=2, seed=1, pacing="fast", turns=2)
    await server.wait_for_calls(call_ids)
    return call_ids


async def test_forgotten_calls_do_not_give_their_ids_to_new_calls(server: MockServer) -> None:
    batches = [await start_and_finish(server) for _ in range(3)]

    all_ids = [call_id for batch in batches for call_id in batch]
    assert len(set(all_ids)) == 6
    assert len(server.calls) == 2  # the cap still applies: only the newest calls are remembered


async def test_after_clear_the_same_seed_gives_the_same_ids_again(server: MockServer) -> None:
    first = await start_and_finish(server)
    await start_and_finish(server)
    await server.aclear()

    assert await start_and_finish(server) == first
