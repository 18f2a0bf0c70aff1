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

import asyncio
import hashlib
import random
import re
import tomllib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal, overload

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from harness import _ids
from harness._files import read_capped
from harness._validation import describe_validation_error
from harness.errors import ScenarioError
from harness.legacy import to_2025_format
from harness.models import AGENT_END_REASONS, END_REASONS, BaseEvent, UnknownEvent, parse_event
from harness.recording import RecordedCall, read_recording

__all__ = [
    "FAULT_KINDS",
    "MAX_CALLS",
    "MAX_CONCURRENCY",
    "MAX_SCENARIO_BYTES",
    "MAX_TURNS",
    "Faults",
    "GeneratorSettings",
    "Pacing",
    "Plan",
    "PlannedCall",
    "PlannedDelivery",
    "Scenario",
    "ScenarioCatalog",
    "list_scenarios",
    "load_scenario",
    "scenario_from_dict",
    "scenario_with_params",
    "scenarios_dir",
]

FAULT_KINDS = ("duplicate", "concurrent_duplicate", "reordered", "dropped", "unknown_event")
# Event types Cartesia may add one day; receivers must answer 2xx and ignore them.
UNKNOWN_EVENT_TYPES = ("call_transferred", "call_recording_ready", "agent_handoff", "call_note")
_OUTCOME_NAMES = ("completed", "failed", *END_REASONS, *AGENT_END_REASONS)

# Bounds on what a scenario (a file, or a control API request) can ask for; the README's "Bounds" table.
MAX_CALLS = 100_000
MAX_CONCURRENCY = 10_000
MAX_TURNS = 5_000
MAX_SEED = 2**63 - 1
MAX_WEIGHT = 1_000_000.0
MAX_DELAY = 3600.0
MIN_SPEED, MAX_SPEED = 0.01, 1000.0
MAX_SCENARIO_BYTES = 1024 * 1024

# Builds one call's events; harness.generate.simulate_call by default, replaceable in tests.
Simulator = Callable[..., Sequence[BaseEvent]]

_Weight = Annotated[float, Field(ge=0, le=MAX_WEIGHT)]


class _Section(BaseModel):
    # strict: TOML has real types, so "10" for a number is a mistake worth reporting, not coercing.
    # allow_inf_nan=False: TOML and JSON parsers accept inf and nan, and either would mean "forever".
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)


class GeneratorSettings(_Section):
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
        for name in value:
            if name not in _OUTCOME_NAMES:
                raise ValueError(f"an outcome among {', '.join(_OUTCOME_NAMES)}, got {name!r}")
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
        if low < 0 or high < low or high > MAX_TURNS:
            raise ValueError(
                f"a number of turns from 0 to {MAX_TURNS:,}, or a range [low, high] with low <= high, got {value!r}"
            )
        return value


class Pacing(_Section):
    """``fast``: every event as soon as possible; ``realtime``: at the call's own timing, divided by ``speed``."""

    mode: Literal["fast", "realtime"] = "fast"
    speed: float = Field(default=1.0, ge=MIN_SPEED, le=MAX_SPEED)


class Faults(_Section):
    """Seeded fault injection. Probabilities are per event, except ``reorder`` and ``unknown_events`` (per call)."""

    duplicates: float = Field(default=0.0, ge=0, le=1)
    concurrent_duplicates: float = Field(default=0.0, ge=0, le=1)
    reorder: float = Field(default=0.0, ge=0, le=1)
    drop: float = Field(default=0.0, ge=0, le=1)
    unknown_events: float = Field(default=0.0, ge=0, le=1)
    delay: float = Field(default=0.0, ge=0, le=MAX_DELAY)
    jitter: float = Field(default=0.0, ge=0, le=MAX_DELAY)


