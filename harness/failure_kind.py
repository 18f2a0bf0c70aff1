"""Why a delivery attempt failed, and where a delivery came from: closed sets shared by the HTTP client, the
engine, the log, the reports and the console.

It imports nothing from the rest of the harness, so any module (and a user's own code) can use it alone.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["FailureKind", "Source"]


class FailureKind(StrEnum):
    """Why an attempt failed. Members compare equal to their values (``FailureKind.TIMEOUT == "timeout"``)."""

    # The receiver could not be reached: nothing listening, or the name or address does not connect.
    REFUSED = "refused"
    # No complete answer within the delivery timeout (connecting, sending and reading count alike).
    TIMEOUT = "timeout"
    # The receiver closed or reset the connection before its answer was complete.
    RESET = "reset"
    TLS = "tls"
    # The receiver answered with bytes that are not an HTTP/1.1 response.
    INVALID_HTTP = "invalid_http"
    # A 3xx: never followed, as on the platform.
    REDIRECT = "redirect"
    # The receiver answered, but not with a 2xx.
    STATUS = "status"
    # The sender was stopped (SIGINT/SIGTERM) while the attempt was in flight; recorded, then re-raised.
    CANCELLED = "cancelled"
    OTHER = "other"
    # The log holds the attempt's intent but no outcome: the harness stopped (was killed) before the answer,
    # so the receiver may or may not have got the request.
    UNKNOWN = "unknown"
    # harness listen refused a captured request (its X-Webhook-Secret did not match) and did not forward it.
    NOT_FORWARDED = "not_forwarded"


class Source(StrEnum):
    """Where a logged delivery came from."""

    # Sent by the harness: the mock server, harness send, replays, the contract checks.
    PLAYED = "played"
    # Received by harness listen from the real platform, and forwarded to the local receiver.
    CAPTURED = "captured"
    # Received by harness listen with an X-Webhook-Secret that did not match: refused, or forwarded anyway.
    CAPTURED_UNVERIFIED = "captured_unverified"
