"""The console's pages and form actions. A page handler reads its data (pages.py) and renders one template.

State-changing actions are POSTs carrying the page's CSRF token; they answer with a redirect (303) to the page
showing the result, except a secret rotation, whose new secret is shown once, in that answer only.
"""

from __future__ import annotations

import hmac
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from harness._net import require_http_url
from harness.delivery.endpoint import Endpoint
from harness.errors import HarnessError
from harness.scenarios import scenario_with_params
from harness.server.calls_api import get_audio
from harness.server.console import pages
from harness.server.console.core import Console, console_of
from harness.server.console.live import View
from harness.server.console.startform import StartForm
from harness.server.webhooks import Webhook

__all__ = ["SECURITY_HEADERS", "routes"]

routes = web.RouteTableDef()

# The pages load nothing from elsewhere and run no inline script: a receiver's response shown on a page
# (it is escaped anyway) could not run code even if it slipped through.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    # Not "no-referrer": browsers then send "Origin: null" with form posts, which the server refuses as
    # cross-origin. "same-origin" sends nothing to other sites and keeps the Origin of our own forms.
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def _render(
    request: web.Request,
    template: str,
    section: str,
    context: dict[str, Any],
    *,
    since: int,
    live: View | None = None,
    status: int = 200,
) -> web.Response:
    console = console_of(request)
    hook = console.services.webhooks.active
    base = {
        "section": section,
        "csrf_token": console.csrf_token,
        "webhook_url": hook.url if hook else None,
        "live_view": live.key if live else None,
        "live_since": since,
    }
    response = aiohttp_jinja2.render_template(template, request, {**base, **context}, status=status)
    response.headers.update(SECURITY_HEADERS)
    return response


def _problem(request: web.Request, status: int, title: str, message: str) -> web.Response:
    since = console_of(request).broadcaster.changes
    return _render(request, "problem.html", "", {"title": title, "message": message}, since=since, status=status)


async def _form(request: web.Request) -> dict[str, str] | web.Response:
    """The posted form's fields when it carries this console's CSRF token, else the 403 page to answer with."""
    posted = await request.post()
    form = {key: value for key, value in posted.items() if isinstance(value, str)}  # files are never expected
    token = form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
    expected = console_of(request).csrf_token
    if not hmac.compare_digest(token.encode(), expected.encode()):
        message = "This form did not come from this server's console: reload the page and try again."
        return _problem(request, 403, "Form expired", message)
    return form


def _field(form: dict[str, str], name: str) -> str:
    return form.get(name, "").strip()


# -- pages -------------------------------------------------------------------------------------------


@routes.get("/")
async def calls_page(request: web.Request) -> web.Response:
    """Calls, newest first: filters, pages of 50, kept live."""
    console = console_of(request)
    since = console.broadcaster.changes
    try:
        filters = pages.parse_filters(request.query)
    except ValueError as exc:
        return _problem(request, 400, "Invalid filter", str(exc))
    context = await pages.calls_context(console, filters, full=True)
    context["started"] = pages.started_notice(request.query)
    view = pages.calls_view(console, filters)
    return _render(request, "calls.html", "calls", context, since=since, live=view)


@routes.get("/calls/{call_id}")
async def call_page(request: web.Request) -> web.Response:
    """One call, with the platform's tabs: transcript, logs, recording, webhooks."""
    console = console_of(request)
    since = console.broadcaster.changes
    call_id = request.match_info["call_id"]
    tab = request.query.get("tab", "transcript")
    if tab not in pages.CALL_TABS:
        return _problem(request, 400, "Invalid tab", f"tab must be one of {', '.join(pages.CALL_TABS)}, got {tab!r}.")
    context = await pages.call_context(console, call_id, tab)
    if context is None:
        return _problem(request, 404, "Call not found", f"No call with id {call_id!r} on this server or in its log.")
    context["replayed"] = request.query.get("replayed")
    view = pages.call_view(console, call_id, tab)
    return _render(request, "call.html", "calls", context, since=since, live=view)


