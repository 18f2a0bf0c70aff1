"""The README's own locustfile runs as written under plain `locust`, one statistics row per event type."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import aiohttp

from harness.models import EVENT_TYPES
from harness.receiver import create_app
from harness.serving import AppServer
from tests.conftest import ROOT

SECRET = "whsec_Readme_0123456789"
RUN_TIMEOUT = 180


def readme_locustfile() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"```python\n(# locustfile\.py\n.*?)```", readme, re.DOTALL)
    assert match is not None, "the README's locustfile example is gone"
    return match.group(1)


async def run_locust(locustfile: Path, host: str, env: dict[str, str], *extra: str) -> tuple[int, str]:
    # The README's command, shortened to a few seconds of load.
    command = [sys.executable, "-m", "locust", "-f", str(locustfile), "--headless", "-u", "3", "-r", "3", "-t", "3s"]
    process = await asyncio.create_subprocess_exec(
        *command,
        "--host",
        host,
        "--only-summary",
        *extra,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env=env,
        cwd=locustfile.parent,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=RUN_TIMEOUT)
    assert process.returncode is not None
    return process.returncode, output.decode()


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


async def test_the_readme_locustfile_plays_calls_named_by_event_type(tmp_path: Path) -> None:
    locustfile = tmp_path / "locustfile.py"
    locustfile.write_text(readme_locustfile(), encoding="utf-8")
    stats_path = tmp_path / "stats.json"  # Locust adds the .json to the name it is given
    env = {**os.environ, "CARTESIA_WEBHOOK_SECRET": SECRET}
    async with AppServer(create_app(SECRET)) as server:
        # No redeliveries here (the example sends 5 % of calls twice, which the receiver rightly acts on once):
        # then every request Locust counted must have been acted on.
        code, output = await run_locust(
            locustfile,
            server.url + "/webhooks",
            env,
            "--json-file",
            str(tmp_path / "stats"),
            "--cartesia-duplicates",
            "0",
        )
        async with asyncio.timeout(10):
            probe = await _probe(server.url + "/_harness/processed")
    assert code == 0, output
    stats = [entry for entry in read_json(stats_path) if entry["num_requests"]]
    names = {entry["name"] for entry in stats}
    assert "call_started" in names
    assert names <= set(EVENT_TYPES)
    assert all(entry["method"] == "POST" and entry["num_failures"] == 0 for entry in stats)
    requests = sum(entry["num_requests"] for entry in stats)
    # Everything Locust counted was acted on (a request cut off at the stop may be acted on but not counted).
    assert len(probe) >= requests > 0
    assert SECRET not in output


async def test_without_the_secret_it_stops_at_once_and_says_what_to_set(tmp_path: Path) -> None:
    locustfile = tmp_path / "locustfile.py"
    locustfile.write_text(readme_locustfile(), encoding="utf-8")
    env = {key: value for key, value in os.environ.items() if key != "CARTESIA_WEBHOOK_SECRET"}
    code, output = await run_locust(locustfile, "http://127.0.0.1:9/webhooks", env)
    assert code != 0
    assert "CampaignCalls: no webhook secret: set CARTESIA_WEBHOOK_SECRET" in output


async def _probe(url: str) -> list[dict[str, Any]]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        data: dict[str, Any] = await response.json()
    return list(data["processed"])
