"""The Calls API, as the platform serves it: get, list (cursor pages, newest first), redact, audio, logs."""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Handler

from harness.server._http import fail, found, json_response
from harness.server._paging import cursor_page, list_body
from harness.server.audio import wav_chunks, wav_size
from harness.server.services import services_of
from harness.server.state import CallRecord

__all__ = ["auth_middleware", "routes"]

routes = web.RouteTableDef()


def _api_key(request: web.Request) -> str | None:
    authorization = request.headers.get("Authorization", "")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return request.headers.get("X-API-Key", "").strip() or None


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Platform routes (``/agents/...``) need an API key, as on Cartesia; the control API does not."""
    if request.path.startswith("/agents"):
        key = _api_key(request)
        accepted = services_of(request).config.api_keys
        if key is None:
            fail(401, "Unauthorized", "Send an API key: 'Authorization: Bearer <key>' or 'X-API-Key: <key>'.")
        if accepted is not None and key not in accepted:
            fail(401, "Unauthorized", "The API key is not valid for this server (see HARNESS_API_KEYS).")
    response: web.StreamResponse = await handler(request)
    return response


def _call_or_404(request: web.Request) -> CallRecord:
    call_id = request.match_info["call_id"]
    record = services_of(request).calls.get(call_id)
    return found(record, "Call not found", f"No call with id {call_id!r} exists on this server.")


@routes.get("/agents/calls/{call_id}")
async def get_call(request: web.Request) -> web.Response:
    """``GET /agents/calls/{call_id}``: the call object, transcript included."""
    return json_response(_call_or_404(request).to_json())


@routes.get("/agents/calls")
async def list_calls(request: web.Request) -> web.Response:
    """``GET /agents/calls``: newest first, ``agent_id``, ``batch_id``, ``limit`` 1..100, cursors, ``expand``."""
    query = request.query
    calls = services_of(request).calls.newest_first(
        agent_id=query.get("agent_id") or None, batch_id=query.get("batch_id") or None
    )
    page, has_more, next_page = cursor_page(calls, query, id_of=lambda call: call.id, what="call")
    expand = {part.strip() for part in query.getall("expand", []) for part in part.split(",")}
    data = [call.to_json(transcript="transcript" in expand) for call in page]
    return json_response(list_body(data, has_more, next_page))


@routes.delete("/agents/calls/{call_id}")
async def redact_call(request: web.Request) -> web.Response:
    """``DELETE /agents/calls/{call_id}``: erase an ended call's content; the record stays, ``redacted_at`` set."""
    record = _call_or_404(request)
    if not record.ended:
        # 400, not 409: the official Python client retries a 409 twice before giving up.
        fail(
            400,
            "Call in progress",
            f"Call {record.id!r} is {record.status}; only completed or failed calls can be deleted. "
            "Wait until it ends, then try again.",
        )
    record.redact()
    return json_response(record.to_json())


@routes.get("/agents/calls/{call_id}/audio")
async def get_audio(request: web.Request) -> web.StreamResponse:
    """``GET /agents/calls/{call_id}/audio``: a WAV as long as the call, streamed chunk by chunk.

    404 while the call is in progress, for a call that failed before connecting, and once it is redacted.
    """
    record = _call_or_404(request)
    if not record.ended:
        fail(404, "Call audio not available", f"Call {record.id!r} is {record.status}; audio exists once it ends.")
    if record.redacted_at is not None:
        fail(404, "Call audio not available", f"Call {record.id!r} was deleted; its recording was erased.")
    if record.failed_before_connecting:
        reason = record.call.get("end_reason") or "no answer"
        fail(404, "Call audio not available", f"Call {record.id!r} failed before connecting ({reason}); no recording.")
    duration = record.duration()
    response = web.StreamResponse(headers={"Content-Type": "audio/wav"})
    response.content_length = wav_size(duration)
    await response.prepare(request)
    for chunk in wav_chunks(duration):
        await response.write(chunk)
    await response.write_eof()
    return response


@routes.get("/agents/calls/{call_id}/logs")
async def get_logs(request: web.Request) -> web.Response:
    """``GET /agents/calls/{call_id}/logs``: ``{"call_id", "logs": [str], "updated_at"}``."""
    record = _call_or_404(request)
    if not record.logs:
        fail(404, "Call logs not available", f"Call {record.id!r} has no logs yet.")
    return json_response({"call_id": record.id, "logs": list(record.logs), "updated_at": record.updated_at})
