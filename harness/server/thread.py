"""The mock server on its own event loop in a background thread, for synchronous code such as pytest tests."""

from __future__ import annotations

from collections.abc import Coroutine
from types import TracebackType
from typing import Any, TypeVar

from harness._loop import LoopThread
from harness.scenarios import Scenario
from harness.server.app import MockServer
from harness.server.config import ServerConfig
from harness.store import DeliveryLog

__all__ = ["MockServerThread"]

T = TypeVar("T")


class MockServerThread:
    """``with MockServerThread(ServerConfig(...)) as server: ids = server.start_calls("happy-path")``.

    Exceptions raised inside the server are kept; :meth:`check_errors` re-raises the first in the caller.
    """

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.server = MockServer(config)
        self._thread: LoopThread | None = None

    @property
    def url(self) -> str:
        """Base URL of the running server."""
        return self.server.url

    @property
    def log(self) -> DeliveryLog:
        """The delivery log."""
        return self.server.log

    def start(self) -> MockServerThread:
        """Start the loop thread and the server; does nothing when already started."""
        if self._thread is not None:
            return self
        thread = LoopThread(name="harness-mock-server")
        thread.start()
        try:
            thread.run(self.server.start())
        except BaseException:
            thread.stop()
            raise
        self._thread = thread
        return self

    def stop(self) -> None:
        """Stop the server and its thread; idempotent."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        try:
            thread.run(self.server.close())
        finally:
            thread.stop()

    def __enter__(self) -> MockServerThread:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        if self._thread is None:
            coroutine.close()
            raise RuntimeError("the mock server thread is not started; call start() first")
        return self._thread.run(coroutine)

    def start_calls(self, scenario: str | Scenario | None = None, **params: Any) -> list[str]:
        """Schedule calls and return their ids at once (see :meth:`MockServer.start_calls`)."""
        return self._run(self.server.start_calls(scenario, **params))

    def wait_for_calls(self, call_ids: list[str] | None = None, timeout: float = 60) -> None:
        """Block until these calls' deliveries all went out."""
        self._run(self.server.wait_for_calls(call_ids, timeout))

    def clear(self) -> None:
        """Stop calls in progress, then forget calls and deliveries."""
        self._run(self.server.aclear())

    def set_webhook(self, url: str, secret: str | None) -> None:
        """Deliver to ``url`` with ``secret`` from the next delivery on (see :meth:`MockServer.set_webhook`)."""

        async def point() -> None:
            self.server.set_webhook(url, secret)

        self._run(point())

    def check_errors(self) -> None:
        """Re-raise, in the caller's thread, the first exception recorded inside the server (then forget them)."""
        if self.server.errors:
            first = self.server.errors[0]
            self.server.errors.clear()
            raise first
