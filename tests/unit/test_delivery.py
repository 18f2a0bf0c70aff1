"""The delivery engine: headers, masking, retry policy, recording, and the exact bytes on the wire."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from aiohttp import web
from multidict import MultiDict

from harness._http1 import HTTPFailure
from harness.delivery import (
    MASK,
    USER_AGENT,
    Attempt,
    Deliverer,
    Delivery,
    DeliverySettings,
    FailureKind,
    classify_failure,
    mask_secret,
    webhook_headers,
)
from harness.delivery._echoes import mask_echoes
from harness.models import parse_event
from harness.serving import AppServer
from tests.conftest import SECRET, load_fixture


@dataclass
class Seen:
    """What the test receiver got, and the statuses it will answer with (then 200)."""

    statuses: list[int] = field(default_factory=list)
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)


@dataclass
class ListRecorder:
    """An AttemptRecorder keeping (delivery id, attempt number) in order."""

    calls: list[tuple[str, int]] = field(default_factory=list)

    def record_attempt(self, delivery: Delivery, attempt: Attempt) -> None:
        self.calls.append((delivery.id, attempt.number))


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[AppServer, Seen]]:
    seen = Seen()

    async def hook(request: web.Request) -> web.Response:
        seen.requests.append((dict(request.headers), await request.read()))
        status = seen.statuses.pop(0) if seen.statuses else 200
        return web.Response(status=status, text=f"answer {status}")

    app = web.Application()
    app.router.add_post("/hook", hook)
    async with AppServer(app) as server:
        yield server, seen


def test_webhook_headers_carry_the_secret() -> None:
    assert webhook_headers("s3cret") == {"Content-Type": "application/json", "X-Webhook-Secret": "s3cret"}
    assert webhook_headers(None) == {"Content-Type": "application/json"}


def test_mask_secret_joins_a_repeated_header_in_order_and_masks_every_secret() -> None:
    headers = MultiDict([("X-Trace", "a"), ("X-Webhook-Secret", "s1"), ("x-trace", "b"), ("x-webhook-secret", "s2")])
    assert mask_secret(headers) == {"X-Trace": "a, b", "X-Webhook-Secret": f"{MASK}, {MASK}"}


def test_mask_secret_masks_any_casing_and_keeps_empty() -> None:
    masked = mask_secret({"x-webhook-SECRET": "s3cret", "Content-Type": "application/json"})
    assert masked == {"x-webhook-SECRET": MASK, "Content-Type": "application/json"}
    assert mask_secret({"X-Webhook-Secret": ""}) == {"X-Webhook-Secret": ""}


def test_backoff_schedule_repeats_its_last_step() -> None:
    settings = DeliverySettings(backoff=(0.5, 2.0))
    assert [settings.delay_before(n) for n in (1, 2, 3, 4)] == [0.5, 2.0, 2.0, 2.0]
    assert DeliverySettings(backoff=()).delay_before(3) == 0.0


def test_classify_failure_names_the_kind() -> None:
    assert classify_failure(TimeoutError(), 2.5) == (FailureKind.TIMEOUT, "no complete response within 2.5 s")
    assert classify_failure(HTTPFailure(FailureKind.INVALID_HTTP, "bad status line"), 1) == (
        "invalid_http",
        "bad status line",
    )
    assert classify_failure(ConnectionResetError(104, "reset"), 1)[0] == FailureKind.RESET
    assert classify_failure(ConnectionRefusedError(), 1)[0] == FailureKind.REFUSED
    assert classify_failure(ValueError("odd"), 1) == (FailureKind.OTHER, "ValueError: odd")


async def test_sends_the_exact_bytes_and_headers(receiver: tuple[AppServer, Seen]) -> None:
    server, seen = receiver
    event = parse_event(load_fixture("call_started"))
    recorder = ListRecorder()

    async with Deliverer(f"{server.url}/hook", SECRET, recorder=recorder) as deliverer:
        delivery = await deliverer.deliver(event)

    [(headers, body)] = seen.requests
    assert body == event.to_json() == delivery.body
    assert headers["X-Webhook-Secret"] == SECRET
    assert headers["Content-Type"] == "application/json"
    assert headers["User-Agent"] == USER_AGENT
    assert delivery.ok
    assert (delivery.event_type, delivery.call_id) == ("call_started", event.call_id)
    assert delivery.last.request_headers["X-Webhook-Secret"] == MASK
    assert delivery.last.response_body == b"answer 200"
    assert recorder.calls == [(delivery.id, 1)]


async def test_no_retries_by_default(receiver: tuple[AppServer, Seen]) -> None:
    server, seen = receiver
    seen.statuses = [503]

    async with Deliverer(f"{server.url}/hook", SECRET) as deliverer:
        delivery = await deliverer.deliver(b"{}")

    assert [a.status for a in delivery.attempts] == [503]
    assert delivery.last.failure == FailureKind.STATUS
    assert not delivery.ok


async def test_retries_follow_the_backoff_schedule(
    receiver: tuple[AppServer, Seen], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, seen = receiver
    seen.statuses = [503, 500, 502]
    delays: list[float] = []
    real_sleep = asyncio.sleep

    async def fake_sleep(delay: float) -> None:
        delays.append(delay)
        await real_sleep(0)

    monkeypatch.setattr("harness.delivery.engine.asyncio.sleep", fake_sleep)
    recorder = ListRecorder()
    settings = DeliverySettings(retries=3, backoff=(0.1, 0.2))

    async with Deliverer(f"{server.url}/hook", SECRET, settings=settings, recorder=recorder) as deliverer:
        delivery = await deliverer.deliver(b"{}", delivery_id="dlv_retry")

    assert [a.status for a in delivery.attempts] == [503, 500, 502, 200]
    assert [a.number for a in delivery.attempts] == [1, 2, 3, 4]
    assert delays == [0.1, 0.2, 0.2]
    assert delivery.ok
    assert recorder.calls == [("dlv_retry", 1), ("dlv_retry", 2), ("dlv_retry", 3), ("dlv_retry", 4)]


async def test_statuses_outside_retry_statuses_are_not_retried(receiver: tuple[AppServer, Seen]) -> None:
    server, seen = receiver
    seen.statuses = [400, 503]
    settings = DeliverySettings(retries=3, backoff=(0.0,), retry_statuses=frozenset({503}))

    async with Deliverer(f"{server.url}/hook", SECRET, settings=settings) as deliverer:
        delivery = await deliverer.deliver(b"{}")

    assert [a.status for a in delivery.attempts] == [400]


async def test_custom_headers_replace_the_standard_ones(receiver: tuple[AppServer, Seen]) -> None:
    server, seen = receiver

    async with Deliverer(f"{server.url}/hook", SECRET) as deliverer:
        delivery = await deliverer.deliver(
            b"{}", headers={"Content-Type": "application/json", "x-webhook-secret": "wrong"}, replay_of="dlv_0"
        )

    [(headers, _)] = seen.requests
    assert headers["x-webhook-secret"] == "wrong"  # sent with the casing given
    assert delivery.last.request_headers == {"Content-Type": "application/json", "x-webhook-secret": MASK}
    assert delivery.replay_of == "dlv_0"


async def test_a_cancelled_attempt_is_recorded_then_cancelled() -> None:
    started = asyncio.Event()

    async def hang(request: web.Request) -> web.Response:
        started.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    app = web.Application()
    app.router.add_post("/hook", hang)
    recorder = ListRecorder()
    async with AppServer(app) as server, Deliverer(f"{server.url}/hook", SECRET, recorder=recorder) as deliverer:
        task = asyncio.create_task(deliverer.deliver(b"{}", delivery_id="dlv_cut"))
        await started.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    assert recorder.calls == [("dlv_cut", 1)]


async def test_concurrency_is_bounded_by_the_setting() -> None:
    active = 0
    peak = 0
    release = asyncio.Event()
    arrived = asyncio.Event()

    async def hook(request: web.Request) -> web.Response:
        nonlocal active, peak
        active += 1
        peak = max(peak, active)
        if active == 3:
            arrived.set()
        await release.wait()
        active -= 1
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", hook)
    settings = DeliverySettings(concurrency=3)
    async with AppServer(app) as server, Deliverer(f"{server.url}/hook", SECRET, settings=settings) as deliverer:
        tasks = [asyncio.create_task(deliverer.deliver(b"{}")) for _ in range(8)]
        await arrived.wait()
        # Give the other five every chance to get in if the bound did not hold.
        for _ in range(20):
            await asyncio.sleep(0)
        assert active == 3
        release.set()
        deliveries = await asyncio.gather(*tasks)

    assert peak == 3
    assert all(d.ok for d in deliveries)


@pytest.mark.parametrize(
    ("headers", "body", "error", "masked_headers", "masked_body", "masked_error"),
    [
        ({"A": "b"}, b"ok", None, {"A": "b"}, b"ok", None),
        ({"A": "b"}, b"x whsec_echo_12345 y", None, {"A": "b"}, b"x *** y", None),
        ({"whsec_echo_12345": "v"}, b"ok", None, {"***": "v"}, b"ok", None),
        ({"Location": "/?s=whsec%2Fecho_12345"}, b"", None, {"Location": "/?s=***"}, b"", None),
        ({}, b"", "bad header 'whsec_echo_12345'", {}, b"", "bad header '***'"),
        ({"A": "whsec_echo_1"}, b"whsec_echo_1", None, {"A": "whsec_echo_1"}, b"whsec_echo_1", None),
    ],
    ids=["nothing-echoed", "in-the-body-only", "in-a-header-name", "url-encoded", "in-the-error", "a-prefix-only"],
)
def test_echoed_secrets_are_masked_wherever_they_are(
    headers: dict[str, str],
    body: bytes,
    error: str | None,
    masked_headers: dict[str, str],
    masked_body: bytes,
    masked_error: str | None,
) -> None:
    secrets = ("whsec_echo_12345", "whsec/echo_12345")
    attempt = Attempt(number=1, url="http://127.0.0.1:9/", request_headers={}, started_at=0.0)
    attempt.response_headers, attempt.response_body, attempt.error = dict(headers), body, error

    mask_echoes(attempt, secrets)

    assert attempt.response_headers == masked_headers
    assert (attempt.response_body, attempt.error) == (masked_body, masked_error)
