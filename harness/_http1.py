"""A lean HTTP/1.1 client for POSTing webhooks: keep-alive pools per origin, capped response bodies.

Why not a general client: the delivery engine needs one request shape (a POST of known bytes) and full
control of what a misbehaving receiver can do to it, at a rate that keeps up with the receivers it
tests. A general client spends most of its time on features webhooks never use (cookies, redirects,
proxies, decompression, tracing): this one is about three times faster on loopback.

What it guarantees: the headers go out exactly as given (names keep their casing), plus ``Host``,
``Content-Length``, a ``User-Agent`` and the Basic ``Authorization`` of credentials in the URL, unless
given; a header or URL that would make a request the receiver has to refuse is refused before sending
(the receiver would be blamed for its 400); redirects are never followed (the caller sees the 3xx); a
response body is kept up to a cap and the connection is closed past it, so a huge body is never
buffered; every way a receiver can fail ends in :class:`HTTPFailure` with a failure kind. https
receivers are verified unless the ``ssl_context`` given says otherwise (see :func:`tls_context`).

One retry, on purpose: when a kept-alive connection taken from the pool fails before a single byte of the
response arrived, the request is sent once more on a new connection. That is the keep-alive race (the
receiver closed the idle connection as the request went out, and never read it); reporting it as a
``reset`` would blame the receiver for the harness's own connection reuse. A new connection failing the
same way is reported. The cost: a receiver that reads a request on a reused connection and then closes
it without answering sees that request twice (browsers make the same trade).
"""

from __future__ import annotations

import asyncio
import base64
import errno
import functools
import re
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NamedTuple
from urllib.parse import quote, unquote, urlsplit

from harness.errors import ConfigError

__all__ = ["ConnectionPool", "HTTPFailure", "Response", "Target", "tls_context"]

MAX_HEAD = 64 * 1024  # a response head (status line and headers) longer than this is not a webhook answer
_STATUS_LINE = re.compile(rb"HTTP/1\.([01]) ([0-9]{3})(?: .*)?")
_TOKEN = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_TOKEN_TEXT = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_BARE_LF_HEAD_END = re.compile(rb"\n\r?\n")
_DIGITS = re.compile(r"[0-9]{1,18}")  # ASCII only: str.isdigit() also accepts "\u00b2"
# Characters a request-target may hold as they are (RFC 3986 pchar, "/", "?", and "%" of existing escapes).
_PATH_SAFE = "/%:@!$&'()*+,;=~"
_QUERY_SAFE = _PATH_SAFE + "?"


class HTTPFailure(Exception):
    """The request got no usable response; ``kind`` is a :class:`harness.delivery.FailureKind` value."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


class _Origin(NamedTuple):
    scheme: str
    host: str
    port: int


@dataclass(frozen=True)
class Target:
    """A parsed request URL; ``authorization`` is the Basic credentials of ``http://user:pass@host/``."""

    origin: _Origin
    host_header: str
    path: str
    authorization: str | None = None

    @classmethod
    def parse(cls, url: str) -> Target:
        """Split ``url``; HTTPFailure("other") unless it is an http(s) URL with a host."""
        return _parse_target(url)

    @classmethod
    def _parse(cls, url: str) -> Target:
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise HTTPFailure("other", f"invalid URL {url!r}: {exc}") from exc
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise HTTPFailure("other", f"invalid URL {url!r}: expected http:// or https:// and a host")
        default = 443 if parts.scheme == "https" else 80
        host = parts.hostname
        if not host.isascii():
            try:
                host = host.encode("idna").decode("ascii")
            except UnicodeError as exc:
                raise HTTPFailure("other", f"invalid URL {url!r}: host {host!r} is not a valid name") from exc
        netloc_host = f"[{host}]" if ":" in host else host
        host_header = netloc_host if port in (None, default) else f"{netloc_host}:{port}"
        # Percent-encode what cannot go raw on the request line (a space would split it, and the receiver's
        # 400 would be blamed on it); existing %XX escapes are kept as they are.
        path = quote(parts.path or "/", safe=_PATH_SAFE)
        if parts.query:
            path += "?" + quote(parts.query, safe=_QUERY_SAFE)
        authorization = None
        if parts.username is not None:
            # As aiohttp's client and curl do: credentials in the URL become Basic auth, not silently dropped.
            pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
            authorization = "Basic " + base64.b64encode(pair).decode("ascii")
        return cls(_Origin(parts.scheme, host, port or default), host_header, path, authorization)


