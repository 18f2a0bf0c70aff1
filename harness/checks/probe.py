"""The receiver's state probe: ``GET <probe>`` → ``{"processed": [{"type", "call_id", "timestamp", ...}, ...]}``.

One entry per event the receiver acted on, in order; an event acted on twice appears twice; rejected
requests never appear. The probe is how checks observe side effects, which status codes cannot show.

In a test suite the probe can also be a function of the user's (sync or async) that returns those entries
straight from the receiver's own store, so no probe endpoint has to be added to the app.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import time
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping
from typing import Any

import aiohttp

from harness.checks.failures import CheckSkipped
from harness.errors import HarnessError
from harness.models import BaseEvent

__all__ = [
    "NO_PROBE",
    "Probe",
    "ProbeEntry",
    "ProbeError",
    "ProbeFunction",
    "ProbeSource",
    "entry_key",
    "event_key_of",
    "require_probe",
]

ProbeEntry = dict[str, Any]
# A function returning the processed entries (the rows of the receiver's own store), or an awaitable of them.
ProbeFunction = Callable[[], Iterable[Mapping[str, Any]] | Awaitable[Iterable[Mapping[str, Any]]]]
ProbeSource = str | ProbeFunction
POLL_INTERVAL = 0.01
MAX_POLL_INTERVAL = 0.05


class ProbeError(HarnessError):
    """The state probe cannot be read or does not follow the probe contract."""


class Probe:
    """Reads a receiver's state probe: a URL (over a shared client session), or a function of the user's."""

    def __init__(self, source: ProbeSource, session: aiohttp.ClientSession | None = None) -> None:
        self.source = source
        self.url = source if isinstance(source, str) else describe_function(source)
        self._session = session

    async def entries(self) -> list[ProbeEntry]:
        """Every processed entry, in order; raises ProbeError naming the probe when it misbehaves."""
        if not isinstance(self.source, str):
            return await self._call(self.source)
        assert self._session is not None, "a probe URL needs a client session"
        try:
            async with self._session.get(self.url, allow_redirects=False) as response:
                body = await response.read()
                status = response.status
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise ProbeError(f"state probe {self.url}: cannot read it ({type(exc).__name__}: {exc}); {_HOW}") from exc
        if status != 200:
            raise ProbeError(f"state probe {self.url}: answered {status}, expected 200; {_HOW}")
        try:
            data = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ProbeError(f"state probe {self.url}: the answer is not JSON ({exc}); {_HOW}") from exc
        except RecursionError as exc:  # json.loads recurses once per level of nesting
            raise ProbeError(f"state probe {self.url}: the answer is nested too deeply to parse; {_HOW}") from exc
        processed = data.get("processed") if isinstance(data, dict) else None
        if not isinstance(processed, list) or not all(isinstance(entry, dict) for entry in processed):
            raise ProbeError(
                f'state probe {self.url}: expected {{"processed": [{{...}}, ...]}}, got {_excerpt(body)}; {_HOW}'
            )
        return processed

    async def _call(self, function: ProbeFunction) -> list[ProbeEntry]:
        try:
            result = function()
            if inspect.isawaitable(result):
                result = await result
            entries = [dict(entry) for entry in result]
        except ProbeError:
            raise
        except Exception as exc:  # the user's function: whatever it raises, the checks say which probe failed
            raise ProbeError(f"state probe {self.url}: raised {type(exc).__name__}: {exc}; {_HOW_FUNCTION}") from exc
        return entries

    async def for_calls(self, call_ids: Collection[str | None]) -> list[ProbeEntry]:
        """The entries of the given calls, in order."""
        return [entry for entry in await self.entries() if entry.get("call_id") in call_ids]

    async def wait(
        self,
        call_ids: Collection[str | None],
        *,
        until: Callable[[list[ProbeEntry]], bool] | None = None,
        quiet: float = 0.1,
        deadline: float = 5.0,
    ) -> list[ProbeEntry]:
        """Poll until ``until(entries)`` holds, or the entries stop changing for ``quiet`` seconds.

        A receiver may acknowledge first and act later; polling gives it time without slowing down
        receivers that act before answering. Gives up at ``deadline`` seconds and returns what it saw.
        """
        started = last_change = time.monotonic()
        interval = POLL_INTERVAL
        entries = await self.for_calls(call_ids)
        while True:
            if until is not None and until(entries):
                return entries
            now = time.monotonic()
            if now - started >= deadline or now - last_change >= quiet:
                return entries
            await asyncio.sleep(interval)  # polling a remote receiver: there is nothing local to wait on
            interval = min(interval * 2, MAX_POLL_INTERVAL)
            fresh = await self.for_calls(call_ids)
            if fresh != entries:
                entries, last_change = fresh, time.monotonic()


def require_probe(probe: Probe | None) -> Probe:
    """``probe``, or skip the check saying how to enable the probe (a check that cannot see must not pass)."""
    if probe is None:
        raise CheckSkipped(NO_PROBE)
    return probe


def event_key_of(payload: BaseEvent | dict[str, Any]) -> tuple[Any, Any, Any]:
    """``(type, call_id, timestamp)``: how the probe's entries name an event."""
    if isinstance(payload, BaseEvent):
        return (payload.type, payload.call_id, payload.timestamp)
    return (payload.get("type"), payload.get("call_id"), payload.get("timestamp"))


def entry_key(entry: ProbeEntry) -> tuple[Any, Any, Any]:
    """The ``(type, call_id, timestamp)`` of a probe entry."""
    return (entry.get("type"), entry.get("call_id"), entry.get("timestamp"))


NO_PROBE = (
    "needs the receiver's state probe to see what it acted on; pass --probe URL (GET <probe> answers "
    '{"processed": [{"type", "call_id", "timestamp"}, ...]}, one entry per event acted on)'
)
_HOW = (
    'it must answer GET with 200 and JSON {"processed": [{"type", "call_id", "timestamp"}, ...]}, one entry per '
    "event acted on; or leave out --probe"
)


_HOW_FUNCTION = (
    'it must return the entries the receiver acted on, in order, each a mapping with "type", "call_id" and '
    '"timestamp" as received (e.g. rows of its own store)'
)


def describe_function(function: Callable[..., object]) -> str:
    """How a probe function is named in reports: ``module.name()``."""
    name = getattr(function, "__qualname__", None) or type(function).__name__
    module = getattr(function, "__module__", None)
    return f"{module}.{name}()" if module else f"{name}()"


def _excerpt(body: bytes, limit: int = 120) -> str:
    text = body.decode("utf-8", errors="replace")
    return repr(text if len(text) <= limit else text[:limit] + "...")
