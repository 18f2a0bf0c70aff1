"""Reading the files a user names (scenarios, config files) with a size cap, so no file can fill memory."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from harness.errors import HarnessError

__all__ = ["read_capped"]


def read_capped(path: Path, *, limit: int, what: str, error: type[HarnessError]) -> str:
    """The UTF-8 text of ``path``, at most ``limit`` bytes; ``error`` naming the file and what to do otherwise."""
    try:
        # Non-blocking open: opening a named pipe blocks until something writes to it, for ever, and a thread
        # stuck there keeps the process from exiting on SIGTERM. Pipes are refused; the flag then goes.
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        with os.fdopen(descriptor, "rb") as file:
            mode = os.fstat(descriptor).st_mode
            if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):
                raise error(f"{path}: is a pipe, not a file; pass the path of a regular {what}")
            os.set_blocking(descriptor, True)
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
