"""Fixtures of the browser tests: one headless Chromium for the session, a receiver and `harness serve` per test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser._support import SECRET, RecordingReference, Serve, browser_missing, chromium, harness_serve


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Chromium at 1280x800 (skipped where it is not installed; CI installs it, so there it must run)."""
    missing = browser_missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"the browser tests must run in CI: {missing}")
        pytest.skip(missing)
    with chromium(1280, 800) as driver:
        driver.implicitly_wait(0)
        yield driver


@pytest.fixture
def receiver() -> Iterator[RecordingReference]:
    """The reference receiver, recording every request (it accepts SECRET and ROTATED)."""
    with RecordingReference() as running:
        yield running


@pytest.fixture
def serve(receiver: RecordingReference, tmp_path: Path) -> Iterator[Serve]:
    """A real `harness serve` delivering to the receiver, with its log in a file."""
    with harness_serve("--to", receiver.url, "--secret", SECRET, "--db", str(tmp_path / "log.db")) as running:
        yield running
