"""POST webhook events as Cartesia does, and record every attempt.

Production semantics, on purpose: the exact JSON bytes, ``Content-Type: application/json``, the
``X-Webhook-Secret`` header, a timeout, redirects never followed (a 3xx is a failed delivery), and no
retries unless configured (Cartesia publishes no retry policy).
"""

from __future__ import annotations

import asyncio
import functools
import os
import random
import ssl
import time
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Protocol

from harness._bounds import require_count, require_seconds
from harness._http1 import ConnectionPool, HTTPFailure, Target, custom_tls_context
from harness._redact import MASK, MIN_SEARCHED_LENGTH, mask_bytes, mask_text, mask_url, secret_forms
from harness.failure_kind import FailureKind, Source
from harness.models import WEBHOOK_SECRET_HEADER, BaseEvent

__all__ = [
    "DEFAULT_RETRY_STATUSES",
    "MASK",
    "USER_AGENT",
    "Attempt",
    "AttemptRecorder",
    "Deliverer",
    "Delivery",
    "DeliverySettings",
    "FailureKind",
    "Source",
    "WriteAheadRecorder",
    "mask_secret",
    "webhook_headers",
]

USER_AGENT = "cartesia-webhook-harness/0.1 (+mock Cartesia webhooks)"
# Assumed: statuses a retrying sender would retry; only used when retries are turned on.
DEFAULT_RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
# Bounds on the settings (documented in the README's "Bounds" table).
MAX_TIMEOUT = 3600.0
MAX_RETRIES = 10
MAX_CONCURRENCY = 10_000


@dataclass(frozen=True)
class DeliverySettings:
    """How events are sent. Defaults are Cartesia's as far as they are known; the rest is assumed."""

    timeout: float = 10.0
    retries: int = 0
    backoff: tuple[float, ...] = (1.0, 5.0, 30.0)
    retry_statuses: frozenset[int] = DEFAULT_RETRY_STATUSES
    concurrency: int = 64
    max_response_bytes: int = 64 * 1024
    user_agent: str = USER_AGENT
    # https receivers' certificates are verified against the system's CAs, as the platform would. A local
    # receiver with a self-signed certificate: name its certificate (or its CA) in tls_ca_file, a PEM file,
    # or turn verification off with tls_verify=False.
    tls_verify: bool = True
    tls_ca_file: str | None = None

    def __post_init__(self) -> None:
        # Checked here, once for every command and the server: nan, inf or 1e300 s would mean "never".
        require_seconds("timeout", self.timeout, high=MAX_TIMEOUT)
        for step in self.backoff:
            require_seconds("backoff", step, high=MAX_TIMEOUT, zero=True)
        require_count("retries", self.retries, low=0, high=MAX_RETRIES)
        require_count("concurrency", self.concurrency, low=1, high=MAX_CONCURRENCY)

    def delay_before(self, retry: int) -> float:
        """Seconds to wait before retry number ``retry`` (1-based); the last step repeats."""
        if not self.backoff:
            return 0.0
        return self.backoff[min(retry, len(self.backoff)) - 1]


@dataclass
class Attempt:
    """One HTTP request of a delivery, and what came back (or why nothing did)."""

    number: int
    url: str
    request_headers: dict[str, str]
    started_at: float
    latency: float = 0.0
    status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: bytes = b""
    response_truncated: bool = False
    failure: FailureKind | None = None
    error: str | None = None
    # Read back from the log: the intent is recorded but its outcome not yet (the sender is still waiting).
    in_flight: bool = False

    @property
    def ok(self) -> bool:
        """True when the receiver answered with a 2xx."""
        return self.failure is None and self.status is not None and 200 <= self.status < 300

    def header(self, name: str) -> str | None:
        """A response header's value, whatever the casing of its name (servers differ: ``location``, ``Location``)."""
        wanted = name.lower()
        return next((value for key, value in self.response_headers.items() if key.lower() == wanted), None)


@dataclass
class Delivery:
    """One event sent to one target, with every attempt made for it."""

    id: str
    url: str
    body: bytes
    event_type: str | None = None
    call_id: str | None = None
    attempts: list[Attempt] = field(default_factory=list)
    replay_of: str | None = None
    created_at: float = field(default_factory=time.time)
    source: Source = Source.PLAYED

    @property
    def ok(self) -> bool:
        """True when the last attempt got a 2xx."""
        return bool(self.attempts) and self.attempts[-1].ok

    @property
    def last(self) -> Attempt:
        """The last attempt made."""
        return self.attempts[-1]


