"""Run contract checks against a receiver: preflight, concurrency, and turning outcomes into results.

``run_checks`` and ``arun_checks`` take exactly :class:`~harness.checks.settings.RunSettings`' arguments:
the settings object is the one list of a run's options.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import time
from collections.abc import Callable, Coroutine
from contextlib import AsyncExitStack
from typing import Any, ParamSpec, TypeVar

import aiohttp

from harness._http1 import custom_tls_context
from harness._loop import LoopThread
from harness._net import require_reachable
from harness._redact import mask_text, mask_url
from harness.checks.catalog import Check, select_checks
from harness.checks.context import CheckContext
from harness.checks.evidence import Evidence, RequestEvidence
from harness.checks.failures import CheckFailure, CheckSkipped, Severity
from harness.checks.probe import Probe, ProbeError
from harness.checks.report import CheckResult, Report, Status
from harness.checks.reproduce import INLINE_BODY_LIMIT, MAX_INLINE_BODY, curl_command, replay_command
from harness.checks.settings import RunSettings
from harness.delivery import Deliverer, Delivery, DeliverySettings
from harness.errors import HarnessError

__all__ = ["arun_checks", "run_checks", "run_with"]

# Reproductions for the first few failing requests of a check are plenty.
MAX_REPRODUCTIONS = 2
CONNECT_TIMEOUT = 3.0

P = ParamSpec("P")
R = TypeVar("R")


def _taking_arguments_of(make: Callable[P, RunSettings]) -> Callable[[Callable[[RunSettings], R]], Callable[P, R]]:
    """Make ``f(settings)`` callable with the arguments of ``make`` (RunSettings): ``f(url, secret, probe, ...)``."""

    def decorate(function: Callable[[RunSettings], R]) -> Callable[P, R]:
        @functools.wraps(function)
        def with_arguments(*args: P.args, **kwargs: P.kwargs) -> R:
            return function(make(*args, **kwargs))

        # help() and IDEs show RunSettings' parameters, not ``settings``.
        with_arguments.__signature__ = inspect.signature(make).replace(  # type: ignore[attr-defined]
            return_annotation=inspect.signature(function).return_annotation
        )
        return with_arguments

    return decorate


@_taking_arguments_of(RunSettings)
def run_checks(settings: RunSettings) -> Report:
    """Run the contract checks against the receiver at ``url`` and return the report (blocking).

    Takes :class:`RunSettings`' arguments: ``run_checks(url, secret, probe=None, *, checks=None, exclude=None,
    latency_budget=10.0, seed=0, strict=False, timeout=10.0, db=None, tls_verify=True, tls_ca_file=None)``.
    Raises ConfigError for bad options or unknown check names, TargetUnreachableError when nothing listens
    at ``url``, ProbeError when ``probe`` is given but does not answer as the probe contract says.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(run_with(settings))
    # Called from async code: run on a private loop in a thread rather than nesting event loops.
    thread = LoopThread(name="harness-checks")
    try:
        return thread.run(run_with(settings))
    finally:
        thread.stop()


@_taking_arguments_of(RunSettings)
def arun_checks(settings: RunSettings) -> Coroutine[Any, Any, Report]:
    """Like :func:`run_checks`, from async code: ``report = await arun_checks(url, secret, probe, ...)``."""
    return run_with(settings)


async def run_with(settings: RunSettings) -> Report:
    """Run the checks ``settings`` selects against its target and return the report."""
    selected = select_checks(settings.checks, settings.exclude)
    await require_reachable(settings.url, CONNECT_TIMEOUT, fix="pass the URL it listens on")
    started = time.perf_counter()
    async with AsyncExitStack() as stack:
        deliverer = await stack.enter_async_context(_deliverer(settings, stack))
        probe = await _probe(settings, stack)
        contexts = [CheckContext(check.name, settings, deliverer, probe) for check in selected]
        results = await asyncio.gather(*(_run_one(check, ctx) for check, ctx in zip(selected, contexts, strict=True)))
    return Report(
        results=list(results),
        target=mask_url(settings.url, [settings.secret]),
        probe=None if probe is None else mask_url(probe.url, [settings.secret]),
        seed=settings.seed,
        duration=time.perf_counter() - started,
        requests=sum(len(ctx.sent) for ctx in contexts),
        db=None if settings.db is None else str(settings.db),
    )


