""" "Test your endpoint": the contract check against the current webhook, one run at a time, in the background.

The last run's report (or the reason it could not run) stays until the next run starts.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from harness.errors import ConfigError, HarnessError

if TYPE_CHECKING:
    from harness.checks import Report

__all__ = ["CheckRun", "CheckRuns"]


@dataclass
class CheckRun:
    """One run: what it checked, when, and its report or the error that stopped it."""

    target: str
    probe: str | None
    started_at: float
    finished_at: float | None = None
    report: Report | None = None
    error: str | None = None

    @property
    def running(self) -> bool:
        """True until the run has a report or an error."""
        return self.finished_at is None


class CheckRuns:
    """Starts runs of :func:`harness.checks.arun_checks` and keeps the last one; ``on_change`` is told of each step."""

    def __init__(self, *, on_change: Callable[[], None], on_error: Callable[[BaseException], None]) -> None:
        self.on_change = on_change
        self.on_error = on_error
        self.last: CheckRun | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self, url: str, secret: str | None, probe: str | None, *, db: str | Path | None) -> CheckRun:
        """Start a run in the background; ConfigError when one is still running or there is no secret."""
        if self.last is not None and self.last.running:
            raise ConfigError("a contract check is already running; wait for its report, then start another")
        if not secret:
            raise ConfigError("the webhook has no secret to check with: rotate its secret on the Webhooks page first")
        run = CheckRun(target=url, probe=probe, started_at=time.time())
        self.last = run
        self._task = asyncio.create_task(self._run(run, secret, db), name="console contract check")
        self.on_change()
        return run

    async def _run(self, run: CheckRun, secret: str, db: str | Path | None) -> None:
        from harness.checks import arun_checks  # the checks and the generator load only when a run starts

        try:
            run.report = await arun_checks(run.target, secret, run.probe, db=db)
        except HarnessError as exc:  # unreachable receiver, broken probe, bad URL: shown on the page
            run.error = str(exc)
        except Exception as exc:
            self.on_error(exc)
            run.error = f"the check run failed inside the server: {type(exc).__name__}: {exc}"
        finally:
            run.finished_at = time.time()
            self.on_change()

    async def close(self) -> None:
        """Stop a run in progress (the server is stopping)."""
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