@functools.lru_cache(maxsize=256)
def _parse_target(url: str) -> Target:
    # Cached: a deliverer posts to the same few URLs thousands of times.
    return Target._parse(url)


@dataclass
class Response:
    """What came back: status, headers (names as sent, repeated ones joined), up to ``limit`` body bytes."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    truncated: bool = False


class _Protocol(asyncio.Protocol):
    """One connection: parses one response at a time, as a small state machine fed by ``data_received``."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.closed = False
        self.lost: asyncio.Future[None] = loop.create_future()
        self.waiter: asyncio.Future[Response] | None = None
        self.reusable = False
        self._reset_state(0)

    def _reset_state(self, limit: int) -> None:
        self.state = "head"
        self.limit = limit
        self.response: Response | None = None
        self.body = bytearray()
        self.remaining = 0
        self.keep_alive = True
        self.received_any = False

    # -- asyncio callbacks ---------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        if self.waiter is None or self.waiter.done():
            # Bytes nobody asked for (a second response, garbage): the connection cannot be trusted.
            self.reusable = False
            self.close()
            return
        self.received_any = True
        self.buffer += data
        try:
            self._parse()
        except HTTPFailure as failure:
            self._fail(failure)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if not self.lost.done():
            self.lost.set_result(None)
        if self.waiter is None or self.waiter.done():
            return
        if self.state == "until_close":
            self._finish(keep_alive=False)
        elif isinstance(exc, ConnectionResetError | BrokenPipeError):
            self._fail(HTTPFailure("reset", f"connection reset by the receiver ({exc.strerror})"))
        elif not self.received_any:
            self._fail(HTTPFailure("reset", "the receiver closed the connection before answering"))
        elif self.state == "length":
            got, announced = len(self.body), len(self.body) + self.remaining
            message = f"the receiver closed the connection after {got} of the {announced} body bytes it announced"
            self._fail(HTTPFailure("reset", f"{message} (Content-Length)"))
        elif self.state.startswith(("chunk", "trailers")):
            self._fail(HTTPFailure("reset", "the receiver closed the connection before its chunked body ended"))
        else:
            self._fail(HTTPFailure("reset", "the receiver closed the connection mid-response"))

    # -- driving -------------------------------------------------------------------------------------

    def begin(self, limit: int) -> asyncio.Future[Response]:
        """Expect the next response, keeping at most ``limit`` body bytes."""
        self._reset_state(limit)
        self.reusable = False
        self.waiter = self.loop.create_future()
        return self.waiter

    def close(self) -> None:
        if self.transport is not None and not self.closed:
            if self.transport.get_write_buffer_size():
                self.transport.abort()  # a graceful close would wait for the receiver to read the rest
            else:
                self.transport.close()
        self.closed = True

    def abort(self) -> None:
        if self.transport is not None and not self.lost.done():
            self.transport.abort()
        self.closed = True

    def _fail(self, failure: HTTPFailure) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(failure)
        self.abort()

    def _finish(self, *, keep_alive: bool) -> None:
        assert self.response is not None
        assert self.waiter is not None
        self.response.body = bytes(self.body)
        self.state = "done"
        self.reusable = keep_alive and self.keep_alive and not self.buffer and not self.closed
        if not self.waiter.done():
            self.waiter.set_result(self.response)
        if not self.reusable:
            self.close()

    def _keep(self, data: bytes | bytearray) -> bool:
        """Keep body bytes up to the cap; False (and finished, truncated) once the cap is passed."""
        assert self.response is not None
        room = self.limit - len(self.body)
        if len(data) > room:
            self.body += data[:room]
            self.response.truncated = True
            self._finish(keep_alive=False)  # the rest is never read: closing beats buffering it
            return False
        self.body += data
        return True

    def _parse(self) -> None:
        while self.waiter is not None and not self.waiter.done():
            if self.state == "head":
                if not self._parse_head():
                    return
            elif self.state in ("length", "chunk_data"):
                take = min(len(self.buffer), self.remaining)
                if take == 0:
                    return
                chunk = self.buffer[:take]
                del self.buffer[:take]
                self.remaining -= take
                if not self._keep(chunk):
                    return
                if self.remaining == 0:
                    if self.state == "length":
                        self._finish(keep_alive=True)
                    else:
                        self.state = "chunk_end"
            elif self.state == "chunk_size":
                line = self._line()
                if line is None:
                    return
                size_text = line.split(b";", 1)[0].strip()
                if not size_text or not re.fullmatch(rb"[0-9A-Fa-f]+", size_text):
                    raise HTTPFailure("invalid_http", f"bad chunk size {bytes(line[:40])!r}")
                self.remaining = int(size_text, 16)
                self.state = "chunk_data" if self.remaining else "trailers"
            elif self.state == "chunk_end":
                if len(self.buffer) < 2:
                    return
                if self.buffer[:2] != b"\r\n":
                    raise HTTPFailure("invalid_http", "a chunk does not end with CRLF")
                del self.buffer[:2]
                self.state = "chunk_size"
            elif self.state == "trailers":
                line = self._line()
                if line is None:
                    return
                if not line:
                    self._finish(keep_alive=True)
            elif self.state == "until_close":
                data, self.buffer = self.buffer, bytearray()
                self._keep(data)
                return
            else:  # "done": extra bytes after a complete response
                return

    def _line(self) -> bytearray | None:
        end = self.buffer.find(b"\r\n")
        if end < 0:
            if len(self.buffer) > MAX_HEAD:
                raise HTTPFailure("invalid_http", "a line longer than 64 KiB")
            return None
        line = self.buffer[:end]
        del self.buffer[: end + 2]
        return line

    def _parse_head(self) -> bool:
        if len(self.buffer) >= 5 and not self.buffer.startswith(b"HTTP/"):
            preview = bytes(self.buffer[:40]).decode("latin-1")
            raise HTTPFailure("invalid_http", f"the response does not start with HTTP/: {preview!r}")
        first_newline = self.buffer.find(b"\n")
        if first_newline > 0 and self.buffer[first_newline - 1] != 13:
            # Bare LF line ends (hand-written receivers): RFC 9112 2.2 lets a recipient accept them, as
            # aiohttp's client did; without this the receiver's answer would end as a timeout.
            found = _BARE_LF_HEAD_END.search(self.buffer)
            end, after = (found.start(), found.end()) if found else (-1, -1)
            newline = b"\n"
        else:
            end = self.buffer.find(b"\r\n\r\n")
            after, newline = end + 4, b"\r\n"
        if end < 0 or end > MAX_HEAD:
            # Checked on a complete head too: the verdict must not depend on how TCP split the bytes.
            if end > MAX_HEAD or len(self.buffer) > MAX_HEAD:
                raise HTTPFailure("invalid_http", "a response head longer than 64 KiB")
            return False
        head = bytes(self.buffer[:end])
        del self.buffer[:after]
        if newline == b"\n":
            head = head.replace(b"\r\n", b"\n")
        if b"\n " in head or b"\n\t" in head:
            # obs-fold: RFC 9112 5.2 has a user agent replace each fold with a space.
            head = re.sub(newline + rb"[ \t]+", b" ", head)
        lines = head.split(newline)
        match = _STATUS_LINE.fullmatch(lines[0])
        if match is None:
            raise HTTPFailure("invalid_http", f"bad status line {lines[0][:60].decode('latin-1')!r}")
        status = int(match.group(2))
        headers: dict[str, str] = {}
        lowered: dict[str, str] = {}
        for line in lines[1:]:
            name, colon, value = line.partition(b":")
            if not colon or _TOKEN.fullmatch(name) is None:
                raise HTTPFailure("invalid_http", f"bad header line {line[:60].decode('latin-1')!r}")
            key, text = name.decode("latin-1"), value.strip(b" \t").decode("latin-1")
            headers[key] = f"{headers[key]}, {text}" if key in headers else text
            # Joined across casings too: "Content-Length" and "content-length" are one field.
            low = key.lower()
            lowered[low] = f"{lowered[low]}, {text}" if low in lowered else text
        if 100 <= status < 200:
            if status == 101:  # not interim: the connection would stop being HTTP, and nothing asked for that
                raise HTTPFailure("invalid_http", "101 Switching Protocols to a request that asked for no upgrade")
            return True  # an interim response (100 Continue, 103 Early Hints): the real one follows
        self.response = Response(status=status, headers=headers)
        connection = lowered.get("connection", "").lower()
        self.keep_alive = match.group(1) == b"1" and "close" not in connection
        if status in (204, 304):
            self._finish(keep_alive=True)
        elif "transfer-encoding" in lowered:
            # RFC 9112 6.3: chunked framing only when chunked is the last coding; otherwise (and over any
            # Content-Length) the body runs until the receiver closes.
            if lowered["transfer-encoding"].rsplit(",", 1)[-1].strip().lower() == "chunked":
                self.state = "chunk_size"
            else:
                self.state = "until_close"
                self.keep_alive = False
        elif "content-length" in lowered:
            self.remaining = _content_length(lowered["content-length"])
            self.state = "length"
            if self.remaining == 0:
                self._finish(keep_alive=True)
        else:
            self.state = "until_close"
            self.keep_alive = False
        return True


