"""Call content from faker pools: the same seed gives the same words whatever ran before, in any thread."""

from __future__ import annotations

import random
import re
import threading
from datetime import date

import pytest

from harness import _content
from harness._content import POOL_SIZE, Content
from harness.generate import LOCALES


def draw(locale: str, seed: int) -> list[str]:
    content = Content(locale, random.Random(seed))
    return [content.name(), content.company(), content.address(), content.free_email(), content.city()]


def test_a_slot_holds_the_same_value_whatever_filled_the_pools_before(monkeypatch: pytest.MonkeyPatch) -> None:
    first = draw("de_DE", 7)
    monkeypatch.setattr(_content, "_POOLS", {})
    for seed in range(50):  # fill other slots first, in another order
        draw("de_DE", 1000 + seed)
    assert draw("de_DE", 7) == first


def test_threads_filling_the_same_pools_get_what_one_thread_gets(monkeypatch: pytest.MonkeyPatch) -> None:
    expected = {seed: draw("ja_JP", seed) for seed in range(40)}
    monkeypatch.setattr(_content, "_POOLS", {})
    results: dict[int, list[str]] = {}

    def work(seeds: range) -> None:
        for seed in seeds:
            results[seed] = draw("ja_JP", seed)

    threads = [threading.Thread(target=work, args=(range(start, 40, 4),)) for start in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == expected


def test_pools_are_bounded_and_hold_plausible_text() -> None:
    for locale in LOCALES:
        for seed in range(20):
            name, company, address, email, city = draw(locale, seed)
            assert name.strip()
            assert company.strip()
            assert "\n" not in address
            assert re.fullmatch(r"[^@\s]+@[^@\s]+\.[a-z]+", email)
            assert city.strip()
    assert all(len(slots) == POOL_SIZE for slots in _content._POOLS.values())


def test_patterns_replace_hashes_with_digits_and_question_marks_with_letters() -> None:
    content = Content("en_US", random.Random(3))
    for _ in range(100):
        assert re.fullmatch(r"APT-\d{4}[A-Za-z]{2}", content.pattern("APT-####??"))
    values = {content.random_int(5, 9) for _ in range(500)}
    assert values == {5, 6, 7, 8, 9}


@pytest.mark.parametrize("today", [date(2026, 3, 2), date(2028, 2, 29), date(2026, 12, 31)])
def test_birthdays_give_the_ages_asked_for_on_the_calls_day(today: date) -> None:
    content = Content("en_GB", random.Random(11))
    for _ in range(300):
        born = content.date_of_birth(today, minimum_age=18, maximum_age=90)
        age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
        assert 18 <= age <= 90
