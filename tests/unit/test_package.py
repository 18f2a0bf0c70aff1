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


def test_star_import_gives_exactly_the_public_names() -> None:
    namespace: dict[str, object] = {}
    exec("from harness import *", namespace)
    assert sorted(name for name in namespace if name != "__builtins__") == harness.__all__
    assert namespace["Scenario"] is harness.Scenario


def test_public_names_are_listed_once_and_shown_by_dir() -> None:
    names = harness.__all__
    assert len(names) == len(set(names))
    assert {"__version__", "parse_event", "MockServer", "verify_secret", "FailureKind"} <= set(names)
    assert set(names) <= set(dir(harness))
