"""The control API under ``/_harness/``: start calls, inspect and replay deliveries, list scenarios, health."""

from __future__ import annotations

from aiohttp import web

from harness.errors import HarnessError
from harness.scenarios import list_scenarios
from harness.server._http import fail, json_object, json_response, server_of

__all__ = ["routes"]

routes = web.RouteTableDef()


@routes.post("/_harness/calls")
async def start_calls(request: web.Request) -> web.Response:
    """Start calls: ``{"scenario": "burst", "calls": 3, "seed": 1}`` or scenario fields without a name.

    Answers at once with ``{"call_ids": [...]}``; the deliveries go out in the background.
    """
    data = await json_object(request, empty={})
    scenario = data.pop("scenario", None)
    if scenario is not None and not isinstance(scenario, str):
        fail(400, "Invalid scenario", '"scenario" must be the name of a bundled scenario or a path to a .toml file.')
    try:
        call_ids = await server_of(request).start_calls(scenario, **data)
    except HarnessError as exc:
        fail(400, "Cannot start calls", str(exc))
    return json_response({"call_ids": call_ids}, status=201)


def _flag(value: str | None, name: str) -> bool | None:
    if value is None or value == "":
        return None
    if value.lower() in ("true", "1", "yes"):
        return True
    if value.lower() in ("false", "0", "no"):
        return False
    fail(400, f"Invalid {name}", f"{name} must be true or false, got {value!r}.")


def _int(value: str | None, name: str, default: int) -> int:
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number < 0:
        fail(400, f"Invalid {name}", f"{name} must be an integer >= 0, got {value!r}.")
    return number


@routes.get("/_harness/deliveries")
async def list_deliveries(request: web.Request) -> web.Response:
    """Deliveries, newest first; filters ``call_id``, ``event_type``, ``ok``, ``limit``, ``offset``."""
    query = request.query
    server = server_of(request)
    deliveries = server.log.list_deliveries(
        call_id=query.get("call_id") or None,
        event_type=query.get("event_type") or None,
        ok=_flag(query.get("ok"), "ok"),
        limit=min(_int(query.get("limit"), "limit", 100), 1000),
        offset=_int(query.get("offset"), "offset", 0),
    )
    return json_response({"data": [delivery.to_dict() for delivery in deliveries]})


@routes.get("/_harness/deliveries/{delivery_id}")
async def get_delivery(request: web.Request) -> web.Response:
    """One delivery with every attempt."""
    server = server_of(request)
    try:
        delivery = server.log.get_delivery(request.match_info["delivery_id"])
    except HarnessError as exc:
        fail(404, "Delivery not found", str(exc))
    return json_response(delivery.to_dict())


@routes.post("/_harness/deliveries/{delivery_id}/replay")
async def replay_delivery(request: web.Request) -> web.Response:
    """Send a logged delivery's exact bytes again, to the current webhook with the current secret."""
    try:
        server = server_of(request)
        delivery = await server.replay(request.match_info["delivery_id"])
    except HarnessError as exc:
        fail(404 if "not in the delivery log" in str(exc) else 400, "Cannot replay", str(exc))
    return json_response(server.log.get_delivery(delivery.id).to_dict(), status=201)


@routes.get("/_harness/scenarios")
async def get_scenarios(request: web.Request) -> web.Response:
    """The bundled scenarios: name, description, number of calls."""
    try:
        scenarios = list_scenarios()
    except HarnessError as exc:
        fail(500, "Broken scenario", str(exc))
    data = [{"name": s.name, "description": s.description, "calls": s.calls} for s in scenarios]
    return json_response({"data": data})


@routes.get("/_harness/health")
async def health(request: web.Request) -> web.Response:
    """``{"status": "ok", ...}``, or ``"degraded"`` with the errors recorded inside the server."""
    server = server_of(request)
    hook = server.webhooks.active
    return json_response(
        {
            "status": "degraded" if server.errors else "ok",
            "calls": len(server.calls),
            "calls_in_progress": server.calls_in_progress,
            "webhook_url": hook.url if hook else None,
            "errors": [f"{type(e).__name__}: {e}" for e in server.errors],
        }
    )
