"""What went wrong with an attempt: the failure kind and a one-line explanation, from an exception or a status."""

from __future__ import annotations

import ssl

from harness._http1 import HTTPFailure
from harness.failure_kind import FailureKind

__all__ = ["classify_failure", "classify_status"]


def classify_failure(exc: BaseException, timeout: float) -> tuple[FailureKind, str]:
    """The failure kind and a one-line explanation for an exception raised while posting."""
    if isinstance(exc, HTTPFailure):
        return exc.kind, exc.message
    if isinstance(exc, TimeoutError):
        return FailureKind.TIMEOUT, f"no complete response within {timeout:g} s"
    if isinstance(exc, ssl.SSLError):
        return FailureKind.TLS, f"TLS error: {exc}"
    if isinstance(exc, ConnectionRefusedError):
        return FailureKind.REFUSED, "connection refused: is the receiver running?"
    if isinstance(exc, ConnectionResetError | BrokenPipeError):
        return FailureKind.RESET, f"connection reset by the receiver ({exc.strerror})"
    return FailureKind.OTHER, f"{type(exc).__name__}: {exc}"


def classify_status(status: int, location: str | None) -> tuple[FailureKind, str] | None:
    """The failure an answer with ``status`` is (None for a 2xx); a 3xx is never followed, as on the platform."""
    if 200 <= status < 300:
        return None
    if 300 <= status < 400:
        return FailureKind.REDIRECT, f"redirect to {location or '(no Location)'} not followed, as on the platform"
    return FailureKind.STATUS, f"receiver answered {status}"
