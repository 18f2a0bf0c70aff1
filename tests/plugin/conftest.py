"""Helpers for running inner pytest sessions with the plugin (installed through its pytest11 entry point)."""

from __future__ import annotations

import pytest

# Inner sessions get the same strictness as ours, and a quiet pytest-asyncio.
INNER_INI = """
[pytest]
addopts = --strict-markers -p no:cacheprovider
asyncio_default_fixture_loop_scope = function
"""


@pytest.fixture
def inner(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A pytester directory with our ini and no Cartesia settings leaking in from the environment."""
    for name in (
        "CARTESIA_WEBHOOK_URL",
        "CARTESIA_WEBHOOK_SECRET",
        "CARTESIA_PROBE_URL",
        "CARTESIA_CHECKS",
        "CARTESIA_LATENCY_BUDGET",
        "CARTESIA_SEED",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HARNESS_DB", str(pytester.path / "deliveries.db"))
    pytester.makefile(".ini", pytest=INNER_INI)
    return pytester