# The <audio> element cannot send the Calls API's key: the console serves the same recording at its own path.
routes.get("/calls/{call_id}/recording.wav")(get_audio)


@routes.get("/deployments")
async def deployments_page(request: web.Request) -> web.Response:
    """Deployments seen in the calls, each linking to its calls."""
    console = console_of(request)
    since = console.broadcaster.changes
    try:
        page = pages.page_number(request.query.get("page"))
    except ValueError as exc:
        return _problem(request, 400, "Invalid page", str(exc))
    context = await pages.deployments_context(console, page)
    return _render(request, "deployments.html", "deployments", context, since=since)


@routes.get("/webhooks")
async def webhooks_page(request: web.Request) -> web.Response:
    """The registered webhooks: change the URL, rotate the secret."""
    console = console_of(request)
    notice = "URL saved: the next delivery goes there." if request.query.get("saved") else None
    return _render(request, "webhooks.html", "webhooks", _webhooks(console, notice=notice), since=0)


def _webhooks(console: Console, **extra: Any) -> dict[str, Any]:
    webhooks = console.services.webhooks
    defaults = {"notice": None, "error": None, "error_hook": None, "new_secret": None, "new_secret_hook": None}
    return {"hooks": webhooks.all(), "active_id": webhooks.active_id, **defaults, **extra}


@routes.get("/start")
async def start_page(request: web.Request) -> web.Response:
    """Start calls: a bundled scenario, with calls, outcome mix, domain, pacing and faults to override."""
    context = await pages.start_context(console_of(request), StartForm())
    return _render(request, "start.html", "start", context, since=0)


@routes.get("/test")
async def test_page(request: web.Request) -> web.Response:
    """Test your endpoint: run the contract check against the current webhook, see the last report."""
    console = console_of(request)
    since = console.broadcaster.changes
    view = pages.test_view(console)
    return _render(request, "test.html", "test", pages.test_context(console), since=since, live=view)


@routes.get("/_console/events")
async def events(request: web.Request) -> web.StreamResponse:
    """Server-sent events for a page's live view (``view``: the key the page was rendered with)."""
    console = console_of(request)
    view = pages.resolve_view(console, request.query.get("view", ""))
    if view is None:
        raise web.HTTPNotFound(text="Unknown live view: reload the page.")
    since_text = request.query.get("since", "")
    since = int(since_text) if since_text.isdigit() else None
    return await console.broadcaster.stream(request, view, since=since)


@routes.get("/_console/stats")
async def stats(request: web.Request) -> web.Response:
    """How much the live updates cost so far: open streams, flushes, seconds spent rendering (for benchmarks)."""
    broadcaster = console_of(request).broadcaster
    return web.json_response(
        {
            "subscribers": broadcaster.subscribers,
            "changes": broadcaster.changes,
            "flushes": broadcaster.flushes,
            "render_seconds": round(broadcaster.render_seconds, 4),
        }
    )


# -- actions -----------------------------------------------------------------------------------------


@routes.post("/deliveries/{delivery_id}/replay")
async def replay(request: web.Request) -> web.Response:
    """Re-send a logged delivery to the current webhook; show the call's deliveries with the new one."""
    form = await _form(request)
    if isinstance(form, web.Response):
        return form
    console = console_of(request)
    try:
        delivery = await console.services.operations.replay(request.match_info["delivery_id"])
    except HarnessError as exc:
        return _problem(request, 400, "Cannot replay", str(exc))
    if delivery.call_id:
        console.broadcaster.touch(delivery.call_id)
        raise web.HTTPSeeOther(f"/calls/{delivery.call_id}?tab=webhooks&replayed={delivery.id}#{delivery.id}")
    raise web.HTTPSeeOther("/")


