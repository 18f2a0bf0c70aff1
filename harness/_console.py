"""Terminal output: colour only on a terminal and only when NO_COLOR is unset (https://no-color.org)."""

from __future__ import annotations

import os
import sys
from typing import TextIO

_CODES = {"red": "31", "green": "32", "yellow": "33", "blue": "34", "dim": "2", "bold": "1"}


def color_enabled(stream: TextIO | None = None) -> bool:
    """True when ``stream`` is a terminal and the user has not set NO_COLOR."""
    if os.environ.get("NO_COLOR"):
        return False
    stream = stream if stream is not None else sys.stdout
    return bool(getattr(stream, "isatty", lambda: False)())


def paint(text: str, color: str, *, enabled: bool) -> str:
    """Wrap ``text`` in the ANSI code for ``color`` when ``enabled``."""
    return f"\033[{_CODES[color]}m{text}\033[0m" if enabled else text
