"""A scenario: the validated contents of a scenario file, and how one is built from data (TOML, JSON, overrides).

```toml
name = "duplicates"
calls = 20
concurrency = 5
[generator]
seed = 7
outcomes = { completed = 0.8, failed = 0.2 }
turns = [4, 12]
[pacing]
mode = "fast"          # or "realtime" (each call's own timing); speed = 2.0 plays it twice as fast
[faults]
duplicates = 0.2       # probability that an event is delivered twice, one after the other
```
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from harness._plan import Plan
from harness._planning import Simulator, call_ids, plan_scenario
from harness._scenario_settings import MAX_CALLS, MAX_CONCURRENCY, Faults, GeneratorSettings, Pacing, Section
from harness._validation import describe_validation_error
from harness.errors import ScenarioError
from harness.recording import RecordedCall

__all__ = ["Scenario", "scenario_from_dict", "scenario_with_params"]


class Scenario(Section):
    """A validated scenario. Build one with :func:`load_scenario` or :func:`scenario_from_dict`."""

    name: str = Field(max_length=200)
    description: str = Field(default="", max_length=2000)
    calls: int = Field(default=1, ge=1, le=MAX_CALLS)
    concurrency: int = Field(default=10, ge=1, le=MAX_CONCURRENCY)
    generator: GeneratorSettings = GeneratorSettings()
    pacing: Pacing = Pacing()
    faults: Faults = Faults()
    # A recording to replay instead of generating calls (harness export writes one); call i replays
    # recorded call i modulo their number. In a file, the path is relative to the file.
    recording: str | None = Field(default=None, max_length=4096)

    def with_overrides(self, **overrides: Any) -> Scenario:
        """A copy with top-level fields replaced (``calls``, ``concurrency``) or ``seed`` for the generator."""
        data = self.model_dump()
        if "seed" in overrides:
            data["generator"]["seed"] = overrides.pop("seed")
        for section in ("generator", "pacing", "faults"):
            if isinstance(overrides.get(section), Mapping):
                data[section].update(overrides.pop(section))
        data.update(overrides)
        return scenario_from_dict(data, source=f"scenario {self.name!r}")

    def call_ids(self, id_space: str = "", recorded: Sequence[RecordedCall] = ()) -> list[str]:
        """The ids the calls of this scenario get in ``id_space``, without generating the calls.

        A recorded call keeps its own id in the default id space, the first time it is replayed.
        """
        return call_ids(self, id_space, recorded)

    def plan(
        self,
        *,
        start: datetime | None = None,
        agent_id: str | None = None,
        webhook_id: str | None = None,
        simulate: Simulator | None = None,
        id_space: str = "",
    ) -> Plan:
        """The ordered, timed deliveries with their fault annotations (same seed and id space → same plan).

        Calls are generated when they are reached, not here, so a plan's memory does not grow with its
        number of calls. ``id_space`` salts the call ids: the server gives each run its own.
        """
        return plan_scenario(
            self, start=start, agent_id=agent_id, webhook_id=webhook_id, simulate=simulate, id_space=id_space
        )


def scenario_from_dict(data: Mapping[str, Any], *, source: str = "scenario", text: str | None = None) -> Scenario:
    """Validate a scenario given as data (a parsed TOML file, or JSON from the control API)."""
    data = dict(data)
    data.setdefault("name", "custom")
    try:
        return Scenario.model_validate(_lists_to_tuples(data))
    except ValidationError as exc:
        raise ScenarioError(describe_validation_error(exc, source, text)) from exc


class _Parameters(BaseModel):
    """What a request (or ``MockServer.start_calls(**params)``) may set beside a scenario: its fields,
    whole tables, and shortcuts for the generator's (``seed``, ``outcome``, ``domain``, ``turns``, ...).
    Ranges are checked when the result is validated as a :class:`Scenario`."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)

    name: str | None = None
    description: str | None = None
    calls: int | None = None
    concurrency: int | None = None
    seed: int | None = None
    outcome: str | None = None
    outcomes: dict[str, float] | None = None
    domain: str | None = None
    domains: list[str] | None = None
    turns: int | list[int] | None = None
    legacy_fields: bool | None = None
    format: str | None = None
    locale: str | None = None
    generator: dict[str, Any] | None = None
    pacing: Literal["fast", "realtime"] | dict[str, Any] | None = None
    faults: dict[str, Any] | None = None


_GENERATOR_SHORTCUTS = ("seed", "outcomes", "domains", "turns", "legacy_fields", "format", "locale")


def scenario_with_params(base: Scenario | None, params: Mapping[str, Any], *, source: str) -> Scenario:
    """``base`` with ``params`` applied (or a scenario made of ``params`` alone); ScenarioError naming the field."""
    try:
        given = _Parameters.model_validate(params).model_dump(exclude_none=True)
    except ValidationError as exc:
        raise ScenarioError(describe_validation_error(exc, source)) from exc
    data: dict[str, Any] = base.model_dump() if base is not None else {"name": "custom"}
    generator = {**data.get("generator", {}), **given.pop("generator", {})}
    for key in _GENERATOR_SHORTCUTS:
        if key in given:
            generator[key] = given.pop(key)
    if "outcome" in given:
        generator["outcomes"] = {given.pop("outcome"): 1.0}
    if "domain" in given:
        generator["domains"] = [given.pop("domain")]
    data["generator"] = generator
    pacing = given.pop("pacing", None)
    if pacing is not None:
        data["pacing"] = {**data.get("pacing", {}), **({"mode": pacing} if isinstance(pacing, str) else pacing)}
    if "faults" in given:
        data["faults"] = {**data.get("faults", {}), **given.pop("faults")}
    data.update(given)
    return scenario_from_dict(data, source=source)


def _lists_to_tuples(data: Mapping[str, Any]) -> dict[str, Any]:
    # Strict mode wants a tuple for `turns = [4, 12]`; TOML and JSON only have arrays.
    out = dict(data)
    generator = out.get("generator")
    if isinstance(generator, Mapping) and isinstance(generator.get("turns"), list):
        out["generator"] = {**generator, "turns": tuple(generator["turns"])}
    return out
