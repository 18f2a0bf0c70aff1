"""Helpers shared by the server's route modules: JSON bodies, true/false query parameters, and the error shape.

Every error any route answers goes through :func:`fail`, which picks the shape by the request's
``Cartesia-Version`` header (bound by the :func:`api_version` middleware, the first to see a request, for
the platform's routes under ``/agents``, so the security and auth checks answer in the same shape):

- ``2026-03-01`` and later: ``{"error_code", "title", "message", "request_id"}``, as the platform's
  current API reference shows;
- earlier versions, and requests without the header: ``{"message", "description"}``, the shape the
  mock served before versioned errors existed (the platform's older versions may also answer plain
  text; the JSON shape is kept so that existing callers keep working).

A value that is not a ``YYYY-MM-DD`` date (the platform accepts any value) gets the current shape.
"""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar
from typing import Any, NoReturn, TypeVar

from aiohttp import web
from aiohttp.typedefs import Handler
from pydantic import TypeAdapter, ValidationError

__all__ = [
    "API_VERSION_HEADER",
    "ERROR_CODES",
    "VERSIONED_ERRORS_SINCE",
    "api_version",
    "error_body",
    "fail",
    "found",
    "json_object",
    "json_response",
    "query_flag",
]

API_VERSION_HEADER = "Cartesia-Version"
# The first API version whose errors carry error_code, title, message and request_id.
VERSIONED_ERRORS_SINCE = "2026-03-01"
# error_code per HTTP status: not published, so these are the harness's own names (open strings on the wire).
ERROR_CODES = {
    400: "invalid_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
    421: "misdirected_request",
    500: "internal_error",
}
T = TypeVar("T")
_BOOLEAN: TypeAdapter[bool] = TypeAdapter(bool)

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# The Cartesia-Version of the request being handled; None when it sent none (or outside the platform routes).
_API_VERSION: ContextVar[str | None] = ContextVar("harness_api_version", default=None)


def json_response(data: Any, *, status: int = 200) -> web.Response:
    """A JSON response with the platform's content type."""
    return web.json_response(data, status=status)


async def json_object(request: web.Request, *, empty: dict[str, Any] | None = None) -> dict[str, Any]:
    """The request body as a JSON object, else a 400; ``empty`` (when given) stands for a request without a body."""
    if empty is not None and not request.can_read_body:
        return empty
    try:
        data = await request.json()
    except (ValueError, RecursionError):  # RecursionError: JSON nested too deeply for the parser
        fail(400, "Invalid JSON", "The request body must be a JSON object.")
    if not isinstance(data, dict):
        fail(400, "Invalid JSON", "The request body must be a JSON object.")
    return data


def query_flag(text: str | None, name: str) -> bool | None:
    """A true/false query parameter: None when absent or empty, else ValueError naming ``name``.

    The words are pydantic's, in any case: true/false, 1/0, yes/no, on/off (a checked HTML checkbox), t/f, y/n.
    """
    if text is None or text == "":
        return None
    try:
        return _BOOLEAN.validate_python(text)
    except ValidationError:
        raise ValueError(f'field "{name}": expected true or false, got {text[:40]!r}.') from None


@web.middleware
async def api_version(request: web.Request, handler: Handler) -> web.StreamResponse:
    """For the platform's routes, :func:`fail` answers in the error shape of the request's ``Cartesia-Version``."""
    if not request.path.startswith("/agents"):
        response: web.StreamResponse = await handler(request)
        return response
    token = _API_VERSION.set(request.headers.get(API_VERSION_HEADER, "").strip() or None)
    try:
        response = await handler(request)
        return response
    finally:
        _API_VERSION.reset(token)


def versioned_errors(version: str | None) -> bool:
    """True when ``version`` gets the ``error_code``/``title``/``message``/``request_id`` error shape."""
    if version is None:
        return False
    return not _DATE.match(version) or version >= VERSIONED_ERRORS_SINCE


def error_body(status: int, title: str, message: str, *, version: str | None) -> dict[str, Any]:
    """The JSON error body the platform sends to a caller of API ``version`` (None: no header sent)."""
    if versioned_errors(version):
        return {
            "error_code": ERROR_CODES.get(status),
            "title": title,
            "message": message,
            "request_id": str(uuid.uuid4()),
        }
    return {"message": title, "description": message}


def fail(status: int, message: str, description: str) -> NoReturn:
    """Stop handling with a JSON error: ``message`` is the short title, ``description`` says what to do.

    The body's shape follows the request's ``Cartesia-Version`` (see the module docstring).
    """
    raise _error(status, message, description)


def found(value: T | None, title: str, message: str) -> T:
    """``value`` when a lookup found it; else stop handling with a 404 saying what was not found."""
    if value is None:
        fail(404, title, message)
    return value


_ERRORS: dict[int, type[web.HTTPException]] = {
    400: web.HTTPBadRequest,
    401: web.HTTPUnauthorized,
    403: web.HTTPForbidden,
    404: web.HTTPNotFound,
    409: web.HTTPConflict,
    421: web.HTTPMisdirectedRequest,
}


def _error(status: int, title: str, message: str) -> web.HTTPException:
    cls = _ERRORS.get(status, web.HTTPInternalServerError)
    body = web.json_response(error_body(status, title, message, version=_API_VERSION.get())).text
    return cls(text=body, content_type="application/json")
