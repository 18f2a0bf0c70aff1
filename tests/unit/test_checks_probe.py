"""The state probe client: the contract is enforced with errors naming the probe, and waiting settles."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from harness.checks import Probe, ProbeError
from harness.serving import AppServer


async def _serve(answer: Callable[[], web.Response]) -> AppServer:
    async def handler(request: web.Request) -> web.Response:
        return answer()

    app = web.Application()
    app.router.add_get("/probe", handler)
    return await AppServer(app).start()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as client:
        yield client


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (lambda: web.Response(status=404), "answered 404, expected 200"),
        (lambda: web.Response(text="<html>", content_type="text/html"), "the answer is not JSON"),
        (lambda: web.Response(text="[" * 100_000 + "]" * 100_000), "the answer is nested too deeply to parse"),
        (lambda: web.json_response({"events": []}), 'expected {"processed": [{...}, ...]}'),
        (lambda: web.json_response({"processed": [1, 2]}), 'expected {"processed": [{...}, ...]}'),
    ],
)
async def test_a_probe_breaking_the_contract_raises_an_error_naming_it(
    session: aiohttp.ClientSession, answer: Callable[[], web.Response], expected: str
) -> None:
    server = await _serve(answer)
    url = server.url + "/probe"
    try:
        with pytest.raises(ProbeError) as info:
            await Probe(url, session).entries()
    finally:
        await server.close()
    assert str(info.value).startswith(f"state probe {url}: ")
    assert expected in str(info.value)
    assert "or leave out --probe" in str(info.value)


async def test_an_unreachable_probe_is_a_probe_error(session: aiohttp.ClientSession) -> None:
    server = await _serve(lambda: web.json_response({"processed": []}))
    url = server.url + "/probe"
    await server.close()
    with pytest.raises(ProbeError, match=f"state probe {url}: cannot read it"):
        await Probe(url, session).entries()


async def test_wait_returns_as_soon_as_the_condition_holds_and_filters_by_call(session: aiohttp.ClientSession) -> None:
    processed: list[dict[str, Any]] = []

    async def handler(request: web.Request) -> web.Response:
        # Each read shows one more entry: a receiver that acts after answering.
        processed.append({"type": "call_turn", "call_id": "ac_a" if len(processed) % 2 else "ac_b"})
        return web.json_response({"processed": processed})

    app = web.Application()
    app.router.add_get("/probe", handler)
    async with AppServer(app) as server:
        probe = Probe(server.url + "/probe", session)
        entries = await probe.wait(["ac_a"], until=lambda found: len(found) >= 3, quiet=5.0, deadline=5.0)
    assert [entry["call_id"] for entry in entries] == ["ac_a"] * 3


async def test_wait_without_a_condition_returns_once_nothing_changes(session: aiohttp.ClientSession) -> None:
    server = await _serve(lambda: web.json_response({"processed": [{"type": "call_started", "call_id": "ac_a"}]}))
    try:
        entries = await Probe(server.url + "/probe", session).wait(["ac_a", "ac_x"], quiet=0.05, deadline=5.0)
    finally:
        await server.close()
    assert entries == [{"type": "call_started", "call_id": "ac_a"}]


async def test_a_function_is_a_probe_sync_or_async() -> None:
    rows = [{"type": "call_started", "call_id": "ac_1", "timestamp": "t"}]

    async def read_async() -> list[dict[str, str]]:
        return rows

    assert await Probe(lambda: iter(rows)).entries() == rows
    assert await Probe(read_async).entries() == rows
    assert await Probe(read_async).for_calls(["ac_2"]) == []


@pytest.mark.parametrize(
    ("function", "message"),
    [
        (lambda: 1 / 0, "raised ZeroDivisionError"),
        (lambda: 42, "raised TypeError"),
        (lambda: [1, 2], "raised TypeError"),
    ],
)
async def test_a_broken_probe_function_is_a_probe_error_naming_it(function: object, message: str) -> None:
    with pytest.raises(ProbeError, match=rf"state probe .*<lambda>\(\): {message}"):
        await Probe(function).entries()  # type: ignore[arg-type]
