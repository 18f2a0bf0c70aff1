"""Live updates: changes are coalesced, each open view renders once per flush, and nothing runs without listeners."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from harness.server.console.live import Broadcaster, View
from harness.serving import AppServer


class Views:
    """Views whose renders are counted; ``fail`` makes the next render raise."""

    def __init__(self) -> None:
        self.renders: dict[str, int] = {}
        self.fail = False
        self.fixed: str | None = None  # when set, every render shows this text

    def make(self, key: str, *, calls: frozenset[str] | None = None, topics: frozenset[str] = frozenset()) -> View:
        async def render() -> dict[str, str]:
            self.renders[key] = self.renders.get(key, 0) + 1
            if self.fail:
                self.fail = False
                raise RuntimeError("template broke")
            return {"target": self.fixed or f"{key} render {self.renders[key]}"}

        return View(key=key, render=render, calls=calls, topics=topics)


@pytest.fixture
async def setup() -> AsyncIterator[tuple[Broadcaster, Views, str, list[BaseException]]]:
    errors: list[BaseException] = []
    broadcaster = Broadcaster(on_error=errors.append, interval=0.05)
    views = Views()
    known = {
        "all": views.make("all"),
        "call-a": views.make("call-a", calls=frozenset({"a"})),
        "test": views.make("test", calls=frozenset(), topics=frozenset({"test"})),
    }

    async def events(request: web.Request) -> web.StreamResponse:
        since = request.query.get("since")
        return await broadcaster.stream(request, known[request.query["view"]], since=int(since) if since else None)

    app = web.Application()
    app.router.add_get("/events", events)
    app.on_shutdown.append(lambda _: broadcaster.close())
    async with AppServer(app) as server:
        yield broadcaster, views, server.url, errors
        for response in OPENED:
            response.close()
        OPENED.clear()


# Streams the tests opened; each test's fixture closes them before its server stops.
OPENED: list[aiohttp.ClientResponse] = []


class Stream:
    """One open event stream, as a browser tab holds it."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self.response = response
        OPENED.append(response)

    async def next_update(self) -> dict[str, Any]:
        async with asyncio.timeout(10):
            async for line in self.response.content:
                if line.startswith(b"data: "):
                    data: dict[str, Any] = json.loads(line[6:])
                    return data
        raise AssertionError("the stream ended")


async def subscribe(
    http: aiohttp.ClientSession, url: str, view: str, broadcaster: Broadcaster, since: int | None = None
) -> Stream:
    count = broadcaster.subscribers
    query = f"?view={view}" + ("" if since is None else f"&since={since}")
    response = await http.get(url + "/events" + query)
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/event-stream"
    await wait_for(lambda: broadcaster.subscribers == count + 1)
    return Stream(response)


async def wait_for(condition: Callable[[], bool]) -> None:
    """Poll with a deadline: the broadcaster has no event to wait on for a stream it registered."""
    async with asyncio.timeout(10):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.01)


async def test_many_changes_make_one_render_shared_by_every_tab_on_the_view(setup: Any) -> None:
    broadcaster, views, url, errors = setup
    async with aiohttp.ClientSession() as http:
        tabs = [await subscribe(http, url, "all", broadcaster, since=broadcaster.changes) for _ in range(3)]
        for number in range(1000):
            broadcaster.touch(f"call_{number}")
        updates = [await tab.next_update() for tab in tabs]
    assert {update["fragments"]["target"] for update in updates} == {"all render 1"}
    assert views.renders == {"all": 1}
    assert updates[0]["since"] == broadcaster.changes
    assert errors == []


async def test_a_view_of_one_call_ignores_the_others_and_topics_reach_their_views(setup: Any) -> None:
    broadcaster, views, url, _ = setup
    async with aiohttp.ClientSession() as http:
        call_tab = await subscribe(http, url, "call-a", broadcaster, since=broadcaster.changes)
        test_tab = await subscribe(http, url, "test", broadcaster, since=broadcaster.changes)
        broadcaster.touch("b")
        broadcaster.publish("test")
        assert (await test_tab.next_update())["fragments"] == {"target": "test render 1"}
        broadcaster.touch("a")
        assert (await call_tab.next_update())["fragments"] == {"target": "call-a render 1"}
    assert views.renders == {"test": 1, "call-a": 1}


async def test_a_page_rendered_before_a_change_gets_the_change_when_its_stream_opens(setup: Any) -> None:
    broadcaster, views, url, _ = setup
    rendered_at = broadcaster.changes
    broadcaster.touch("x")  # nobody listens yet: nothing renders, only the count moves
    await asyncio.sleep(0)
    assert views.renders == {}
    async with aiohttp.ClientSession() as http:
        tab = await subscribe(http, url, "all", broadcaster, since=rendered_at)
        assert (await tab.next_update())["fragments"] == {"target": "all render 1"}


async def test_a_view_that_cannot_render_is_recorded_and_the_stream_goes_on(setup: Any) -> None:
    broadcaster, views, url, errors = setup
    async with aiohttp.ClientSession() as http:
        tab = await subscribe(http, url, "all", broadcaster, since=broadcaster.changes)
        views.fail = True
        broadcaster.touch("a")
        assert (await tab.next_update())["fragments"] == {}
        broadcaster.touch("a")
        assert (await tab.next_update())["fragments"] == {"target": "all render 2"}
    assert [str(error) for error in errors] == ["template broke"]


async def test_closing_ends_every_stream(setup: Any) -> None:
    broadcaster, _, url, _ = setup
    async with aiohttp.ClientSession() as http:
        tab = await subscribe(http, url, "all", broadcaster, since=broadcaster.changes)
        await broadcaster.close()
        async with asyncio.timeout(10):
            rest = await tab.response.content.read()
    assert b"data:" not in rest
    assert broadcaster.subscribers == 0


async def test_a_view_whose_fragments_did_not_change_sends_nothing(setup: Any) -> None:
    broadcaster, views, url, _ = setup
    views.fixed = "same"
    async with aiohttp.ClientSession() as http:
        tab = await subscribe(http, url, "all", broadcaster, since=broadcaster.changes)
        broadcaster.touch("a")
        assert (await tab.next_update())["fragments"] == {"target": "same"}
        broadcaster.touch("b")
        await wait_for(lambda: views.renders["all"] == 2)  # rendered again, the same: not sent
        views.fixed = "changed"
        broadcaster.touch("c")
        # The next update the tab reads is the changed one: nothing was sent for the second render.
        assert (await tab.next_update())["fragments"] == {"target": "changed"}
