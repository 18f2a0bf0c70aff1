"""Who may use the mock server: the checks between the network and every route.

The control API and the console can start calls, replay deliveries and change the webhook, so:

- ``Host``: they answer only to the names this server is known by (its bound address, ``localhost``,
  the loopback addresses, ``--allowed-host``), else 421. That stops a web page that rebinds its own DNS
  name to 127.0.0.1 from reaching them through the user's browser. The Calls and webhook APIs keep
  answering any name, since receivers call back by whatever name reaches this machine, unless the
  request comes from a browser (it carries ``Origin`` or ``Sec-Fetch-*``).
- ``Origin``: a state-changing request (POST, PUT, PATCH, DELETE) from a browser must come from this
  server's own pages, else 403: a page elsewhere cannot make the user's browser start calls (CSRF).
  Programs (curl, receivers, SDKs) send no ``Origin`` and are not affected.
- The control token: when one is set (it must be, to bind anything but loopback), the control API and
  the console require it, as ``Authorization: Bearer <token>`` or the cookie that opening the link
  ``/?token=<token>`` sets.
"""

from __future__ import annotations

import hmac
import socket
from collections.abc import Iterable

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from harness.server._http import fail

__all__ = ["PLATFORM_PREFIX", "TOKEN_COOKIE", "guard", "host_name"]

PLATFORM_PREFIX = "/agents"
TOKEN_COOKIE = "harness_control_token"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_WILDCARDS = frozenset({"0.0.0.0", "::", ""})
_LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


def guard(*, host: str, token: str | None, allowed_hosts: Iterable[str] = ()) -> Middleware:
    """The middleware that applies the Host, Origin and token rules above to every request."""
    names = _known_names(host, allowed_hosts)
    any_host = "*" in names

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        platform = request.path.startswith(PLATFORM_PREFIX)
        if (not platform or _from_browser(request)) and not any_host:
            name = host_name(request.headers.get("Host", ""))
            if name not in names:
                fail(
                    421,
                    "Misdirected request",
                    f"This server does not answer to the host name {name[:100]!r}. Open it as"
                    " http://127.0.0.1:<port>/ or http://localhost:<port>/, or start it with --allowed-host NAME.",
                )
        if request.method not in _SAFE_METHODS and not _same_origin(request):
            fail(
                403,
                "Cross-origin request refused",
                "A browser sent this request from another site's page; use this server's own pages, or a"
                " program that sends no Origin header (curl, your receiver, an SDK).",
            )
        if token is not None and not platform:
            return await _with_token(request, handler, token)
        return await handler(request)

    return middleware


async def _with_token(request: web.Request, handler: Handler, token: str) -> web.StreamResponse:
    offered = request.query.get("token")
    if offered is not None and request.method == "GET" and _matches(offered, token):
        # The link the server printed: keep the token in a cookie and drop it from the address bar.
        query = {key: value for key, value in request.query.items() if key != "token"}
        raise _see_other(request.rel_url.with_query(query).human_repr(), token)
    scheme, _, bearer = request.headers.get("Authorization", "").partition(" ")
    if (scheme.lower() == "bearer" and _matches(bearer.strip(), token)) or _matches(
        request.cookies.get(TOKEN_COOKIE, ""), token
    ):
        return await handler(request)
    fail(
        401,
        "Control token required",
        "This server requires its control token: send 'Authorization: Bearer <token>', or open the link with"
        " ?token=<token> that `harness serve` printed.",
    )


def _see_other(location: str, token: str) -> web.HTTPSeeOther:
    response = web.HTTPSeeOther(location=location)
    response.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="Strict", path="/")
    return response


def _matches(offered: str, token: str) -> bool:
    return bool(offered) and hmac.compare_digest(offered.encode(), token.encode())


def _known_names(host: str, allowed: Iterable[str]) -> frozenset[str]:
    names = set(_LOOPBACK_NAMES) | {name.lower() for name in allowed}
    bound = host.strip("[]").lower()
    if bound in _WILDCARDS:
        # Bound to every interface: the machine's own names are fine; others need --allowed-host.
        names |= {socket.gethostname().lower(), socket.getfqdn().lower()}
    else:
        names.add(bound)
    return frozenset(names)


def host_name(header: str) -> str:
    """The name part of a ``Host`` header, lower case: ``localhost:8765`` → ``localhost``, ``[::1]:80`` → ``::1``."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1 : header.find("]")] if "]" in header else header
    name, _, port = header.rpartition(":")
    return name if name and port.isdigit() else header


def _from_browser(request: web.Request) -> bool:
    headers = request.headers
    return "Origin" in headers or "Sec-Fetch-Site" in headers or "Sec-Fetch-Mode" in headers


def _same_origin(request: web.Request) -> bool:
    """False for a request a browser sent from another site's page; programs send no Origin and pass."""
    origin = request.headers.get("Origin")
    if origin is None:
        return request.headers.get("Sec-Fetch-Site", "same-origin") in ("same-origin", "none")
    host = request.headers.get("Host", "")
    return origin.lower() in (f"http://{host}".lower(), f"https://{host}".lower())
