"""Serve apps on a loopback port, with explicit and idempotent start and stop.

:class:`AppServer` serves an aiohttp application on the caller's event loop. :func:`serve_app` serves an
aiohttp application, a WSGI app (Flask, ...) or an ASGI app (FastAPI, ..., through uvicorn: the ``serve``
extra) on a background thread, for sync code such as pytest fixtures.
"""

from __future__ import annotations

import asyncio
import inspect
import io
import logging
import socket
import socketserver
import ssl
import threading
from types import TracebackType
from typing import Any, Literal, Self
from wsgiref import simple_server

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from harness._net import bind_socket
from harness.errors import ConfigError

__all__ = [
    "ASGIServer",
    "AiohttpThreadedServer",
    "AppKind",
    "AppServer",
    "ThreadedServer",
    "WSGIServer",
    "detect_kind",
    "serve_app",
    "url_host",
]


class _OneLineErrors(logging.Filter):
    """aiohttp logs a request it could not handle with the exception's traceback, and a malformed request's
    exception quotes the bad header line: a secret in it would reach the terminal. Keep one line, the
    exception's type and never its message (handlers' own errors are recorded, masked, by the apps)."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, HttpProcessingError):
            record.msg = f"refused a malformed HTTP request ({type(error).__name__}): answered {error.code or 400}"
            record.args = ()
        elif error is not None:
            record.msg, record.args = "%s: %s", (record.getMessage(), type(error).__name__)
        record.exc_info = record.exc_text = None
        return True


# Given to every aiohttp server started here, in place of aiohttp's own "aiohttp.server" logger.
SERVER_LOGGER = logging.getLogger("harness.http")
SERVER_LOGGER.addFilter(_OneLineErrors())

STARTUP_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0


def url_host(host: str) -> str:
    """``host`` as it goes in a URL: an IPv6 address in brackets (``[::1]``), anything else as it is."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


