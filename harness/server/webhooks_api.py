"""Webhook management, as on the platform: create, list, get and update (rotate the secret)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from harness._net import require_http_url
from harness.errors import ConfigError
from harness.server._http import fail, json_object, json_response, server_of
from harness.server.state import now

__all__ = ["routes"]

routes = web.RouteTableDef()


def _string(data: dict[str, Any], key: str, *, required: bool) -> str | None:
    value = data.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        fail(400, f"Invalid {key}", f'"{key}" must be a non-empty string.')
    return value


def _url(data: dict[str, Any], *, required: bool) -> str | None:
    url = _string(data, "url", required=required)
    if url is not None:
        try:
            require_http_url(url, '"url"')
        except ConfigError as exc:  # refused now, rather than failing every delivery to it
            fail(400, "Invalid url", f"{exc}.")
    return url


@routes.post("/agents/webhooks")
async def create_webhook(request: web.Request) -> web.Response:
    """``POST /agents/webhooks`` ``{display_name, url, secret}``: register a receiver."""
    data = await json_object(request)
    url = _url(data, required=True)
    assert url is not None
    secret = _string(data, "secret", required=False)
    name = _string(data, "display_name", required=False) or ""
    server = server_of(request)
    hook = server.webhooks.register(url, secret, display_name=name)
    server.apply_webhook()
    return json_response(hook.to_json())


@routes.get("/agents/webhooks")
async def list_webhooks(request: web.Request) -> web.Response:
    """``GET /agents/webhooks``: every webhook, newest first, in one page."""
    hooks = server_of(request).webhooks.all()
    return json_response({"data": [hook.to_json() for hook in hooks], "has_more": False, "next_page": None})


@routes.get("/agents/webhooks/{webhook_id}")
async def get_webhook(request: web.Request) -> web.Response:
    """``GET /agents/webhooks/{id}``."""
    webhook_id = request.match_info["webhook_id"]
    hook = server_of(request).webhooks.get(webhook_id)
    if hook is None:
        fail(404, "Webhook not found", f"No webhook with id {webhook_id!r}.")
    return json_response(hook.to_json())


@routes.patch("/agents/webhooks/{webhook_id}")
async def update_webhook(request: web.Request) -> web.Response:
    """``PATCH /agents/webhooks/{id}``: change url, display_name or secret; the next delivery uses them."""
    server = server_of(request)
    webhook_id = request.match_info["webhook_id"]
    hook = server.webhooks.get(webhook_id)
    if hook is None:
        fail(404, "Webhook not found", f"No webhook with id {webhook_id!r}.")
    data = await json_object(request)
    # Every field is checked before any is changed: a 400 leaves the webhook as it was.
    url = _url(data, required=False)
    secret = _string(data, "secret", required=False)
    name = _string(data, "display_name", required=False)
    hook.url = url or hook.url
    hook.secret = secret or hook.secret
    if "display_name" in data:
        hook.display_name = name or ""
    hook.updated_at = now()
    server.apply_webhook()
    return json_response(hook.to_json())
