"""The mock Cartesia server's lifecycle: it puts together the Calls API's state, the webhooks, the call
playback and the routes, serves them on loopback, and stops them in order."""

from __future__ import annotations

import secrets
from types import TracebackType
from typing import Any

from aiohttp import web

from harness.delivery.endpoint import Endpoint
from harness.delivery.records import Delivery
from harness.scenarios import Scenario, ScenarioCatalog
from harness.server._http import api_version
from harness.server.batches_api import setup as setup_batches
from harness.server.calls_api import auth_middleware
from harness.server.calls_api import routes as calls_routes
from harness.server.config import ServerConfig
from harness.server.console.app import setup_console
from harness.server.control import routes as control_routes
from harness.server.deployments_api import routes as deployments_routes
from harness.server.error_log import ErrorLog
from harness.server.playback import STOP_GRACE, CallPlayback
from harness.server.security import guard
from harness.server.services import SERVICES, Services
from harness.server.state import CallsState
from harness.server.webhooks import Webhook, WebhookRegistry
from harness.server.webhooks_api import routes as webhooks_routes
from harness.serving import AppServer
from harness.store import DeliveryLog

__all__ = ["MockServer"]


class MockServer:
    """Cartesia on loopback: ``async with MockServer(ServerConfig(target_url=..., secret=...)) as server:``.

    ``server.url`` is the base URL of the Calls API (point ``Cartesia(base_url=...)`` at it) and of the
    control API (``/_harness/...``). Every delivery is recorded in ``server.log``.
    """

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.calls = CallsState(max_calls=config.max_calls)
        # The only holder of where deliveries go; it also keeps every secret any webhook has had, masked
        # wherever a receiver echoes one back, rotated ones included.
        self.webhooks = WebhookRegistry(known_secrets=[config.secret] if config.secret else [])
        self.scenarios = ScenarioCatalog(config.scenario_dirs)
        self._errors = ErrorLog(masked=self.webhooks.known_secrets)
        # Every run draws its own call ids (two runs, or two servers on one log, never share one), unless
        # the user fixes the seed to get the same ids again.
        self.id_space = f"seed:{config.seed}" if config.seed is not None else secrets.token_hex(8)
        self._playback = CallPlayback(
            config, calls=self.calls, webhooks=self.webhooks, errors=self._errors, id_space=self.id_space
        )
        self.log: DeliveryLog = None  # type: ignore[assignment]  # opened by start()
        self._http: AppServer | None = None
        if config.target_url:
            self.webhooks.register(config.target_url, config.secret, display_name="local", webhook_id=config.webhook_id)

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:8765``."""
        if self._http is None:
            raise RuntimeError("the mock server is not started; call start() first")
        return self._http.url

    @property
    def errors(self) -> list[BaseException]:
        """Exceptions raised inside the server, oldest first (``MockServerThread.check_errors`` re-raises them)."""
        return self._errors.errors

    @property
    def known_secrets(self) -> set[str]:
        """Every secret any webhook of this server has had: never shown, masked wherever one is echoed."""
        return self.webhooks.known_secrets

    @property
    def calls_in_progress(self) -> int:
        """Calls whose deliveries are still going out."""
        return self._playback.in_progress

    async def start(self) -> MockServer:
        """Open the log and start serving; does nothing when already started."""
        if self._http is not None:
            return self
        self.log = DeliveryLog(self.config.db_path)
        self._playback.open(self.log)
        http = AppServer(self._application(), host=self.config.host, port=self.config.port, shutdown_timeout=STOP_GRACE)
        try:
            await http.start()
        except BaseException:
            await self._playback.close()
            self.log.close()
            raise
        self._http = http
        return self

    def _application(self) -> web.Application:
        config = self.config
        access = guard(host=config.host, token=config.control_token, allowed_hosts=config.allowed_hosts)
        app = web.Application(middlewares=[api_version, self._errors.middleware(), access, auth_middleware])
        services = Services(
            config=config,
            calls=self.calls,
            webhooks=self.webhooks,
            scenarios=self.scenarios,
            log=self.log,
            errors=self._errors,
            operations=self._playback,
        )
        app[SERVICES] = services
        for routes in (control_routes, calls_routes, webhooks_routes, deployments_routes):
            app.add_routes(routes)
        setup_batches(app)
        setup_console(app, services)  # the web console at "/"
        return app

    async def close(self) -> None:
        """Stop: no new deliveries, let in-flight ones finish (bounded), flush the log; idempotent."""
        http, self._http = self._http, None
        if http is None:
            return
        await self._playback.stop()
        await http.close()
        await self._playback.close()
        self.log.close()

    async def __aenter__(self) -> MockServer:
        return await self.start()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def start_calls(self, scenario: str | Scenario | None = None, **params: Any) -> list[str]:
        """Schedule a scenario's calls (or calls described by ``params``) and return their ids at once.

        ``scenario`` is a bundled scenario's name, a path to a scenario file (this is the trusted Python API;
        the control API only offers :attr:`scenarios`), or a :class:`Scenario`. ``params`` override it:
        ``calls``, ``concurrency``, ``seed``, ``outcome``, ``domain``, ``turns``, or whole ``generator``,
        ``pacing`` and ``faults`` tables. ScenarioError names a bad parameter.
        """
        return await self._playback.start_calls(scenario, **params)

    # The timeout parameter is public API (the thread wrapper and the pytest plugin pass it through).
    async def wait_for_calls(self, call_ids: list[str] | None = None, timeout: float = 60) -> None:  # noqa: ASYNC109
        """Wait until every delivery of these calls (default: all) went out; TimeoutError names the rest."""
        await self._playback.wait_for_calls(call_ids, timeout)

    async def replay(self, delivery_id: str) -> Delivery:
        """Re-send a logged delivery's exact bytes to the current webhook; logged with ``replay_of``."""
        return await self._playback.replay(delivery_id)

    def clear(self) -> None:
        """Forget every call and delivery (the pytest plugin resets between tests).

        Calls still in progress are cancelled; prefer :meth:`aclear`, which also waits for them to
        stop, so that none of their attempts is logged after the clear.
        """
        self._playback.clear()
        self.calls.clear()
        self._errors.clear()
        if self.log is not None:
            self.log.clear()

    async def aclear(self) -> None:
        """Cancel calls in progress, wait until they stopped, then forget every call and delivery."""
        await self._playback.cancel_running()
        self.clear()

    def set_webhook(self, url: str, secret: str | None) -> Webhook:
        """Point the agent's webhook (``config.webhook_id``) at ``url`` with ``secret``; used from the next delivery."""
        webhook_id = self.config.webhook_id
        hook = self.webhooks.update(webhook_id, Endpoint(url, secret))
        if hook is None:
            hook = self.webhooks.register(url, secret, display_name="local", webhook_id=webhook_id)
        self.webhooks.activate(hook.id)
        return hook

    def record_error(self, exc: BaseException) -> None:
        """Keep an unexpected exception for check_errors() and log it; never let it vanish."""
        self._errors.record(exc)

    def error_messages(self) -> list[str]:
        """Each recorded error as ``Type: message``, with every known secret masked."""
        return self._errors.messages()
