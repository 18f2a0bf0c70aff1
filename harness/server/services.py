"""What the routes (the platform's APIs, the control API, the console) may use of a running mock server.

Route modules get a :class:`Services` from the request (:func:`services_of`), never the
:class:`~harness.server.app.MockServer`: its state (calls, webhooks, scenarios, the delivery log, errors)
and the few operations they may start (:class:`CallOperations`), and nothing of its lifecycle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from aiohttp import web

from harness.delivery.records import Delivery
from harness.scenarios import Scenario, ScenarioCatalog
from harness.server.config import ServerConfig
from harness.server.error_log import ErrorLog
from harness.server.state import CallsState
from harness.server.webhooks import WebhookRegistry
from harness.store import DeliveryLog

__all__ = ["SERVICES", "CallOperations", "Services", "services_of"]


class CallOperations(Protocol):
    """Starting, following and replaying calls: what routes may ask of the server's call playback.

    A route passes a :class:`Scenario` it loaded from the server's own catalog, or parameters, never a path.
    """

    @property
    def in_progress(self) -> int:
        """Calls whose deliveries are still going out."""
        ...

    async def start_calls(self, scenario: Scenario | None = None, **params: Any) -> list[str]:
        """Schedule a scenario's calls (``params`` override it) and return their ids at once."""
        ...

    # The timeout parameter is the public API's (MockServer.wait_for_calls).
    async def wait_for_calls(self, call_ids: list[str] | None = None, timeout: float = 60) -> None:  # noqa: ASYNC109
        """Wait until every delivery of these calls went out."""
        ...

    async def replay(self, delivery_id: str) -> Delivery:
        """Re-send a logged delivery's exact bytes to the current webhook."""
        ...


@dataclass(frozen=True)
class Services:
    """One running server's state and operations, as its routes see them."""

    config: ServerConfig
    calls: CallsState
    webhooks: WebhookRegistry
    scenarios: ScenarioCatalog
    log: DeliveryLog
    errors: ErrorLog
    operations: CallOperations


SERVICES: web.AppKey[Services] = web.AppKey("harness_services", Services)


def services_of(request: web.Request) -> Services:
    """The services of the server whose application is handling ``request``."""
    return request.app[SERVICES]
