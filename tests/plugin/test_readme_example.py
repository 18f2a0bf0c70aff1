"""The plugin example in README.md works as pasted: it is extracted from the README and run by pytest."""

from __future__ import annotations

import re

import pytest

from tests.conftest import ROOT

README_MARKER = "paste this into `tests/test_webhooks.py`"

MYAPP = """
from harness.receiver import create_app

app = create_app("cartesia-test-secret")   # the reference receiver stands in for the user's app
"""


def readme_example() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    after = text[text.index(README_MARKER) :]
    match = re.search(r"```python\n(.*?)```", after, re.S)
    assert match is not None, "the README lost its plugin example"
    return match.group(1)


def test_readme_plugin_example_passes_as_pasted(inner: pytest.Pytester) -> None:
    inner.makepyfile(myapp=MYAPP, test_webhooks=readme_example())
    result = inner.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=5)


def test_readme_example_fails_against_a_broken_app(inner: pytest.Pytester) -> None:
    broken = MYAPP + (
        "\nfrom aiohttp import web\n\nasync def accept_all(request):\n    return web.json_response({})\n\n"
        "app = web.Application()\napp.router.add_post('/webhooks', accept_all)\n"
    )
    inner.makepyfile(myapp=broken, test_webhooks=readme_example())
    outcomes = inner.runpytest("-p", "no:randomly").parseoutcomes()
    assert outcomes.get("failed", 0) >= 2, outcomes