class AppServer:
    """An aiohttp application listening on ``host:port`` (port 0 picks a free one; read it from ``url``).

    Use as ``async with AppServer(app) as server: ...`` or call :meth:`start` and :meth:`close`.
    With ``ssl_context`` it serves https.
    """

    def __init__(
        self,
        app: web.Application,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        ssl_context: ssl.SSLContext | None = None,
        shutdown_timeout: float = 1.0,
    ) -> None:
        self.app = app
        self.host = host
        self.port = port
        self.ssl_context = ssl_context
        self.shutdown_timeout = shutdown_timeout
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        """Base URL without a trailing slash, e.g. ``http://127.0.0.1:54321``."""
        if self._runner is None:
            raise RuntimeError("the server is not started; call start() first")
        scheme = "https" if self.ssl_context is not None else "http"
        return f"{scheme}://{url_host(self.host)}:{self.port}"

    async def start(self) -> AppServer:
        """Bind and start serving; does nothing when already started."""
        if self._runner is not None:
            return self
        sock = bind_socket(self.host, self.port)
        self.port = sock.getsockname()[1]
        runner = web.AppRunner(
            self.app,
            access_log=None,
            handle_signals=False,
            shutdown_timeout=self.shutdown_timeout,
            logger=SERVER_LOGGER,
        )
        try:
            await runner.setup()
            await web.SockSite(runner, sock, ssl_context=self.ssl_context).start()
        except BaseException:
            sock.close()
            await runner.cleanup()
            raise
        self._runner = runner
        return self

    async def close(self) -> None:
        """Stop serving; does nothing when already stopped."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> AppServer:
        return await self.start()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()


class ThreadedServer:
    """A server on a background thread, for sync code and for apps that are not aiohttp.

    ``with serve_app(app) as server: requests.post(server.url + "/webhooks", ...)``. Start and stop are
    explicit and idempotent; an error that ends the server thread is re-raised by :meth:`stop` (and by
    :meth:`check_errors`) in the caller's thread instead of dying silently.
    """

    kind = "threaded"

    def __init__(self, app: Any, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.host = host
        self.port = port
        self.errors: list[BaseException] = []
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Base URL without a trailing slash, e.g. ``http://127.0.0.1:54321``."""
        if self._thread is None:
            raise RuntimeError("the server is not started; call start() first")
        return f"http://{url_host(self.host)}:{self.port}"

    @property
    def running(self) -> bool:
        """True between start() and stop()."""
        return self._thread is not None

    def start(self) -> Self:
        """Bind (port 0: a free port, read back into ``port``) and serve on a thread; no-op when running."""
        if self._thread is not None:
            return self
        sock = bind_socket(self.host, self.port)
        self.port = sock.getsockname()[1]
        ready = threading.Event()

        def run() -> None:
            try:
                self._serve(sock, ready)
            except BaseException as exc:  # recorded, re-raised in the caller's thread by stop()
                self.errors.append(exc)
            finally:
                ready.set()

        thread = threading.Thread(target=run, name=f"harness-{self.kind}-server", daemon=True)
        self._thread = thread
        thread.start()
        ready.wait(STARTUP_TIMEOUT)
        if self.errors or not thread.is_alive():
            self._thread = None
            thread.join(STARTUP_TIMEOUT)
            sock.close()
            self.check_errors()
            raise RuntimeError(f"the {self.kind} server on {self.host}:{self.port} stopped right after starting")
        return self

    def stop(self) -> None:
        """Stop serving and wait for the thread; re-raises an error the server thread died of. Idempotent."""
        thread, self._thread = self._thread, None
        if thread is not None:
            self._shutdown()
            thread.join(STOP_TIMEOUT)
        self.check_errors()

    def check_errors(self) -> None:
        """Raise the first error recorded on the server thread, if any (each is raised once)."""
        if self.errors:
            error = self.errors.pop(0)
            raise RuntimeError(f"the {self.kind} server on {self.host}:{self.port} failed: {error!r}") from error

    def _serve(self, sock: socket.socket, ready: threading.Event) -> None:
        raise NotImplementedError

    def _shutdown(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        return await asyncio.to_thread(self.start)

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await asyncio.to_thread(self.stop)


class WSGIServer(ThreadedServer):
    """A WSGI app (Flask, Django, Falcon, ...) served by the standard library, one thread per request.

    An exception that escapes the app is answered with a 500, as any WSGI server does, and its traceback
    is kept in ``app_errors`` rather than printed.
    """

    kind = "wsgi"

    def __init__(self, app: Any, *, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(app, host=host, port=port)
        self.app_errors: list[str] = []
        self._server: _ThreadingWSGIServer | None = None

    def _serve(self, sock: socket.socket, ready: threading.Event) -> None:
        server = _ThreadingWSGIServer((self.host, self.port), _QuietHandler, bind_and_activate=False)
        server.socket.close()
        sock.setblocking(True)
        server.socket = sock
        server.server_address = sock.getsockname()[:2]
        server.server_name, server.server_port = self.host, self.port
        server.setup_environ()
        server.set_app(self.app)
        server.app_errors = self.app_errors
        self._server = server
        ready.set()
        try:
            server.serve_forever(poll_interval=0.05)
        finally:
            server.server_close()

    def _shutdown(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server = None


class _ThreadingWSGIServer(socketserver.ThreadingMixIn, simple_server.WSGIServer):
    daemon_threads = True
    block_on_close = False
    app_errors: list[str]


class _QuietHandler(simple_server.WSGIRequestHandler):
    """No access log; a traceback from the app goes to the server's ``app_errors`` instead of stderr."""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def get_stderr(self) -> Any:
        return _ErrorSink(self.server.app_errors)  # type: ignore[attr-defined]  # set by WSGIServer._serve


class _ErrorSink(io.StringIO):
    def __init__(self, errors: list[str]) -> None:
        super().__init__()
        self._errors = errors

    def flush(self) -> None:
        if self.getvalue():
            self._errors.append(self.getvalue())
            self.seek(0)
            self.truncate()


class ASGIServer(ThreadedServer):
    """An ASGI app (FastAPI, Starlette, ...) served by uvicorn on a thread.

    uvicorn is the optional ``serve`` extra: ``pip install 'cartesia-webhook-harness[serve]'``.
    """

    kind = "asgi"

    def __init__(self, app: Any, *, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(app, host=host, port=port)
        self._server: Any = None

    def _serve(self, sock: socket.socket, ready: threading.Event) -> None:
        try:
            import uvicorn
        except ImportError as exc:
            raise ConfigError(
                "serving an ASGI app needs uvicorn: pip install 'cartesia-webhook-harness[serve]'"
            ) from exc

        class Server(uvicorn.Server):
            async def startup(self, sockets: list[socket.socket] | None = None) -> None:
                await super().startup(sockets=sockets)
                ready.set()

        config = uvicorn.Config(self.app, log_level="warning", access_log=False, lifespan="auto", ws="none")
        server = Server(config)
        self._server = server
        try:
            asyncio.run(server.serve(sockets=[sock]))
        except SystemExit as exc:  # uvicorn exits when the app's lifespan startup fails
            raise RuntimeError(f"uvicorn exited ({exc.code}): the app's startup failed; see its log above") from None

    def _shutdown(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
            self._server = None


class AiohttpThreadedServer(ThreadedServer):
    """An aiohttp ``Application`` served on its own event loop thread (for sync callers; async ones use AppServer)."""

    kind = "aiohttp"

    def __init__(self, app: web.Application, *, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(app, host=host, port=port)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None

    def _serve(self, sock: socket.socket, ready: threading.Event) -> None:
        async def serve() -> None:
            self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
            runner = web.AppRunner(
                self.app, access_log=None, handle_signals=False, shutdown_timeout=1.0, logger=SERVER_LOGGER
            )
            await runner.setup()
            try:
                await web.SockSite(runner, sock).start()
                ready.set()
                await self._stop.wait()
            finally:
                await runner.cleanup()

        asyncio.run(serve())

    def _shutdown(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)


AppKind = Literal["aiohttp", "wsgi", "asgi"]


def detect_kind(app: Any) -> AppKind:
    """``aiohttp`` for a ``web.Application``, ``asgi`` for an async ``(scope, receive, send)`` callable, else ``wsgi``.

    Raises ConfigError for something that is not callable at all.
    """
    if isinstance(app, web.Application):
        return "aiohttp"
    call = app if inspect.isfunction(app) or inspect.ismethod(app) else getattr(app, "__call__", None)  # noqa: B004
    if call is None:
        raise ConfigError(f"cannot serve {app!r}: expected an aiohttp Application, a WSGI app or an ASGI app")
    if inspect.iscoroutinefunction(call):
        return "asgi"
    return "wsgi"


def serve_app(app: Any, *, kind: AppKind | str | None = None, host: str = "127.0.0.1", port: int = 0) -> ThreadedServer:
    """Start serving ``app`` on a background thread and return the running server (call ``stop()`` when done).

    ``kind`` is detected when omitted: an aiohttp ``Application``, an ASGI app (FastAPI, Starlette) or a WSGI
    app (Flask, Django).
    """
    chosen = kind or detect_kind(app)
    servers: dict[str, type[ThreadedServer]] = {
        "aiohttp": AiohttpThreadedServer,
        "wsgi": WSGIServer,
        "asgi": ASGIServer,
    }
    if chosen not in servers:
        raise ConfigError(f"kind {chosen!r}: expected one of aiohttp, wsgi, asgi")
    return servers[chosen](app, host=host, port=port).start()
