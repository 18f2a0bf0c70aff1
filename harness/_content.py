"""What simulated callers say about themselves: names, companies, addresses, e-mails, codes and dates.

Faker makes the text in several locales, but building one name or address costs it 50-130 µs (it
formats templates through regular expressions), which made faker most of the simulator's cost. So each
(locale, kind) has :data:`POOL_SIZE` slots, and slot ``i`` is filled on first use by a faker seeded from
(locale, kind, i) alone: its value never depends on which calls ran before or in which thread, so the
same seed still gives the same bytes. A call picks slots with its own random generator. Codes, numbers
and dates are drawn from that generator directly (faker's ``date_of_birth`` would also count from the
real today, so the same seed gave other bytes on another day).
"""

from __future__ import annotations

import random
import string
import threading
from collections.abc import Callable
from datetime import date, timedelta

from faker import Faker

from harness._seeds import derive_seed

__all__ = ["POOL_SIZE", "Content"]

# Slots per locale and kind: enough that calls rarely share a caller, few enough to fill quickly.
POOL_SIZE = 256

_KINDS: dict[str, Callable[[Faker], str]] = {
    "name": lambda fake: fake.name(),
    "company": lambda fake: fake.company(),
    # One line: the caller says it in one breath.
    "address": lambda fake: ", ".join(part.strip() for part in fake.address().splitlines() if part.strip()),
    "free_email": lambda fake: fake.ascii_free_email(),
    "city": lambda fake: fake.city(),
    "street_name": lambda fake: fake.street_name(),
    "sentence": lambda fake: fake.sentence(nb_words=6),
}
# (locale, kind) -> slots; a slot filled twice by two threads gets the same value, so no lock is needed.
_POOLS: dict[tuple[str, str], list[str | None]] = {}
# Per thread: a Faker carries its seed state, so two threads sharing one would interleave seeds.
_FAKERS = threading.local()


def _faker(locale: str) -> Faker:
    # Building a Faker is slow (it loads every provider), so one per locale and thread is kept.
    cache: dict[str, Faker] = _FAKERS.__dict__.setdefault("by_locale", {})
    fake = cache.get(locale)
    if fake is None:
        fake = cache[locale] = Faker(locale)
    return fake


def _slot(locale: str, kind: str, index: int) -> str:
    slots = _POOLS.get((locale, kind))
    if slots is None:
        slots = _POOLS.setdefault((locale, kind), [None] * POOL_SIZE)
    value = slots[index]
    if value is None:
        fake = _faker(locale)
        fake.seed_instance(derive_seed(locale, kind, index))
        value = slots[index] = _KINDS[kind](fake)
    return value


class Content:
    """One call's content in one locale, drawn with the call's own random generator."""

    __slots__ = ("locale", "rng")

    def __init__(self, locale: str, rng: random.Random) -> None:
        self.locale = locale
        self.rng = rng

    def _pooled(self, kind: str) -> str:
        return _slot(self.locale, kind, int(self.rng.random() * POOL_SIZE))

    def name(self) -> str:
        """A person's full name."""
        return self._pooled("name")

    def company(self) -> str:
        """A company name."""
        return self._pooled("company")

    def address(self) -> str:
        """A postal address on one line."""
        return self._pooled("address")

    def free_email(self) -> str:
        """An e-mail address at a free provider."""
        return self._pooled("free_email")

    def city(self) -> str:
        """A city."""
        return self._pooled("city")

    def street_name(self) -> str:
        """A street name."""
        return self._pooled("street_name")

    def sentence(self) -> str:
        """A six-word sentence, ending with a full stop."""
        return self._pooled("sentence")

    def pattern(self, template: str) -> str:
        """``template`` with each ``#`` a digit and each ``?`` a letter (faker's ``bothify``)."""
        rng = self.rng
        return "".join(
            string.digits[int(rng.random() * 10)]
            if char == "#"
            else string.ascii_letters[int(rng.random() * 52)]
            if char == "?"
            else char
            for char in template
        )

    def random_int(self, low: int, high: int) -> int:
        """An integer from ``low`` to ``high``, both included."""
        return low + int(self.rng.random() * (high - low + 1))

    def date_of_birth(self, today: date, *, minimum_age: int, maximum_age: int) -> date:
        """A birthday of someone ``minimum_age`` to ``maximum_age`` years old on ``today``."""
        earliest = _years_before(today, maximum_age + 1) + timedelta(days=1)
        latest = _years_before(today, minimum_age)
        return earliest + timedelta(days=self.random_int(0, (latest - earliest).days))


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February, in a year that has none
        return day.replace(year=day.year - years, day=28)
