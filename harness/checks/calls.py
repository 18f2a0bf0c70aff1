"""Realistic calls for a check: fresh call ids, and payloads seeded from the run's seed, the check and a label."""

from __future__ import annotations

import hashlib
from typing import Any

from harness._seeds import derive_seed
from harness.generate import simulate_call
from harness.models import Event

__all__ = ["CallMaker"]


class CallMaker:
    """Makes one check's calls. Call ids differ per check and per run, so checks cannot see each other's
    effects (nor an earlier run's); payloads depend only on the run's seed, the check and the label."""

    def __init__(self, *, check: str, seed: int, run_id: str) -> None:
        self.check = check
        self.seed = seed
        self.run_id = run_id
        self.made = 0

    def new_call_id(self) -> str:
        """A call id no other check (and no earlier run) uses."""
        self.made += 1
        digest = hashlib.sha256(f"{self.run_id}:{self.check}:{self.made}".encode()).hexdigest()
        return "ac_" + digest[:22]

    def seed_for(self, label: str) -> int:
        """A payload seed derived from the run's seed, this check and ``label``: the same each run."""
        return derive_seed(self.seed, self.check, label)

    def call(
        self, *, label: str = "", turns: int | None = 2, outcome: str | None = "completed", **options: Any
    ) -> list[Event]:
        """A realistic call's events in delivery order, with a fresh call id (``options`` go to the generator)."""
        seed = self.seed_for(label or str(self.made))
        return simulate_call(seed=seed, turns=turns, outcome=outcome, call_id=self.new_call_id(), **options)
