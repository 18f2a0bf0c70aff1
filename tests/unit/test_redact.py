"""Masking: URL passwords and every form of a secret a receiver might echo."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from harness._redact import MASK, has_masked_password, mask_bytes, mask_text, mask_url

SECRET = 'whsec/with+odd chars&"quotes"'


@pytest.mark.parametrize("form", [SECRET, quote(SECRET, safe=""), quote(SECRET), json.dumps(SECRET)[1:-1]])
def test_every_echoed_form_of_the_secret_is_masked(form: str) -> None:
    text = f"before {form} after"
    assert mask_text(text, [SECRET]) == f"before {MASK} after"
    assert mask_bytes(text.encode(), [SECRET]) == f"before {MASK} after".encode()


def test_bytes_that_are_not_text_stay_as_they_were() -> None:
    data = b"\xff\xfe" + SECRET.encode() + b"\x00"
    assert mask_bytes(data, [SECRET]) == b"\xff\xfe***\x00"


def test_empty_none_and_very_short_secrets_are_not_searched_for() -> None:
    assert mask_text("sss", [None, "", "s"]) == "sss"


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("http://user:pw@host:8000/hook?x=1", "http://user:***@host:8000/hook?x=1"),
        ("https://user:p%40ss@[::1]/hook", "https://user:***@[::1]/hook"),
        ("http://user@host/hook", "http://user@host/hook"),
        ("http://host/hook", "http://host/hook"),
        ("http://[::1/broken", "http://[::1/broken"),
    ],
)
def test_a_password_in_a_url_is_masked(url: str, masked: str) -> None:
    assert mask_url(url) == masked
    assert has_masked_password(masked) == (masked != url)


def test_a_secret_in_a_url_query_is_masked_too() -> None:
    assert mask_url(f"http://h/hook?secret={quote(SECRET, safe='')}", [SECRET]) == "http://h/hook?secret=***"


def test_a_short_secret_is_masked_where_it_is_a_whole_query_value() -> None:
    # Too short to search for in echoed text, but a query value equal to it is certainly the secret.
    url = "http://h/hook?page=2&token=abc&secret=ab%2Bc&other=abcd#frag"
    assert mask_url(url, ["abc", "ab+c"]) == "http://h/hook?page=2&token=***&secret=***&other=abcd#frag"
    assert mask_url(url, []) == url
