"""The Calls API, as the platform serves it: get, list (cursor pages, newest first), audio, logs."""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Handler

from harness.server import audio
from harness.server._http import fail, json_response, server_of
from harness.server.state import CallRecord

__all__ = ["auth_middleware", "routes"]

routes = web.RouteTableDef()

MAX_LIMIT = 100
DEFAULT_LIMIT = 10


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
        accepted = server_of(request).config.api_keys
        if key is None:
            fail(401, "Unauthorized", "Send an API key: 'Authorization: Bearer <key>' or 'X-API-Key: <key>'.")
        if accepted is not None and key not in accepted:
            fail(401, "Unauthorized", "The API key is not valid for this server (see HARNESS_API_KEYS).")
    response: web.StreamResponse = await handler(request)
    return response


def _call_or_404(request: web.Request) -> CallRecord:
    call_id = request.match_info["call_id"]
    record = server_of(request).calls.get(call_id)
    if record is None:
        fail(404, "Call not found", f"No call with id {call_id!r} exists on this server.")
    return record


@routes.get("/agents/calls/{call_id}")
async def get_call(request: web.Request) -> web.Response:
    """``GET /agents/calls/{call_id}``: the call object, transcript included."""
    return json_response(_call_or_404(request).to_json())


@routes.get("/agents/calls")
async def list_calls(request: web.Request) -> web.Response:
    """``GET /agents/calls``: newest first, ``limit`` 1..100, ``starting_after``/``ending_before`` cursors."""
    query = request.query
    try:
        limit = int(query.get("limit", DEFAULT_LIMIT))
    except ValueError:
        fail(400, "Invalid limit", f"limit must be an integer from 1 to {MAX_LIMIT}, got {query['limit']!r}.")
    if not 1 <= limit <= MAX_LIMIT:
        fail(400, "Invalid limit", f"limit must be an integer from 1 to {MAX_LIMIT}, got {limit}.")
    calls = server_of(request).calls.newest_first(agent_id=query.get("agent_id") or None)
    ids = [call.id for call in calls]
    after, before = query.get("starting_after"), query.get("ending_before")
    if after and before:
        fail(400, "Invalid cursor", "Pass starting_after or ending_before, not both.")
    cursor = after or before
    if cursor and cursor not in ids:
        fail(400, "Invalid cursor", f"No call with id {cursor!r} in this list.")
    if before:
        end = ids.index(before)
        page = calls[max(0, end - limit) : end]
        has_more = end - limit > 0
        next_page = page[0].id if has_more and page else None
    else:
        start = ids.index(after) + 1 if after else 0
        page = calls[start : start + limit]
        has_more = start + limit < len(calls)
        next_page = page[-1].id if has_more and page else None
    expand = {part.strip() for part in query.getall("expand", []) for part in part.split(",")}
    data = [call.to_json(transcript="transcript" in expand) for call in page]
    return json_response({"data": data, "has_more": has_more, "next_page": next_page})


@routes.get("/agents/calls/{call_id}/audio")
async def get_audio(request: web.Request) -> web.StreamResponse:
    """``GET /agents/calls/{call_id}/audio``: a WAV as long as the call, streamed chunk by chunk."""
    record = _call_or_404(request)
    if not record.ended:
        fail(404, "Call audio not available", f"Call {record.id!r} is {record.status}; audio exists once it ends.")
    duration = record.duration()
    response = web.StreamResponse(headers={"Content-Type": "audio/wav"})
    response.content_length = audio.wav_size(duration)
    await response.prepare(request)
    for chunk in audio.wav_chunks(duration):
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
