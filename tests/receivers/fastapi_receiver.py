"""FastAPI receivers validating with pydantic models: lenient ones (correct) and two classic strictness bugs.

The correct models accept any string for vocabularies and keep unknown fields; the faulty variants use
``extra="forbid"`` or a closed enum for ``end_reason``, as receivers in the wild do.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tests.receivers._ledger import PROBE_PATH, SECRET_HEADER, WEBHOOK_PATH, Ledger, secret_matches, summarize

KnownEndReason = Literal[
    "agent_hangup",
    "client_hangup",
    "api_cancelled",
    "max_duration",
    "inactivity",
    "client_disconnected",
    "dial_busy",
    "dial_failed",
    "dial_no_answer",
    "error",
    # The agent SDK's EndCall reasons, which generated calls also end with.
    "agent_ended",
    "voicemail_detected",
]


def _models(*, extra: Literal["allow", "forbid"], closed_end_reason: bool) -> dict[str, type[BaseModel]]:
    """The event models of one receiver; every field the platform sends is declared and optional."""
    config = ConfigDict(extra=extra, populate_by_name=True)
    end_reason_type: Any = KnownEndReason | None if closed_end_reason else str | None

    class ToolCall(BaseModel):
        model_config = config
        id: str | None = None
        name: str | None = None
        arguments: dict[str, Any] | str | None = None
        result: str | dict[str, Any] | None = None

    class TextChunk(BaseModel):
        model_config = config
        text: str | None = None
        start_timestamp: float | None = None

    class LogEntry(BaseModel):
        model_config = config
        event: str | None = None
        name: str | None = None
        value: Any = None
        metadata: dict[str, Any] | None = None
        timestamp: float | None = None

    class Turn(BaseModel):
        model_config = config
        role: str | None = None
        text: str | None = None
        start_timestamp: float | None = None
        end_timestamp: float | None = None
        was_interrupted: bool | None = None
        tool_calls: list[ToolCall] | None = None
        stt_ttfb: float | None = None
        tts_ttfb: float | None = None
        text_chunks: list[TextChunk] | None = None
        end_reason: str | None = None
        vad_buffer_ms: int | None = None
        log_event: LogEntry | None = None
        log_metric: LogEntry | None = None

    class Telephony(BaseModel):
        model_config = config
        to: str | None = None
        from_: str | None = Field(default=None, alias="from")
        call_sid: str | None = None
        direction: str | None = None
        parameters: dict[str, Any] | None = None
        headers: dict[str, Any] | None = None
        connection_type: str | None = None

    class Call(BaseModel):
        model_config = config
        id: str | None = None
        agent_id: str | None = None
        agent_name: str | None = None
        status: str | None = None
        start_time: str | None = None
        end_time: str | None = None
        transcript: list[Turn] | None = None
        telephony_params: Telephony | None = None
        telephony_account_type: str | None = None
        summary: str | None = None
        error_message: str | None = None
        end_reason: end_reason_type = None
        deployment_id: str | None = None
        deployment_version_id: str | None = None
        deployment_region: str | None = None
        metadata: dict[str, Any] | None = None
        zdr: bool | None = None
        redacted_at: str | None = None

    class Envelope(BaseModel):
        model_config = config
        type: str
        call_id: str | None = None
        agent_id: str | None = None
        webhook_id: str | None = None
        timestamp: str | None = None
        request_id: str | None = None

    class CallEvent(Envelope):
        call: Call | None = None

    class TurnEvent(Envelope):
        turn: Turn | None = None
        body: Turn | None = None

    class EndedEvent(Envelope):
        call: Call | None = None
        body: list[Turn] | None = None
        end_reason: end_reason_type = None

    class Analysis(BaseModel):
        model_config = config
        summary: str | None = None

    class AnalysisEvent(Envelope):
        analysis: Analysis | None = None

    return {
        "call_started": CallEvent,
        "call_turn": TurnEvent,
        "call_completed": EndedEvent,
        "call_failed": EndedEvent,
        "post_call_analysis": AnalysisEvent,
    }


def create_fastapi_app(
    secret: str, *, probe: bool = True, extra: Literal["allow", "forbid"] = "allow", closed_end_reason: bool = False
) -> FastAPI:
    app = FastAPI()
    ledger = Ledger()
    models = _models(extra=extra, closed_end_reason=closed_end_reason)

    @app.post(WEBHOOK_PATH)
    async def receive(request: Request) -> Response:
        if not secret_matches(request.headers.get(SECRET_HEADER), secret):
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        try:
            payload = json.loads(await request.body())
        except ValueError:
            return JSONResponse({"error": "invalid JSON"}, status_code=400)
        if not isinstance(payload, dict) or not isinstance(payload.get("type"), str):
            return JSONResponse({"error": "expected a JSON object with a type"}, status_code=400)
        model = models.get(payload["type"])
        if model is not None:  # unknown types are ignored, as Cartesia asks
            try:
                model.model_validate(payload)
            except ValidationError as exc:
                return JSONResponse({"detail": exc.errors(include_url=False, include_input=False)}, status_code=422)
        summarize(payload)
        ledger.act_once(payload)
        return JSONResponse({"ok": True})

    if probe:

        @app.get(PROBE_PATH)
        async def serve_probe() -> dict[str, Any]:
            return ledger.snapshot()

    return app
