"""Fixture files on disk, as ``harness fixtures`` and ``harness export`` write them: names and the output folder."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from harness.errors import ConfigError

__all__ = ["FIXTURE_NAME", "MAX_ID_CHARS", "fixture_name", "safe_id", "staged_folder"]

# <call>-<call id>-<event>-<type>.json: names that sort in delivery order.
FIXTURE_NAME = re.compile(r"^\d{4,}-[^-]+-\d{2,}-[a-z0-9_]+\.json$")
# The longest a call id (or an event type) gets in a file name; far below any file system's 255 bytes.
MAX_ID_CHARS = 64
_KIND_CHARS = 40
_SAFE_ID = re.compile(r"[A-Za-z0-9._]+")
_UNSAFE_CHARS = re.compile(r"[^A-Za-z0-9._]+")
_HASH_CHARS = 10


def safe_id(call_id: str) -> str:
    """``call_id`` as a file name part: itself when it is short and only ``[A-Za-z0-9._]``, else a readable
    prefix (other characters as ``_``) and a hash of the whole id, so that different ids never share a name."""
    if len(call_id) <= MAX_ID_CHARS and _SAFE_ID.fullmatch(call_id) and call_id.strip("."):
        return call_id
    digest = hashlib.sha256(call_id.encode("utf-8", "surrogatepass")).hexdigest()[:_HASH_CHARS]
    readable = _UNSAFE_CHARS.sub("_", call_id).strip("._")[: MAX_ID_CHARS - _HASH_CHARS - 1].rstrip("._")
    return f"{readable}_{digest}" if readable else digest


def fixture_name(call: int, call_width: int, call_id: str | None, position: int, count: int, kind: str) -> str:
    """The file name of event ``position`` (of ``count``) of call number ``call``: only ``[A-Za-z0-9._-]``."""
    event_width = max(2, len(str(count - 1)))
    safe_kind = re.sub(r"[^a-z0-9_]", "_", kind.lower())[:_KIND_CHARS] or "event"
    name = safe_id(call_id) if call_id else "nocall"
    return f"{call:0{call_width}d}-{name}-{position:0{event_width}d}-{safe_kind}.json"


def _written_before(out: Path, ours: Sequence[str], *, force: bool) -> list[Path]:
    """The files in ``out`` a run wrote before; ConfigError unless ``force`` when there are any."""
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out}: exists and is not a directory; pass a directory path")
    try:
        out.mkdir(parents=True, exist_ok=True)
        existing = sorted(path for path in out.iterdir() if FIXTURE_NAME.match(path.name) or path.name in ours)
    except OSError as exc:
        raise ConfigError(f"--out {out}: cannot use it ({exc.strerror or exc}); choose a writable directory") from exc
    if existing and not force:
        raise ConfigError(
            f"--out {out}: already holds {len(existing)} file(s) written before (e.g. {existing[0].name}); "
            "pass --force to overwrite them or choose another directory"
        )
    return existing


@contextmanager
def staged_folder(out: Path, ours: Sequence[str], *, force: bool) -> Iterator[Path]:
    """A new, empty directory in ``out`` to write into; when the block ends without an error, its files
    replace what an earlier run wrote in ``out`` (fixtures, or the ``ours`` names), so stale files of a larger
    earlier run never mix with new ones. Until then ``out`` is left as it was: a failure (bad input, a full
    disk, an interruption) never leaves fewer files than before. Without ``force``, ConfigError when ``out``
    holds files an earlier run wrote, before anything is written."""
    _written_before(out, ours, force=force)
    try:
        # Inside ``out``, not beside it: moving the files in is then a rename on one file system, whatever is
        # mounted where (a directory beside a mount point is on another one), and needs no more than ``out``.
        staging = Path(tempfile.mkdtemp(prefix=".harness-", suffix=".partial", dir=out))
    except OSError as exc:
        message = f"--out {out}: cannot write in it ({exc.strerror or exc}); choose a writable directory"
        raise ConfigError(message) from exc
    try:
        try:
            yield staging
        except OSError as exc:
            message = f"--out {out}: cannot write it ({exc.strerror or exc}); nothing in it was changed"
            raise ConfigError(message) from exc
        _swap_in(staging, out, _written_before(out, ours, force=force))
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _swap_in(staging: Path, out: Path, old: Sequence[Path]) -> None:
    """Move ``old`` aside, ``staging``'s files into ``out``, then drop ``old``; on any failure, undo."""
    aside = staging / ".earlier"
    moved_aside: list[Path] = []
    moved_in: list[Path] = []
    try:
        aside.mkdir()
        for path in old:
            os.replace(path, aside / path.name)
            moved_aside.append(path)
        for path in sorted(staging.iterdir()):
            if path != aside:
                os.replace(path, out / path.name)
                moved_in.append(out / path.name)
    except OSError as exc:
        for path in moved_in:
            with contextlib.suppress(OSError):
                path.unlink()
        for path in moved_aside:
            with contextlib.suppress(OSError):
                os.replace(aside / path.name, path)
        message = f"--out {out}: cannot write it ({exc.strerror or exc}); its earlier files were kept"
        raise ConfigError(message) from exc
