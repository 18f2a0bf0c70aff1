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

Names are imported on first use (PEP 562, :mod:`harness._lazy`): this package's modules import each
other, never this file, so importing one of them does not import them all. The registry's names come
through :mod:`.catalog`, which registers the built-in checks first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness._lazy import lazy_exports

if TYPE_CHECKING:
    from harness.checks.auth import Auth as Auth
    from harness.checks.catalog import AREAS as AREAS
    from harness.checks.catalog import CHECKS as CHECKS
    from harness.checks.catalog import Check as Check
    from harness.checks.catalog import check as check
    from harness.checks.catalog import list_checks as list_checks
    from harness.checks.catalog import select_checks as select_checks
    from harness.checks.context import CheckContext as CheckContext
    from harness.checks.evidence import Evidence as Evidence
    from harness.checks.evidence import RequestEvidence as RequestEvidence
    from harness.checks.failures import CheckFailure as CheckFailure
    from harness.checks.failures import CheckSkipped as CheckSkipped
    from harness.checks.failures import CheckWarning as CheckWarning
    from harness.checks.failures import Severity as Severity
    from harness.checks.probe import Probe as Probe
    from harness.checks.probe import ProbeError as ProbeError
    from harness.checks.report import CheckResult as CheckResult
    from harness.checks.report import Report as Report
    from harness.checks.report import Status as Status
    from harness.checks.runner import arun_checks as arun_checks
    from harness.checks.runner import run_checks as run_checks
    from harness.checks.settings import RunSettings as RunSettings

__getattr__, __dir__ = lazy_exports(__name__)
