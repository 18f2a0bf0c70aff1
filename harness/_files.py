"""Reading the files a user names (scenarios, config files) with a size cap, so no file can fill memory."""

from __future__ import annotations

from pathlib import Path

from harness.errors import HarnessError

__all__ = ["read_capped"]


def read_capped(path: Path, *, limit: int, what: str, error: type[HarnessError]) -> str:
    """The UTF-8 text of ``path``, at most ``limit`` bytes; ``error`` naming the file and what to do otherwise."""
    try:
        with path.open("rb") as file:
            data = file.read(limit + 1)
    except OSError as exc:
        raise error(f"{path}: cannot read the {what} ({exc.strerror or exc})") from exc
    if len(data) > limit:
        message = f"{path}: the {what} is larger than {limit // 1024:,} KiB, the most the harness reads"
        raise error(message + "; is it the right file?")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
