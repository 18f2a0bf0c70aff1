"""The package's public names: every one resolves, and nothing heavy is imported up front."""

from __future__ import annotations

import subprocess
import sys

import pytest

import harness


@pytest.mark.parametrize("name", harness.__all__)
def test_every_public_name_resolves(name: str) -> None:
    assert getattr(harness, name) is not None


def test_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_thing"):
        _ = harness.no_such_thing


def test_import_harness_does_not_import_aiohttp_or_pydantic() -> None:
    code = "import sys, harness; print(sorted(m for m in ('aiohttp', 'pydantic', 'faker') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == "[]"
