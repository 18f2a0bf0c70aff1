"""The registry of contract checks, keyed by name, filled by the :func:`check` decorator."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal, TypeAlias, TypeVar

from harness.errors import ConfigError, echoed_list

if TYPE_CHECKING:
    from harness.checks.context import CheckContext

__all__ = ["AREAS", "CHECKS", "Area", "Check", "CheckFunction", "check", "list_checks", "select_checks"]

Area = Literal["secret", "handling", "delivery"]
AREAS: tuple[Area, ...] = ("secret", "handling", "delivery")
CheckFunction: TypeAlias = "Callable[[CheckContext], Awaitable[None] | None]"
F = TypeVar("F", bound=Callable[..., object])


@dataclass(frozen=True)
class Check:
    """A registered contract check: ``func(ctx)`` returns when the receiver behaved, raises otherwise."""

    name: str
    area: Area
    doc: str
    needs_probe: bool
    func: CheckFunction


_REGISTRY: dict[str, Check] = {}
CHECKS: Mapping[str, Check] = MappingProxyType(_REGISTRY)


def check(*, area: Area, needs_probe: bool = False, name: str | None = None) -> Callable[[F], F]:
    """Register the decorated function (sync or async) as a contract check named after it.

    The function's docstring's first line is the check's description. Registering a name twice is an error,
    so a user's own check cannot silently replace a built-in one.
    """
    if area not in AREAS:
        raise ConfigError(f"check area {area!r}: expected one of {', '.join(AREAS)}")

    def register(func: F) -> F:
        check_name = name or func.__name__
        if check_name in _REGISTRY:
            raise ConfigError(f"check {check_name!r} is already registered; give yours another name")
        doc = inspect.getdoc(func) or ""
        _REGISTRY[check_name] = Check(
            name=check_name,
            area=area,
            doc=doc.splitlines()[0] if doc else "",
            needs_probe=needs_probe,
            func=func,  # type: ignore[arg-type]  # F is bound to a callable taking the context
        )
        return func

    return register


def unregister(name: str) -> None:
    """Remove a check (for a user's tests of their own checks); unknown names are ignored."""
    _REGISTRY.pop(name, None)


def list_checks() -> list[Check]:
    """Every registered check, grouped by area in report order, then in registration order."""
    return sorted(_REGISTRY.values(), key=lambda c: AREAS.index(c.area))


def select_checks(checks: Iterable[str] | None = None, exclude: Iterable[str] | None = None) -> list[Check]:
    """The checks named in ``checks`` (default: all) minus ``exclude``; unknown names raise ConfigError."""
    wanted = list(checks) if checks is not None else None
    unwanted = list(exclude or ())
    unknown = sorted({name for name in (wanted or []) + unwanted if name not in _REGISTRY})
    if unknown:
        valid = ", ".join(c.name for c in list_checks())
        raise ConfigError(f"unknown check(s): {echoed_list(unknown, limit=80)}; valid checks: {valid}")
    selected = [c for c in list_checks() if (wanted is None or c.name in wanted) and c.name not in unwanted]
    if not selected:  # a run that checks nothing would pass, and say nothing
        raise ConfigError("no check selected: the names given leave none to run (list them: harness check --list)")
    return selected
