"""Sockets bound up front, so a port in use is reported clearly and port 0 gives the real port back."""

from __future__ import annotations

import asyncio
import errno
import socket
from contextlib import suppress
from urllib.parse import urlsplit

from harness._redact import mask_url
from harness.errors import ConfigError, TargetUnreachableError


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port``; raises ConfigError naming the address on failure."""
    if not 0 <= port <= 65535:
        raise ConfigError(f"port {port}: expected a number from 0 to 65535")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        message = f"host {host!r}: cannot resolve it ({exc.strerror}); use an address such as 127.0.0.1"
        raise ConfigError(message) from exc
    family, _, _, _, address = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(512)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            message = f"{host}:{port} is already in use; stop what listens there or pick another port (0: any free)"
            raise ConfigError(message) from exc
        raise ConfigError(f"{host}:{port}: cannot listen ({exc.strerror})") from exc
    sock.setblocking(False)
    return sock


def http_url_problem(url: str) -> str | None:
    """What ``url`` should be, when it is not an http(s) URL a request can go to (None when it is)."""
    example = "such as http://127.0.0.1:8000/webhooks"
    if any(ord(char) < 32 or ord(char) == 127 for char in url):
        # CR or LF would split the request line; the receiver would be blamed for its 400.
        return f"a URL without control characters (CR, LF, tab, ...), {example}"
    try:
        parts = urlsplit(url)  # raises for a malformed IPv6 address ("http://[::1/")
    except ValueError as exc:
        return f"a valid URL ({exc}), {example}"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"an http:// or https:// URL {example}"
    try:
        parts.port  # noqa: B018  (urlsplit checks the port only when it is read)
    except ValueError:
        return "a port number from 0 to 65535 after the host"
    return None


def require_http_url(url: str, what: str) -> None:
    """ConfigError naming ``what`` (``--to``, ``target URL``) unless ``url`` is http(s) with a host and a valid port."""
    problem = http_url_problem(url)
    if problem is not None:
        raise ConfigError(f"{what} {mask_url(url)!r}: expected {problem}")


def address_of(url: str) -> tuple[str, int]:
    """The host and port an http(s) ``url`` connects to (the scheme's port when none is written)."""
    parts = urlsplit(url)
    return parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)


async def unreachable_reason(url: str, timeout: float) -> str | None:  # noqa: ASYNC109  (the connect timeout)
    """Why no TCP connection to ``url``'s host and port opens within ``timeout`` seconds, or None when one does.

    The connection is closed again at once: this only tells a receiver that is not running from one that fails.
    """
    host, port = address_of(url)
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    except TimeoutError:
        return f"no answer within {timeout:g} s"
    except ConnectionRefusedError:
        return "connection refused: nothing listens there"
    except OSError as exc:
        return exc.strerror or str(exc)
    writer.close()
    with suppress(OSError):
        await writer.wait_closed()
    return None


async def require_reachable(url: str, timeout: float, *, fix: str) -> None:  # noqa: ASYNC109  (the connect timeout)
    """TargetUnreachableError unless a TCP connection to ``url`` opens within ``timeout`` seconds.

    One clear error before any work starts, instead of a wall of failed requests; ``fix`` ends the message
    with the way to name the right URL (``pass the right --to URL``).
    """
    reason = await unreachable_reason(url, timeout)
    if reason is not None:
        raise TargetUnreachableError(f"cannot reach {mask_url(url)} ({reason}): start your receiver there, or {fix}")
