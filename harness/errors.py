"""User-facing errors. Every message names the failing input and says what to do."""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "DeliveryError",
    "HarnessError",
    "PayloadError",
    "ScenarioError",
    "TargetUnreachableError",
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
