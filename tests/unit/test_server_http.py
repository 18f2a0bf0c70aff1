"""The server's error shape by Cartesia-Version, and cursor pages as the platform's list endpoints serve them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from aiohttp import web

from harness.server._http import error_body, query_flag, versioned_errors
from harness.server._paging import cursor_page


@pytest.mark.parametrize(
    ("version", "current"),
    [
        (None, False),
        ("2024-06-10", False),
        ("2025-04-16", False),
        ("2026-02-28", False),
        ("2026-03-01", True),
        ("2026-08-14", True),
        ("nightly", True),
    ],
)
def test_the_error_shape_follows_the_api_version(version: str | None, current: bool) -> None:
    assert versioned_errors(version) is current
    body = error_body(404, "Call not found", "No call with id 'x'.", version=version)
    if current:
        assert body["error_code"] == "not_found"
        assert (body["title"], body["message"]) == ("Call not found", "No call with id 'x'.")
        assert uuid.UUID(body["request_id"]).version == 4
    else:
        assert body == {"message": "Call not found", "description": "No call with id 'x'."}


@dataclass
class Item:
    id: str


ITEMS = [Item(f"i{n}") for n in range(7)]


def page(**query: str) -> tuple[list[str], bool, str | None]:
    items, has_more, next_page = cursor_page(ITEMS, query, id_of=lambda item: item.id, what="item")
    return [item.id for item in items], has_more, next_page


def test_forward_and_backward_pages() -> None:
    assert page(limit="3") == (["i0", "i1", "i2"], True, "i2")
    assert page(limit="3", starting_after="i2") == (["i3", "i4", "i5"], True, "i5")
    assert page(limit="3", starting_after="i5") == (["i6"], False, None)
    assert page(limit="3", starting_after="i6") == ([], False, None)  # past the last item: an empty 200
    assert page(limit="2", ending_before="i4") == (["i2", "i3"], True, "i2")
    assert page(limit="5", ending_before="i2") == (["i0", "i1"], False, None)
    assert page() == ([item.id for item in ITEMS], False, None)  # limit defaults to 10


@pytest.mark.parametrize(
    "query",
    [
        {"limit": "0"},
        {"limit": "101"},
        {"limit": "ten"},
        {"starting_after": "nope"},
        {"starting_after": "i1", "ending_before": "i3"},
    ],
)
def test_bad_paging_is_a_400(query: dict[str, str]) -> None:
    with pytest.raises(web.HTTPBadRequest):
        page(**query)


def test_true_and_false_query_parameters_take_the_same_words_everywhere() -> None:
    assert [query_flag(word, "ok") for word in ("true", "1", "yes", "on", "TRUE")] == [True] * 5
    assert [query_flag(word, "ok") for word in ("false", "0", "no", "off", "False")] == [False] * 5
    assert (query_flag(None, "ok"), query_flag("", "ok")) == (None, None)
    with pytest.raises(ValueError, match="field \"failed\": expected true or false, got 'maybe'"):
        query_flag("maybe", "failed")
