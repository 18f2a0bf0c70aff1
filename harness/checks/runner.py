"""Run contract checks against a receiver: preflight, concurrency, and turning outcomes into results."""

from __future__ import annotations

import asyncio
import inspect
import json
import time
import uuid
from collections.abc import Iterable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import aiohttp

from harness._bounds import require_seconds
from harness._http1 import custom_tls_context
from harness._loop import LoopThread
from harness._net import address_of, require_http_url, unreachable_reason
from harness._redact import mask_url
from harness.checks.context import CheckContext, MaskingRecorder, RunSettings, describe, mask_secret_in
from harness.checks.failures import CheckFailure, CheckSkipped
from harness.checks.probe import Probe, ProbeError, ProbeSource
from harness.checks.registry import Check, select_checks
from harness.checks.report import CheckResult, Report
from harness.checks.reproduce import INLINE_BODY_LIMIT, MAX_INLINE_BODY, curl_command, replay_command
from harness.delivery import MAX_TIMEOUT, AttemptRecorder, Deliverer, DeliverySettings
from harness.errors import ConfigError, HarnessError, TargetUnreachableError

__all__ = ["arun_checks", "run_checks"]

# Reproductions for the first few failing requests of a check are plenty.
MAX_REPRODUCTIONS = 2
CONNECT_TIMEOUT = 3.0


def run_checks(
    url: str,
    secret: str,
    probe: ProbeSource | None = None,
    *,
    checks: Iterable[str] | None = None,
    exclude: Iterable[str] | None = None,
    latency_budget: float = 10.0,
    seed: int = 0,
    strict: bool = False,
    timeout: float = 10.0,
    db: str | Path | None = None,
    tls_verify: bool = True,
    tls_ca_file: str | None = None,
) -> Report:
    """Run the contract checks against the receiver at ``url`` and return the report (blocking).

    ``probe`` is the receiver's state probe URL, or a function returning its entries (sync or async; it is
    called on the thread that runs the checks). Raises ConfigError for bad options or unknown check names,
    TargetUnreachableError when nothing listens at ``url``, ProbeError when ``probe`` is given but does not
    answer as the probe contract says.
    ``strict`` only affects :meth:`Report.exit_code` callers; it is kept for symmetry with the CLI.
    """
    coroutine = arun_checks(
        url,
        secret,
        probe,
        checks=checks,
        exclude=exclude,
        latency_budget=latency_budget,
        seed=seed,
        strict=strict,
        timeout=timeout,
        db=db,
        tls_verify=tls_verify,
        tls_ca_file=tls_ca_file,
    )
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    # Called from async code: run on a private loop in a thread rather than nesting event loops.
    thread = LoopThread(name="harness-checks")
    try:
        return thread.run(coroutine)
    finally:
        thread.stop()


async def arun_checks(
    url: str,
    secret: str,
    probe: ProbeSource | None = None,
    *,
    checks: Iterable[str] | None = None,
    exclude: Iterable[str] | None = None,
    latency_budget: float = 10.0,
    seed: int = 0,
    strict: bool = False,
    timeout: float = 10.0,  # noqa: ASYNC109  (each request's timeout, as the platform's)
    db: str | Path | None = None,
    tls_verify: bool = True,
    tls_ca_file: str | None = None,
) -> Report:
    """Like :func:`run_checks`, from async code."""
    del strict  # the report's exit_code() applies it
    _validate(url, secret, probe, latency_budget, timeout)
    selected = select_checks(checks, exclude)
    await _ensure_reachable(url)
    settings = RunSettings(
        url=url,
        secret=secret,
        probe_url=probe if isinstance(probe, str) else None,
        seed=seed,
        latency_budget=latency_budget,
        timeout=timeout,
        run_id=uuid.uuid4().hex,
    )
    started = time.perf_counter()
    async with AsyncExitStack() as stack:
        recorder: AttemptRecorder | None = None
        if db is not None:
            from harness.store import DeliveryLog

            log = DeliveryLog(db)
            stack.callback(log.close)
            recorder = MaskingRecorder(log, secret)
        delivery_settings = DeliverySettings(
            timeout=timeout, retries=0, max_response_bytes=4096, tls_verify=tls_verify, tls_ca_file=tls_ca_file
        )
        deliverer = await stack.enter_async_context(
            Deliverer(url, secret, settings=delivery_settings, recorder=recorder)
        )
        probe_client: Probe | None = None
        if isinstance(probe, str):
            connector = aiohttp.TCPConnector(ssl=custom_tls_context(verify=tls_verify, ca_file=tls_ca_file) or True)
            session = await stack.enter_async_context(
                aiohttp.ClientSession(
                    connector=connector,
                    timeout=aiohttp.ClientTimeout(total=timeout),
                    cookie_jar=aiohttp.DummyCookieJar(),
                )
            )
            probe_client = Probe(probe, session)
        elif probe is not None:
            probe_client = Probe(probe)  # the user's own function, in process
        if probe_client is not None:
            await probe_client.entries()  # a broken probe is a usage error, reported before any check runs
        contexts = [CheckContext(check.name, settings, deliverer, probe_client) for check in selected]
        results = await asyncio.gather(
            *(
                _run_one(check, ctx, None if db is None else str(db))
                for check, ctx in zip(selected, contexts, strict=True)
            )
        )
    return Report(
        results=list(results),
        target=mask_url(url, [secret]),
        probe=None if probe_client is None else mask_url(probe_client.url, [secret]),
        seed=seed,
        duration=time.perf_counter() - started,
        requests=sum(len(ctx.sent) for ctx in contexts),
        db=None if db is None else str(db),
    )