class AttemptRecorder(Protocol):
    """Where attempts are logged (the SQLite delivery log implements this)."""

    def record_attempt(self, delivery: Delivery, attempt: Attempt) -> None: ...


class WriteAheadRecorder(AttemptRecorder, Protocol):
    """A recorder that also logs each attempt before it is sent (the SQLite delivery log does).

    The Deliverer awaits :meth:`record_intent` before the request's first byte is written, and records the
    outcome with ``record_attempt`` afterwards; a recorder without ``record_intent`` gets only outcomes.
    """

    async def record_intent(self, delivery: Delivery, attempt: Attempt) -> None: ...


def webhook_headers(secret: str | None, *, header_name: str = WEBHOOK_SECRET_HEADER) -> dict[str, str]:
    """The headers Cartesia sends with every event; ``secret=None`` leaves the secret header out."""
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers[header_name] = secret
    return headers


def mask_secret(headers: Mapping[str, str]) -> dict[str, str]:
    """A copy of ``headers`` with the secret header's value masked (any casing of its name)."""
    secret_name = WEBHOOK_SECRET_HEADER.lower()
    return {name: (MASK if name.lower() == secret_name and value else value) for name, value in headers.items()}


# Delivery ids need uniqueness, not secrecy: a private generator seeded from the OS once, because
# uuid4() reads os.urandom on every call (tens of microseconds on some machines, per delivery), and
# the global ``random`` may be seeded by tests (Hypothesis, Faker), which would repeat ids.
_ids = random.Random()
os.register_at_fork(after_in_child=_ids.seed)


def new_delivery_id() -> str:
    """A fresh delivery id: ``dlv_``, 12 hex digits of Unix time in milliseconds, 12 random hex digits.

    Ids sort by creation time, so the delivery log appends to its indexes instead of writing all over
    them (several times fewer pages written per delivery); 48 random bits keep ids unique at any rate.
    """
    return f"dlv_{time.time_ns() // 1_000_000:012x}{_ids.getrandbits(48):012x}"


