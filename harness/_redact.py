"""Keep secrets out of everything the harness shows or stores: URL passwords and webhook secret values.

A receiver can echo what it was sent (in a header, in its body, in an error page); a webhook URL can carry
``user:password@``. Whatever is printed, logged, stored in the delivery log or rendered goes through here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from urllib.parse import quote, unquote_plus, urlsplit, urlunsplit

__all__ = ["MASK", "MIN_SEARCHED_LENGTH", "has_masked_password", "mask_bytes", "mask_text", "mask_url", "secret_forms"]

MASK = "***"
# Shorter secrets are masked in the secret header, but not searched for in echoed text: a secret like "s"
# matches ordinary text everywhere (and guards nothing).
MIN_SEARCHED_LENGTH = 6


def secret_forms(secret: str) -> list[str]:
    """The ways ``secret`` can appear in echoed text: as is, URL-encoded (two ways), JSON-escaped; longest first."""
    forms = {secret, quote(secret, safe=""), quote(secret), json.dumps(secret)[1:-1]}
    return sorted((form for form in forms if form), key=len, reverse=True)


def mask_text(text: str, secrets: Iterable[str | None]) -> str:
    """``text`` with every form of every non-empty secret replaced by ``***``."""
    for secret in secrets:
        if secret and len(secret) >= MIN_SEARCHED_LENGTH:
            for form in secret_forms(secret):
                text = text.replace(form, MASK)
    return text


def mask_bytes(data: bytes, secrets: Iterable[str | None]) -> bytes:
    """:func:`mask_text` on bytes, without decoding them (a binary body stays byte for byte what it was)."""
    for secret in secrets:
        if secret and len(secret) >= MIN_SEARCHED_LENGTH:
            for form in secret_forms(secret):
                data = data.replace(form.encode("utf-8"), MASK.encode())
    return data


def mask_url(url: str, secrets: Iterable[str | None] = ()) -> str:
    """``url`` with the password of ``user:password@`` (and any secret in it, say in the query) masked.

    A query parameter whose whole value is a secret is masked whatever the secret's length: there, unlike in
    echoed text, a short secret cannot be mistaken for ordinary text.
    """
    given = [secret for secret in secrets if secret]
    try:
        parts = urlsplit(url)
        has_password = parts.password is not None
    except ValueError:  # not a URL we can take apart: mask what we can see
        return mask_text(url, given)
    query = _masked_query(parts.query, set(given))
    if has_password or query != parts.query:
        netloc = parts.netloc
        if has_password:
            userinfo, _, hostport = netloc.rpartition("@")
            netloc = f"{userinfo.split(':', 1)[0]}:{MASK}@{hostport}"
        url = urlunsplit(parts._replace(netloc=netloc, query=query))
    return mask_text(url, given)


def _masked_query(query: str, secrets: set[str]) -> str:
    if not query or not secrets:
        return query
    items = []
    for item in query.split("&"):
        name, equals, value = item.partition("=")
        items.append(f"{name}={MASK}" if equals and unquote_plus(value) in secrets else item)
    return "&".join(items)


def has_masked_password(url: str) -> bool:
    """True when ``url`` carries a password that was masked before it was stored."""
    try:
        return urlsplit(url).password == MASK
    except ValueError:
        return False
