"""Where scenarios come from: the bundled ones, any ``.toml`` file a caller names, and a server's catalog."""

from __future__ import annotations

import asyncio
import tomllib
from collections.abc import Sequence
from pathlib import Path

from harness._files import read_capped
from harness._scenario import Scenario, scenario_from_dict
from harness.errors import ScenarioError
from harness.recording import read_recording

__all__ = ["MAX_SCENARIO_BYTES", "ScenarioCatalog", "list_scenarios", "load_scenario", "scenarios_dir"]

MAX_SCENARIO_BYTES = 1024 * 1024


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
