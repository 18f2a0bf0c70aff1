"""User-facing errors. Every message names the failing input and says what to do."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "ECHO_CHARS",
    "ECHO_ITEMS",
    "ConfigError",
    "DeliveryError",
    "HarnessError",
    "PayloadError",
    "ScenarioError",
    "TargetUnreachableError",
    "echoed",
    "echoed_list",
]


class HarnessError(Exception):
    """Base class of every error the harness reports to a user (exit code 2 from the CLI)."""


class PayloadError(HarnessError, ValueError):
    """A webhook payload is not JSON, not an object, or has a field of the wrong type."""


class ScenarioError(HarnessError):
    """A scenario file cannot be read or does not validate."""


class ConfigError(HarnessError):
    """A command-line option, environment variable or config file value is invalid."""


class DeliveryError(HarnessError):
    """A delivery could not be made or replayed (unknown delivery id, missing log, ...)."""


class TargetUnreachableError(HarnessError):
    """The receiver under test cannot be reached at all."""


# Input repeated in a message is cut to this many characters, and a list of inputs to this many items.
ECHO_CHARS = 200
ECHO_ITEMS = 10


def echoed(value: str, limit: int = ECHO_CHARS) -> str:
    """``value``, input repeated in a message, cut to ``limit`` characters: any input, a readable message."""
    return value if len(value) <= limit else value[:limit] + "..."


def echoed_list(values: Sequence[str], *, items: int = ECHO_ITEMS, limit: int = ECHO_CHARS) -> str:
    """The first ``items`` of ``values``, each :func:`echoed`, and how many more."""
    shown = ", ".join(echoed(value, limit) for value in values[:items])
    more = len(values) - items
    return f"{shown} and {more:,} more" if more > 0 else shown
