"""The official JS client (``@cartesia/cartesia-js``, run with node) against the mock server.

``.ci/run`` installs the client into ``tests/js/node_modules`` (``npm ci --prefix tests/js``); the script
``tests/js/calls_api.mjs`` lists every page with ``limit=1``, retrieves a call, downloads its audio and
asks for an unknown call, then prints what it saw as JSON.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from harness.server import MockServerThread
from harness.server.audio import SAMPLE_RATE

JS_DIR = Path(__file__).resolve().parent.parent / "js"
SCRIPT = JS_DIR / "calls_api.mjs"
CLIENT = JS_DIR / "node_modules" / "@cartesia" / "cartesia-js" / "package.json"
NODE = shutil.which("node")

pytestmark = pytest.mark.skipif(NODE is None, reason="needs node on PATH to run the official JS client")


def run_client(*args: str) -> dict[str, Any]:
    assert NODE is not None
    if not CLIENT.exists():
        pytest.fail(f"the JS client is not installed in {JS_DIR}: run `npm ci --prefix tests/js` (as .ci/run does)")
    result = subprocess.run(
        [NODE, str(SCRIPT), *args], capture_output=True, text=True, timeout=60, check=False, cwd=JS_DIR
    )
    assert result.returncode == 0, result.stderr
    output: dict[str, Any] = json.loads(result.stdout)
    return output


def test_the_js_client_pages_retrieves_and_downloads_audio(server_thread: MockServerThread) -> None:
    call_ids = server_thread.start_calls("happy-path", calls=4)
    server_thread.wait_for_calls(call_ids)
    seen = run_client(server_thread.url, server_thread.config.agent_id, "ac_missing")

    newest_first = list(reversed(call_ids))
    # One call per page, then the empty page that ends the client's paging.
    assert seen["pages"] == [[call_id] for call_id in newest_first] + [[]]
    assert seen["listed"] == newest_first

    retrieved = seen["retrieved"]
    assert (retrieved["id"], retrieved["status"]) == (newest_first[0], "completed")
    assert retrieved["transcript"] > 0

    audio = seen["audio"]
    assert (audio["status"], audio["contentType"]) == (200, "audio/wav")
    assert (audio["riff"], audio["wave"], audio["byteRate"]) == ("RIFF", "WAVE", SAMPLE_RATE * 2)
    assert audio["bytes"] == 44 + audio["dataBytes"]
    start = datetime.fromisoformat(retrieved["start_time"][:26] + "+00:00")
    end = datetime.fromisoformat(retrieved["end_time"][:26] + "+00:00")
    assert audio["dataBytes"] / (SAMPLE_RATE * 2) == pytest.approx((end - start).total_seconds(), abs=0.001)

    missing = seen["missing"]
    assert (missing["notFound"], missing["status"]) == (True, 404)
    # The client sends cartesia-version 2026-08-14, so errors come in the current shape.
    assert set(missing["body"]) == {"error_code", "title", "message", "request_id"}
    assert missing["body"]["title"] == "Call not found"
