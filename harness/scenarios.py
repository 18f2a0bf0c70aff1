"""Scenario files: load a TOML description, validate it, and expand it into a timed delivery plan.

A scenario says how many calls to simulate and how many at once, how the generator is set up, how the
events are paced, and which faults to inject. The same file and seed always give the same plan.

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

import hashlib
import random
import re
import tomllib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from harness.errors import ScenarioError
from harness.models import AGENT_END_REASONS, END_REASONS, BaseEvent, UnknownEvent, parse_event

__all__ = [
    "FAULT_KINDS",
    "Faults",
    "GeneratorSettings",
    "Pacing",
    "Plan",
    "PlannedCall",
    "PlannedDelivery",
    "Scenario",
    "list_scenarios",
    "load_scenario",
    "scenario_from_dict",
    "scenarios_dir",
]

FAULT_KINDS = ("duplicate", "concurrent_duplicate", "reordered", "dropped", "unknown_event")
# Event types Cartesia may add one day; receivers must answer 2xx and ignore them.
UNKNOWN_EVENT_TYPES = ("call_transferred", "call_recording_ready", "agent_handoff", "call_note")
_OUTCOME_NAMES = ("completed", "failed", *END_REASONS, *AGENT_END_REASONS)

# Builds one call's events; harness.generate.simulate_call by default, replaceable in tests.
Simulator = Callable[..., Sequence[BaseEvent]]


class _Section(BaseModel):
    # strict: TOML has real types, so "10" for a number is a mistake worth reporting, not coercing.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class GeneratorSettings(_Section):
    """How each call's events are generated (see :func:`harness.generate.simulate_call`)."""

    seed: int = 0
    outcomes: dict[str, float] | None = None
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

    @field_validator("outcomes")
    @classmethod
    def _known_outcomes(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        if value is None:
            return None
        for name, weight in value.items():
            if name not in _OUTCOME_NAMES:
                raise ValueError(f"an outcome among {', '.join(_OUTCOME_NAMES)}, got {name!r}")
            if weight < 0:
                raise ValueError(f"a weight >= 0 for {name!r}, got {weight}")
        if value and sum(value.values()) <= 0:
            raise ValueError("at least one weight above 0")
        return value

    @field_validator("domains")
    @classmethod
    def _known_domains(cls, value: list[str] | None) -> list[str] | None:
        known = _generator_domains()
        for name in value or []:
            if known and name not in known:
                raise ValueError(f"a domain among {', '.join(known)}, got {name!r}")
        return value

    @field_validator("locale")
    @classmethod
    def _known_locale(cls, value: str | None) -> str | None:
        known = _generator_locales()
        if value is not None and known and value not in known:
            raise ValueError(f"a locale among {', '.join(known)}, got {value!r}")
        return value

    @field_validator("turns")
    @classmethod
    def _turn_range(cls, value: int | tuple[int, int] | None) -> int | tuple[int, int] | None:
        low, high = (value, value) if isinstance(value, int) else value or (0, 0)
        if low < 0 or high < low:
            raise ValueError(f"a number of turns >= 0 or a range [low, high] with low <= high, got {value!r}")
        return value


class Pacing(_Section):
    """``fast``: every event as soon as possible; ``realtime``: at the call's own timing, divided by ``speed``."""

    mode: Literal["fast", "realtime"] = "fast"
    speed: float = Field(default=1.0, gt=0)


class Faults(_Section):
    """Seeded fault injection. Probabilities are per event, except ``reorder`` and ``unknown_events`` (per call)."""

    duplicates: float = Field(default=0.0, ge=0, le=1)
    concurrent_duplicates: float = Field(default=0.0, ge=0, le=1)
    reorder: float = Field(default=0.0, ge=0, le=1)
    drop: float = Field(default=0.0, ge=0, le=1)
    unknown_events: float = Field(default=0.0, ge=0, le=1)
    delay: float = Field(default=0.0, ge=0)
    jitter: float = Field(default=0.0, ge=0)


class Scenario(_Section):
    """A validated scenario. Build one with :func:`load_scenario` or :func:`scenario_from_dict`."""

    name: str
    description: str = ""
    calls: int = Field(default=1, ge=1)
    concurrency: int = Field(default=10, ge=1)
    generator: GeneratorSettings = GeneratorSettings()
    pacing: Pacing = Pacing()
    faults: Faults = Faults()

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

    def plan(
        self,
        *,
        start: datetime | None = None,
        agent_id: str | None = None,
        webhook_id: str | None = None,
        simulate: Simulator | None = None,
    ) -> Plan:
        """Expand into the ordered, timed deliveries with their fault annotations (same seed → same plan)."""
        if simulate is None:
            from harness.generate import simulate_call

            simulate = simulate_call
        calls = [
            self._plan_call(index, start=start, agent_id=agent_id, webhook_id=webhook_id, simulate=simulate)
            for index in range(self.calls)
        ]
        return Plan(scenario=self.name, calls=calls, concurrency=self.concurrency, pacing=self.pacing)

    def _plan_call(
        self,
        index: int,
        *,
        start: datetime | None,
        agent_id: str | None,
        webhook_id: str | None,
        simulate: Simulator,
    ) -> PlannedCall:
        settings = self.generator
        rng = random.Random(f"{settings.seed}:{index}")
        options: dict[str, Any] = {
            "seed": _derive_seed(settings.seed, index),
            "legacy_fields": settings.legacy_fields,
        }
        if settings.webhook_request_id:
            options["webhook_request_id"] = True
        if settings.outcomes:
            names = list(settings.outcomes)
            options["outcome"] = rng.choices(names, weights=[settings.outcomes[n] for n in names])[0]
        if settings.domains:
            options["domain"] = rng.choice(settings.domains)
        if settings.turns is not None:
            low, high = (settings.turns, settings.turns) if isinstance(settings.turns, int) else settings.turns
            options["turns"] = rng.randint(low, high)
        pins = (("outbound_to", settings.outbound_to), ("metadata", settings.metadata))
        for name, value in (("start", start), ("locale", settings.locale), ("agent_id", agent_id), *pins):
            if value is not None:
                options[name] = value
        if webhook_id is not None:
            options["webhook_id"] = webhook_id
        events = list(simulate(**options))
        call_id = events[0].call_id or f"call_{index}"
        if settings.format == "legacy-2025":
            events = [_to_2025_format(event) for event in events]
        return _inject_faults(index, call_id, events, self.faults, self.pacing, rng)


@dataclass(frozen=True)
class PlannedDelivery:
    """One POST the player will make (or deliberately drop), ``at`` seconds after its call starts.

    ``seq`` is the position in the call's send order; ``event_index`` the position of the event in
    the call's own (generated) order, or None for an injected unknown event. ``delay`` is added before
    sending: after the planned time in realtime pacing, before every delivery in fast pacing.
    """

    call_index: int
    call_id: str
    seq: int
    event: BaseEvent
    body: bytes
    event_type: str
    event_index: int | None = None
    at: float = 0.0
    delay: float = 0.0
    fault: str | None = None
    dropped: bool = False
    concurrent_with_previous: bool = False


@dataclass
class PlannedCall:
    """One simulated call: its events as generated, and the deliveries to make for them."""

    index: int
    call_id: str
    agent_id: str | None
    events: list[BaseEvent]
    deliveries: list[PlannedDelivery]


@dataclass
class Plan:
    """Every call of a scenario, ready for :func:`harness.player.play`."""

    scenario: str
    calls: list[PlannedCall]
    concurrency: int
    pacing: Pacing = field(default_factory=Pacing)

    @property
    def call_ids(self) -> list[str]:
        """The ids of the planned calls, in scenario order."""
        return [call.call_id for call in self.calls]

    def deliveries(self) -> Iterator[PlannedDelivery]:
        """Every planned delivery, call by call."""
        for call in self.calls:
            yield from call.deliveries


def _derive_seed(seed: int, index: int) -> int:
    digest = hashlib.blake2b(f"{seed}/{index}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1


def _to_2025_format(event: BaseEvent) -> BaseEvent:
    """The event as the 2025 platform sent it: no ``call``/``turn`` objects, ``body`` and ``request_id``."""
    wire = event.to_wire()
    request_id = "MZ" + hashlib.md5((event.call_id or "").encode(), usedforsecurity=False).hexdigest()
    old: dict[str, Any] = {"type": wire["type"], "request_id": request_id}
    for key in ("agent_id", "webhook_id"):
        if key in wire:
            old[key] = wire[key]
    if wire["type"] == "call_turn":
        old["body"] = wire.get("turn", wire.get("body"))
    elif wire["type"] in ("call_completed", "call_failed"):
        old["body"] = (wire.get("call") or {}).get("transcript", wire.get("body", []))
    elif "analysis" in wire:
        old["analysis"] = wire["analysis"]
    if "timestamp" in wire:
        old["timestamp"] = wire["timestamp"]
    return parse_event(old)


def _offsets(events: Sequence[BaseEvent], pacing: Pacing) -> list[float]:
    if pacing.mode == "fast":
        return [0.0] * len(events)
    first = next((e.timestamp for e in events if e.timestamp is not None), None)
    offsets: list[float] = []
    last = 0.0
    for event in events:
        if first is not None and event.timestamp is not None:
            last = max(last, (event.timestamp.nanoseconds - first.nanoseconds) / 1e9 / pacing.speed)
        offsets.append(last)
    return offsets


def _unknown_event(like: BaseEvent, rng: random.Random) -> BaseEvent:
    return UnknownEvent.model_validate(
        {
            "type": rng.choice(UNKNOWN_EVENT_TYPES),
            **{k: v for k, v in like.to_wire().items() if k in ("call_id", "agent_id", "webhook_id", "timestamp")},
            "detail": {"note": "an event type this receiver has never seen", "version": 2},
        }
    )


def _inject_faults(
    index: int,
    call_id: str,
    events: list[BaseEvent],
    faults: Faults,
    pacing: Pacing,
    rng: random.Random,
) -> PlannedCall:
    sent = list(events)
    fault_of: list[str | None] = [None] * len(sent)
    origin: list[int | None] = list(range(len(sent)))
    if faults.unknown_events and len(sent) > 1 and rng.random() < faults.unknown_events:
        position = rng.randint(1, len(sent) - 1)
        sent.insert(position, _unknown_event(sent[position - 1], rng))
        fault_of.insert(position, "unknown_event")
        origin.insert(position, None)
    offsets = _offsets(sent, pacing)
    if faults.reorder and rng.random() < faults.reorder:
        # Swap a few adjacent pairs after call_started; each swapped event keeps its own send time slot.
        swaps = max(1, len(sent) // 6)
        for _ in range(swaps):
            if len(sent) < 3:
                break
            i = rng.randint(1, len(sent) - 2)
            sent[i], sent[i + 1] = sent[i + 1], sent[i]
            origin[i], origin[i + 1] = origin[i + 1], origin[i]
            fault_of[i], fault_of[i + 1] = "reordered", "reordered"
    planned: list[PlannedDelivery] = []
    agent_id = events[0].agent_id if events else None
    for seq, (event, offset, fault, event_index) in enumerate(zip(sent, offsets, fault_of, origin, strict=True)):
        body = event.to_json()
        delay = faults.delay + (rng.uniform(0, faults.jitter) if faults.jitter else 0.0)
        dropped = bool(faults.drop) and rng.random() < faults.drop
        base = PlannedDelivery(
            call_index=index,
            call_id=call_id,
            seq=seq,
            event=event,
            body=body,
            event_type=event.type,
            event_index=event_index,
            at=offset,
            delay=round(delay, 6),
            fault="dropped" if dropped else fault,
            dropped=dropped,
        )
        planned.append(base)
        if dropped:
            continue
        if faults.duplicates and rng.random() < faults.duplicates:
            planned.append(_copy(base, fault="duplicate", concurrent=False))
        if faults.concurrent_duplicates and rng.random() < faults.concurrent_duplicates:
            planned.append(_copy(base, fault="concurrent_duplicate", concurrent=True))
    return PlannedCall(index=index, call_id=call_id, agent_id=agent_id, events=events, deliveries=planned)


def _copy(base: PlannedDelivery, *, fault: str, concurrent: bool) -> PlannedDelivery:
    return replace(base, fault=fault, concurrent_with_previous=concurrent)


def _generator_domains() -> tuple[str, ...]:
    try:
        from harness.generate import DOMAINS
    except ImportError:  # the generator is optional for validation; it is required to plan
        return ()
    return tuple(DOMAINS)


def _generator_locales() -> tuple[str, ...]:
    try:
        from harness.generate import LOCALES
    except ImportError:
        return ()
    return tuple(LOCALES)


# ---------------------------------------------------------------------------------------------------
# Loading and error reporting


def scenarios_dir() -> Path:
    """The directory of bundled scenarios: inside the installed package, or ``scenarios/`` in a checkout."""
    packaged = Path(__file__).resolve().parent / "_scenarios"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "scenarios"


def list_scenarios() -> list[Scenario]:
    """Every bundled scenario, sorted by name."""
    return [load_scenario(path) for path in sorted(scenarios_dir().glob("*.toml"))]


def load_scenario(name_or_path: str | Path) -> Scenario:
    """A scenario from a file path, or a bundled one by bare name (``"burst"``).

    Raises :class:`ScenarioError` as ``path:line: field "x": expected ..., got ...`` for a bad file.
    """
    path = Path(name_or_path)
    is_name = isinstance(name_or_path, str) and "/" not in name_or_path and not name_or_path.endswith(".toml")
    if is_name:
        path = scenarios_dir() / f"{name_or_path}.toml"
        if not path.is_file():
            known = ", ".join(p.stem for p in sorted(scenarios_dir().glob("*.toml")))
            raise ScenarioError(
                f"no scenario named {name_or_path!r}; bundled scenarios: {known} (or pass a .toml path)"
            )
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read the scenario file ({exc.strerror or exc})") from exc
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: invalid TOML: {exc}") from exc
    data.setdefault("name", path.stem)
    return scenario_from_dict(data, source=str(path), text=text)


def scenario_from_dict(data: Mapping[str, Any], *, source: str = "scenario", text: str | None = None) -> Scenario:
    """Validate a scenario given as data (a parsed TOML file, or JSON from the control API)."""
    data = dict(data)
    data.setdefault("name", "custom")
    try:
        return Scenario.model_validate(_lists_to_tuples(data))
    except ValidationError as exc:
        raise ScenarioError(_describe(exc, source, text)) from exc


def _lists_to_tuples(data: Mapping[str, Any]) -> dict[str, Any]:
    # Strict mode wants a tuple for `turns = [4, 12]`; TOML and JSON only have arrays.
    out = dict(data)
    generator = out.get("generator")
    if isinstance(generator, Mapping) and isinstance(generator.get("turns"), list):
        out["generator"] = {**generator, "turns": tuple(generator["turns"])}
    return out


def _describe(exc: ValidationError, source: str, text: str | None) -> str:
    problems: list[str] = []
    seen: set[str] = set()
    for error in exc.errors(include_url=False):
        loc = tuple(part for part in error["loc"] if isinstance(part, str) and not _is_branch_tag(part))
        name = ".".join(loc)
        if name in seen:  # a union field fails once per branch; one message per field is enough
            continue
        seen.add(name)
        where = f"{source}:{_line_of(text, loc)}" if text is not None else source
        problems.append(f'{where}: field "{name}": {_expectation(error)}')
    return "; ".join(problems)


def _is_branch_tag(part: str) -> bool:
    return part in ("int", "float", "str", "bool", "none", "list", "dict", "tuple") or "[" in part


def _expectation(error: Any) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return "unknown field; check the spelling (see the bundled scenarios for the known fields)"
    if kind == "missing":
        return "required, but missing"
    message = str(error["msg"]).removeprefix("Value error, ")
    message = message.removeprefix("Input should be ").removeprefix("expected ")
    message = message.replace("greater than or equal to", ">=").replace("less than or equal to", "<=")
    message = message.replace("greater than", ">").replace("a valid ", "a ").replace("a integer", "an integer")
    found = error.get("input")
    if kind.startswith("value_error"):
        return f"expected {message}"
    return f"expected {message}, got {_shown(found)}"


def _shown(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list | tuple):
        return "an array"
    return repr(value)


_HEADER = re.compile(r"^\s*\[\s*([A-Za-z0-9_.\-\"' ]+?)\s*\]\s*(#.*)?$")


def _line_of(text: str | None, loc: tuple[str, ...]) -> int:
    """The 1-based line where the key ``loc`` is written (tomllib gives no positions), else 1."""
    if not text or not loc:
        return 1
    table: tuple[str, ...] = ()
    best = 0
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            table = tuple(part.strip().strip("\"'") for part in header.group(1).split("."))
            if table == loc[: len(table)] and len(table) == len(loc):
                best = best or number
            continue
        rest = loc[len(table) :] if table == loc[: len(table)] else None
        if not rest:
            continue
        key = re.match(r"^\s*([A-Za-z0-9_\-\"'.]+)\s*=", line)
        if key is None:
            continue
        dotted = tuple(part.strip().strip("\"'") for part in key.group(1).split("."))
        if dotted == rest[: len(dotted)]:
            return number
    return best or 1