def _content_length(value: str) -> int:
    """The body length a Content-Length field gives; repeated identical values are one (RFC 9112 6.3)."""
    if _DIGITS.fullmatch(value):
        return int(value)
    values = {item.strip() for item in value.split(",")}
    if len(values) == 1 and _DIGITS.fullmatch(length := values.pop()):
        return int(length)
    raise HTTPFailure("invalid_http", f"bad Content-Length {value[:40]!r}: one decimal number expected")


class ConnectionPool:
    """Keep-alive connections per origin; at most ``idle_limit`` idle ones are kept per origin.

    ``ssl_context`` verifies https receivers; None means the system's CAs with hostname checks (made when
    the first https connection is).
    """

    def __init__(self, *, idle_limit: int, user_agent: str, ssl_context: ssl.SSLContext | None = None) -> None:
        self.idle_limit = idle_limit
        self.user_agent = user_agent
        self._idle: dict[_Origin, list[_Protocol]] = {}
        self._open: set[_Protocol] = set()
        self._ssl = ssl_context
        self._closed = False

    async def post(self, target: Target, headers: Mapping[str, str], body: bytes, *, limit: int) -> Response:
        """POST ``body`` to ``target``; the response, or HTTPFailure saying why there is none."""
        request = _request_bytes(target, headers, body, self.user_agent)
        connection = self._reuse(target.origin)
        if connection is None:
            return await self._exchange(target.origin, await self._connect(target.origin), request, limit)
        try:
            return await self._exchange(target.origin, connection, request, limit)
        except HTTPFailure as failure:
            if failure.kind != "reset" or connection.received_any or self._closed:
                raise
        # The keep-alive race (see the module docstring): once more, on a new connection.
        return await self._exchange(target.origin, await self._connect(target.origin), request, limit)

    async def close(self) -> None:
        """Close every connection and wait (briefly) until they are gone; the pool then makes no new ones."""
        self._closed = True
        connections, self._open = self._open, set()
        self._idle.clear()
        in_flight = HTTPFailure("other", "the sender closed its connections before the receiver answered")
        for connection in connections:
            if connection.waiter is not None and not connection.waiter.done():
                connection._fail(in_flight)  # not the receiver's doing: not a reset
            else:
                connection.close()
        if connections:
            await asyncio.wait([c.lost for c in connections], timeout=1.0)
            for connection in connections:  # a TLS peer that never answers close_notify
                if not connection.lost.done():
                    connection.abort()

    async def _exchange(self, origin: _Origin, connection: _Protocol, request: bytes, limit: int) -> Response:
        waiter = connection.begin(limit)
        assert connection.transport is not None
        connection.transport.write(request)
        try:
            response = await waiter
        except BaseException:
            # Abort, not close: close() would keep the socket until a receiver that stopped reading takes
            # the unsent rest of the request, which may be never.
            connection.abort()
            self._open.discard(connection)
            raise
        self._release(origin, connection)
        return response

    def _reuse(self, origin: _Origin) -> _Protocol | None:
        idle = self._idle.get(origin)
        while idle:
            connection = idle.pop()
            if not connection.closed:
                return connection
            self._open.discard(connection)
        return None

    def _release(self, origin: _Origin, connection: _Protocol) -> None:
        idle = self._idle.setdefault(origin, [])
        if connection.reusable and not connection.closed and not self._closed and len(idle) < self.idle_limit:
            idle.append(connection)
        else:
            connection.close()
            self._open.discard(connection)

    async def _connect(self, origin: _Origin) -> _Protocol:
        loop = asyncio.get_running_loop()
        context = None
        if origin.scheme == "https":
            if self._ssl is None:
                self._ssl = ssl.create_default_context()
            context = self._ssl
        try:
            _, connection = await loop.create_connection(lambda: _Protocol(loop), origin.host, origin.port, ssl=context)
        except TimeoutError:
            raise  # the caller's deadline (or the TLS handshake's), not a refusal
        except ssl.SSLCertVerificationError as exc:
            reason = exc.verify_message or str(exc)
            message = (
                f"TLS error with {origin.host}:{origin.port}: certificate verify failed ({reason}); for a receiver"
                " with a self-signed certificate, set DeliverySettings(tls_ca_file=...) or tls_verify=False"
            )
            raise HTTPFailure("tls", message) from exc
        except ssl.SSLError as exc:
            raise HTTPFailure("tls", f"TLS error with {origin.host}:{origin.port}: {exc}") from exc
        except ConnectionRefusedError as exc:
            message = f"connection refused by {origin.host}:{origin.port}: is the receiver running?"
            raise HTTPFailure("refused", message) from exc
        except ConnectionResetError as exc:
            # Connected, then reset (during a TLS handshake, say): not a refusal.
            raise HTTPFailure("reset", f"{origin.host}:{origin.port} reset the connection while connecting") from exc
        except OSError as exc:
            # With several addresses (::1 and 127.0.0.1), asyncio reports one OSError listing each failure.
            if f"[Errno {errno.ECONNREFUSED}]" in str(exc):
                message = f"connection refused by {origin.host}:{origin.port}: is the receiver running?"
                raise HTTPFailure("refused", message) from exc
            reason = exc.strerror or str(exc)
            raise HTTPFailure("refused", f"cannot connect to {origin.host}:{origin.port}: {reason}") from exc
        if self._closed:  # closed while this connection was being made: it would outlive the pool
            connection.abort()
            raise HTTPFailure("other", "the sender closed its connections before this request was sent")
        self._open.add(connection)
        return connection


