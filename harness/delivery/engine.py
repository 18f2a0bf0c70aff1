"""The delivery engine: POST webhook events as Cartesia does, over one connection pool, and record every attempt.

Production semantics, on purpose: the exact JSON bytes, ``Content-Type: application/json``, the
``X-Webhook-Secret`` header, a timeout, redirects never followed (a 3xx is a failed delivery), and no
retries unless configured (Cartesia publishes no retry policy).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from types import TracebackType

from multidict import MultiDict

from harness._http1 import ConnectionPool, Target, custom_tls_context
from harness.delivery._echoes import mask_echoes, masked_url, url_credentials
from harness.delivery._slots import Slots
from harness.delivery.endpoint import Endpoint, EndpointSource, mask_secret, webhook_headers
from harness.delivery.failures import classify_failure, classify_status
from harness.delivery.ids import new_delivery_id
from harness.delivery.records import Attempt, AttemptRecorder, Delivery
from harness.delivery.settings import DeliverySettings
from harness.failure_kind import FailureKind, Source
from harness.models import WEBHOOK_SECRET_HEADER, BaseEvent

__all__ = ["Deliverer"]

# A delivery's request headers as sent and as recorded (the secret masked), and the secrets it could expose.
_Request = tuple[Mapping[str, str], dict[str, str], tuple[str, ...]]


class Deliverer:
    """Sends events to one target over one connection pool, with bounded concurrency.

    ``async with Deliverer(url, secret) as deliverer: delivery = await deliverer.deliver(event)``.

    ``url`` may instead be an :data:`~harness.delivery.endpoint.EndpointSource`, read once per delivery: the
    deliverer then holds no URL or secret of its own, and a change to the source (a secret rotated, the
    webhook moved) applies from the next delivery on, URL and secret together.
    """

    def __init__(
        self,
        url: str | EndpointSource,
        secret: str | None = None,
        *,
        settings: DeliverySettings | None = None,
        recorder: AttemptRecorder | None = None,
        masked: Collection[str] = (),
    ) -> None:
        if isinstance(url, str):
            fixed = Endpoint(url, secret)
            self._endpoint: EndpointSource = lambda: fixed
        elif secret is not None:
            raise TypeError("Deliverer: an endpoint source carries its own secret; pass secret only with a URL")
        else:
            self._endpoint = url
        self.settings = settings or DeliverySettings()
        self.recorder = recorder
        # Secrets to mask wherever a receiver echoes them, beyond the current one and the one sent: the
        # server passes every secret its webhooks ever had, so an old one echoed back is masked too.
        self.masked = masked
        self._pool: ConnectionPool | None = None
        # Built now so a bad CA file is a ConfigError here, not a failed attempt per event; None: the default.
        self._tls = custom_tls_context(verify=self.settings.tls_verify, ca_file=self.settings.tls_ca_file)
        self._slots = Slots(self.settings.concurrency)
        self._standard: tuple[tuple[str | None, str, int], _Request] | None = None

    @property
    def url(self) -> str:
        """Where the next delivery goes."""
        return self._endpoint().url

    @property
    def secret(self) -> str | None:
        """The secret the next delivery carries."""
        return self._endpoint().secret

    async def __aenter__(self) -> Deliverer:
        self._ensure_pool()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the connection pool; idempotent."""
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()

    def _ensure_pool(self) -> ConnectionPool:
        if self._pool is None:
            # Keep-alive, like the platform's sender; at most one idle connection per slot.
            self._pool = ConnectionPool(
                idle_limit=self.settings.concurrency, user_agent=self.settings.user_agent, ssl_context=self._tls
            )
        return self._pool

    async def deliver(
        self,
        event: BaseEvent | bytes,
        *,
        headers: Mapping[str, str] | None = None,
        url: str | None = None,
        delivery_id: str | None = None,
        event_type: str | None = None,
        call_id: str | None = None,
        replay_of: str | None = None,
        source: Source = Source.PLAYED,
    ) -> Delivery:
        """Send one event (a model, or exact bytes) and return the delivery with all its attempts.

        ``headers`` replaces the standard headers entirely (checks use it to send a wrong, missing or
        differently cased secret; a multidict's repeated headers are each sent); ``url`` overrides the
        target for this delivery only; ``replay_of`` names the logged delivery this one re-sends; ``source``
        says where it came from (harness listen forwards captured requests).

        Never raises for anything the receiver does: each failure is a recorded attempt. If the task is
        cancelled mid-attempt, that attempt is recorded as ``cancelled`` before the cancellation goes on.
        """
        if isinstance(event, BaseEvent):
            body = event.to_json()
            event_type = event_type or event.type
            call_id = call_id or event.call_id
        else:
            body = event
        endpoint = self._endpoint()  # once: every attempt of this delivery goes to the same place, the same way
        target = url or endpoint.url
        if headers is None:
            request_headers, shown_headers, secrets = self._standard_request(endpoint.secret, target)
        else:
            # A multidict, not a dict: a header given more than once (harness listen forwards what it got) goes
            # out once per value, in order.
            request_headers = MultiDict(headers)
            shown_headers = mask_secret(request_headers)
            secrets = self._secrets_in(request_headers, endpoint.secret, target)
        delivery = Delivery(
            id=delivery_id or new_delivery_id(),
            url=masked_url(target, secrets),  # what is recorded and shown; the request goes to `target`
            body=body,
            event_type=event_type,
            call_id=call_id,
            replay_of=replay_of,
            source=source,
        )
        for number in range(1, self.settings.retries + 2):
            if number > 1:
                await asyncio.sleep(self.settings.delay_before(number - 1))
            attempt = await self._attempt(delivery, target, number, request_headers, shown_headers, secrets)
            delivery.attempts.append(attempt)
            if self.recorder is not None:
                self.recorder.record_attempt(delivery, attempt)
            if not self._should_retry(attempt):
                break
        return delivery

    def record_not_forwarded(
        self,
        body: bytes,
        *,
        headers: Mapping[str, str],
        reason: str,
        event_type: str | None = None,
        call_id: str | None = None,
        source: Source = Source.CAPTURED_UNVERIFIED,
    ) -> Delivery:
        """Log a request that was received but deliberately not sent on (harness listen's refusals)."""
        endpoint = self._endpoint()
        secrets = self._secrets_in(headers, endpoint.secret, endpoint.url)
        delivery = Delivery(
            id=new_delivery_id(),
            url=masked_url(endpoint.url, secrets),
            body=body,
            event_type=event_type,
            call_id=call_id,
            source=source,
        )
        attempt = Attempt(
            number=1,
            url=delivery.url,
            request_headers=mask_secret(headers),
            started_at=time.time(),
            failure=FailureKind.NOT_FORWARDED,
            error=reason,
        )
        delivery.attempts.append(attempt)
        if self.recorder is not None:
            self.recorder.record_attempt(delivery, attempt)
        return delivery

    async def deliver_all(self, events: Sequence[BaseEvent | bytes]) -> list[Delivery]:
        """Send events one after another, in order (the events of one call)."""
        return [await self.deliver(event) for event in events]

    def _should_retry(self, attempt: Attempt) -> bool:
        if attempt.ok or attempt.failure == FailureKind.REDIRECT:
            return False
        if attempt.status is not None:
            return attempt.status in self.settings.retry_statuses
        return True

    def _standard_request(self, secret: str | None, target: str) -> _Request:
        """The standard headers for ``secret``, as sent and as shown, and the secrets a delivery to ``target`` with
        them could expose: the same for every delivery until the secret, the target or the secrets masked
        change, so made once for them (a delivery saves microseconds)."""
        key = (secret, target, len(self.masked))  # a live set of masked secrets only grows
        if self._standard is None or self._standard[0] != key:
            headers = webhook_headers(secret)
            self._standard = (key, (headers, mask_secret(headers), self._secrets_in(headers, secret, target)))
        return self._standard[1]

    def _secrets_in(self, headers: Mapping[str, str], current: str | None, target: str) -> tuple[str, ...]:
        """Every secret value this request could expose: the current one, the one sent, the retired ones, and
        the password in the URL with the Basic credentials made of it."""
        name = WEBHOOK_SECRET_HEADER.lower()
        sent = [value for key, value in headers.items() if key.lower() == name and value]
        ours = [current] if current else []
        # The current one is usually the one sent: dict.fromkeys keeps one of each, in order.
        return tuple(dict.fromkeys([*ours, *sent, *self.masked, *url_credentials(target)]))

    async def _attempt(
        self,
        delivery: Delivery,
        target: str,
        number: int,
        headers: Mapping[str, str],
        shown_headers: dict[str, str],
        secrets: tuple[str, ...],
    ) -> Attempt:
        pool = self._ensure_pool()
        # A copy: each attempt owns the headers it records.
        attempt = Attempt(number=number, url=delivery.url, request_headers=dict(shown_headers), started_at=time.time())
        # Write-ahead when the recorder can: the intent is committed before the request's first byte goes out.
        # What it records is masked as the outcome is: the delivery's URL, the secret header.
        record_intent: Callable[[Delivery, Attempt], Awaitable[None]] | None = getattr(
            self.recorder, "record_intent", None
        )
        started = time.perf_counter()
        try:
            if record_intent is not None:
                # Committed before a slot is taken: the slots bound requests in flight, and a request waiting
                # for the disk is not in flight yet (holding a slot there starved the receiver of requests).
                await record_intent(delivery, attempt)
            await self._slots.acquire()
            try:
                started = time.perf_counter()
                try:
                    # One deadline for connecting, sending and reading the whole (capped) response.
                    response = await pool.post(
                        Target.parse(target),
                        headers,
                        delivery.body,
                        limit=self.settings.max_response_bytes,
                        deadline=asyncio.get_running_loop().time() + self.settings.timeout,
                    )
                    attempt.status = response.status
                    attempt.response_headers = response.headers
                    attempt.response_body = response.body
                    attempt.response_truncated = response.truncated
                except Exception as exc:  # every failure becomes a recorded attempt, never an escape
                    attempt.failure, attempt.error = classify_failure(exc, self.settings.timeout)
                attempt.latency = time.perf_counter() - started
            finally:
                self._slots.release()
        except asyncio.CancelledError:
            # Stopping the sender must not lose the in-flight attempt: log it, then let the cancel go on.
            attempt.status = None
            attempt.failure, attempt.error = (
                FailureKind.CANCELLED,
                "the sender stopped before the receiver answered",
            )
            attempt.latency = time.perf_counter() - started
            delivery.attempts.append(attempt)
            if self.recorder is not None:
                self.recorder.record_attempt(delivery, attempt)
            raise
        if attempt.failure is None and attempt.status is not None:
            location = attempt.header("Location") if 300 <= attempt.status < 400 else None
            failed = classify_status(attempt.status, location)
            if failed is not None:
                attempt.failure, attempt.error = failed
        mask_echoes(attempt, secrets)
        return attempt
