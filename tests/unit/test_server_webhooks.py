"""The webhook registry: the only holder of where deliveries go, and of every secret a webhook has had."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from harness.delivery import Deliverer, Endpoint
from harness.server.webhooks import WebhookRegistry
from harness.serving import AppServer


def test_deleting_the_active_webhook_hands_deliveries_to_the_newest_remaining_one() -> None:
    hooks = WebhookRegistry()
    first = hooks.register("http://127.0.0.1:1/a", "s1")
    second = hooks.register("http://127.0.0.1:1/b", "s2")
    third = hooks.register("http://127.0.0.1:1/c", "s3")
    assert hooks.active is first
    assert hooks.remove(first.id) is first
    assert hooks.active is third
    assert hooks.remove(second.id) is second
    assert hooks.active is third
    hooks.remove(third.id)
    assert hooks.active is None
    assert hooks.remove("agent_webhook_nope") is None
    assert "secret" not in third.to_json()
    assert third.to_json(with_secret=True)["secret"] == "s3"


def test_the_endpoint_follows_the_active_webhook_and_outlives_the_last_one() -> None:
    hooks = WebhookRegistry()
    assert hooks.endpoint() == Endpoint("")
    first = hooks.register("http://127.0.0.1:1/a", "s1")
    second = hooks.register("http://127.0.0.1:1/b", "s2")
    assert hooks.endpoint() == Endpoint("http://127.0.0.1:1/a", "s1")
    hooks.activate(second.id)
    assert hooks.endpoint() == Endpoint("http://127.0.0.1:1/b", "s2")
    hooks.remove(second.id)
    assert hooks.endpoint() == Endpoint("http://127.0.0.1:1/a", "s1")
    hooks.remove(first.id)
    # Calls in progress finish where they went; new calls are refused (no active webhook).
    assert (hooks.active, hooks.endpoint()) == (None, Endpoint("http://127.0.0.1:1/a", "s1"))
    with pytest.raises(KeyError):
        hooks.activate(first.id)


def test_an_update_replaces_url_and_secret_together_and_every_secret_is_remembered() -> None:
    hooks = WebhookRegistry(known_secrets=["configured", ""])
    hook = hooks.register("http://127.0.0.1:1/a", "s1", display_name="mine")
    before = hook.endpoint
    updated = hooks.update(hook.id, Endpoint("http://127.0.0.1:1/b", "s2"))
    assert updated is hook
    assert (hook.url, hook.secret, hook.display_name) == ("http://127.0.0.1:1/b", "s2", "mine")
    assert before == Endpoint("http://127.0.0.1:1/a", "s1")  # a reader of the old endpoint never sees half of the new
    hooks.update(hook.id, Endpoint("http://127.0.0.1:1/b", None), display_name="")
    assert (hook.secret, hook.display_name) == (None, "")
    assert hooks.update("agent_webhook_nope", Endpoint("http://127.0.0.1:1/c")) is None
    assert hooks.known_secrets == {"configured", "s1", "s2"}


@pytest.fixture
async def receivers() -> AsyncIterator[tuple[str, list[tuple[str, str | None]]]]:
    """One server with two webhook paths; each request is recorded as (path, secret header)."""
    seen: list[tuple[str, str | None]] = []

    async def hook(request: web.Request) -> web.Response:
        await request.read()
        seen.append((request.path, request.headers.get("X-Webhook-Secret")))
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/a", hook)
    app.router.add_post("/b", hook)
    async with AppServer(app) as server:
        yield server.url, seen


async def test_a_deliverer_given_the_registry_sends_each_delivery_where_it_points_then(
    receivers: tuple[str, list[tuple[str, str | None]]],
) -> None:
    base, seen = receivers
    hooks = WebhookRegistry()
    hook = hooks.register(base + "/a", "secret-one")
    async with Deliverer(hooks.endpoint, masked=hooks.known_secrets) as deliverer:
        first = await deliverer.deliver(b"{}")
        hooks.update(hook.id, Endpoint(base + "/b", "secret-two"))  # no one else to tell
        second = await deliverer.deliver(b"{}")
    assert seen == [("/a", "secret-one"), ("/b", "secret-two")]
    assert (first.url, second.url) == (base + "/a", base + "/b")
    assert (deliverer.url, deliverer.secret) == (base + "/b", "secret-two")


def test_a_deliverer_takes_a_secret_only_with_a_url() -> None:
    hooks = WebhookRegistry()
    with pytest.raises(TypeError, match="carries its own secret"):
        Deliverer(hooks.endpoint, "secret")


async def test_a_secret_known_after_a_delivery_is_masked_in_the_next_one_to_the_same_endpoint() -> None:
    later = "whsec_known_only_later_0123456789"

    async def echo(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(text=f"echo {later}", headers={"X-Echo": later})

    app = web.Application()
    app.router.add_post("/hook", echo)
    hooks = WebhookRegistry()
    async with AppServer(app) as server:
        hooks.register(server.url + "/hook", "secret-one")
        async with Deliverer(hooks.endpoint, masked=hooks.known_secrets) as deliverer:
            before = await deliverer.deliver(b"{}")
            hooks.register(server.url + "/elsewhere", later)  # this endpoint's URL and secret stay as they were
            after = await deliverer.deliver(b"{}")
    assert later in before.last.response_headers["X-Echo"]
    assert later not in after.last.response_headers["X-Echo"]
    assert later.encode() not in after.last.response_body