def _deliverer(settings: RunSettings, stack: AsyncExitStack) -> Deliverer:
    """The run's one sender (its connection pool shared by every check); the log, when there is one."""
    recorder = None
    if settings.db is not None:
        from harness.store import DeliveryLog

        recorder = DeliveryLog(settings.db)
        stack.callback(recorder.close)
    delivery = DeliverySettings(
        timeout=settings.timeout,
        retries=0,
        max_response_bytes=4096,
        tls_verify=settings.tls_verify,
        tls_ca_file=settings.tls_ca_file,
    )
    # The engine masks the secret in what it keeps and logs: URLs, an echoed Location, error or response.
    return Deliverer(settings.url, settings.secret, settings=delivery, recorder=recorder)


async def _probe(settings: RunSettings, stack: AsyncExitStack) -> Probe | None:
    """The probe, read once: a broken probe is a usage error, reported before any check runs."""
    if settings.probe is None:
        return None
    if isinstance(settings.probe, str):
        tls = custom_tls_context(verify=settings.tls_verify, ca_file=settings.tls_ca_file) or True
        session = await stack.enter_async_context(
            aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(ssl=tls),
                timeout=aiohttp.ClientTimeout(total=settings.timeout),
                cookie_jar=aiohttp.DummyCookieJar(),
            )
        )
        probe = Probe(settings.probe, session)
    else:
        probe = Probe(settings.probe)  # the user's own function, in process
    await probe.entries()
    return probe


async def _run_one(check: Check, ctx: CheckContext) -> CheckResult:
    """Run one check and say how it went; whatever it raises becomes its result, never the run's end."""
    started = time.perf_counter()
    status, message, failure = Status.PASSED, "", None
    shown: list[Delivery] = []
    try:
        if check.needs_probe:
            ctx.require_probe()
        outcome = check.func(ctx)
        if inspect.isawaitable(outcome):
            await outcome
    except CheckSkipped as skip:
        status, message = Status.SKIPPED, skip.reason
    except CheckFailure as raised:
        status = Status.WARNING if raised.severity == Severity.WARNING else Status.FAILED
        message = raised.title + (f": {raised.message}" if raised.message else "")
        failure, shown = raised, raised.deliveries[:MAX_REPRODUCTIONS]
    except AssertionError as raised:  # a plain assert in a user's own check
        status, message = Status.FAILED, str(raised) or f"assertion failed in {check.name}"
        shown = [sent.delivery for sent in ctx.sent[-1:]]
    except ProbeError as error:
        status, message = Status.FAILED, str(error)
    except HarnessError as error:
        status, message = Status.FAILED, f"{check.name} could not run: {error}"
    except Exception as error:  # a crash inside a (user's) check must not hide every other result
        status, message = Status.FAILED, f"{check.name} raised {type(error).__name__}: {error}"
    requests = tuple(RequestEvidence.of(delivery, ctx.auth_of(delivery)) for delivery in shown)
    evidence = Evidence(requests, {**ctx.observed, **(failure.evidence if failure is not None else {})})
    # A receiver may echo the secret back (a redirect's Location, a debug response, its probe): never show it.
    return CheckResult(
        name=check.name,
        area=check.area,
        status=status,
        message=mask_text(message, [ctx.secret]),
        evidence=evidence.masked([ctx.secret]),
        reproduce=[command for delivery in shown for command in _reproductions(delivery, ctx)],
        duration=time.perf_counter() - started,
        doc=check.doc,
        failure=failure,
    )


def _reproductions(delivery: Delivery, ctx: CheckContext) -> list[str]:
    """A curl command for the request and, when the log can resend it exactly, ``harness replay``."""
    auth, db = ctx.auth_of(delivery), ctx.settings.db
    # A replay fills the masked secret header with the real secret, so it only reproduces requests that
    # carried the real secret, an empty header or none at all.
    replayable = db is not None and not auth.query_names and auth.transform in ("same", "empty")
    curl = curl_command(delivery, auth, ctx.url, inline_limit=INLINE_BODY_LIMIT if replayable else MAX_INLINE_BODY)
    return [curl, replay_command(delivery, str(db))] if replayable else [curl]
