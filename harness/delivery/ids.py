"""Delivery ids: ``dlv_`` + time-ordered hex, naming a logged delivery for replays, the control API and reports."""

from __future__ import annotations

import os
import random
import time

__all__ = ["new_delivery_id"]

# Delivery ids need uniqueness, not secrecy: a private generator seeded from the OS once, because
# uuid4() reads os.urandom on every call (tens of microseconds on some machines, per delivery), and
# the global ``random`` may be seeded by tests (Hypothesis, Faker), which would repeat ids.
_ids = random.Random()
os.register_at_fork(after_in_child=_ids.seed)


def new_delivery_id() -> str:
    """A fresh delivery id: ``dlv_``, 12 hex digits of Unix time in milliseconds, 12 random hex digits.

    Ids sort by creation time, so the delivery log appends to its indexes instead of writing all over
    them (several times fewer pages written per delivery); 48 random bits keep ids unique at any rate.
    """
    return f"dlv_{time.time_ns() // 1_000_000:012x}{_ids.getrandbits(48):012x}"
