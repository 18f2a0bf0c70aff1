"""Call batches, the platform's way to place many outbound calls: create, list, get, cancel, retry.

Each recipient becomes one call started through the scenario machinery (:meth:`CallOperations.start_calls`,
an outbound call to the recipient's number carrying its metadata), so its webhooks go out like any
other call's, and ``GET /agents/calls?batch_id=`` lists the calls placed. At most
``target_concurrency_limit`` of a batch's calls are in progress at once; the next recipient is dialled
when one ends. Cancelling stops dialling: recipients still queued are ``cancelled``, calls in progress
finish, as on the platform. Retrying dials again the recipients whose calls failed.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from collections import deque
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from harness.errors import HarnessError
from harness.models import Timestamp
from harness.server._http import fail, found, json_object, json_response
from harness.server._paging import cursor_page, list_body
from harness.server.batch_state import CallBatch, CallStatus, Recipient
from harness.server.services import SERVICES, Services, services_of
from harness.server.state import now

__all__ = ["DEFAULT_CONCURRENCY", "MAX_CONCURRENCY", "MAX_RECIPIENTS", "routes", "setup"]

routes = web.RouteTableDef()

MAX_RECIPIENTS = 5000
# The organisation's agent-call concurrency limit is not published; the platform defaults a batch to half of it.
MAX_CONCURRENCY = 100
DEFAULT_CONCURRENCY = MAX_CONCURRENCY // 2
# A batch may be scheduled up to 30 days ahead, as on the platform.
MAX_SCHEDULE_AHEAD = timedelta(days=30)
REGIONS = ("US", "EU", "APAC")
_E164 = re.compile(r"^\+[1-9]\d{1,14}$")
# A call that does not end within this many seconds is left to run; the batch dials on.
_CALL_WAIT = 3600.0


def _new_id(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(16).replace("-", "x").replace("_", "y")[:22]


def _batch_or_404(request: web.Request) -> CallBatch:
    batch_id = request.match_info["batch_id"]
    batch = services_of(request).calls.batches.get(batch_id)
    return found(batch, "Call batch not found", f"No call batch with id {batch_id!r} on this server.")


def _call_status(services: Services) -> CallStatus:
    def status(call_id: str) -> str | None:
        record = services.calls.get(call_id)
        return record.status if record is not None else None

    return status


def _optional_string(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        fail(400, f"Invalid {key}", f'"{key}" must be a string.')
    return value


def _recipients(data: dict[str, Any]) -> list[Recipient]:
    raw = data.get("recipients")
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_RECIPIENTS:
        fail(400, "Invalid recipients", f'"recipients" must be a list of 1 to {MAX_RECIPIENTS} recipients.')
    created = now()
    recipients = []
    for index, item in enumerate(raw):
        where = f"recipients[{index}]"
        if not isinstance(item, dict):
            fail(400, "Invalid recipients", f'{where} must be an object {{"to_number": "+1...", "metadata": {{}}}}.')
        to_number = item.get("to_number")
        if not isinstance(to_number, str) or not _E164.match(to_number):
            fail(400, "Invalid recipients", f"{where}.to_number must be an E.164 number such as +14155550100.")
        metadata = item.get("metadata")
        if metadata is not None and not isinstance(metadata, dict):
            fail(400, "Invalid recipients", f"{where}.metadata must be an object.")
        recipients.append(Recipient(id=_new_id("acbr_"), to_number=to_number, metadata=metadata, created_at=created))
    return recipients


def _concurrency(data: dict[str, Any]) -> int:
    value = data.get("target_concurrency_limit", DEFAULT_CONCURRENCY)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_CONCURRENCY:
        fail(
            400,
            "Invalid target_concurrency_limit",
            f"target_concurrency_limit must be an integer from 1 to {MAX_CONCURRENCY} (this server's concurrency "
            f"limit); omit it for {DEFAULT_CONCURRENCY}.",
        )
    return value


def _scheduled_at(data: dict[str, Any]) -> datetime | None:
    raw = data.get("scheduled_at")
    if raw is None:
        return None
    try:
        moment = Timestamp.parse(raw).datetime if isinstance(raw, str) else None
    except ValueError:
        moment = None
    current = datetime.now(UTC)
    if moment is None or not current < moment <= current + MAX_SCHEDULE_AHEAD:
        fail(
            400,
            "Invalid scheduled_at",
            "scheduled_at must be an RFC 3339 time with an offset, in the future and within 30 days "
            "(e.g. 2026-06-15T16:00:00Z); omit it to dial at once.",
        )
    return moment


@routes.post("/agents/calls/batches")
async def create_batch(request: web.Request) -> web.Response:
    """``POST /agents/calls/batches``: queue outbound calls to up to 5,000 recipients; 201 with the batch."""
    services = services_of(request)
    data = await json_object(request)
    agent_id = data.get("agent_id")
    if not isinstance(agent_id, str) or not agent_id:
        fail(400, "Missing agent_id", '"agent_id" is required: the agent that handles the batch\'s calls.')
    if agent_id != services.config.agent_id:
        fail(
            404,
            "Agent not found",
            f"No agent with id {agent_id!r} on this server; its calls are placed by {services.config.agent_id!r} "
            "(HARNESS_AGENT_ID).",
        )
    name = _optional_string(data, "name") or ""
    from_number_id = _optional_string(data, "from_number_id")
    region = _optional_string(data, "region") or "US"
    if region not in REGIONS:
        fail(400, "Invalid region", f"region must be one of {', '.join(REGIONS)}, got {region!r}.")
    recipients = _recipients(data)
    concurrency = _concurrency(data)
    scheduled = _scheduled_at(data)
    if services.webhooks.active is None:
        fail(400, "No webhook", "No webhook to deliver the calls' events to: POST /agents/webhooks first.")
    created = now()
    batch = CallBatch(
        id=_new_id("acb_"),
        name=name,
        agent_id=agent_id,
        from_number_id=from_number_id,
        region=region,
        target_concurrency_limit=concurrency,
        created_at=created,
        last_updated_at=created,
        recipients=recipients,
        scheduled_at=str(Timestamp.from_datetime(scheduled)) if scheduled is not None else None,
    )
    if not services.calls.batches.add(batch):
        fail(400, "Too many batches", "Every call batch this server keeps is still dialling; cancel one first.")
    _start_dialling(services, batch, at=scheduled)
    return json_response(batch.to_json(_call_status(services)), status=201)


@routes.get("/agents/calls/batches")
async def list_batches(request: web.Request) -> web.Response:
    """``GET /agents/calls/batches``: newest first, without recipients; ``agent_id``, ``limit`` and cursors."""
    services = services_of(request)
    batches = services.calls.batches.newest_first(agent_id=request.query.get("agent_id") or None)
    page, has_more, next_page = cursor_page(batches, request.query, id_of=lambda batch: batch.id, what="call batch")
    status = _call_status(services)
    return json_response(list_body([batch.to_json(status) for batch in page], has_more, next_page))


@routes.get("/agents/calls/batches/{batch_id}")
async def get_batch(request: web.Request) -> web.Response:
    """``GET /agents/calls/batches/{batch_id}``: the batch with its recipients."""
    batch = _batch_or_404(request)
    return json_response(batch.to_json(_call_status(services_of(request)), recipients=True))


@routes.post("/agents/calls/batches/{batch_id}/cancel")
async def cancel_batch(request: web.Request) -> web.Response:
    """``POST /agents/calls/batches/{batch_id}/cancel``: stop dialling; calls in progress finish. Idempotent."""
    batch = _batch_or_404(request)
    if any(recipient.status == "queued" for recipient in batch.recipients):
        batch.cancelled = True
        for recipient in batch.recipients:
            if recipient.status == "queued":
                recipient.status = "cancelled"
        batch.last_updated_at = now()
    return json_response(batch.to_json(_call_status(services_of(request))))


@routes.post("/agents/calls/batches/{batch_id}/retry")
async def retry_batch(request: web.Request) -> web.Response:
    """``POST /agents/calls/batches/{batch_id}/retry``: dial again the recipients whose calls failed."""
    services = services_of(request)
    batch = _batch_or_404(request)
    status = _call_status(services)
    for recipient in batch.recipients:
        recipient.refresh(status)
    if batch.dialling:
        fail(400, "Batch still dialling", f"Call batch {batch.id!r} is still dialling; retry it once it is done.")
    failed = [recipient for recipient in batch.recipients if recipient.status == "failed"]
    if failed:
        for recipient in failed:
            recipient.status, recipient.agent_call_id, recipient.error_message = "queued", None, None
        batch.retry_count += 1
        batch.cancelled = False
        batch.last_updated_at = now()
        _start_dialling(services, batch, at=None)
    return json_response(batch.to_json(status))


def _start_dialling(services: Services, batch: CallBatch, *, at: datetime | None) -> None:
    batch.task = asyncio.create_task(_dial(services, batch, at), name=f"call batch {batch.id}")


async def _dial(services: Services, batch: CallBatch, at: datetime | None) -> None:
    """Dial the batch's queued recipients, at most ``target_concurrency_limit`` calls in progress at once."""
    if at is not None:
        await asyncio.sleep(max(0.0, (at - datetime.now(UTC)).total_seconds()))
    batch.admitted_at = batch.admitted_at or now()
    queue = deque(recipient for recipient in batch.recipients if recipient.status == "queued")
    workers = [_dial_next(services, batch, queue) for _ in range(min(batch.target_concurrency_limit, len(queue)))]
    try:
        await asyncio.gather(*workers)
    except Exception as exc:  # a bug, not a call's failure: kept for check_errors(), never lost
        services.errors.record(exc)


