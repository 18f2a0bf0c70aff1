"""A receiver that drips its response head a byte per packet: the other deliveries go on meanwhile, and the
dripped head is read whole. (That reading it costs CPU time linear in its length is measured where the
packets can be made one byte each for sure: tests/unit/test_http1.py.)
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from harness.delivery import Deliverer, DeliverySettings
from harness.serving import AppServer
from tests.conftest import SECRET
from tests.integration.server_helpers import ok_app

DRIP_RECEIVER = Path(__file__).resolve().parent.parent / "receivers" / "drip_receiver.py"
BODY = b'{"type":"call_turn","call_id":"ac_drip"}'
DRIPPED = 60_000  # bytes of the dripped header value (the head cap is 64 KiB)


@pytest.fixture
def drip_url() -> Iterator[str]:
    command = [sys.executable, str(DRIP_RECEIVER)]
    with subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) as process:
        assert process.stdin is not None
        assert process.stdout is not None
        try:
            yield f"http://127.0.0.1:{int(process.stdout.readline())}/hook"
        finally:
            process.stdin.close()  # the receiver's signal to stop
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture
async def prompt_url() -> AsyncIterator[str]:
    async with AppServer(ok_app("/hook")) as server:
        yield server.url + "/hook"


async def test_other_deliveries_go_on_while_a_head_drips(drip_url: str, prompt_url: str) -> None:
    async with Deliverer(prompt_url, SECRET, settings=DeliverySettings(timeout=60)) as deliverer:
        dripping = asyncio.create_task(deliverer.deliver(BODY, url=f"{drip_url}?bytes={DRIPPED}"))
        during: list[bool] = []
        while not dripping.done():
            delivery = await deliverer.deliver(BODY)
            if not dripping.done():
                during.append(delivery.ok)
        dripped = await dripping

    assert (dripped.last.status, dripped.last.failure) == (200, None)
    assert dripped.last.header("X-Drip") == "d" * DRIPPED
    assert dripped.last.response_body == b"ok"
    # Deliveries kept being answered while the head was still arriving, and every one of them succeeded.
    assert len(during) >= 5
    assert all(during)
