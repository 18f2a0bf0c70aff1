"""A function as the state probe: the README's SQLite-backed Flask receiver, extracted and run as pasted."""

from __future__ import annotations

import re

import pytest

from tests.conftest import ROOT

MARKER = "### Your receiver's own store as the state probe"


def readme_blocks() -> tuple[str, str]:
    """The README's ``myapp.py`` and its test file, in that order."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index(MARKER) :]
    app, tests = re.findall(r"```python\n(.*?)```", section, re.S)[:2]
    return app, tests


def test_the_probe_checks_run_with_a_function_as_the_probe(inner: pytest.Pytester) -> None:
    app, tests = readme_blocks()
    inner.makepyfile(myapp=app, test_webhooks=tests)
    result = inner.runpytest("-p", "no:randomly", "-v")
    result.assert_outcomes(passed=1)


def test_a_receiver_that_acts_twice_on_a_redelivery_fails_through_the_function_probe(inner: pytest.Pytester) -> None:
    app, tests = readme_blocks()
    double = app.replace("INSERT OR IGNORE", "INSERT").replace(", UNIQUE (type, call_id, timestamp)", "")
    assert double != app
    inner.makepyfile(myapp=double, test_webhooks=tests)
    result = inner.runpytest("-p", "no:randomly")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*FAIL*idempotent_under_duplicates*"])
    result.stdout.fnmatch_lines(["state probe: test_webhooks.cartesia_probe.<locals>.processed()"])
