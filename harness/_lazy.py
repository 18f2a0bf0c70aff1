"""Package ``__init__`` modules that import their public names on first use (PEP 562), listed once.

A package writes its public names once, as ``from module import Name as Name`` lines under
``if TYPE_CHECKING:`` (what type checkers and readers see). :func:`lazy_exports` gives the package a
``__getattr__`` and a ``__dir__`` that read those lines from its source on first use: a name's module is
imported when the name is first used, so importing one submodule never runs the package's other
submodules (an ``__init__`` that imported them all would put every submodule in a cycle with its package),
and importing the package costs nothing until a name is used.
"""

from __future__ import annotations

import functools
import importlib
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

__all__ = ["lazy_exports", "type_checking_imports"]

# A package's own __init__.py: far below this; read with a cap all the same.
MAX_INIT_BYTES = 256 * 1024


def lazy_exports(package: str, *, also: Iterable[str] = ()) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package``, from its ``if TYPE_CHECKING:`` imports.

    Use it as the last statement of the package's ``__init__.py``: ``__getattr__, __dir__ =
    lazy_exports(__name__)``. ``__all__`` is those names, and ``also`` (names the package defines itself).
    """
    module = sys.modules[package]
    defined_here = sorted(also)

    @functools.cache
    def exports() -> dict[str, tuple[str, str]]:
        return type_checking_imports(Path(str(module.__file__)))

    def __getattr__(name: str) -> Any:
        if name == "__all__":
            return sorted([*exports(), *defined_here])
        source = exports().get(name)
        if source is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(source[0]), source[1])
        setattr(module, name, value)  # later lookups skip __getattr__
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(module)) | set(exports()))

    return __getattr__, __dir__


def type_checking_imports(path: Path) -> dict[str, tuple[str, str]]:
    """Each name imported under ``if TYPE_CHECKING:`` in the file at ``path``: its module and its name there."""
    import ast  # on a package's first name lookup only: `import harness` stays cheap

    with path.open("rb") as file:
        source = file.read(MAX_INIT_BYTES + 1)
    if len(source) > MAX_INIT_BYTES:
        raise ImportError(f"{path}: over {MAX_INIT_BYTES:,} bytes; a package __init__ lists names, nothing more")
    exports: dict[str, tuple[str, str]] = {}
    for node in ast.parse(source, filename=str(path)).body:
        if isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
            for statement in node.body:
                if isinstance(statement, ast.ImportFrom) and statement.module and statement.level == 0:
                    for alias in statement.names:
                        exports[alias.asname or alias.name] = (statement.module, alias.name)
    return exports
