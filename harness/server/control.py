"""The control API under ``/_harness/``: start calls, inspect and replay deliveries, list scenarios, health."""

from __future__ import annotations

from aiohttp import web

from harness._redact import mask_url
from harness.errors import HarnessError
from harness.scenarios import scenario_with_params
from harness.server._http import fail, json_object, json_response, query_flag
from harness.server.services import services_of

__all__ = ["routes"]

routes = web.RouteTableDef()

# Bounds on the delivery list's paging (the README's "Bounds" table); a larger limit gives MAX_PAGE.
MAX_PAGE = 1000
MAX_OFFSET = 1_000_000_000


@routes.post("/_harness/calls")
async def start_calls(request: web.Request) -> web.Response:
    """Start calls: ``{"scenario": "burst", "calls": 3, "seed": 1}`` or scenario fields without a name.

    Answers at once with ``{"call_ids": [...]}``; the deliveries go out in the background.
    """
    data = await json_object(request, empty={})
    name = data.pop("scenario", None)
    services = services_of(request)
    if name is not None and not isinstance(name, str):
        fail(400, "Invalid scenario", 'field "scenario": expected the name of a scenario this server offers.')
    try:
        # Only scenarios the server offers (bundled, --scenarios folders): a request never names a file.
        base = await services.scenarios.load(name) if name is not None else None
        scenario = scenario_with_params(base, data, source="request")
        call_ids = await services.operations.start_calls(scenario)
    except HarnessError as exc:
        fail(400, "Cannot start calls", str(exc))
    return json_response({"call_ids": call_ids}, status=201)


def _flag(value: str | None, name: str) -> bool | None:
    try:
        return query_flag(value, name)
    except ValueError as exc:
        fail(400, f"Invalid {name}", str(exc))


def _int(value: str | None, name: str, default: int, *, high: int) -> int:
    if value is None:
        return default
    number = int(value) if value.isascii() and value.isdigit() and len(value) <= 12 else -1
    if not 0 <= number <= high:
        fail(400, f"Invalid {name}", f'field "{name}": expected an integer from 0 to {high:,}, got {value[:40]!r}.')
    return number


@routes.get("/_harness/deliveries")
async def list_deliveries(request: web.Request) -> web.Response:
    """Deliveries, newest first; filters ``call_id``, ``event_type``, ``ok``, ``limit``, ``offset``."""
    query = request.query
    deliveries = services_of(request).log.list_deliveries(
        call_id=query.get("call_id") or None,
        event_type=query.get("event_type") or None,
        ok=_flag(query.get("ok"), "ok"),
        limit=min(_int(query.get("limit"), "limit", 100, high=MAX_OFFSET), MAX_PAGE),
        offset=_int(query.get("offset"), "offset", 0, high=MAX_OFFSET),
    )
    return json_response({"data": [delivery.to_dict() for delivery in deliveries]})


@routes.get("/_harness/deliveries/{delivery_id}")
async def get_delivery(request: web.Request) -> web.Response:
    """One delivery with every attempt."""
    try:
        delivery = services_of(request).log.get_delivery(request.match_info["delivery_id"])
    except HarnessError as exc:
        fail(404, "Delivery not found", str(exc))
    return json_response(delivery.to_dict())


@routes.post("/_harness/deliveries/{delivery_id}/replay")
async def replay_delivery(request: web.Request) -> web.Response:
    """Send a logged delivery's exact bytes again, to the current webhook with the current secret."""
    services = services_of(request)
    try:
        delivery = await services.operations.replay(request.match_info["delivery_id"])
    except HarnessError as exc:
        fail(404 if "not in the delivery log" in str(exc) else 400, "Cannot replay", str(exc))
    return json_response(services.log.get_delivery(delivery.id).to_dict(), status=201)


@routes.get("/_harness/scenarios")
async def get_scenarios(request: web.Request) -> web.Response:
    """The scenarios this server offers (bundled, then --scenarios folders): name, description, calls."""
    catalog = services_of(request).scenarios
    data: list[dict[str, str | int]] = []
    for name in catalog.paths():
        try:
            scenario = await catalog.load(name)
        except HarnessError as exc:  # one broken file in a user's folder must not hide the others
            data.append({"name": name, "error": str(exc)})
            continue
        data.append({"name": name, "description": scenario.description, "calls": scenario.calls})
    return json_response({"data": data})


@routes.get("/_harness/health")
async def health(request: web.Request) -> web.Response:
    """``{"status": "ok", ...}``, or ``"degraded"`` with the errors recorded inside the server."""
    services = services_of(request)
    hook = services.webhooks.active
    return json_response(
        {
            "status": "degraded" if services.errors else "ok",
            "calls": len(services.calls),
            "calls_in_progress": services.operations.in_progress,
            "webhook_url": mask_url(hook.url) if hook else None,
            "errors": services.errors.messages(),
        }
    )