async def _run_one(check: Check, ctx: CheckContext, db: str | None) -> CheckResult:
    result = CheckResult(name=check.name, area=check.area, status="passed", doc=check.doc)
    started = time.perf_counter()
    try:
        if check.needs_probe and ctx.probe is None:
            ctx.require_probe()
        outcome = check.func(ctx)
        if inspect.isawaitable(outcome):
            await outcome
    except CheckSkipped as skip:
        result.status, result.message = "skipped", skip.reason
    except CheckFailure as failure:
        result.status = "warning" if failure.severity == "warning" else "failed"
        result.message = failure.title + (f": {failure.message}" if failure.message else "")
        _attach(result, ctx, failure.evidence, failure.deliveries, db)
    except AssertionError as failure:  # a plain assert in a user's own check
        result.status, result.message = "failed", str(failure) or f"assertion failed in {check.name}"
        _attach(result, ctx, {}, [sent.delivery for sent in ctx.sent[-1:]], db)
    except ProbeError as error:
        result.status, result.message = "failed", str(error)
    except HarnessError as error:
        result.status, result.message = "failed", f"{check.name} could not run: {error}"
    except Exception as error:  # a crash inside a (user's) check must not hide every other result
        result.status, result.message = "failed", f"{check.name} raised {type(error).__name__}: {error}"
    result.evidence = {**ctx.evidence, **result.evidence}
    result.duration = time.perf_counter() - started
    # A receiver may echo the secret back (a redirect's Location, a debug response): never print it.
    result.message = mask_secret_in(result.message, ctx.secret)
    result.evidence = json.loads(mask_secret_in(json.dumps(result.evidence), ctx.secret))
    return result


def _attach(
    result: CheckResult, ctx: CheckContext, evidence: dict[str, Any], deliveries: list[Any], db: str | None
) -> None:
    shown = deliveries[:MAX_REPRODUCTIONS]
    result.evidence = {"requests": [describe(d, ctx.auth_of(d), ctx.secret) for d in shown], **evidence}
    for delivery in shown:
        auth = ctx.auth_of(delivery)
        # A replay fills the masked secret header with the real secret, so it only reproduces requests that
        # carried the real secret, an empty header or none at all.
        replayable = db is not None and not auth.query_names and auth.transform in ("same", "empty")
        limit = INLINE_BODY_LIMIT if replayable else MAX_INLINE_BODY
        result.reproduce.append(curl_command(delivery, auth, ctx.url, inline_limit=limit))
        if replayable and db is not None:
            result.reproduce.append(replay_command(delivery, db))


def _validate(url: str, secret: str, probe: ProbeSource | None, latency_budget: float, timeout: float) -> None:
    if probe is not None and not isinstance(probe, str) and not callable(probe):
        raise ConfigError(f"probe {probe!r}: expected the probe's URL or a function returning its entries")
    for name, value in (("target URL", url), ("probe URL", probe if isinstance(probe, str) else None)):
        if value is not None:
            require_http_url(value, name)
    if not secret:
        raise ConfigError("no secret: pass the receiver's webhook secret (--secret S or $CARTESIA_WEBHOOK_SECRET)")
    require_seconds("latency budget", latency_budget, high=MAX_TIMEOUT)
    require_seconds("timeout", timeout, high=MAX_TIMEOUT)


async def _ensure_reachable(url: str) -> None:
    """Open (and close) one TCP connection, so a receiver that is not running gives one clear error."""
    reason = await unreachable_reason(url, CONNECT_TIMEOUT)
    if reason is not None:
        host, port = address_of(url)
        raise TargetUnreachableError(
            f"cannot connect to {url} ({host}:{port}: {reason}); start your receiver there, or pass the URL it "
            "listens on"
        )
