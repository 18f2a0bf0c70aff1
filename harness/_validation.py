"""One way to report invalid input: ``source:line: field "x.y": expected ..., got ...``.

Scenario files, the server's settings (flags, environment, config file) and control API requests are all
validated by pydantic models; this turns a ``ValidationError`` into the one message style users see.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

__all__ = ["describe_validation_error", "line_of"]

# Fields whose values are credentials: an error says what is wrong with them, never what they were.
_HIDDEN = frozenset({"secret", "control_token", "api_keys", "password", "token"})
# pydantic's names for the branches of a union (``int``, ``tuple[int, int]``, ...): not part of a field's path.
_BRANCH_TAGS = frozenset({"int", "float", "str", "bool", "none", "list", "dict", "tuple"})


def describe_validation_error(exc: ValidationError, source: str | Callable[[str], str], text: str | None = None) -> str:
    """Every problem in ``exc``, one per field, naming where it came from.

    ``source`` names the input (a file, "command line"), or gives a name per field (the environment
    variable a value came from); with ``text``, a TOML file, the line of the field is added.
    """
    problems: list[str] = []
    seen: set[str] = set()
    for error in exc.errors(include_url=False):
        keys = tuple(part for part in error["loc"] if isinstance(part, str) and not _is_branch_tag(part))
        name = _field_name(error["loc"])
        if name in seen:  # a union field fails once per branch; one message per field is enough
            continue
        seen.add(name)
        where = source(keys[0] if keys else "") if callable(source) else source
        if text is not None:
            where = f"{where}:{line_of(text, keys)}"
        field = f'field "{name}": ' if name else ""
        hidden = bool(_HIDDEN.intersection(keys))
        problems.append(f"{where}: {field}{_expectation(error, hidden=hidden)}")
    return "; ".join(problems)


def _field_name(loc: tuple[int | str, ...]) -> str:
    """``generator.turns[0]``: keys joined by dots, array positions in brackets (union branch tags left out)."""
    name = ""
    for part in loc:
        if isinstance(part, int):
            name += f"[{part}]"
        elif not _is_branch_tag(part):
            name += f".{part}" if name else part
    return name


def _is_branch_tag(part: str) -> bool:
    return part in _BRANCH_TAGS or "[" in part


def _expectation(error: Any, *, hidden: bool = False) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return "unknown field; check the spelling (see the documentation for the known fields)"
    if kind == "missing":
        return "required, but missing"
    message = str(error["msg"]).removeprefix("Value error, ")
    message = message.removeprefix("Input should be ").removeprefix("expected ").removeprefix("String should have ")
    message = message.split(", unable to ")[0]  # "a valid integer, unable to parse string as an integer"
    message = message.replace("greater than or equal to", ">=").replace("less than or equal to", "<=")
    message = message.replace("greater than", ">").replace("less than", "<")
    message = message.replace("a valid ", "a ").replace("a integer", "an integer")
    if kind == "finite_number":
        message = "a finite number"
    if kind.startswith("value_error"):
        # A check of the whole input (no field) says its own sentence; a field's says what it expected.
        return f"expected {message}" if error["loc"] else message
    if hidden:
        return f"expected {message}"
    return f"expected {message}, got {_shown(error.get('input'))}"


def _shown(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value[:80]}"' + ("..." if len(value) > 80 else "")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list | tuple):
        return "an array"
    shown = repr(value)
    return shown if len(shown) <= 80 else shown[:80] + "..."


_HEADER = re.compile(r"^\s*\[\s*([A-Za-z0-9_.\-\"' ]+?)\s*\]\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-\"'.]+)\s*=")


def line_of(text: str | None, loc: tuple[str, ...]) -> int:
    """The 1-based line where the key ``loc`` is written in TOML ``text`` (tomllib gives no positions), else 1."""
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
        key = _KEY.match(line)
        if key is None:
            continue
        dotted = tuple(part.strip().strip("\"'") for part in key.group(1).split("."))
        if dotted == rest[: len(dotted)]:
            return number
    return best or 1
