"""Shared test helpers: the golden fixtures, and receivers started on free loopback ports."""

from __future__ import annotations

import json
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


def load_fixture(name: str) -> dict[str, Any]:
    """The parsed JSON of ``fixtures/events/<name>.json``."""
    data: dict[str, Any] = json.loads((FIXTURES / "events" / f"{name}.json").read_text(encoding="utf-8"))
    return data


@pytest.fixture
async def reference_receiver() -> AsyncIterator[AppServer]:
    """The reference receiver on a free port, accepting ``SECRET``."""
    async with AppServer(create_app(SECRET)) as server:
        yield server
