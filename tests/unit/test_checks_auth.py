"""Secret variants and reproductions: the right header values, and shell commands that never print the secret."""

from __future__ import annotations

import os
import shutil
import subprocess
from urllib.parse import parse_qsl

import pytest
from aiohttp import web
from aiohttp.typedefs import Handler

from harness.checks.auth import CORRECT, NO_HEADER, SECRET_ENV, Auth
from harness.checks.reproduce import INLINE_BODY_LIMIT, curl_command, replay_command
from harness.checks.secret import BAD_SECRETS, CASE_VARIANT, EMPTY, IN_QUERY, PREFIX, SUFFIX, WRONG
from harness.delivery import Delivery
from harness.receiver import create_app
from harness.serving import serve_app

SECRET = "whsec_Test_0123/+=&?"
BODY = b'{"type":"call_started","call_id":"ac_1","note":"it\'s \\"quoted\\" $HOME `id`"}'


def test_header_values_of_each_variant() -> None:
    assert CORRECT.headers(SECRET)["X-Webhook-Secret"] == SECRET
    assert "X-Webhook-Secret" not in NO_HEADER.headers(SECRET)
    assert EMPTY.headers(SECRET)["X-Webhook-Secret"] == ""
    assert WRONG.value(SECRET) not in (SECRET, "")
    assert PREFIX.value(SECRET) == SECRET[:-1]
    assert SUFFIX.value(SECRET) == SECRET + "x"
    assert CASE_VARIANT.value(SECRET) == "WHSEC_tEST_0123/+=&?"
    assert all(h["Content-Type"] == "application/json" for h in (a.headers(SECRET) for a in BAD_SECRETS))


def test_query_variant_puts_the_url_encoded_secret_in_each_parameter_and_no_header() -> None:
    url = IN_QUERY.url("http://127.0.0.1:1/webhooks", SECRET)
    assert url.startswith("http://127.0.0.1:1/webhooks?secret=whsec_Test_0123%2F%2B%3D%26%3F&token=")
    assert url.count("whsec_Test_0123%2F%2B%3D%26%3F") == len(IN_QUERY.query_names)
    assert "X-Webhook-Secret" not in IN_QUERY.headers(SECRET)
    assert IN_QUERY.url("http://h/w?a=1", "s").startswith("http://h/w?a=1&secret=s")


@pytest.mark.parametrize("auth", [CORRECT, *BAD_SECRETS], ids=lambda a: a.label)
def test_the_curl_command_never_contains_the_secret(auth: Auth) -> None:
    delivery = Delivery(id="dlv_1", url="http://127.0.0.1:1/webhooks", body=BODY)
    command = curl_command(delivery, auth, "http://127.0.0.1:1/webhooks")
    for derived in (SECRET, SECRET[:-1], SECRET.swapcase(), "whsec_Test"):
        assert derived not in command


def test_a_large_body_is_not_pasted_and_replay_names_the_log() -> None:
    delivery = Delivery(id="dlv_2", url="http://h/w", body=b"x" * (INLINE_BODY_LIMIT + 1))
    command = curl_command(delivery, CORRECT, "http://h/w")
    assert "--data-binary @body.json" in command
    assert "xxxx" not in command
    assert "x" * (INLINE_BODY_LIMIT + 1) in curl_command(delivery, CORRECT, "http://h/w", inline_limit=10**6)
    assert replay_command(delivery, "/tmp/my log.db") == (
        f"harness replay dlv_2 --db '/tmp/my log.db'  # reads the secret from ${SECRET_ENV}"
    )


@pytest.mark.skipif(shutil.which("curl") is None or shutil.which("bash") is None, reason="needs curl and bash")
@pytest.mark.parametrize(
    ("auth", "status"),
    [
        (CORRECT, 200),
        (NO_HEADER, 401),
        (EMPTY, 401),
        (WRONG, 401),
        (PREFIX, 401),
        (SUFFIX, 401),
        (CASE_VARIANT, 401),
        (IN_QUERY, 401),
    ],
    ids=lambda value: value.label if isinstance(value, Auth) else str(value),
)
def test_the_curl_command_sends_the_same_request(auth: Auth, status: int) -> None:
    """Run the reproduction for real: the reference receiver must see exactly what the check sent."""
    seen: list[tuple[str, str | None]] = []
    app = create_app(SECRET)

    @web.middleware
    async def spy(request: web.Request, handler: Handler) -> web.StreamResponse:
        seen.append((request.query_string, request.headers.get("X-Webhook-Secret")))
        return await handler(request)

    app.middlewares.append(spy)
    with serve_app(app) as server:
        url = server.url + "/webhooks"
        command = curl_command(Delivery(id="dlv_3", url=url, body=BODY), auth, url)
        completed = subprocess.run(
            ["bash", "-c", command],
            capture_output=True,
            text=True,
            timeout=30,
            env={**os.environ, SECRET_ENV: SECRET},
            check=True,
        )
    assert completed.stdout.startswith(f"HTTP/1.1 {status}"), completed.stdout
    sent = auth.headers(SECRET).get("X-Webhook-Secret")
    query = IN_QUERY.url("", SECRET).lstrip("?") if auth is IN_QUERY else ""
    assert [(parse_qsl(q), h) for q, h in seen] == [(parse_qsl(query), sent)]
