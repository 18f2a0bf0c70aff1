"""``harness load``'s options and their bounds: every count, rate and duration is checked before Locust starts."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from harness._scenario_settings import MAX_SEED
from harness.errors import ConfigError
from harness.load.pool import MAX_POOL_CALLS

__all__ = ["BOUNDS", "LoadSettings", "check_bound", "parse_duration"]

# name: (lowest, highest, unit). Documented in the README ("Load through Locust") and in --help.
BOUNDS: dict[str, tuple[float, float, str]] = {
    "users": (1, 10_000, "users"),
    "spawn_rate": (0.1, 1_000, "users/s"),
    "run_time": (1, 24 * 3600, "s"),
    "workers": (1, 64, "local worker processes"),
    "expect_workers": (1, 1_000, "workers"),
    "speed": (0.01, 10_000, "x real time"),
    "pool": (1, MAX_POOL_CALLS, "calls per worker"),
    "duplicates": (0, 1, "share of calls"),
    "max_fail_ratio": (0, 1, "share of requests"),
    "timeout": (0.1, 300, "s"),
    "settle": (0, 300, "s"),
}

# Whole seconds, as Locust's --run-time takes them.
_DURATION = re.compile(r"^(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?(?:(?P<s>\d+)s?)?$")


def parse_duration(text: str, what: str = "--run-time") -> int:
    """Whole seconds from ``90``, ``90s``, ``5m``, ``1h30m`` or ``1m30s``; ConfigError naming ``what`` otherwise."""
    match = _DURATION.match(text.strip().lower())
    if match is None or not any(match.groupdict().values()):
        raise ConfigError(f"{what} {text!r}: expected a duration such as 30s, 5m, 1h30m or a whole number of seconds")
    hours, minutes, seconds = (int(match[part] or 0) for part in ("h", "m", "s"))
    return hours * 3600 + minutes * 60 + seconds


def check_bound(name: str, value: float, flag: str) -> None:
    """ConfigError naming ``flag`` when ``value`` is outside BOUNDS[name] (or not a finite number)."""
    low, high, unit = BOUNDS[name]
    if isinstance(value, bool) or not math.isfinite(value) or not low <= value <= high:
        raise ConfigError(f"{flag} {value:g}: expected {low:g} to {high:g} ({unit})")


@dataclass(frozen=True)
class LoadSettings:
    """One load run. ``speed`` None means fast (no pacing); ``workers`` are local processes, or the
    number of remote workers a ``--master`` waits for."""

    url: str
    users: int
    spawn_rate: float
    run_time: int
    workers: int = 1
    speed: float | None = 1.0
    pool: int = 100
    duplicates: float = 0.0
    seed: int = 0
    timeout: float = 10.0
    max_fail_ratio: float = 0.0
    settle: float = 10.0
    remote_workers: bool = False

    def check(self) -> None:
        """Raise ConfigError for the first value outside its bound."""
        check_bound("users", self.users, "--users")
        check_bound("spawn_rate", self.spawn_rate, "--spawn-rate")
        check_bound("run_time", self.run_time, "--run-time")
        check_bound("expect_workers" if self.remote_workers else "workers", self.workers, "--workers")
        if self.speed is not None:
            check_bound("speed", self.speed, "--speed")
        check_bound("pool", self.pool, "--pool")
        check_bound("duplicates", self.duplicates, "--duplicates")
        check_bound("max_fail_ratio", self.max_fail_ratio, "--max-fail-ratio")
        check_bound("timeout", self.timeout, "--timeout")
        check_bound("settle", self.settle, "--settle")
        # Locust hands the seed to its workers in msgpack, which carries 64-bit integers at most.
        if not -MAX_SEED <= self.seed <= MAX_SEED:
            raise ConfigError(f"--seed {self.seed}: expected a whole number from {-MAX_SEED} to {MAX_SEED}")
        if self.workers > self.users:
            raise ConfigError(
                f"--workers {self.workers} is more than --users {self.users}: a worker without users sends nothing; "
                "use fewer workers or more users"
            )