async def _webhook_form(request: web.Request) -> tuple[Console, dict[str, str], Webhook] | web.Response:
    """The console, the posted form and the webhook it changes; else the page to answer with (403, 404)."""
    form = await _form(request)
    if isinstance(form, web.Response):
        return form
    console = console_of(request)
    hook = console.services.webhooks.get(request.match_info["webhook_id"])
    if hook is None:
        return _problem(request, 404, "Webhook not found", "No such webhook: reload the Webhooks page.")
    return console, form, hook


@routes.post("/webhooks/{webhook_id}/url")
async def change_url(request: web.Request) -> web.Response:
    """Point a webhook at another URL; used from the next delivery."""
    posted = await _webhook_form(request)
    if isinstance(posted, web.Response):
        return posted
    console, form, hook = posted
    url = _field(form, "url")
    try:
        if any(ord(char) < 32 or ord(char) == 127 for char in url):
            raise HarnessError(f"URL {url!r}: control characters (such as a line break) cannot be part of a URL")
        require_http_url(url, "URL")
    except HarnessError as exc:
        context = _webhooks(console, error=str(exc), error_hook=hook.id)
        return _render(request, "webhooks.html", "webhooks", context, since=0, status=400)
    console.services.webhooks.update(hook.id, Endpoint(url, hook.secret))
    raise web.HTTPSeeOther("/webhooks?saved=1")


@routes.post("/webhooks/{webhook_id}/rotate")
async def rotate_secret(request: web.Request) -> web.Response:
    """Give a webhook a new secret (typed in, or generated) and show it this once."""
    posted = await _webhook_form(request)
    if isinstance(posted, web.Response):
        return posted
    console, form, hook = posted
    secret = _field(form, "secret") or pages.new_secret()
    if len(secret) > pages.MAX_SECRET or any(ord(char) < 33 or ord(char) > 126 for char in secret):
        message = f"A secret is 1 to {pages.MAX_SECRET} visible ASCII characters (it travels in an HTTP header)."
        return _render(request, "webhooks.html", "webhooks", _webhooks(console, error=message), since=0, status=400)
    console.services.webhooks.update(hook.id, Endpoint(hook.url, secret))
    context = _webhooks(console, new_secret=secret, new_secret_hook=hook.id)
    return _render(request, "webhooks.html", "webhooks", context, since=0)


@routes.post("/start")
async def start_calls(request: web.Request) -> web.Response:
    """Start the chosen scenario with the overrides filled in; then show the calls list."""
    form = await _form(request)
    if isinstance(form, web.Response):
        return form
    console = console_of(request)
    start = StartForm.from_form(form)
    try:
        overrides = start.overrides()
        # Only the scenarios the server offers (bundled, --scenarios folders): a form never names a file.
        base = await console.services.scenarios.load(start.scenario)
        scenario = scenario_with_params(base, overrides, source="the form")
        call_ids = await console.services.operations.start_calls(scenario)
    except (HarnessError, ValueError) as exc:
        context = await pages.start_context(console, start, error=str(exc))
        return _render(request, "start.html", "start", context, since=0, status=400)
    raise web.HTTPSeeOther(f"/?started={len(call_ids)}&scenario={start.scenario}")


@routes.post("/test")
async def run_test(request: web.Request) -> web.Response:
    """Start a contract check of the current webhook (one at a time); the test page follows it live."""
    form = await _form(request)
    if isinstance(form, web.Response):
        return form
    console = console_of(request)
    hook = console.services.webhooks.active
    probe = _field(form, "probe") or None
    try:
        if hook is None:
            raise HarnessError("no webhook to check: pass --to URL to harness serve, or POST /agents/webhooks")
        if probe is not None:
            require_http_url(probe, "probe URL")
        db = console.services.config.db_path
        console.checks.start(hook.url, hook.secret, probe, db=None if str(db) == ":memory:" else db)
    except HarnessError as exc:
        context = {**pages.test_context(console), "error": str(exc), "probe": probe or ""}
        since = console.broadcaster.changes
        return _render(request, "test.html", "test", context, since=since, live=pages.test_view(console), status=400)
    raise web.HTTPSeeOther("/test")
