"""Send webhook events from tests and scripts, synchronously or with ``await``.

A thin layer over :class:`harness.delivery.Deliverer`: the same bytes, headers and semantics as the mock
server, with no server to run.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Iterable, Mapping
from types import TracebackType
from typing import Any, TypeVar

from harness._loop import LoopThread
from harness.delivery import AttemptRecorder, Deliverer, Delivery, DeliverySettings
from harness.models import BaseEvent

__all__ = ["WebhookSender"]

T = TypeVar("T")


class WebhookSender:
    """Posts events to receivers as Cartesia does and returns each :class:`~harness.delivery.Delivery`.

    ``send`` and ``send_call`` block (usable in any test, sync or async); ``asend`` and ``asend_call`` are
    their coroutine forms for code already running in an event loop. Close with :meth:`close` or a
    ``with`` block.
    """

    def __init__(
        self,
        url: str | None = None,
        secret: str | None = None,
        *,
        settings: DeliverySettings | None = None,
        recorder: AttemptRecorder | None = None,
    ) -> None:
        self.url = url
        self.secret = secret
        self.settings = settings or DeliverySettings()
        self.recorder = recorder
        self._deliverers: dict[tuple[str, str | None], Deliverer] = {}
        # Tests may send from several threads; each target must still get exactly one pool.
        self._deliverers_lock = threading.Lock()
        self._thread = LoopThread(name="harness-sender")

    def _deliverer(self, url: str | None, secret: str | None) -> Deliverer:
        target = url or self.url
        if target is None:
            raise ValueError("no URL: pass url= to send() or to WebhookSender()")
        key = (target, secret if secret is not None else self.secret)
        with self._deliverers_lock:
            if key not in self._deliverers:
                # One connection pool per target, as the delivery engine is designed to be used.
                self._deliverers[key] = Deliverer(target, key[1], settings=self.settings, recorder=self.recorder)
            return self._deliverers[key]

    async def _send_call(self, deliverer: Deliverer, events: list[BaseEvent | bytes]) -> list[Delivery]:
        return [await deliverer.deliver(event) for event in events]

    async def _on_own_loop(self, coro: Coroutine[Any, Any, T]) -> T:
        # Connection pools belong to the loop that made them: all I/O runs on the sender's own loop,
        # whichever loop (or none) the caller is on.
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self._thread.loop))

    async def asend(
        self,
        event: BaseEvent | bytes,
        *,
        url: str | None = None,
        secret: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Delivery:
        """Send one event (a model, or exact bytes) and return its delivery."""
        return await self._on_own_loop(self._deliverer(url, secret).deliver(event, headers=headers))

    async def asend_call(
        self, events: Iterable[BaseEvent | bytes], *, url: str | None = None, secret: str | None = None
    ) -> list[Delivery]:
        """Send a call's events in order, each after the previous one was answered."""
        return await self._on_own_loop(self._send_call(self._deliverer(url, secret), list(events)))

    def send(
        self,
        event: BaseEvent | bytes,
        *,
        url: str | None = None,
        secret: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Delivery:
        """Blocking form of :meth:`asend`."""
        return self._thread.run(self._deliverer(url, secret).deliver(event, headers=headers))

    def send_call(
        self, events: Iterable[BaseEvent | bytes], *, url: str | None = None, secret: str | None = None
    ) -> list[Delivery]:
        """Blocking form of :meth:`asend_call`."""
        return self._thread.run(self._send_call(self._deliverer(url, secret), list(events)))

    def close(self) -> None:
        """Close every connection pool and the background loop; idempotent."""
        with self._deliverers_lock:
            deliverers, self._deliverers = list(self._deliverers.values()), {}

        async def close_all() -> None:
            for deliverer in deliverers:
                await deliverer.close()

        if deliverers:
            self._thread.run(close_all())
        self._thread.stop()

    def __enter__(self) -> WebhookSender:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