def tls_context(*, verify: bool = True, ca_file: str | None = None) -> ssl.SSLContext:
    """The TLS settings for https receivers: the system's CAs, plus ``ca_file``; ``verify=False`` trusts any.

    ConfigError when ``ca_file`` cannot be read as PEM certificates.
    """
    context = ssl.create_default_context()
    if ca_file is not None:
        try:
            context.load_verify_locations(cafile=ca_file)
        except (OSError, ssl.SSLError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            raise ConfigError(f"{ca_file}: cannot load it as CA certificates (PEM): {reason}") from exc
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def custom_tls_context(*, verify: bool, ca_file: str | None) -> ssl.SSLContext | None:
    """:func:`tls_context` when the options differ from the defaults, else None: the system's CAs, as usual."""
    if verify and ca_file is None:
        return None
    return tls_context(verify=verify, ca_file=ca_file)


def _request_bytes(target: Target, headers: Mapping[str, str], body: bytes, user_agent: str) -> bytes:
    head, complete = _request_head(target, tuple(headers.items()), user_agent)
    if complete:  # the caller gave its own Content-Length
        return head + body
    return b"%sContent-Length: %d\r\n\r\n%s" % (head, len(body), body)


@functools.lru_cache(maxsize=256)
def _request_head(target: Target, headers: tuple[tuple[str, str], ...], user_agent: str) -> tuple[bytes, bool]:
    """The request head up to Content-Length, and whether it is complete (the caller gave Content-Length).

    Cached: it is the same for every event sent to one receiver.
    """
    given = {name.lower() for name, _ in headers}
    lines = [f"POST {target.path} HTTP/1.1"]
    if "host" not in given:
        lines.append(f"Host: {target.host_header}")
    if "user-agent" not in given:
        lines.append(f"User-Agent: {user_agent}")
    if target.authorization is not None and "authorization" not in given:
        lines.append(f"Authorization: {target.authorization}")
    for name, value in headers:
        # A name that is not a token or a value with CR, LF or NUL would make a request the receiver must
        # answer 400, and that 400 would be blamed on it.
        if _TOKEN_TEXT.fullmatch(name) is None:
            raise HTTPFailure("other", f"header {name!r}: a name is letters, digits and !#$%&'*+-.^_`|~ only")
        if "\r" in value or "\n" in value or "\0" in value:
            raise HTTPFailure("other", f"header {name!r}: a value cannot hold CR, LF or NUL")
        lines.append(f"{name}: {value}")
    complete = "content-length" in given
    try:
        return ("\r\n".join(lines) + ("\r\n\r\n" if complete else "\r\n")).encode("latin-1"), complete
    except UnicodeEncodeError as exc:
        bad = exc.object[exc.start : exc.end]
        raise HTTPFailure("other", f"a header holds a character outside Latin-1: {bad!r}") from exc
