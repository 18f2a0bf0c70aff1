"""Webhook management, as on the platform: create, list, get, update (rotate the secret) and delete.

The shapes follow the platform's current API reference: ``POST`` requires ``url`` and ``secret`` and is the
only answer that shows the secret; ``GET`` lists without secrets in cursor pages; ``PATCH`` requires
``url`` and answers the id as a bare JSON string; ``DELETE`` answers the id.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from harness._environment import unsendable_secret
from harness._net import require_http_url
from harness.delivery.endpoint import Endpoint
from harness.errors import ConfigError
from harness.server._http import fail, found, json_object, json_response
from harness.server._paging import cursor_page, list_body
from harness.server.services import services_of
from harness.server.webhooks import Webhook

__all__ = ["MAX_WEBHOOKS", "routes"]

routes = web.RouteTableDef()

# Webhooks one server keeps (the platform's own limit is not published).
MAX_WEBHOOKS = 100


def _string(data: dict[str, Any], key: str, *, required: bool, why: str = "") -> str | None:
    value = data.get(key)
    if value is None and not required:
        return None
    if value is None:
        fail(400, f"Missing {key}", f'"{key}" is required{why}.')
    if not isinstance(value, str) or not value:
        fail(400, f"Invalid {key}", f'"{key}" must be a non-empty string.')
    return value


def _secret(data: dict[str, Any], *, required: bool, why: str = "") -> str | None:
    secret = _string(data, "secret", required=required, why=why)
    problem = unsendable_secret(secret) if secret else None
    if problem is not None:  # refused now, rather than failing every delivery with it
        fail(400, "Invalid secret", f"{problem}.")
    return secret


def _url(data: dict[str, Any], *, why: str) -> str:
    url = _string(data, "url", required=True, why=why)
    assert url is not None
    try:
        require_http_url(url, '"url"')
    except ConfigError as exc:  # refused now, rather than failing every delivery to it
        fail(400, "Invalid url", f"{exc}.")
    return url


def _hook_or_404(request: web.Request) -> Webhook:
    webhook_id = request.match_info["webhook_id"]
    hook = services_of(request).webhooks.get(webhook_id)
    return found(hook, "Webhook not found", f"No webhook with id {webhook_id!r}.")


@routes.post("/agents/webhooks")
async def create_webhook(request: web.Request) -> web.Response:
    """``POST /agents/webhooks`` ``{url, secret, display_name?}``: register a receiver; the answer shows the secret."""
    data = await json_object(request)
    url = _url(data, why=": the URL Cartesia POSTs call events to")
    secret = _secret(
        data, required=True, why=": the shared secret sent in X-Webhook-Secret (the platform requires one)"
    )
    name = _string(data, "display_name", required=False) or ""
    webhooks = services_of(request).webhooks
    if len(webhooks) >= MAX_WEBHOOKS:
        fail(400, "Too many webhooks", f"This server keeps at most {MAX_WEBHOOKS} webhooks; delete one first.")
    hook = webhooks.register(url, secret, display_name=name)
    return json_response(hook.to_json(with_secret=True))


@routes.get("/agents/webhooks")
async def list_webhooks(request: web.Request) -> web.Response:
    """``GET /agents/webhooks``: newest first, without secrets; ``limit`` 1..100 (default 10) and cursors."""
    hooks = services_of(request).webhooks.all()
    page, has_more, next_page = cursor_page(hooks, request.query, id_of=lambda hook: hook.id, what="webhook")
    return json_response(list_body([hook.to_json() for hook in page], has_more, next_page))


@routes.get("/agents/webhooks/{webhook_id}")
async def get_webhook(request: web.Request) -> web.Response:
    """``GET /agents/webhooks/{id}``, without the secret."""
    return json_response(_hook_or_404(request).to_json())


@routes.patch("/agents/webhooks/{webhook_id}")
async def update_webhook(request: web.Request) -> web.Response:
    """``PATCH /agents/webhooks/{id}`` ``{url, secret?, display_name?}``: the next delivery uses the change.

    Answers the webhook's id as a JSON string. ``url`` is required (send the current one to keep it);
    an omitted ``secret`` keeps the current secret.
    """
    hook = _hook_or_404(request)
    data = await json_object(request)
    # Every field is checked before any is changed: a 400 leaves the webhook as it was.
    url = _url(data, why=" (send the current url to keep it; GET /agents/webhooks/{id} shows it)")
    secret = _secret(data, required=False)
    name = _string(data, "display_name", required=False)
    display_name = (name or "") if "display_name" in data else None
    endpoint = Endpoint(url, secret or hook.secret)
    updated = services_of(request).webhooks.update(hook.id, endpoint, display_name=display_name)
    found(updated, "Webhook not found", f"Webhook {hook.id!r} was deleted while this request was read.")
    return json_response(hook.id)


@routes.delete("/agents/webhooks/{webhook_id}")
async def delete_webhook(request: web.Request) -> web.Response:
    """``DELETE /agents/webhooks/{id}``: answers the id.

    When it was the webhook deliveries go to, the newest remaining one takes over; with none left, calls
    in progress finish against the deleted URL and new calls are refused until a webhook is created.
    """
    hook = _hook_or_404(request)
    services_of(request).webhooks.remove(hook.id)
    return json_response(hook.id)
