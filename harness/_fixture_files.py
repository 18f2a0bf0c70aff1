"""Fixture files on disk, as ``harness fixtures`` and ``harness export`` write them: names and the output folder."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from harness.errors import ConfigError

__all__ = ["FIXTURE_NAME", "fixture_name", "prepare_folder"]

# <call>-<call id>-<event>-<type>.json: names that sort in delivery order.
FIXTURE_NAME = re.compile(r"^\d{4,}-[^-]+-\d{2,}-[a-z0-9_]+\.json$")


def fixture_name(call: int, call_width: int, call_id: str | None, position: int, count: int, kind: str) -> str:
    """The file name of event ``position`` (of ``count``) of call number ``call``."""
    event_width = max(2, len(str(count - 1)))
    safe_kind = re.sub(r"[^a-z0-9_]", "_", kind.lower()) or "event"
    return f"{call:0{call_width}d}-{call_id or 'nocall'}-{position:0{event_width}d}-{safe_kind}.json"


def prepare_folder(out: Path, ours: Sequence[str], *, force: bool) -> None:
    """Create ``out``; refuse to overwrite files we wrote there before (fixtures, or the ``ours`` names)
    unless ``force``, then remove them, so stale files of a larger earlier run never mix with new ones."""
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out}: exists and is not a directory; pass a directory path")
    try:
        out.mkdir(parents=True, exist_ok=True)
        existing = sorted(path for path in out.iterdir() if FIXTURE_NAME.match(path.name) or path.name in ours)
        if existing and not force:
            raise ConfigError(
                f"--out {out}: already holds {len(existing)} file(s) written before (e.g. {existing[0].name}); "
                "pass --force to overwrite them or choose another directory"
            )
        for path in existing:
            path.unlink()
    except OSError as exc:
        raise ConfigError(f"--out {out}: cannot use it ({exc.strerror or exc}); choose a writable directory") from exc
