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

Responses are parsed by llhttp (Node.js's HTTP parser, through ``httptools``), in linear time whatever way
the bytes are split; this module keeps the policy around it. What llhttp accepts, with the leniencies set in
``_LENIENCIES`` (each for receivers seen in the wild; none lets a response be framed two ways):

- bare LF line ends in the head (hand-written receivers; RFC 9112 2.2 lets a recipient accept them);
- obs-fold continuation lines, each fold replaced by one space (RFC 9112 5.2), and control characters
  in a header value (read as they are, as before);
- ``Transfer-Encoding`` beside ``Content-Length``: the transfer coding frames the body (RFC 9112 6.3),
  chunked when chunked is the last coding, else until the connection closes;
- spaces after a chunk size.

Interim responses (1xx) are skipped; a ``101`` is refused, as nothing asked for an upgrade. A body without
``Content-Length`` or chunked framing runs until the receiver closes the connection (HTTP/1.0 style).
A connection is reused only after an HTTP/1.1 response without ``Connection: close``.

Decided where llhttp is stricter than the hand-written parser it replaced: a response with more than one
``Content-Length`` value is ``invalid_http``, even when the values are equal (``Content-Length: 2, 2``, or
the field twice). RFC 9112 6.3 lets a recipient accept equal values; llhttp, and with it Node.js and
uvicorn, refuses them because two length fields are how responses get smuggled, and a sender built on
Node.js (as the platform's may be) would fail such a delivery too. The failure's message names the field.
A bare CR inside a header line is refused too (it was read as part of the value).
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
from typing import NamedTuple, NoReturn, cast
from urllib.parse import quote, unquote, urlsplit

import httptools

from harness.errors import ConfigError
from harness.failure_kind import FailureKind

__all__ = ["ConnectionPool", "HTTPFailure", "Response", "Target", "tls_context"]

MAX_HEAD = 64 * 1024  # a response head (status line and headers) longer than this is not a webhook answer
# Raw bytes of a head still unfinished past which it is refused; complete heads are measured by their fields.
_MAX_UNFINISHED_HEAD = 2 * MAX_HEAD
_LENIENCIES = {
    "lenient_optional_cr_before_lf": True,  # bare LF line ends in the head
    "lenient_headers": True,  # obs-fold, and bytes llhttp would refuse in a header value
    "lenient_chunked_length": True,  # Transfer-Encoding beside Content-Length: the coding frames the body
    "lenient_spaces_after_chunk_size": True,
}
_FOLD_SPACE = re.compile(r"[ \t]+")
_TOKEN_TEXT = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
# Characters a request-target may hold as they are (RFC 3986 pchar, "/", "?", and "%" of existing escapes).
_PATH_SAFE = "/%:@!$&'()*+,;=~"
_QUERY_SAFE = _PATH_SAFE + "?"


class HTTPFailure(Exception):
    """The request got no usable response; ``kind`` says why."""

    def __init__(self, kind: FailureKind, message: str) -> None:
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
            raise HTTPFailure(FailureKind.OTHER, f"invalid URL {url!r}: {exc}") from exc
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise HTTPFailure(FailureKind.OTHER, f"invalid URL {url!r}: expected http:// or https:// and a host")
        default = 443 if parts.scheme == "https" else 80
        host = parts.hostname
        if not host.isascii():
            try:
                host = host.encode("idna").decode("ascii")
            except UnicodeError as exc:
                raise HTTPFailure(FailureKind.OTHER, f"invalid URL {url!r}: host {host!r} is not a valid name") from exc
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
    """One connection: what arrives goes to llhttp, which calls back with the response's parts."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.lost: asyncio.Future[None] = loop.create_future()
        self.waiter: asyncio.Future[Response] | None = None
        self.reusable = False
        # One parser for the connection's life: llhttp reads the responses of a kept-alive connection in turn.
        self.parser = httptools.HttpResponseParser(self)
        self.parser.set_dangerous_leniencies(**_LENIENCIES)
        self._reset_state(0)

    def _reset_state(self, limit: int) -> None:
        self.limit = limit
        self.response: Response | None = None  # the final (not 1xx) response, once its head is read
        self.headers: dict[str, str] = {}
        self.body = bytearray()
        self.done = False
        self.failure: HTTPFailure | None = None
        self.received_any = False
        # Head bytes after the last line end, held back from the parser (see _feed_head).
        self.partial = bytearray()
        self.in_head = True
        self.line_fed = False  # whether a feed has ended a line: the bytes held back begin a line
        self.head_bytes = 0  # every byte received while a head was being read
        self.fields_size = 0  # status lines and header fields as llhttp reports them, against MAX_HEAD
        self.folded = False

    # -- asyncio callbacks ---------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without deriving from it: no isinstance check.
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        if self.waiter is None or self.waiter.done():
            # Bytes nobody asked for (a second response, garbage): the connection cannot be trusted.
            self.reusable = False
            self.close()
            return
        self.received_any = True
        try:
            if self.in_head:
                self._feed_head(data)
            else:
                self.parser.feed_data(data)
        except HTTPFailure as failure:
            self._fail(failure)
        except (httptools.HttpParserError, httptools.HttpParserUpgrade) as exc:
            self._fail(self.failure or self._invalid(exc))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if not self.lost.done():
            self.lost.set_result(None)
        if self.waiter is None or self.waiter.done():
            return
        framing = _framing(self.headers) if self.response is not None else None
        if framing == "close":
            self._finish(keep_alive=False)  # the body ends where the connection does
        elif isinstance(exc, ConnectionResetError | BrokenPipeError):
            self._fail(HTTPFailure(FailureKind.RESET, f"connection reset by the receiver ({exc.strerror})"))
        elif not self.received_any:
            self._fail(HTTPFailure(FailureKind.RESET, "the receiver closed the connection before answering"))
        elif framing == "length":
            got, announced = len(self.body), _announced_length(self.headers)
            message = f"the receiver closed the connection after {got} of the {announced} body bytes it announced"
            self._fail(HTTPFailure(FailureKind.RESET, f"{message} (Content-Length)"))
        elif framing == "chunked":
            message = "the receiver closed the connection before its chunked body ended"
            self._fail(HTTPFailure(FailureKind.RESET, message))
        else:
            self._fail(HTTPFailure(FailureKind.RESET, "the receiver closed the connection mid-response"))

    # -- llhttp callbacks ----------------------------------------------------------------------------

    def on_message_begin(self) -> None:
        if self.done:
            self.reusable = False  # bytes past the end of the response: the connection cannot be trusted
            self.close()
            return
        self.headers = {}
        self.fields_size += len("HTTP/1.1 200 \r\n")

    def on_status(self, reason: bytes) -> None:
        self.fields_size += len(reason)
        if self.fields_size > MAX_HEAD:
            self._refuse("a response head longer than 64 KiB")

    def on_header(self, name: bytes, value: bytes) -> None:
        if not self.in_head:
            return  # a trailer, after a chunked body: not part of the response's headers
        self.fields_size += len(name) + len(value) + 4
        if self.fields_size > MAX_HEAD:
            self._refuse("a response head longer than 64 KiB")
        key, text = name.decode("latin-1"), value.strip(b" \t").decode("latin-1")
        self.headers[key] = f"{self.headers[key]}, {text}" if key in self.headers else text

    def on_headers_complete(self) -> None:
        status = self.parser.get_status_code()
        if 100 <= status < 200:
            if status == 101:  # not interim: the connection would stop being HTTP, and nothing asked for that
                self._refuse("101 Switching Protocols to a request that asked for no upgrade")
            return  # an interim response (100 Continue, 103 Early Hints): llhttp ends it, the real one follows
        self.in_head = False
        if self.folded:
            # obs-fold: RFC 9112 5.2 has a user agent replace each fold with a space; llhttp drops only the CRLF.
            self.headers = {key: _FOLD_SPACE.sub(" ", value) for key, value in self.headers.items()}
        self.response = Response(status=status, headers=self.headers)

    def on_body(self, body: bytes) -> None:
        if self.done:
            return
        room = self.limit - len(self.body)
        if len(body) > room:
            assert self.response is not None
            self.body += body[:room]
            self.response.truncated = True
            self._finish(keep_alive=False)  # the rest is never read: closing beats buffering it
            return
        self.body += body

    def on_message_complete(self) -> None:
        if self.response is None or self.done:
            return  # an interim response ended, or bytes past the response (already refused)
        # Reused only for HTTP/1.1 without "Connection: close" and with a body framed by its length or chunks.
        self._finish(keep_alive=self.parser.should_keep_alive() and self.parser.get_http_version() == "1.1")

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

    def _feed_head(self, data: bytes) -> None:
        """Feed a head to llhttp in whole lines, so that a head dripped a byte at a time costs linear time.

        llhttp itself is linear, but httptools joins the pieces of a header value split across feeds with
        ``bytes +=``, which is quadratic in the value's length. Holding back what follows the last line end
        (searched for in the new bytes only) hands each header line over in one piece. The status line goes
        through as it comes: llhttp reports its pieces without joining them, and garbage is refused at once.
        """
        self.head_bytes += len(data)
        cut = data.rfind(b"\n") + 1
        if not cut:
            if self.line_fed:
                self.partial += data
            else:
                self.parser.feed_data(data)
        else:
            lines: bytes | bytearray = data
            end = cut
            if self.partial:
                self.partial += data[:cut]
                lines, end, self.partial = self.partial, len(self.partial), bytearray()
            if not self.folded:
                # A line that starts with a space or tab continues the line before it.
                self.folded = (self.line_fed and lines[:1] in (b" ", b"\t")) or lines.find(b"\n ", 0, end) >= 0
                self.folded = self.folded or lines.find(b"\n\t", 0, end) >= 0
            self.line_fed = True
            self.parser.feed_data(lines if end == len(lines) else memoryview(lines)[:end])
            if cut < len(data):
                if self.in_head:
                    self.partial += data[cut:]
                elif not self.closed:
                    self.parser.feed_data(memoryview(data)[cut:])
        if self.in_head and self.head_bytes > _MAX_UNFINISHED_HEAD:
            # Complete heads are measured by their fields (on_header); this bounds a head that never ends.
            raise HTTPFailure(FailureKind.INVALID_HTTP, "a response head longer than 64 KiB")

    def _refuse(self, message: str) -> NoReturn:
        # Raised inside an llhttp callback, which turns it into an HttpParserError: kept, to be reported as it is.
        self.failure = HTTPFailure(FailureKind.INVALID_HTTP, message)
        raise self.failure

    def _invalid(self, exc: Exception) -> HTTPFailure:
        """The failure for what llhttp refused, in its words."""
        reason = str(exc)
        if isinstance(exc, httptools.HttpParserUpgrade):
            reason = "a protocol upgrade that was not asked for"
        if reason.startswith("Expected HTTP/"):
            message = "the response does not start with HTTP/: is an HTTP/1.1 server listening there?"
            return HTTPFailure(FailureKind.INVALID_HTTP, message)
        if "Content-Length" in reason:
            reason += " (one Content-Length field holding one decimal number is expected)"
        return HTTPFailure(FailureKind.INVALID_HTTP, f"not a valid HTTP/1.1 response: {reason}")

    def _fail(self, failure: HTTPFailure) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(failure)
        self.abort()

    def _finish(self, *, keep_alive: bool) -> None:
        assert self.response is not None
        assert self.waiter is not None
        self.response.body = bytes(self.body)
        self.done = True
        self.reusable = keep_alive and not self.closed
        if not self.waiter.done():
            self.waiter.set_result(self.response)
        if not self.reusable:
            self.close()


def _expire(waiter: asyncio.Future[Response]) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError())


def _framing(headers: Mapping[str, str]) -> str:
    """How a response's body ends (RFC 9112 6.3): ``chunked``, ``length`` (Content-Length) or ``close``.

    llhttp frames the body itself; this only says which ending a closed connection cut short.
    """
    lowered = {name.lower(): value for name, value in headers.items()}
    if "transfer-encoding" in lowered:
        # Chunked only when chunked is the last coding; otherwise (and over any Content-Length) until close.
        last = lowered["transfer-encoding"].rsplit(",", 1)[-1].strip().lower()
        return "chunked" if last == "chunked" else "close"
    return "length" if "content-length" in lowered else "close"


def _announced_length(headers: Mapping[str, str]) -> int:
    # llhttp has refused anything but one field holding one decimal number.
    return next(int(value) for name, value in headers.items() if name.lower() == "content-length")


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

    async def post(
        self, target: Target, headers: Mapping[str, str], body: bytes, *, limit: int, deadline: float | None = None
    ) -> Response:
        """POST ``body`` to ``target``; the response, or HTTPFailure saying why there is none.

        ``deadline`` (the loop's clock) bounds connecting, sending and reading the whole response together:
        TimeoutError once it passes.
        """
        request = _request_bytes(target, headers, body, self.user_agent)
        connection = self._reuse(target.origin)
        if connection is None:
            connection = await self._connect_by(target.origin, deadline)
            return await self._exchange(target.origin, connection, request, limit, deadline)
        try:
            return await self._exchange(target.origin, connection, request, limit, deadline)
        except HTTPFailure as failure:
            if failure.kind != FailureKind.RESET or connection.received_any or self._closed:
                raise
        # The keep-alive race (see the module docstring): once more, on a new connection.
        connection = await self._connect_by(target.origin, deadline)
        return await self._exchange(target.origin, connection, request, limit, deadline)

    async def close(self) -> None:
        """Close every connection and wait (briefly) until they are gone; the pool then makes no new ones."""
        self._closed = True
        connections, self._open = self._open, set()
        self._idle.clear()
        in_flight = HTTPFailure(FailureKind.OTHER, "the sender closed its connections before the receiver answered")
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

    async def _exchange(
        self, origin: _Origin, connection: _Protocol, request: bytes, limit: int, deadline: float | None
    ) -> Response:
        waiter = connection.begin(limit)
        assert connection.transport is not None
        # A timer on the answer rather than asyncio.timeout(): the same deadline, for a fraction of the cost
        # per request (no task cancellation to undo), which the engine pays on every delivery.
        timer = None if deadline is None else connection.loop.call_at(deadline, _expire, waiter)
        connection.transport.write(request)
        try:
            response = await waiter
        except BaseException:
            # Abort, not close: close() would keep the socket until a receiver that stopped reading takes
            # the unsent rest of the request, which may be never.
            connection.abort()
            self._open.discard(connection)
            raise
        finally:
            if timer is not None:
                timer.cancel()
        self._release(origin, connection)
        return response

    async def _connect_by(self, origin: _Origin, deadline: float | None) -> _Protocol:
        if deadline is None:
            return await self._connect(origin)
        async with asyncio.timeout_at(deadline):
            return await self._connect(origin)

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
            raise HTTPFailure(FailureKind.TLS, message) from exc
        except ssl.SSLError as exc:
            raise HTTPFailure(FailureKind.TLS, f"TLS error with {origin.host}:{origin.port}: {exc}") from exc
        except ConnectionRefusedError as exc:
            message = f"connection refused by {origin.host}:{origin.port}: is the receiver running?"
            raise HTTPFailure(FailureKind.REFUSED, message) from exc
        except ConnectionResetError as exc:
            # Connected, then reset (during a TLS handshake, say): not a refusal.
            raise HTTPFailure(
                FailureKind.RESET, f"{origin.host}:{origin.port} reset the connection while connecting"
            ) from exc
        except OSError as exc:
            # With several addresses (::1 and 127.0.0.1), asyncio reports one OSError listing each failure.
            if f"[Errno {errno.ECONNREFUSED}]" in str(exc):
                message = f"connection refused by {origin.host}:{origin.port}: is the receiver running?"
                raise HTTPFailure(FailureKind.REFUSED, message) from exc
            reason = exc.strerror or str(exc)
            raise HTTPFailure(FailureKind.REFUSED, f"cannot connect to {origin.host}:{origin.port}: {reason}") from exc
        if self._closed:  # closed while this connection was being made: it would outlive the pool
            connection.abort()
            raise HTTPFailure(FailureKind.OTHER, "the sender closed its connections before this request was sent")
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
            raise HTTPFailure(FailureKind.OTHER, f"header {name!r}: a name is letters, digits and !#$%&'*+-.^_`|~ only")
        if "\r" in value or "\n" in value or "\0" in value:
            raise HTTPFailure(FailureKind.OTHER, f"header {name!r}: a value cannot hold CR, LF or NUL")
        lines.append(f"{name}: {value}")
    complete = "content-length" in given
    try:
        return ("\r\n".join(lines) + ("\r\n\r\n" if complete else "\r\n")).encode("latin-1"), complete
    except UnicodeEncodeError as exc:
        bad = exc.object[exc.start : exc.end]
        raise HTTPFailure(FailureKind.OTHER, f"a header holds a character outside Latin-1: {bad!r}") from exc
