"""The receiver's state probe: ``GET <probe>`` → ``{"processed": [{"type", "call_id", "timestamp", ...}, ...]}``.

One entry per event the receiver acted on, in order; an event acted on twice appears twice; rejected
requests never appear. The probe is how checks observe side effects, which status codes cannot show.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Collection
from typing import Any

import aiohttp

from harness.errors import HarnessError

__all__ = ["Probe", "ProbeEntry", "ProbeError"]

ProbeEntry = dict[str, Any]
POLL_INTERVAL = 0.01
MAX_POLL_INTERVAL = 0.05


class ProbeError(HarnessError):
    """The state probe cannot be read or does not follow the probe contract."""


class Probe:
    """Reads a receiver's state probe over a shared client session."""

    def __init__(self, url: str, session: aiohttp.ClientSession) -> None:
        self.url = url
        self._session = session

    async def entries(self) -> list[ProbeEntry]:
        """Every processed entry, in order; raises ProbeError naming the URL when the probe misbehaves."""
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


_HOW = (
    'it must answer GET with 200 and JSON {"processed": [{"type", "call_id", "timestamp"}, ...]}, one entry per '
    "event acted on; or leave out --probe"
)


def _excerpt(body: bytes, limit: int = 120) -> str:
    text = body.decode("utf-8", errors="replace")
    return repr(text if len(text) <= limit else text[:limit] + "...")
