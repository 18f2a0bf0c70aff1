"""The registry with every built-in check in it: import the registry's names from here to see them all.

The built-in checks register themselves when their modules are imported; this module imports them, so that
listing, selecting or adding a check always happens after the built-in ones are known (a user's check with
a built-in check's name is refused, never the other way round).
"""

from __future__ import annotations

from harness.checks import delivery_checks, handling, secret  # noqa: F401  (importing registers the checks)
from harness.checks.registry import AREAS, CHECKS, Area, Check, check, list_checks, select_checks

__all__ = ["AREAS", "CHECKS", "Area", "Check", "check", "list_checks", "select_checks"]
