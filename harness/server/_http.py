"""Helpers shared by the server's route modules: the app key for the server, and JSON errors."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NoReturn

from aiohttp import web

if TYPE_CHECKING:
    from harness.server.app import MockServer

__all__ = ["SERVER", "fail", "json_object", "json_response", "server_of"]

SERVER: web.AppKey[MockServer] = web.AppKey("harness_mock_server")


def server_of(request: web.Request) -> MockServer:
    """The MockServer that owns this request's application."""
    return request.app[SERVER]


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


def fail(status: int, message: str, description: str) -> NoReturn:
    """Stop handling with the platform's error shape: ``{"message", "description"}``."""
    raise _error(status, message, description)


_ERRORS: dict[int, type[web.HTTPException]] = {
    400: web.HTTPBadRequest,
    401: web.HTTPUnauthorized,
    403: web.HTTPForbidden,
    404: web.HTTPNotFound,
    409: web.HTTPConflict,
    421: web.HTTPMisdirectedRequest,
}


def _error(status: int, message: str, description: str) -> web.HTTPException:
    cls = _ERRORS.get(status, web.HTTPInternalServerError)
    body = web.json_response({"message": message, "description": description}).text
    return cls(text=body, content_type="application/json")
