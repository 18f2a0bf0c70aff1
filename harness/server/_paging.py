"""Cursor pages as the platform's list endpoints serve them: ``limit``, ``starting_after``, ``ending_before``.

The official clients page forward by asking again with ``starting_after=<last id>`` until ``data`` is
empty (they ignore ``has_more`` and ``next_page``), so the page after the last item is a 200 with an
empty ``data``. A cursor naming no item of the list is a 400: the platform's answer is not published,
and failing loudly beats silently restarting from the top.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from harness.server._http import fail

__all__ = ["DEFAULT_LIMIT", "MAX_LIMIT", "Page", "cursor_page", "list_body", "parse_limit"]

MAX_LIMIT = 100
DEFAULT_LIMIT = 10

T = TypeVar("T")
Page = tuple[list[T], bool, str | None]


def parse_limit(query: Mapping[str, str]) -> int:
    """``limit`` from the query: an integer from 1 to 100, 10 when absent; anything else is a 400."""
    raw = query.get("limit")
    if raw is None:
        return DEFAULT_LIMIT
    try:
        limit = int(raw)
    except ValueError:
        fail(400, "Invalid limit", f"limit must be an integer from 1 to {MAX_LIMIT}, got {raw!r}.")
    if not 1 <= limit <= MAX_LIMIT:
        fail(400, "Invalid limit", f"limit must be an integer from 1 to {MAX_LIMIT}, got {limit}.")
    return limit


def cursor_page(items: Sequence[T], query: Mapping[str, str], *, id_of: Callable[[T], str], what: str) -> Page[T]:
    """One page of ``items`` (already in list order) for the query's limit and cursor.

    Returns ``(page, has_more, next_page)``; ``next_page`` is the id to pass as the next cursor, or None.
    """
    limit = parse_limit(query)
    after, before = query.get("starting_after") or None, query.get("ending_before") or None
    if after and before:
        fail(400, "Invalid cursor", "Pass starting_after or ending_before, not both.")
    cursor = after or before
    position = {id_of(item): index for index, item in enumerate(items)}
    if cursor is not None and cursor not in position:
        fail(400, "Invalid cursor", f"No {what} with id {cursor!r} in this list; start again without a cursor.")
    if before is not None:
        end = position[before]
        page = list(items[max(0, end - limit) : end])
        has_more = end - limit > 0
        return page, has_more, id_of(page[0]) if has_more and page else None
    start = position[after] + 1 if after is not None else 0
    page = list(items[start : start + limit])
    has_more = start + limit < len(items)
    return page, has_more, id_of(page[-1]) if has_more and page else None


def list_body(data: list[Any], has_more: bool, next_page: str | None) -> dict[str, Any]:
    """The platform's list envelope."""
    return {"data": data, "has_more": has_more, "next_page": next_page}
