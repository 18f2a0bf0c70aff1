"""What a check raises: a typed failure (or warning) carrying evidence, or a skip with a reason.

Built-in checks raise one subclass per kind of contract violation (:mod:`harness.checks.violations`), each
with typed fields; a user's own check may raise :class:`CheckFailure` itself, or use a plain ``assert``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.delivery import Delivery

__all__ = ["CheckFailure", "CheckSkipped", "CheckWarning", "Severity"]


class Severity(StrEnum):
    """How much a contract violation matters: an error fails the run, a warning only with ``strict``."""

    ERROR = "error"
    WARNING = "warning"


class CheckFailure(AssertionError):
    """A receiver broke the contract. ``severity=Severity.WARNING`` reports it without failing the run.

    ``deliveries`` are the requests that show the problem; the runner turns them into evidence and a
    reproduction (a ``curl`` command and ``harness replay <id>``). ``evidence`` adds what else the check
    observed (JSON values: probe entries, counts), shown under the requests.
    """

    def __init__(
        self,
        title: str,
        message: str = "",
        *,
        severity: Severity = Severity.ERROR,
        evidence: Mapping[str, Any] | None = None,
        deliveries: Sequence[Delivery] = (),
    ) -> None:
        super().__init__(f"{title}: {message}" if message else title)
        self.title = title
        self.message = message
        self.severity = Severity(severity)
        self.evidence: dict[str, Any] = dict(evidence or {})
        self.deliveries: list[Delivery] = list(deliveries)


class CheckWarning(CheckFailure):
    """A contract deviation the platform tolerates (403 instead of 401, say): reported, fails only with strict."""

    def __init__(
        self,
        title: str,
        message: str = "",
        *,
        evidence: Mapping[str, Any] | None = None,
        deliveries: Sequence[Delivery] = (),
    ) -> None:
        super().__init__(title, message, severity=Severity.WARNING, evidence=evidence, deliveries=deliveries)


class CheckSkipped(Exception):
    """The check could not observe what it needs; ``reason`` says why and how to enable it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
