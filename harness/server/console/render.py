"""The console's Jinja2 environment (autoescaping, templates from the package) and its display filters."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp_jinja2
import jinja2
from aiohttp import web

from harness._redact import mask_text, mask_url
from harness.failure_kind import Source
from harness.models import Timestamp

__all__ = ["JSON_DISPLAY_LIMIT", "STATIC", "TEMPLATES", "mask_secrets", "pretty_json", "setup_templates", "shown_url"]

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
# Characters of a body shown on a page; the full body stays one link away in the control API.
JSON_DISPLAY_LIMIT = 32 * 1024


def setup_templates(app: web.Application, secrets: Callable[[], Iterable[str]]) -> jinja2.Environment:
    """Attach the environment to ``app``; ``secrets`` gives the webhook secrets to mask wherever text is shown."""
    env = aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        default_helpers=False,
        undefined=jinja2.StrictUndefined,  # a typo in a template is an error in the tests, not a blank
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        clock=clock,
        timestamp=timestamp,
        seconds=seconds,
        offset=offset,
        milliseconds=milliseconds,
        shown_url=shown_url,
        masked=lambda text: mask_secrets(str(text), secrets()),
        query=lambda params: urlencode(params),
    )
    env.globals["CAPTURED"] = Source.CAPTURED  # the scenario name of calls harness listen captured
    return env


def clock(epoch: float | None) -> str:
    """``2026-11-29 22:07:31`` (UTC) from Unix time."""
    if epoch is None:
        return "—"
    try:
        return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S")
    except (ValueError, OverflowError, OSError):  # beyond years 1-9999: a captured payload can say anything
        return "—"


def timestamp(value: str | None) -> str:
    """An RFC 3339 timestamp as ``2026-11-29 22:07:31`` (UTC), or as given when it does not parse."""
    if not value:
        return "—"
    try:
        nanoseconds = Timestamp.parse(value).nanoseconds
    except ValueError:
        return value
    shown = clock(nanoseconds / 1e9)
    return value if shown == "—" else shown


def seconds(value: float | None) -> str:
    """A duration as ``2:05`` (minutes:seconds) or ``42 s``."""
    if value is None:
        return "—"
    whole = round(value)
    return f"{whole // 60}:{whole % 60:02d}" if whole >= 60 else f"{value:.1f} s"


def offset(value: Any) -> str:
    """Seconds from the start of a call as ``01:02.3``."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return "—"
    minutes, rest = divmod(float(value), 60)
    return f"{int(minutes):02d}:{rest:04.1f}"


def milliseconds(value: float | None) -> str:
    """Seconds as ``12.3 ms``."""
    return "—" if value is None else f"{value * 1000:.1f} ms"


def shown_url(url: str | None) -> str:
    """A URL with any password replaced by ``***``."""
    return mask_url(url) if url else "—"


def mask_secrets(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every form of each secret (as is, URL-encoded, JSON-escaped) replaced by ``***``.

    A receiver may echo what it was sent; the log already stores such echoes masked, this masks what is shown.
    """
    return mask_text(text, secrets)


def pretty_json(data: bytes | str, limit: int = JSON_DISPLAY_LIMIT) -> tuple[str, bool]:
    """Indented JSON when ``data`` parses as JSON, else the text itself; cut at ``limit`` characters.

    Returns the text and whether it was cut.
    """
    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    with contextlib.suppress(ValueError, RecursionError):  # not JSON: shown as the text it is
        text = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    return (text[:limit], True) if len(text) > limit else (text, False)
