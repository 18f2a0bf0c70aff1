"""Unexpected exceptions inside the mock server: kept (``check_errors()`` re-raises them), logged, never lost.

A route that raises answers 500 in the caller's error shape, its message masked of every known secret.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Collection

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from harness._redact import mask_text
from harness.server._http import fail

__all__ = ["ErrorLog"]

logger = logging.getLogger("harness.server")


class ErrorLog:
    """The exceptions recorded inside one server, oldest first; ``masked``: secrets never shown in their messages."""

    def __init__(self, *, masked: Collection[str] = ()) -> None:
        self.errors: list[BaseException] = []
        self.masked = masked

    def __len__(self) -> int:
        return len(self.errors)

    def record(self, exc: BaseException) -> None:
        """Keep an unexpected exception for check_errors() and log it; never let it vanish."""
        self.errors.append(exc)
        # The traceback as text, masked like the message: an exception may quote a request that held a secret.
        trace = mask_text("".join(traceback.format_exception(exc)), self.masked)
        logger.error("mock server error: %s\n%s", self.describe(exc), trace.rstrip())

    def describe(self, exc: BaseException) -> str:
        """``Type: message`` of an exception, with every known secret masked."""
        return mask_text(f"{type(exc).__name__}: {exc}", self.masked)

    def messages(self) -> list[str]:
        """:meth:`describe` of every error recorded."""
        return [self.describe(exc) for exc in self.errors]

    def clear(self) -> None:
        """Forget every error recorded."""
        self.errors.clear()

    def middleware(self) -> Middleware:
        """A middleware turning an unexpected exception into a JSON 500, recorded here."""

        @web.middleware
        async def record_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
            try:
                response: web.StreamResponse = await handler(request)
                return response
            except web.HTTPException:
                raise
            except Exception as exc:
                self.record(exc)
                fail(500, "Internal error", self.describe(exc))

        return record_errors
