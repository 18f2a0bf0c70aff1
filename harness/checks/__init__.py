"""Contract checks: does a webhook receiver behave as Cartesia's platform needs, including on its bad days?

``run_checks(url, secret, probe=None, ...) -> Report`` runs every registered check (``arun_checks`` from
async code). The built-in checks live in :mod:`.secret`, :mod:`.handling` and :mod:`.delivery_checks`.
Register your own with ``@check``; a plain ``assert`` works, so does ``async def``::

    from harness.checks import CheckContext, check

    @check(area="handling")
    async def stores_the_summary(ctx: CheckContext) -> None:
        '''post_call_analysis is answered with a 2xx.'''
        events = ctx.call()                      # a realistic call with a fresh call id
        deliveries = await ctx.send_in_order(events)
        assert deliveries[-1].ok, deliveries[-1].last.status

A check that cannot observe what it needs raises ``CheckSkipped(reason)``; ``CheckWarning`` reports a
tolerated deviation. Checks with ``needs_probe=True`` are skipped, saying how to enable them, when no
state probe is given.
"""

from __future__ import annotations

from harness.checks import delivery_checks, handling, secret  # noqa: F401  (importing registers the checks)
from harness.checks.auth import Auth
from harness.checks.context import CheckContext, RunSettings
from harness.checks.failures import CheckFailure, CheckSkipped, CheckWarning
from harness.checks.probe import Probe, ProbeError
from harness.checks.registry import AREAS, CHECKS, Check, check, list_checks, select_checks
from harness.checks.report import CheckResult, Report
from harness.checks.runner import arun_checks, run_checks

__all__ = [
    "AREAS",
    "CHECKS",
    "Auth",
    "Check",
    "CheckContext",
    "CheckFailure",
    "CheckResult",
    "CheckSkipped",
    "CheckWarning",
    "Probe",
    "ProbeError",
    "Report",
    "RunSettings",
    "arun_checks",
    "check",
    "list_checks",
    "run_checks",
    "select_checks",
]
