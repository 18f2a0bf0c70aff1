"""The webhooks registered on the mock server, and the one deliveries go to: the only holder of its URL and secret.

The delivery engine reads :meth:`WebhookRegistry.endpoint` once per delivery, so a change made here (a
webhook created, moved, rotated or deleted) applies from the next delivery on. A webhook's URL and secret
are one immutable :class:`~harness.delivery.endpoint.Endpoint`, replaced whole: a rotation is never
half-applied.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from harness._redact import mask_url
from harness.delivery.endpoint import Endpoint
from harness.server.state import now

__all__ = ["Webhook", "WebhookRegistry"]

# Deliveries before any webhook exists go nowhere (starting calls is refused until one does).
_NOWHERE = Endpoint("")


@dataclass
class Webhook:
    """A registered webhook: where events go and the secret they carry."""

    id: str
    endpoint: Endpoint
    display_name: str = ""
    created_at: str = field(default_factory=now)
    updated_at: str = field(default_factory=now)

    @property
    def url(self) -> str:
        """Where this webhook's events go."""
        return self.endpoint.url

    @property
    def secret(self) -> str | None:
        """The secret its events carry in ``X-Webhook-Secret``."""
        return self.endpoint.secret

    def to_json(self, *, with_secret: bool = False) -> dict[str, Any]:
        """The public view: a password in the URL masked, and the secret only ``with_secret`` (the platform shows
        it once, in the answer to the POST that created the webhook, to the caller who sent it)."""
        data: dict[str, Any] = {
            "id": self.id,
            "url": mask_url(self.url),
            "display_name": self.display_name,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }
        if with_secret:
            data["secret"] = self.secret
        return data


class WebhookRegistry:
    """The webhooks created through ``/agents/webhooks`` (or the server's own); one of them is where deliveries go.

    ``known_secrets`` holds every secret any webhook has had, rotated ones included (and ``known_secrets``
    given at creation): they are masked wherever a receiver echoes one back or text is shown.
    """

    def __init__(self, *, known_secrets: Iterable[str] = ()) -> None:
        self._hooks: dict[str, Webhook] = {}
        self._active_id: str | None = None
        # Where deliveries went before the last webhook was deleted: calls in progress finish there.
        self._retired = _NOWHERE
        self.known_secrets: set[str] = {secret for secret in known_secrets if secret}

    def __len__(self) -> int:
        return len(self._hooks)

    def register(
        self, url: str, secret: str | None, *, display_name: str = "", webhook_id: str | None = None
    ) -> Webhook:
        """Add a webhook; the first one registered becomes the active one."""
        hook = Webhook(
            id=webhook_id or "agent_webhook_" + secrets.token_urlsafe(16).replace("-", "x").replace("_", "y"),
            endpoint=Endpoint(url, secret),
            display_name=display_name,
        )
        self._remember(secret)
        self._hooks[hook.id] = hook
        if self._active_id is None:
            self._active_id = hook.id
        return hook

    def update(self, webhook_id: str, endpoint: Endpoint, *, display_name: str | None = None) -> Webhook | None:
        """Point a webhook at ``endpoint`` (URL and secret together); ``display_name`` None keeps its name.

        None when no webhook has this id (it may have been deleted while the caller read a request).
        """
        hook = self._hooks.get(webhook_id)
        if hook is None:
            return None
        self._remember(endpoint.secret)
        hook.endpoint = endpoint
        if display_name is not None:
            hook.display_name = display_name
        hook.updated_at = now()
        return hook

    def activate(self, webhook_id: str) -> None:
        """Send deliveries to this registered webhook from the next one on."""
        if webhook_id not in self._hooks:
            raise KeyError(webhook_id)
        self._active_id = webhook_id

    def remove(self, webhook_id: str) -> Webhook | None:
        """Delete a webhook; when it was the active one, the newest remaining one (if any) takes over.

        With none left, deliveries of calls in progress still go where they went; new calls are refused
        (:attr:`active` is None) until a webhook is created.
        """
        hook = self._hooks.pop(webhook_id, None)
        if hook is not None and self._active_id == webhook_id:
            remaining = self.all()
            self._active_id = remaining[0].id if remaining else None
            self._retired = hook.endpoint
        return hook

    def get(self, webhook_id: str) -> Webhook | None:
        """The webhook with this id, if registered."""
        return self._hooks.get(webhook_id)

    def all(self) -> list[Webhook]:
        """Every webhook, newest first."""
        return list(reversed(self._hooks.values()))

    @property
    def active_id(self) -> str | None:
        """The id of the webhook deliveries go to."""
        return self._active_id

    @property
    def active(self) -> Webhook | None:
        """The webhook deliveries go to."""
        return self._hooks.get(self._active_id) if self._active_id else None

    def endpoint(self) -> Endpoint:
        """Where the next delivery goes, with which secret: the delivery engine's only source for both."""
        hook = self.active
        return hook.endpoint if hook is not None else self._retired

    def _remember(self, secret: str | None) -> None:
        if secret:
            self.known_secrets.add(secret)
