"""The mock Cartesia server: plays scenarios against a receiver and serves the Calls and webhooks APIs."""

from __future__ import annotations

import asyncio
import logging
import secrets
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from harness._redact import mask_text
from harness.delivery import Deliverer, Delivery
from harness.errors import ConfigError, HarnessError
from harness.models import parse_event
from harness.player import play
from harness.scenarios import (
    Plan,
    PlannedCall,
    PlannedDelivery,
    Scenario,
    ScenarioCatalog,
    load_scenario,
    scenario_with_params,
)
from harness.server import batches_api, calls_api, control, deployments_api, security, webhooks_api
from harness.server._http import SERVER, api_version, fail
from harness.server.config import ServerConfig
from harness.server.state import CallsState, Webhook, WebhookRegistry, now
from harness.serving import AppServer
from harness.store import DeliveryLog

__all__ = ["MockServer"]

logger = logging.getLogger("harness.server")

# Seconds in-flight deliveries get to finish when the server stops; then they are cancelled (and logged as
# such). With the HTTP server's own shutdown, stopping stays well within the 2 s a SIGTERM may take.
STOP_GRACE = 0.5


@web.middleware
async def _record_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn an unexpected exception into a JSON 500 and record it, so check_errors() can re-raise it."""
    try:
        response: web.StreamResponse = await handler(request)
        return response
    except web.HTTPException:
        raise
    except Exception as exc:
        server = request.app[SERVER]
        server.record_error(exc)
        fail(500, "Internal error", mask_text(f"{type(exc).__name__}: {exc}", server.known_secrets))


class MockServer:
    """Cartesia on loopback: ``async with MockServer(ServerConfig(target_url=..., secret=...)) as server:``.

    ``server.url`` is the base URL of the Calls API (point ``Cartesia(base_url=...)`` at it) and of the
    control API (``/_harness/...``). Every delivery is recorded in ``server.log``.
    """

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.calls = CallsState(max_calls=config.max_calls)
        self.webhooks = WebhookRegistry()
        self.errors: list[BaseException] = []
        self.scenarios = ScenarioCatalog(config.scenario_dirs)
        # Every run draws its own call ids (two runs, or two servers on one log, never share one), unless
        # the user fixes the seed to get the same ids again.
        self.id_space = f"seed:{config.seed}" if config.seed is not None else secrets.token_hex(8)
        # Secrets any webhook has had: masked wherever a receiver echoes one back, rotated ones included.
        self.known_secrets: set[str] = {config.secret} if config.secret else set()
        self.log: DeliveryLog = None  # type: ignore[assignment]  # opened by start()
        self._deliverer: Deliverer | None = None
        self._http: AppServer | None = None
        self._tasks: dict[str, asyncio.Task[None]] = {}
        # Per call in progress: its planned events and how many of them the Calls API shows so far.
        self._progress: dict[str, tuple[PlannedCall, int]] = {}
        # Per scenario name and seed: the seed offset to try next. Call ids then never repeat, even once the
        # Calls API has forgotten the calls that had them (the log keeps one row per call id).
        self._next_seed_offset: dict[tuple[str, int], int] = {}
        self._stop = asyncio.Event()
        if config.target_url:
            self.webhooks.register(config.target_url, config.secret, display_name="local", webhook_id=config.webhook_id)

    # -- lifecycle ---------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:8765``."""
        if self._http is None:
            raise RuntimeError("the mock server is not started; call start() first")
        return self._http.url

    @property
    def calls_in_progress(self) -> int:
        """Calls whose deliveries are still going out."""
        return sum(1 for task in self._tasks.values() if not task.done())

    async def start(self) -> MockServer:
        """Open the log and start serving; does nothing when already started."""
        if self._http is not None:
            return self
        self._stop = asyncio.Event()
        self.log = DeliveryLog(self.config.db_path)
        hook = self.webhooks.active
        self._deliverer = Deliverer(
            hook.url if hook else "",
            hook.secret if hook else None,
            settings=self.config.delivery,
            recorder=self.log,
            masked=self.known_secrets,
        )
        guard = security.guard(
            host=self.config.host, token=self.config.control_token, allowed_hosts=self.config.allowed_hosts
        )
        app = web.Application(middlewares=[api_version, _record_errors, guard, calls_api.auth_middleware])
        app[SERVER] = self
        app.add_routes(control.routes)
        app.add_routes(calls_api.routes)
        app.add_routes(webhooks_api.routes)
        app.add_routes(deployments_api.routes)
        batches_api.setup(app)
        http = AppServer(app, host=self.config.host, port=self.config.port, shutdown_timeout=STOP_GRACE)
        try:
            await http.start()
        except BaseException:
            await self._deliverer.close()
            self.log.close()
            raise
        self._http = http
        return self

    async def close(self) -> None:
        """Stop: no new deliveries, let in-flight ones finish (bounded), flush the log; idempotent."""
        http, self._http = self._http, None
        if http is None:
            return
        self._stop.set()
        pending = {task for task in self._tasks.values() if not task.done()}
        if pending:
            _, still = await asyncio.wait(pending, timeout=STOP_GRACE)
            for task in still:
                task.cancel()
            await asyncio.gather(*still, return_exceptions=True)
        await http.close()
        if self._deliverer is not None:
            await self._deliverer.close()
        self.log.close()

    async def __aenter__(self) -> MockServer:
        return await self.start()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    # -- calls -------------------------------------------------------------------------------------

    async def start_calls(self, scenario: str | Scenario | None = None, **params: Any) -> list[str]:
        """Schedule a scenario's calls (or calls described by ``params``) and return their ids at once.

        ``scenario`` is a bundled scenario's name, a path to a scenario file (this is the trusted Python API;
        the control API only offers :attr:`scenarios`), or a :class:`Scenario`. ``params`` override it:
        ``calls``, ``concurrency``, ``seed``, ``outcome``, ``domain``, ``turns``, or whole ``generator``,
        ``pacing`` and ``faults`` tables. ScenarioError names a bad parameter.
        """
        if self._http is None or self._deliverer is None:
            raise RuntimeError("the mock server is not started; call start() first")
        if self.webhooks.active is None:
            raise ConfigError(
                "no webhook to deliver to: set --to URL (or CARTESIA_WEBHOOK_URL), or POST /agents/webhooks"
            )
        base = await asyncio.to_thread(load_scenario, scenario) if isinstance(scenario, str) else scenario
        chosen = scenario_with_params(base, params, source="call parameters") if params or base is None else base
        plan = await self._plan_fresh_calls(chosen)
        self._forget_finished_tasks()
        self.calls.schedule(plan.call_ids, self.config.agent_id)
        task = asyncio.create_task(self._play(plan, chosen.name), name=f"scenario {chosen.name}")
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
        for attempt in range(first, first + 100):
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

    async def _play(self, plan: Plan, scenario: str) -> None:
        assert self._deliverer is not None

        def on_planned(call: PlannedCall) -> None:
            # Calls are registered as they are reached, so memory does not grow with the calls asked for.
            self.calls.create(call.call_id, call.agent_id or self.config.agent_id)
            self._progress[call.call_id] = (call, 0)
            self.log.record_call(call.call_id, agent_id=call.agent_id, scenario=scenario, events=len(call.event_bodies))

        try:
            await play(plan, self._deliverer, on_sent=self._on_sent, on_planned=on_planned, stop=self._stop, keep=False)
        except Exception as exc:
            self.record_error(exc)
        finally:
            self.log.flush()

    def _on_sent(self, planned: PlannedDelivery, delivery: Delivery | None) -> None:
        """Advance the Calls API: the call has reached this event, whatever order the webhooks arrive in.

        A reordered, duplicated or dropped delivery changes what the receiver sees, not what happened
        on the platform, so the call's state moves forward through its events in their own order.
        """
        if planned.event_index is None:  # an injected unknown event: only a log line
            self.calls.apply(planned.call_id, planned.event)
            return
        progress = self._progress.get(planned.call_id)
        if progress is None:
            return
        call, applied = progress
        while applied <= planned.event_index:
            self.calls.apply(call.call_id, parse_event(call.event_bodies[applied]))
            applied += 1
        if applied >= len(call.event_bodies):
            del self._progress[call.call_id]
        else:
            self._progress[call.call_id] = (call, applied)

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
        self.log.flush()

    async def replay(self, delivery_id: str) -> Delivery:
        """Re-send a logged delivery's exact bytes to the current webhook; logged with ``replay_of``."""
        if self._deliverer is None:
            raise RuntimeError("the mock server is not started; call start() first")
        stored = self.log.get_delivery(delivery_id)  # reads flush the log first: a delivery just made is found
        if self.webhooks.active is None:
            raise ConfigError("no webhook to deliver to: set --to URL, or POST /agents/webhooks")
        delivery = await self._deliverer.deliver(
            stored.body, event_type=stored.event_type, call_id=stored.call_id, replay_of=stored.id
        )
        self.log.flush()
        return delivery

    def clear(self) -> None:
        """Forget every call and delivery (the pytest plugin resets between tests).

        Calls still in progress are cancelled; prefer :meth:`aclear`, which also waits for them to
        stop, so that none of their attempts is logged after the clear.
        """
        for task in self._tasks.values():
            task.cancel()
        self._tasks.clear()
        self._progress.clear()
        self._next_seed_offset.clear()
        self.calls.clear()
        self.errors.clear()
        if self.log is not None:
            self.log.clear()

    async def aclear(self) -> None:
        """Cancel calls in progress, wait until they stopped, then forget every call and delivery."""
        running = {task for task in self._tasks.values() if not task.done()}
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        self.clear()

    # -- webhooks and errors -----------------------------------------------------------------------

    def set_webhook(self, url: str, secret: str | None) -> Webhook:
        """Point the agent's webhook (``config.webhook_id``) at ``url`` with ``secret``; used from the next delivery."""
        if secret:
            self.known_secrets.add(secret)
        hook = self.webhooks.get(self.config.webhook_id)
        if hook is None:
            hook = self.webhooks.register(url, secret, display_name="local", webhook_id=self.config.webhook_id)
        else:
            hook.url, hook.secret, hook.updated_at = url, secret, now()
        self.webhooks.active_id = hook.id
        self.apply_webhook()
        return hook

    def apply_webhook(self) -> None:
        """Point the deliverer at the active webhook; takes effect from the next delivery on."""
        self.known_secrets.update(hook.secret for hook in self.webhooks.all() if hook.secret)
        hook = self.webhooks.active
        if self._deliverer is not None and hook is not None:
            self._deliverer.url = hook.url
            self._deliverer.secret = hook.secret

    def record_error(self, exc: BaseException) -> None:
        """Keep an unexpected exception for check_errors() and log it; never let it vanish."""
        self.errors.append(exc)
        logger.error("mock server error: %s: %s", type(exc).__name__, exc, exc_info=exc)
