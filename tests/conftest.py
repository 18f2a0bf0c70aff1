"""Shared test helpers: the golden fixtures, and receivers started on free loopback ports."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from harness.receiver import create_app
from harness.serving import AppServer

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
EVENT_FIXTURES = sorted((FIXTURES / "events").glob("*.json"))
SECRET = "whsec_test_0123456789abcdef"

# The suite runs in-process on asyncio's own loop; HARNESS_LOOP=uvloop runs it on uvloop (the command line's
# default loop). Commands the tests start as subprocesses read the same variable (harness._event_loops).
if os.environ.get("HARNESS_LOOP") == "uvloop":
    import uvloop

    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


def load_fixture(name: str) -> dict[str, Any]:
    """The parsed JSON of ``fixtures/events/<name>.json``."""
    data: dict[str, Any] = json.loads((FIXTURES / "events" / f"{name}.json").read_text(encoding="utf-8"))
    return data


@pytest.fixture
async def reference_receiver() -> AsyncIterator[AppServer]:
    """The reference receiver on a free port, accepting ``SECRET``."""
    async with AppServer(create_app(SECRET)) as server:
        yield server


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for localhost and 127.0.0.1 (cert.pem, key.pem)."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    command = ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    command += ["-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=localhost"]
    command += ["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"]
    subprocess.run(command, check=True, capture_output=True, timeout=30)
    return cert, key
