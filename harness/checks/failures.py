"""What a check raises: a typed failure (or warning) carrying evidence, or a skip with a reason."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from harness.delivery import Delivery

__all__ = ["CheckFailure", "CheckSkipped", "CheckWarning", "Severity"]

Severity = Literal["failure", "warning"]


class CheckFailure(AssertionError):
    """A receiver broke the contract. ``severity="warning"`` reports it without failing the run.

    ``deliveries`` are the requests that show the problem; the runner turns them into evidence and a
    reproduction (a ``curl`` command and ``harness replay <id>``).
    """

    def __init__(
        self,
        title: str,
        message: str = "",
        *,
        severity: Severity = "failure",
        evidence: dict[str, Any] | None = None,
        deliveries: list[Delivery] | None = None,
    ) -> None:
        super().__init__(f"{title}: {message}" if message else title)
        self.title = title
        self.message = message
        self.severity: Severity = severity
        self.evidence: dict[str, Any] = dict(evidence or {})
        self.deliveries: list[Delivery] = list(deliveries or [])


class CheckWarning(CheckFailure):
    """A contract deviation the platform tolerates (403 instead of 401, say): reported, fails only with strict."""

    def __init__(
        self,
        title: str,
        message: str = "",
        *,
        evidence: dict[str, Any] | None = None,
        deliveries: list[Delivery] | None = None,
    ) -> None:
        super().__init__(title, message, severity="warning", evidence=evidence, deliveries=deliveries)


class CheckSkipped(Exception):
    """The check could not observe what it needs; ``reason`` says why and how to enable it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
