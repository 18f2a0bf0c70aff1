"""The mock server's record of unexpected errors: kept, and logged with every known secret masked."""

from __future__ import annotations

import logging

import pytest

from harness.server.error_log import ErrorLog

SECRET = "whsec_error_log_5d1e"


def failing() -> None:
    raise ValueError(f"could not handle the request with X-Webhook-Secret: {SECRET}")


def test_an_error_is_kept_and_logged_with_its_traceback_but_never_the_secret(caplog: pytest.LogCaptureFixture) -> None:
    errors = ErrorLog(masked=[SECRET])
    try:
        failing()
    except ValueError as exc:
        errors.record(exc)
    assert len(errors) == 1
    assert errors.messages() == ["ValueError: could not handle the request with X-Webhook-Secret: ***"]
    [record] = [record for record in caplog.records if record.name == "harness.server"]
    assert record.levelno == logging.ERROR
    logged = caplog.text
    assert "in failing" in logged  # the traceback is there: where it happened
    assert "X-Webhook-Secret: ***" in logged
    assert SECRET not in logged