class Scenario(_Section):
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
        return [
            recorded[index].call_id
            if index < len(recorded) and not id_space
            else _call_id(id_space, self.name, self.generator.seed, index)
            for index in range(self.calls)
        ]

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
        if simulate is None:
            from harness.generate import simulate_call

            simulate = simulate_call

        recorded = read_recording(Path(self.recording)) if self.recording else []
        call_ids = self.call_ids(id_space, recorded)

        def plan_call(index: int) -> PlannedCall:
            if recorded:
                return self._replay_call(index, call_ids[index], recorded[index % len(recorded)])
            return self._plan_call(
                index, call_ids[index], start=start, agent_id=agent_id, webhook_id=webhook_id, simulate=simulate
            )

        return Plan(
            scenario=self.name, call_ids=call_ids, concurrency=self.concurrency, pacing=self.pacing, plan_call=plan_call
        )

    def _plan_call(
        self,
        index: int,
        call_id: str,
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
            "call_id": call_id,
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
        if settings.format == "legacy-2025":
            events = [parse_event(to_2025_format(event)) for event in events]
        return _inject_faults(index, call_id, events, _offsets(events, self.pacing), self.faults, rng)

    def _replay_call(self, index: int, call_id: str, recorded: RecordedCall) -> PlannedCall:
        """A recorded call's events, under ``call_id``, at their recorded offsets (realtime) or at once."""
        rename = (recorded.call_id.encode(), call_id.encode())
        events: list[BaseEvent] = [parse_event(body.replace(*rename)) for _, body in recorded.events]
        realtime = self.pacing.mode == "realtime"
        offsets = [at / self.pacing.speed if realtime else 0.0 for at, _ in recorded.events]
        rng = random.Random(f"{self.generator.seed}:{index}")
        return _inject_faults(index, call_id, events, offsets, self.faults, rng)


@dataclass(frozen=True)
class PlannedDelivery:
    """One POST the player will make (or deliberately drop), ``at`` seconds after its call starts.

    ``seq`` is the position in the call's send order; ``event_index`` the position of the event in
    the call's own (generated) order, or None for an injected unknown event. ``delay`` is added before
    sending: after the planned time in realtime pacing, before every delivery in fast pacing. Only the
    bytes are kept (a parsed event takes several times their memory); :attr:`event` parses them.
    """

    call_index: int
    call_id: str
    seq: int
    body: bytes
    event_type: str
    event_index: int | None = None
    at: float = 0.0
    delay: float = 0.0
    fault: str | None = None
    dropped: bool = False
    concurrent_with_previous: bool = False

    @property
    def event(self) -> BaseEvent:
        """The event this delivery sends, parsed from its bytes."""
        return parse_event(self.body)


@dataclass
class PlannedCall:
    """One simulated call: its events as generated (their bytes), and the deliveries to make for them."""

    index: int
    call_id: str
    agent_id: str | None
    event_bodies: list[bytes]
    deliveries: list[PlannedDelivery]

    @property
    def events(self) -> list[BaseEvent]:
        """The call's events in generated order, parsed from their bytes."""
        return [parse_event(body) for body in self.event_bodies]

    @property
    def size(self) -> int:
        """Bytes this call's planned events hold (the duplicates share their original's bytes)."""
        return sum(len(body) for body in self.event_bodies) + 512 * len(self.deliveries)


class _LazyCalls(Sequence[PlannedCall]):
    """The calls of a plan, each generated when it is read (and not kept)."""

    def __init__(self, count: int, plan_call: Callable[[int], PlannedCall]) -> None:
        self._count = count
        self._plan_call = plan_call

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> PlannedCall: ...
    @overload
    def __getitem__(self, index: slice) -> list[PlannedCall]: ...
    def __getitem__(self, index: int | slice) -> PlannedCall | list[PlannedCall]:
        if isinstance(index, slice):
            return [self._plan_call(i) for i in range(*index.indices(self._count))]
        if index < 0:
            index += self._count
        if not 0 <= index < self._count:
            raise IndexError(index)
        return self._plan_call(index)

    def __iter__(self) -> Iterator[PlannedCall]:
        return (self._plan_call(index) for index in range(self._count))


@dataclass
class Plan:
    """Every call of a scenario, ready for :func:`harness.player.play`; calls are generated as they are read."""

    scenario: str
    call_ids: list[str]
    concurrency: int
    pacing: Pacing = field(default_factory=Pacing)
    plan_call: Callable[[int], PlannedCall] | None = None

    @property
    def calls(self) -> Sequence[PlannedCall]:
        """The planned calls in scenario order; each is generated when read, so read each once."""
        if self.plan_call is None:
            raise ValueError(f"plan {self.scenario!r} has no call planner")
        return _LazyCalls(len(self.call_ids), self.plan_call)

    def deliveries(self) -> Iterator[PlannedDelivery]:
        """Every planned delivery, call by call."""
        for call in self.calls:
            yield from call.deliveries


def _derive_seed(seed: int, index: int) -> int:
    digest = hashlib.blake2b(f"{seed}/{index}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1


def _call_id(id_space: str, scenario: str, seed: int, index: int) -> str:
    """A call id fixed by its id space, scenario, seed and position; different spaces never share one."""
    return _ids.call_id(random.Random(f"{id_space}/{scenario}/{seed}/{index}"))


def _offsets(events: Sequence[BaseEvent], pacing: Pacing) -> list[float]:
    """When each event is sent, in seconds after its call starts: at once, or its envelope time divided by speed."""
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
    offsets: list[float],
    faults: Faults,
    rng: random.Random,
) -> PlannedCall:
    """The deliveries of one call's ``events`` (sent ``offsets`` seconds after the call starts), with faults."""
    bodies = [event.to_json() for event in events]
    # Columns by send position; faults and offsets belong to positions, events and bodies move with a swap.
    sent, sent_bodies, offsets = list(events), list(bodies), list(offsets)
    fault_of: list[str | None] = [None] * len(sent)
    origin: list[int | None] = list(range(len(sent)))
    if faults.unknown_events and len(sent) > 1 and rng.random() < faults.unknown_events:
        position = rng.randint(1, len(sent) - 1)
        unknown = _unknown_event(sent[position - 1], rng)
        sent.insert(position, unknown)
        sent_bodies.insert(position, unknown.to_json())
        offsets.insert(position, offsets[position - 1])
        fault_of.insert(position, "unknown_event")
        origin.insert(position, None)
    if faults.reorder and rng.random() < faults.reorder:
        # Swap a few adjacent pairs after call_started; each swapped event keeps its own send time slot.
        swaps = max(1, len(sent) // 6)
        for _ in range(swaps):
            if len(sent) < 3:
                break
            i = rng.randint(1, len(sent) - 2)
            sent[i], sent[i + 1] = sent[i + 1], sent[i]
            sent_bodies[i], sent_bodies[i + 1] = sent_bodies[i + 1], sent_bodies[i]
            origin[i], origin[i + 1] = origin[i + 1], origin[i]
            fault_of[i], fault_of[i + 1] = "reordered", "reordered"
    planned: list[PlannedDelivery] = []
    agent_id = events[0].agent_id if events else None
    rows = zip(sent, sent_bodies, offsets, fault_of, origin, strict=True)
    for seq, (event, body, offset, fault, event_index) in enumerate(rows):
        delay = faults.delay + (rng.uniform(0, faults.jitter) if faults.jitter else 0.0)
        dropped = bool(faults.drop) and rng.random() < faults.drop
        base = PlannedDelivery(
            call_index=index,
            call_id=call_id,
            seq=seq,
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
    return PlannedCall(index=index, call_id=call_id, agent_id=agent_id, event_bodies=bodies, deliveries=planned)


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


def list_scenarios(folders: Sequence[Path] = ()) -> list[Scenario]:
    """Every bundled scenario and every ``.toml`` file in ``folders``, sorted by name."""
    return [load_scenario(path) for path in ScenarioCatalog(folders).paths().values()]


def load_scenario(name_or_path: str | Path, *, within: Sequence[Path] | None = None) -> Scenario:
    """A scenario from a file path (any path: the caller trusts it), or a bundled one by bare name (``"burst"``).

    Raises :class:`ScenarioError` as ``path:line: field "x": expected ..., got ...`` for a bad file. Files
    over 1 MiB are refused unread. With ``within``, a recording the scenario names must be a file in one of
    those folders (the server's rule: a scenario cannot make it read any other file).
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
    text = read_capped(path, limit=MAX_SCENARIO_BYTES, what="scenario file", error=ScenarioError)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: invalid TOML: {exc}") from exc
    data.setdefault("name", path.stem)
    if isinstance(data.get("recording"), str):
        recording = path.parent / data["recording"]
        if within is not None and not _is_regular_file_within(recording, within):
            raise ScenarioError(f'{path}: field "recording": expected a file in the same scenario folders')
        data["recording"] = str(recording)
        data.setdefault("calls", len(read_recording(recording)))  # every recorded call, once
    return scenario_from_dict(data, source=str(path), text=text)


class ScenarioCatalog:
    """The scenarios a server offers to its control API: the bundled ones and the files in ``folders``.

    Unlike :func:`load_scenario`, it reads nothing outside those folders: a request names a scenario, never
    a path, and a name it does not know gets one answer that says nothing about the file system.
    """

    def __init__(self, folders: Sequence[Path] = ()) -> None:
        # The user's folders first, so their own file can stand in for a bundled one of the same name.
        self.folders = [Path(folder).resolve() for folder in folders]

    def paths(self) -> dict[str, Path]:
        """Scenario name -> file, for every scenario offered."""
        found: dict[str, Path] = {}
        for folder in [*self.folders, scenarios_dir()]:
            for path in sorted(folder.glob("*.toml")):
                found.setdefault(path.stem, path)
        return dict(sorted(found.items()))

    def find(self, name: str) -> Path:
        """The file of the scenario called ``name``; ScenarioError listing the names offered if there is none."""
        path = self.paths().get(name.removesuffix(".toml"))
        if path is None or not _is_regular_file_within(path, self._roots()):
            raise self._unknown(name)
        return path

    def _roots(self) -> list[Path]:
        return [*self.folders, scenarios_dir().resolve()]

    def _unknown(self, name: str) -> ScenarioError:
        offered = ", ".join(self.paths())
        return ScenarioError(
            f"no scenario named {name[:100]!r} on this server; scenarios: {offered} (a server offers the"
            " bundled scenarios and the .toml files in the folders given with --scenarios DIR)"
        )

    async def load(self, name: str) -> Scenario:
        """The scenario called ``name``, read off the event loop (at most 1 MiB, its recording 32 MiB)."""
        return await asyncio.to_thread(load_scenario, self.find(name), within=self._roots())


def _is_regular_file_within(path: Path, folders: Sequence[Path]) -> bool:
    # A symlink in a folder could point anywhere: what counts is where the file really is.
    real = path.resolve()
    return real.is_file() and any(real.is_relative_to(folder) for folder in folders)


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