class Deliverer:
    """Sends events to one target over one connection pool, with bounded concurrency.

    ``async with Deliverer(url, secret) as deliverer: delivery = await deliverer.deliver(event)``.
    """

    def __init__(
        self,
        url: str,
        secret: str | None,
        *,
        settings: DeliverySettings | None = None,
        recorder: AttemptRecorder | None = None,
        masked: Collection[str] = (),
    ) -> None:
        self.url = url
        self.secret = secret
        self.settings = settings or DeliverySettings()
        self.recorder = recorder
        # Secrets to mask wherever a receiver echoes them, beyond the current one and the one sent: the
        # server passes every secret its webhooks ever had, so an old one echoed back is masked too.
        self.masked = masked
        self._pool: ConnectionPool | None = None
        # Built now so a bad CA file is a ConfigError here, not a failed attempt per event; None: the default.
        self._tls = custom_tls_context(verify=self.settings.tls_verify, ca_file=self.settings.tls_ca_file)
        self._slots = asyncio.Semaphore(self.settings.concurrency)

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
        differently cased secret); ``url`` overrides the target for this delivery only; ``replay_of``
        names the logged delivery this one re-sends; ``source`` says where it came from (harness listen
        forwards captured requests).

        Never raises for anything the receiver does: each failure is a recorded attempt. If the task is
        cancelled mid-attempt, that attempt is recorded as ``cancelled`` before the cancellation goes on.
        """
        if isinstance(event, BaseEvent):
            body = event.to_json()
            event_type = event_type or event.type
            call_id = call_id or event.call_id
        else:
            body = event
        target = url or self.url
        request_headers = dict(headers) if headers is not None else webhook_headers(self.secret)
        secrets = self._secrets_in(request_headers)
        delivery = Delivery(
            id=delivery_id or new_delivery_id(),
            url=_masked_url(target, secrets),  # what is recorded and shown; the request goes to `target`
            body=body,
            event_type=event_type,
            call_id=call_id,
            replay_of=replay_of,
            source=source,
        )
        for number in range(1, self.settings.retries + 2):
            if number > 1:
                await asyncio.sleep(self.settings.delay_before(number - 1))
            attempt = await self._attempt(delivery, target, number, request_headers, secrets)
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
        secrets = self._secrets_in(headers)
        delivery = Delivery(
            id=new_delivery_id(),
            url=_masked_url(self.url, secrets),
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

    def _secrets_in(self, headers: Mapping[str, str]) -> tuple[str, ...]:
        """Every secret value this request could expose: the current one, the one sent, the retired ones."""
        name = WEBHOOK_SECRET_HEADER.lower()
        sent = [value for key, value in headers.items() if key.lower() == name and value]
        current = [self.secret] if self.secret else []
        return tuple(dict.fromkeys([*current, *sent, *self.masked]))  # the current one is usually the one sent

    async def _attempt(
        self, delivery: Delivery, target: str, number: int, headers: dict[str, str], secrets: tuple[str, ...]
    ) -> Attempt:
        pool = self._ensure_pool()
        attempt = Attempt(number=number, url=delivery.url, request_headers=mask_secret(headers), started_at=time.time())
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
            async with self._slots:
                started = time.perf_counter()
                try:
                    # One deadline for connecting, sending and reading the whole (capped) response.
                    async with asyncio.timeout(self.settings.timeout):
                        response = await pool.post(
                            Target.parse(target), headers, delivery.body, limit=self.settings.max_response_bytes
                        )
                    attempt.status = response.status
                    attempt.response_headers = response.headers
                    attempt.response_body = response.body
                    attempt.response_truncated = response.truncated
                except Exception as exc:  # every failure becomes a recorded attempt, never an escape
                    attempt.failure, attempt.error = classify_failure(exc, self.settings.timeout)
                attempt.latency = time.perf_counter() - started
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
        if attempt.failure is None and attempt.status is not None and not 200 <= attempt.status < 300:
            is_redirect = 300 <= attempt.status < 400
            attempt.failure = FailureKind.REDIRECT if is_redirect else FailureKind.STATUS
            location = attempt.header("Location")
            if is_redirect:
                attempt.error = f"redirect to {location or '(no Location)'} not followed, as on the platform"
            else:
                attempt.error = f"receiver answered {attempt.status}"
        _mask_echoes(attempt, secrets)
        return attempt


def _mask_echoes(attempt: Attempt, secrets: tuple[str, ...]) -> None:
    """Mask every secret a receiver echoed back (headers, body, an error quoting its bytes) before it is kept.

    Masking runs per delivery, so it first asks whether any form of any secret is there at all (one search
    per form through the texts joined): almost no answer echoes one, and then nothing needs replacing.
    """
    forms = _searched_forms(secrets)
    if not forms:
        return
    headers = attempt.response_headers
    texts = "\n".join([*headers, *headers.values(), attempt.error or ""])
    if any(form in texts for form in forms):
        attempt.response_headers = {mask_text(k, secrets): mask_text(v, secrets) for k, v in headers.items()}
        if attempt.error is not None:
            attempt.error = mask_text(attempt.error, secrets)
    body = attempt.response_body
    if body and any(form.encode() in body for form in forms):
        attempt.response_body = mask_bytes(body, secrets)


@functools.lru_cache(maxsize=64)
def _searched_forms(secrets: tuple[str, ...]) -> tuple[str, ...]:
    """Every form of every secret that :func:`mask_text` replaces (the same secrets give the same forms)."""
    return tuple(
        dict.fromkeys(form for secret in secrets if len(secret) >= MIN_SEARCHED_LENGTH for form in secret_forms(secret))
    )


@functools.lru_cache(maxsize=256)
def _masked_url(target: str, secrets: tuple[str, ...]) -> str:
    # Cached: a deliverer posts to the same few URLs with the same secrets thousands of times.
    return mask_url(target, secrets)


def classify_failure(exc: BaseException, timeout: float) -> tuple[FailureKind, str]:
    """The failure kind and a one-line explanation for an exception raised while posting."""
    if isinstance(exc, HTTPFailure):
        return exc.kind, exc.message
    if isinstance(exc, TimeoutError):
        return FailureKind.TIMEOUT, f"no complete response within {timeout:g} s"
    if isinstance(exc, ssl.SSLError):
        return FailureKind.TLS, f"TLS error: {exc}"
    if isinstance(exc, ConnectionRefusedError):
        return FailureKind.REFUSED, "connection refused: is the receiver running?"
    if isinstance(exc, ConnectionResetError | BrokenPipeError):
        return FailureKind.RESET, f"connection reset by the receiver ({exc.strerror})"
    return FailureKind.OTHER, f"{type(exc).__name__}: {exc}"
