"""Secrets a receiver echoes back (in a header, its body, an error quoting its bytes) are masked before kept."""

from __future__ import annotations

import base64
import functools
from typing import AnyStr
from urllib.parse import unquote, urlsplit

from harness._redact import MIN_SEARCHED_LENGTH, mask_bytes, mask_text, mask_url, secret_forms
from harness.delivery.records import Attempt

__all__ = ["mask_echoes", "masked_url", "url_credentials"]


def mask_echoes(attempt: Attempt, secrets: tuple[str, ...]) -> None:
    """Mask every secret a receiver echoed back (headers, body, an error quoting its bytes) before it is kept.

    Masking runs per delivery, so it first asks whether any form of any secret is there at all (one search
    per form through the texts joined): almost no answer echoes one, and then nothing needs replacing.
    """
    forms = _searched_forms(secrets)
    if not forms:
        return
    headers = attempt.response_headers
    texts = "\n".join([*headers, *headers.values(), attempt.error or ""])
    if _found(forms, texts):
        attempt.response_headers = {mask_text(k, secrets): mask_text(v, secrets) for k, v in headers.items()}
        if attempt.error is not None:
            attempt.error = mask_text(attempt.error, secrets)
    body = attempt.response_body
    if body and _found(_searched_bytes(secrets), body):
        attempt.response_body = mask_bytes(body, secrets)


def _found(forms: tuple[AnyStr, ...], text: AnyStr) -> bool:
    # A loop, not any() over a generator: this runs twice per delivery, and the generator cost more than the search.
    for form in forms:  # noqa: SIM110
        if form in text:
            return True
    return False


@functools.lru_cache(maxsize=64)
def _searched_forms(secrets: tuple[str, ...]) -> tuple[str, ...]:
    """Every form of every secret that :func:`mask_text` replaces (the same secrets give the same forms)."""
    return tuple(
        dict.fromkeys(form for secret in secrets if len(secret) >= MIN_SEARCHED_LENGTH for form in secret_forms(secret))
    )


@functools.lru_cache(maxsize=64)
def _searched_bytes(secrets: tuple[str, ...]) -> tuple[bytes, ...]:
    return tuple(form.encode() for form in _searched_forms(secrets))


@functools.lru_cache(maxsize=256)
def masked_url(target: str, secrets: tuple[str, ...]) -> str:
    """``target`` as recorded and shown: a password or secret in it masked (cached: a deliverer posts to the
    same few URLs with the same secrets thousands of times)."""
    return mask_url(target, secrets)


@functools.lru_cache(maxsize=256)
def url_credentials(target: str) -> tuple[str, ...]:
    """The password in ``target``, and the Basic credentials the request carries for it: a receiver may echo
    either (an ``Authorization`` header sent back, a framework's debug page), so both are masked like secrets."""
    try:
        parts = urlsplit(target)
        password = parts.password
    except ValueError:  # not a URL the client would send to either
        return ()
    if not password:
        return ()
    pair = f"{unquote(parts.username or '')}:{unquote(password)}"
    return (unquote(password), pair, base64.b64encode(pair.encode()).decode("ascii"))
