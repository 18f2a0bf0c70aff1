"""The "Start calls" form: a bundled scenario, and the fields a user may override, read into scenario overrides.

Empty fields keep the scenario's own values. Every field is checked before anything starts; a bad one is a
``ValueError`` naming the field, shown above the form.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["FAULT_FIELDS", "MAX_CALLS", "StartForm"]

MAX_CALLS = 10_000  # calls one form may start; larger runs go through the control API or a scenario file
# Fault name in the scenario -> label on the form; each a probability from 0 to 1.
FAULT_FIELDS = {
    "duplicates": "Duplicate deliveries",
    "concurrent_duplicates": "Concurrent duplicates",
    "reorder": "Reordered calls",
    "drop": "Dropped deliveries",
    "unknown_events": "Unknown event types",
}


@dataclass
class StartForm:
    """What the form holds, as typed (kept to show the form again with its error)."""

    scenario: str = "happy-path"
    calls: str = ""
    failed_share: str = ""
    domain: str = ""
    pacing: str = ""
    faults: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_form(cls, form: Mapping[str, str]) -> StartForm:
        """The form's fields, stripped."""
        return cls(
            scenario=form.get("scenario", "").strip(),
            calls=form.get("calls", "").strip(),
            failed_share=form.get("failed_share", "").strip(),
            domain=form.get("domain", "").strip(),
            pacing=form.get("pacing", "").strip(),
            faults={name: form.get(f"fault_{name}", "").strip() for name in FAULT_FIELDS},
        )

    def overrides(self) -> dict[str, Any]:
        """Keyword overrides for :meth:`MockServer.start_calls`; ValueError naming the first bad field."""
        # A bare name only: the console starts bundled scenarios, never a file named in a form.
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", self.scenario):
            raise ValueError(f"Scenario: choose one of the bundled scenarios, got {self.scenario!r}")
        overrides: dict[str, Any] = {}
        if self.calls:
            overrides["calls"] = _whole(self.calls, "Calls", 1, MAX_CALLS)
        generator: dict[str, Any] = {}
        if self.failed_share:
            failed = _number(self.failed_share, "Failed calls (%)", 0, 100)
            generator["outcomes"] = {name: weight for name, weight in (("completed", 100 - failed), ("failed", failed))}
        if self.domain:
            generator["domains"] = [self.domain]
        if generator:
            overrides["generator"] = generator
        if self.pacing:
            if self.pacing not in ("fast", "realtime"):
                raise ValueError(f"Pacing: expected fast or realtime, got {self.pacing!r}")
            overrides["pacing"] = {"mode": self.pacing}
        faults = {name: _number(text, FAULT_FIELDS[name], 0, 1) for name, text in self.faults.items() if text}
        if faults:
            overrides["faults"] = faults
        return overrides


def _whole(text: str, label: str, low: int, high: int) -> int:
    if not text.isdigit() or not low <= int(text) <= high:
        raise ValueError(f"{label}: expected a whole number from {low:,} to {high:,}, got {text!r}")
    return int(text)


def _number(text: str, label: str, low: float, high: float) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and low <= value <= high):
        raise ValueError(f"{label}: expected a number from {low:g} to {high:g}, got {text!r}")
    return value
