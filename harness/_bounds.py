"""Range checks for numbers a user sets (options, environment, config files): finite and within bounds.

Every count and duration has an upper bound, so that no input can make the harness work forever or fill
memory; the README's "Bounds" table lists them.
"""

from __future__ import annotations

import math

from harness.errors import ConfigError

__all__ = ["require_count", "require_seconds"]


def require_seconds(name: str, value: float, *, high: float, zero: bool = False) -> float:
    """``value`` if it is a finite number of seconds above 0 (or >= 0 with ``zero``) and at most ``high``."""
    low_ok = value >= 0 if zero else value > 0
    if isinstance(value, bool) or not math.isfinite(value) or not low_ok or value > high:
        floor = ">= 0" if zero else "above 0"
        raise ConfigError(f"{name}: expected a number of seconds {floor} and at most {high:g}, got {value!r}")
    return value


def require_count(name: str, value: int, *, low: int, high: int) -> int:
    """``value`` if it is an integer from ``low`` to ``high``."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(f"{name}: expected an integer from {low:,} to {high:,}, got {value!r}")
    return value