async def _dial_next(services: Services, batch: CallBatch, queue: deque[Recipient]) -> None:
    while queue and not batch.cancelled:
        recipient = queue.popleft()
        if recipient.status != "queued":
            continue
        generator = {"outbound_to": recipient.to_number, "metadata": recipient.metadata or {}}
        try:
            [call_id] = await services.operations.start_calls(None, calls=1, generator=generator)
        except (HarnessError, RuntimeError) as exc:  # no webhook any more, or the server is stopping
            recipient.status, recipient.error_message = "failed", str(exc)
            batch.last_updated_at = now()
            continue
        services.calls.assign_batch(call_id, batch.id)
        recipient.status, recipient.agent_call_id = "dispatched", call_id
        batch.last_updated_at = now()
        try:
            await services.operations.wait_for_calls([call_id], timeout=_CALL_WAIT)
        except TimeoutError:
            pass  # a call still running after an hour: dial on, it ends on its own
        except HarnessError:
            return  # the server forgot its calls (clear()): this batch is gone too
        recipient.refresh(_call_status(services))


def setup(app: web.Application) -> None:
    """Serve the batch routes; batches still dialling stop dialling when the server stops."""
    app.add_routes(routes)
    app.on_shutdown.append(_stop_dialling)


async def _stop_dialling(app: web.Application) -> None:
    tasks = [batch.task for batch in app[SERVICES].calls.batches.newest_first() if batch.task is not None]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
