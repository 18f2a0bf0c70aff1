"""harness.checks.wording: how a check's verdict words what came back."""

from __future__ import annotations

import pytest

from harness.checks.wording import outcome
from harness.delivery import Attempt, Delivery


def delivery_answered(status: int, headers: dict[str, str]) -> Delivery:
    attempt = Attempt(1, "http://127.0.0.1:1/webhooks", {}, 0.0, status=status, response_headers=headers)
    return Delivery("dlv_1", "http://127.0.0.1:1/webhooks", b"{}", attempts=[attempt])


@pytest.mark.parametrize("name", ["Location", "location", "LOCATION"])
def test_a_redirect_names_its_target_whatever_the_header_casing(name: str) -> None:
    # uvicorn and h11 send header names in lower case; HTTP names are case-insensitive.
    assert outcome(delivery_answered(307, {name: "/webhooks/"})) == "redirected (307) to /webhooks/"


def test_a_redirect_without_a_target_says_so() -> None:
    assert outcome(delivery_answered(302, {})) == "redirected (302) to (no Location)"
