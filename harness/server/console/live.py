"""Live updates for console pages over server-sent events, coalesced so that they never slow deliveries.

A delivery only marks its call as changed (a set insert, and nothing at all while no page listens). At most
every ``INTERVAL`` seconds the changes are flushed: each page view that is open and affected is rendered once,
however many tabs show it, and the HTML fragments are queued for its subscribers. A subscriber holds only the
latest fragments, so a slow tab skips states instead of piling them up. When rendering takes a while, the next
flush waits longer, keeping the console's share of the server's time under ``SHARE``.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web

__all__ = ["HEARTBEAT", "INTERVAL", "MAX_SUBSCRIBERS", "SHARE", "Broadcaster", "View"]

INTERVAL = 0.25  # seconds between two flushes, at least
SHARE = 0.1  # of the server's wall time that rendering live fragments may take, at most
MAX_DELAY = 5.0  # the longest a change waits to be shown, however slow rendering got
HEARTBEAT = 15.0  # seconds between keep-alive comments, so a closed tab is noticed and dropped
MAX_SUBSCRIBERS = 64  # open live connections; more get a 503 and the page still works without updates


@dataclass(frozen=True)
class View:
    """A page that can be kept live: its key, which changes concern it, and how to render its fragments.

    ``render`` returns ``{element id: inner HTML}``; ``calls`` is None when the view follows every call.
    """

    key: str
    render: Callable[[], Awaitable[dict[str, str]]]
    calls: frozenset[str] | None = None
    topics: frozenset[str] = frozenset()

    def affected_by(self, calls: set[str], topics: set[str]) -> bool:
        """True when one of these changes shows on this view."""
        if not topics.isdisjoint(self.topics):
            return True
        if not calls:
            return False
        return self.calls is None or not self.calls.isdisjoint(calls)


@dataclass(eq=False)
class _Subscriber:
    view: View
    pending: bytes | None = None
    closed: bool = False
    ready: asyncio.Event = field(default_factory=asyncio.Event)

    def offer(self, payload: bytes | None) -> None:
        # Only the latest state matters: a payload not yet written is replaced, never queued behind.
        if payload is None:
            self.closed = True
        else:
            self.pending = payload
        self.ready.set()

    async def next(self, timeout: float) -> bytes | None:  # noqa: ASYNC109  (the heartbeat period)
        """The next payload; b"" when ``timeout`` passed without one; None once closed."""
        try:
            await asyncio.wait_for(self.ready.wait(), timeout)
        except TimeoutError:
            return b""
        self.ready.clear()
        if self.closed:
            return None
        payload, self.pending = self.pending, None
        return payload or b""


class Broadcaster:
    """Pushes re-rendered fragments of open console pages to their server-sent-event streams."""

    def __init__(
        self,
        *,
        on_error: Callable[[BaseException], None],
        cpu: Callable[[], float] = lambda: 0.0,
        before_flush: Callable[[], Awaitable[None]] | None = None,
        interval: float = INTERVAL,
        share: float = SHARE,
    ) -> None:
        self.on_error = on_error  # a view that cannot render is a bug: recorded, not swallowed
        # CPU seconds the views' rendering has used so far (in worker threads); the budget is kept in CPU time,
        # since a render's wall time is mostly waiting (for the log, for the GIL) while deliveries go on.
        self.cpu = cpu
        self.before_flush = before_flush  # once per flush that renders, before the first view (commit the log)
        self.interval = interval
        self.share = share
        self.changes = 0  # counts every change, listened to or not: a page rendered at n is stale once it moved on
        self._subscribers: set[_Subscriber] = set()
        self._calls: set[str] = set()
        self._topics: set[str] = set()
        self._timer: asyncio.TimerHandle | None = None
        self._task: asyncio.Task[None] | None = None
        self._next_at = 0.0
        self._closing = False
        self.flushes = 0
        self.render_seconds = 0.0  # CPU seconds spent on flushes
        self._encoding = 0.0  # CPU seconds of this flush spent encoding payloads on the loop
        self._sent: dict[str, dict[str, str]] = {}  # view key -> the fragments last sent to its streams

    @property
    def subscribers(self) -> int:
        """Open live connections."""
        return len(self._subscribers)

    def touch(self, call_id: str) -> None:
        """Note that a call changed; called for every event applied, so it must stay this cheap."""
        self.changes += 1
        if self._subscribers:
            self._calls.add(call_id)
            self._wake()

    def publish(self, topic: str) -> None:
        """Note that something other than a call changed (``"test"``: a contract check run)."""
        self.changes += 1
        if self._subscribers:
            self._topics.add(topic)
            self._wake()

    async def stream(self, request: web.Request, view: View, *, since: int | None) -> web.StreamResponse:
        """Serve ``view``'s updates as server-sent events until the page closes or the server stops."""
        if self._closing or len(self._subscribers) >= MAX_SUBSCRIBERS:
            raise web.HTTPServiceUnavailable(text="Too many live console pages are open; close some and reload.")
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store", "X-Accel-Buffering": "no"}
        )
        await response.prepare(request)
        subscriber = _Subscriber(view)
        self._subscribers.add(subscriber)
        try:
            await response.write(b"retry: 2000\n\n")
            if since != self.changes:  # it changed between rendering the page and opening this stream
                subscriber.offer(await self._payload(view))
            while (payload := await subscriber.next(HEARTBEAT)) is not None:
                await response.write(payload or b": keep-alive\n\n")
        except ConnectionError:
            pass  # the tab went away
        finally:
            self._subscribers.discard(subscriber)
        return response

    async def close(self) -> None:
        """End every stream (the server is stopping) and any flush in progress."""
        self._closing = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for subscriber in list(self._subscribers):
            subscriber.offer(None)
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    def _wake(self) -> None:
        if self._timer is not None or self._task is not None or self._closing:
            return
        loop = asyncio.get_running_loop()
        delay = max(0.0, self._next_at - loop.time())
        self._timer = loop.call_later(delay, self._start_flush)

    def _start_flush(self) -> None:
        self._timer = None
        self._task = asyncio.get_running_loop().create_task(self._flush(), name="console live flush")

    async def _flush(self) -> None:
        loop = asyncio.get_running_loop()
        started = self.cpu()
        self._encoding = 0.0
        try:
            calls, topics = self._calls, self._topics
            self._calls, self._topics = set(), set()
            by_key: dict[str, list[_Subscriber]] = {}
            for subscriber in self._subscribers:
                by_key.setdefault(subscriber.view.key, []).append(subscriber)
            affected = [subs for subs in by_key.values() if subs[0].view.affected_by(calls, topics)]
            if affected and self.before_flush is not None:
                await self.before_flush()
            for subscribers in affected:
                view = subscribers[0].view
                fragments = await self._render(view)
                if fragments == self._sent.get(view.key):
                    continue  # nothing new to show: no bytes to send, nothing for the tabs to redo
                if len(self._sent) >= 4 * MAX_SUBSCRIBERS:  # keys of views nobody may watch any more
                    self._sent.clear()
                self._sent[view.key] = fragments
                payload = self._encode(fragments)
                for subscriber in subscribers:
                    subscriber.offer(payload)
        finally:
            # Rendering for `spent` then resting `spent * (1 - share) / share` keeps it to `share` of the time.
            spent = max(0.0, self.cpu() - started) + self._encoding
            self.flushes += 1
            self.render_seconds += spent
            rest = min(MAX_DELAY, max(self.interval, spent * (1 - self.share) / self.share))
            self._next_at = loop.time() + rest
            self._task = None
            if (self._calls or self._topics) and self._subscribers:
                self._wake()

    async def _payload(self, view: View) -> bytes:
        return self._encode(await self._render(view))

    async def _render(self, view: View) -> dict[str, str]:
        try:
            return await view.render()
        except Exception as exc:  # recorded; a page that cannot render must not stop the others' updates
            self.on_error(exc)
            return {}

    def _encode(self, fragments: dict[str, str]) -> bytes:
        started = time.thread_time()
        data = json.dumps({"fragments": fragments, "since": self.changes, "at": time.time()})
        payload = f"event: update\ndata: {data}\n\n".encode()
        self._encoding += time.thread_time() - started
        return payload
