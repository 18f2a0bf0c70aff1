"""The integration tests' fixtures: a recording receiver, a mock server delivering to it, an HTTP client, and the
same on a background thread for synchronous tests. A test module needing other settings overrides one."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest

from harness.server import MockServer, MockServerThread
from tests.integration.server_helpers import RecordingReceiver, server_config, threaded_receiver


@pytest.fixture
async def receiver() -> AsyncIterator[RecordingReceiver]:
    """A receiver recording every POST to ``receiver.url``, answering 200 at once."""
    async with RecordingReceiver() as running:
        yield running


@pytest.fixture
async def server(receiver: RecordingReceiver) -> AsyncIterator[MockServer]:
    """A mock server delivering to ``receiver`` with ``SECRET``, its log in memory."""
    async with MockServer(server_config(receiver.url)) as running:
        yield running


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """An HTTP client session."""
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def receiver_url() -> Iterator[str]:
    """The URL of a receiver answering 200, running on its own thread (as a user's app runs beside sync tests)."""
    with threaded_receiver() as url:
        yield url


@pytest.fixture
def server_thread(receiver_url: str) -> Iterator[MockServerThread]:
    """A mock server on a background thread, delivering to ``receiver_url`` with ``SECRET``."""
    with MockServerThread(server_config(receiver_url)) as running:
        yield running
