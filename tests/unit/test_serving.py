"""Serving apps on a loopback port: aiohttp, WSGI (Flask) and ASGI (FastAPI), started and stopped cleanly."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from typing import Any

import pytest
from aiohttp import web
from fastapi import FastAPI
from flask import Flask

from harness.errors import ConfigError
from harness.serving import (
    AiohttpThreadedServer,
    ASGIServer,
    ThreadedServer,
    WSGIServer,
    detect_kind,
    serve_app,
)


def flask_app() -> Flask:
    app = Flask("serving_test")

    @app.post("/echo")
    def echo() -> Any:
        from flask import request

        return {"got": request.get_json(), "secret": request.headers.get("x-webhook-secret")}

    return app


def fastapi_app() -> FastAPI:
    app = FastAPI()

    @app.post("/echo")
    async def echo(body: dict[str, Any]) -> dict[str, Any]:
        return {"got": body, "secret": None}

    return app


def aiohttp_app() -> web.Application:
    async def echo(request: web.Request) -> web.Response:
        return web.json_response({"got": await request.json(), "secret": request.headers.get("X-Webhook-Secret")})

    app = web.Application()
    app.router.add_post("/echo", echo)
    return app


def post(url: str, payload: dict[str, Any], headers: dict[str, str] | None = None) -> tuple[int, Any]:
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        method="POST",
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def raw_wsgi_crash(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    raise ValueError("boom in the app")


@pytest.mark.parametrize(
    ("factory", "kind", "server_class"),
    [
        (flask_app, "wsgi", WSGIServer),
        (fastapi_app, "asgi", ASGIServer),
        (aiohttp_app, "aiohttp", AiohttpThreadedServer),
    ],
)
def test_each_kind_is_detected_served_on_a_free_port_and_stopped(
    factory: Any, kind: str, server_class: type[ThreadedServer]
) -> None:
    app = factory()
    assert detect_kind(app) == kind
    server = serve_app(app)
    assert isinstance(server, server_class)
    try:
        assert server.port != 0
        assert server.url == f"http://127.0.0.1:{server.port}"
        status, answer = post(server.url + "/echo", {"type": "call_started"})
        assert (status, answer["got"]) == (200, {"type": "call_started"})
    finally:
        server.stop()
    server.stop()  # idempotent
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", server.port)) != 0  # nothing listens any more


def test_start_is_idempotent_and_url_needs_a_started_server() -> None:
    server = WSGIServer(flask_app())
    with pytest.raises(RuntimeError, match="not started"):
        _ = server.url
    with server:
        port = server.port
        assert server.start() is server
        assert server.port == port
        assert server.running
    assert not server.running


def test_an_exception_escaping_a_wsgi_app_is_a_500_and_kept_not_printed(capsys: pytest.CaptureFixture[str]) -> None:
    with WSGIServer(raw_wsgi_crash) as server:
        status, _ = post(server.url + "/", {})
        assert status == 500
    assert len(server.app_errors) == 1
    assert "ValueError: boom in the app" in server.app_errors[0]
    assert "boom" not in capsys.readouterr().err


async def test_threaded_servers_work_as_async_context_managers() -> None:
    async with ASGIServer(fastapi_app()) as server:
        assert server.running
    assert not server.running


def test_a_busy_port_is_a_config_error_naming_it() -> None:
    with (
        WSGIServer(flask_app()) as first,
        pytest.raises(ConfigError, match=f"127.0.0.1:{first.port} is already in use"),
    ):
        WSGIServer(flask_app(), port=first.port).start()


def test_a_failing_asgi_startup_is_raised_in_the_caller() -> None:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await receive()
            await send({"type": "lifespan.startup.failed", "message": "database is down"})

    with pytest.raises(RuntimeError, match="the app's startup failed"):
        serve_app(app, kind="asgi")


def test_something_not_callable_cannot_be_served() -> None:
    with pytest.raises(ConfigError, match="expected an aiohttp Application, a WSGI app or an ASGI app"):
        detect_kind(42)
    with pytest.raises(ConfigError, match="kind 'tornado': expected one of aiohttp, wsgi, asgi"):
        serve_app(flask_app(), kind="tornado")
