"""Playing calls on the mock server: scenarios' calls delivered to the active webhook, the Calls API moved along.

:class:`CallPlayback` schedules calls, plays their plans in the background, waits for them, replays logged
deliveries and stops them all when the server stops. :class:`CallProgress` moves each call in the Calls API
through its planned events as they go out.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

from harness.delivery.engine import Deliverer
from harness.delivery.records import Delivery
from harness.errors import ConfigError, HarnessError
from harness.player import play
from harness.scenarios import Plan, PlannedCall, PlannedDelivery, Scenario, load_scenario, scenario_with_params
from harness.server.config import ServerConfig
from harness.server.error_log import ErrorLog
from harness.server.state import CallsState
from harness.server.webhooks import WebhookRegistry
from harness.store import DeliveryLog

__all__ = ["STOP_GRACE", "CallPlayback", "CallProgress"]

# Seconds in-flight deliveries get to finish when the server stops; then they are cancelled (and logged as
# such). With the HTTP server's own shutdown, stopping stays well within the 2 s a SIGTERM may take.
STOP_GRACE = 0.5
# Seeds tried past a scenario's own before giving up on fresh call ids.
_SEED_ATTEMPTS = 100
_NOT_STARTED = "the mock server is not started; call start() first"


class CallProgress:
    """Moves each call in the Calls API through its planned events, whatever order the webhooks arrive in.

    A reordered, duplicated or dropped delivery changes what the receiver sees, not what happened on the
    platform, so a call's state moves forward through its events in their own order.
    """

    def __init__(self, calls: CallsState) -> None:
        self.calls = calls
        # Per call in progress: its planned events and how many of them the Calls API shows so far.
        self._progress: dict[str, tuple[PlannedCall, int]] = {}

    def planned(self, call: PlannedCall) -> None:
        """Follow a call that has just been reached (its events are about to go out)."""
        self._progress[call.call_id] = (call, 0)

    def sent(self, planned: PlannedDelivery, delivery: Delivery | None) -> None:
        """Advance the Calls API: the call has reached this event (sent, or deliberately dropped)."""
        if planned.event_index is None:  # an injected unknown event: only a log line
            self.calls.apply(planned.call_id, json.loads(planned.body))
            return
        progress = self._progress.get(planned.call_id)
        if progress is None:
            return
        call, applied = progress
        while applied <= planned.event_index:
            self.calls.apply(call.call_id, json.loads(call.event_bodies[applied]))
            applied += 1
        if applied >= len(call.event_bodies):
            del self._progress[call.call_id]
        else:
            self._progress[call.call_id] = (call, applied)

    def clear(self) -> None:
        """Stop following every call."""
        self._progress.clear()


class CallPlayback:
    """Plays calls to the active webhook; between :meth:`open` and :meth:`stop` it takes new calls."""

    def __init__(
        self,
        config: ServerConfig,
        *,
        calls: CallsState,
        webhooks: WebhookRegistry,
        errors: ErrorLog,
        id_space: str,
    ) -> None:
        self.config = config
        self.calls = calls
        self.webhooks = webhooks
        self.errors = errors
        self.id_space = id_space
        self._log: DeliveryLog | None = None
        self._deliverer: Deliverer | None = None
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._progress = CallProgress(calls)
        # Per scenario name and seed: the seed offset to try next. Call ids then never repeat, even once the
        # Calls API has forgotten the calls that had them (the log keeps one row per call id).
        self._next_seed_offset: dict[tuple[str, int], int] = {}
        self._stop = asyncio.Event()

    def open(self, log: DeliveryLog) -> None:
        """Take calls from now on, delivering to the webhook registry's endpoint and recording into ``log``."""
        self._stop = asyncio.Event()
        self._log = log
        # The registry is the only holder of the active webhook: the deliverer reads its endpoint per delivery.
        self._deliverer = Deliverer(
            self.webhooks.endpoint,
            settings=self.config.delivery,
            recorder=log,
            masked=self.webhooks.known_secrets,
        )

    async def stop(self) -> None:
        """Take no new calls; let in-flight deliveries finish (within :data:`STOP_GRACE`), cancel the rest."""
        self._stop.set()
        pending = {task for task in self._tasks.values() if not task.done()}
        if pending:
            _, still = await asyncio.wait(pending, timeout=STOP_GRACE)
            for task in still:
                task.cancel()
            await asyncio.gather(*still, return_exceptions=True)

    async def close(self) -> None:
        """Close the deliverer's connections (after :meth:`stop`); idempotent."""
        deliverer, self._deliverer = self._deliverer, None
        if deliverer is not None:
            await deliverer.close()

    @property
    def in_progress(self) -> int:
        """Calls whose deliveries are still going out."""
        return sum(1 for task in self._tasks.values() if not task.done())

    def _open_deliverer(self) -> tuple[Deliverer, DeliveryLog]:
        if self._deliverer is None or self._log is None or self._stop.is_set():
            raise RuntimeError(_NOT_STARTED)
        return self._deliverer, self._log

    async def start_calls(self, scenario: str | Scenario | None = None, **params: Any) -> list[str]:
        """Schedule a scenario's calls (see :meth:`harness.server.MockServer.start_calls`); their ids at once."""
        deliverer, log = self._open_deliverer()
        if self.webhooks.active is None:
            raise ConfigError(
                "no webhook to deliver to: set --to URL (or CARTESIA_WEBHOOK_URL), or POST /agents/webhooks"
            )
        base = await asyncio.to_thread(load_scenario, scenario) if isinstance(scenario, str) else scenario
        chosen = scenario_with_params(base, params, source="call parameters") if params or base is None else base
        plan = await self._plan_fresh_calls(chosen)
        self._forget_finished_tasks()
        self.calls.schedule(plan.call_ids, self.config.agent_id)
        task = asyncio.create_task(self._play(plan, chosen.name, deliverer, log), name=f"scenario {chosen.name}")
        for call_id in plan.call_ids:
            self._tasks[call_id] = task
        return plan.call_ids

    def _forget_finished_tasks(self) -> None:
        # Keeps a long-running server's memory bounded: finished calls the Calls API no longer shows.
        if len(self._tasks) > self.calls.max_calls:
            for call_id in [c for c, task in self._tasks.items() if task.done() and self.calls.get(c) is None]:
                del self._tasks[call_id]

    async def _plan_fresh_calls(self, scenario: Scenario) -> Plan:
        # The same seed gives the same call ids; a scenario started twice gets the next seeds instead.
        key = (scenario.name, scenario.generator.seed)
        first = self._next_seed_offset.get(key, 0)
        for attempt in range(first, first + _SEED_ATTEMPTS):
            candidate = scenario.with_overrides(seed=scenario.generator.seed + attempt) if attempt else scenario
            call_ids = await asyncio.to_thread(candidate.call_ids, self.id_space)
            if not any(call_id in self._tasks or self.calls.get(call_id) for call_id in call_ids):
                self._next_seed_offset[key] = attempt + 1
                return candidate.plan(
                    start=datetime.now(UTC),
                    agent_id=self.config.agent_id,
                    webhook_id=self.webhooks.active_id,
                    id_space=self.id_space,
                )
        raise HarnessError(f"scenario {scenario.name!r}: cannot find fresh call ids; call clear() first")

    async def _play(self, plan: Plan, scenario: str, deliverer: Deliverer, log: DeliveryLog) -> None:
        def on_planned(call: PlannedCall) -> None:
            # Calls are registered as they are reached, so memory does not grow with the calls asked for.
            self.calls.create(call.call_id, call.agent_id or self.config.agent_id)
            self._progress.planned(call)
            log.record_call(call.call_id, agent_id=call.agent_id, scenario=scenario, events=len(call.event_bodies))

        try:
            await play(plan, deliverer, on_sent=self._progress.sent, on_planned=on_planned, stop=self._stop, keep=False)
        except Exception as exc:
            self.errors.record(exc)
        finally:
            log.flush()

    # The timeout parameter is public API (the thread wrapper and the pytest plugin pass it through).
    async def wait_for_calls(self, call_ids: list[str] | None = None, timeout: float = 60) -> None:  # noqa: ASYNC109
        """Wait until every delivery of these calls (default: all) went out; TimeoutError names the rest."""
        ids = list(self._tasks) if call_ids is None else call_ids
        unknown = [call_id for call_id in ids if call_id not in self._tasks]
        if unknown:
            raise HarnessError(f"unknown call ids {', '.join(unknown)}: start them with start_calls() first")
        tasks = {self._tasks[call_id] for call_id in ids}
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=timeout)
            if pending:
                waiting = [call_id for call_id in ids if self._tasks[call_id] in pending]
                raise TimeoutError(f"calls still in progress after {timeout:g} s: {', '.join(waiting[:10])}")
        if self._log is not None:
            self._log.flush()

    async def replay(self, delivery_id: str) -> Delivery:
        """Re-send a logged delivery's exact bytes to the current webhook; logged with ``replay_of``."""
        if self._deliverer is None or self._log is None:
            raise RuntimeError(_NOT_STARTED)
        stored = self._log.get_delivery(delivery_id)  # reads flush the log first: a delivery just made is found
        if self.webhooks.active is None:
            raise ConfigError("no webhook to deliver to: set --to URL, or POST /agents/webhooks")
        delivery = await self._deliverer.deliver(
            stored.body, event_type=stored.event_type, call_id=stored.call_id, replay_of=stored.id
        )
        self._log.flush()
        return delivery

    def clear(self) -> None:
        """Cancel every call in progress (without waiting) and forget every call played."""
        for task in self._tasks.values():
            task.cancel()
        self._tasks.clear()
        self._progress.clear()
        self._next_seed_offset.clear()

    async def cancel_running(self) -> None:
        """Cancel the calls in progress and wait until they stopped."""
        running = {task for task in self._tasks.values() if not task.done()}
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
