"""A correct Flask receiver: verify, parse, act once (under a lock: Flask serves requests on threads), 204."""

from __future__ import annotations

from typing import Any

from flask import Flask, request

from tests.receivers._ledger import PROBE_PATH, SECRET_HEADER, WEBHOOK_PATH, Ledger, secret_matches, summarize


def create_flask_app(secret: str, *, probe: bool = True) -> Flask:
    app = Flask("gallery_flask_receiver")
    ledger = Ledger()

    @app.post(WEBHOOK_PATH)
    def receive() -> Any:
        if not secret_matches(request.headers.get(SECRET_HEADER), secret):
            return {"error": "unauthorized"}, 401
        payload = request.get_json(silent=True)
        if not isinstance(payload, dict) or not isinstance(payload.get("type"), str):
            return {"error": "expected a JSON object with a type"}, 400
        summarize(payload)
        ledger.act_once(payload)
        return "", 204

    if probe:

        @app.get(PROBE_PATH)
        def serve_probe() -> Any:
            return ledger.snapshot()

    return app
