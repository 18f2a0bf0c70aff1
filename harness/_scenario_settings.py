"""The tables of a scenario file (``[generator]``, ``[pacing]``, ``[faults]``) and the bounds on every value.

Each table is a strict, frozen pydantic model: TOML has real types, so a string where a number belongs is
reported rather than coerced, and no value can ask the harness to work without end (the README's "Bounds").
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = [
    "MAX_CALLS",
    "MAX_CONCURRENCY",
    "MAX_DELAY",
    "MAX_SEED",
    "MAX_SPEED",
    "MAX_TURNS",
    "MAX_WEIGHT",
    "MIN_SPEED",
    "Faults",
    "GeneratorSettings",
    "Pacing",
    "Section",
]

# Bounds on what a scenario (a file, or a control API request) can ask for; the README's "Bounds" table.
MAX_CALLS = 100_000
MAX_CONCURRENCY = 10_000
MAX_TURNS = 5_000
MAX_SEED = 2**63 - 1
MAX_WEIGHT = 1_000_000.0
MAX_DELAY = 3600.0
MIN_SPEED, MAX_SPEED = 0.01, 1000.0

_Weight = Annotated[float, Field(ge=0, le=MAX_WEIGHT)]


class Section(BaseModel):
    """A table of a scenario file (and the scenario itself): strict, frozen, finite."""

    # strict: TOML has real types, so "10" for a number is a mistake worth reporting, not coercing.
    # allow_inf_nan=False: TOML and JSON parsers accept inf and nan, and either would mean "forever".
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)


class GeneratorSettings(Section):
    """How each call's events are generated (see :func:`harness.generate.simulate_call`)."""

    seed: int = Field(default=0, ge=-MAX_SEED, le=MAX_SEED)
    outcomes: dict[str, _Weight] | None = None
    domains: list[str] | None = None
    turns: int | tuple[int, int] | None = None
    legacy_fields: bool = True
    format: Literal["current", "legacy-2025"] = "current"
    locale: str | None = None
    # Pins every call to an outbound phone call to this number, with this metadata (as a call batch does).
    outbound_to: str | None = None
    metadata: dict[str, Any] | None = None
    # Assumed, off by default: an id per event in the envelope, the same on every retry of the event.
    webhook_request_id: bool = False

    @field_validator("outbound_to")
    @classmethod
    def _e164(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"\+[1-9]\d{1,14}", value):
            raise ValueError(f"an E.164 phone number such as +15555550100, got {value!r}")
        return value

    @field_validator("outcomes")
    @classmethod
    def _known_outcomes(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        if value is None:
            return None
        known = _generator_vocabulary("OUTCOMES")
        for name in value:
            if name not in known:
                raise ValueError(f"an outcome among {', '.join(known)}, got {name!r}")
        if value and sum(value.values()) <= 0:
            raise ValueError("at least one weight above 0")
        return value

    @field_validator("domains")
    @classmethod
    def _known_domains(cls, value: list[str] | None) -> list[str] | None:
        known = _generator_vocabulary("DOMAINS")
        for name in value or []:
            if name not in known:
                raise ValueError(f"a domain among {', '.join(known)}, got {name!r}")
        return value

    @field_validator("locale")
    @classmethod
    def _known_locale(cls, value: str | None) -> str | None:
        known = _generator_vocabulary("LOCALES")
        if value is not None and value not in known:
            raise ValueError(f"a locale among {', '.join(known)}, got {value!r}")
        return value

    @field_validator("turns")
    @classmethod
    def _turn_range(cls, value: int | tuple[int, int] | None) -> int | tuple[int, int] | None:
        low, high = (value, value) if isinstance(value, int) else value or (0, 0)
        if low < 0 or high < low or high > MAX_TURNS:
            raise ValueError(
                f"a number of turns from 0 to {MAX_TURNS:,}, or a range [low, high] with low <= high, got {value!r}"
            )
        return value


class Pacing(Section):
    """``fast``: every event as soon as possible; ``realtime``: at the call's own timing, divided by ``speed``."""

    mode: Literal["fast", "realtime"] = "fast"
    speed: float = Field(default=1.0, ge=MIN_SPEED, le=MAX_SPEED)


class Faults(Section):
    """Seeded fault injection. Probabilities are per event, except ``reorder`` and ``unknown_events`` (per call)."""

    duplicates: float = Field(default=0.0, ge=0, le=1)
    concurrent_duplicates: float = Field(default=0.0, ge=0, le=1)
    reorder: float = Field(default=0.0, ge=0, le=1)
    drop: float = Field(default=0.0, ge=0, le=1)
    unknown_events: float = Field(default=0.0, ge=0, le=1)
    delay: float = Field(default=0.0, ge=0, le=MAX_DELAY)
    jitter: float = Field(default=0.0, ge=0, le=MAX_DELAY)


def _generator_vocabulary(name: str) -> tuple[str, ...]:
    """The generator's ``OUTCOMES``, ``DOMAINS`` or ``LOCALES``: its own lists are the ones a scenario may name.

    Imported when a scenario names one, not before: the generator loads faker, which validation alone
    does not need.
    """
    import harness.generate as generate

    return tuple(getattr(generate, name))
