"""Derived seeds: fixed by their parts alone, distinct for distinct parts, within the bits asked for."""

from __future__ import annotations

import hashlib

import pytest

from harness._seeds import derive_seed
from harness.generate import derive_seed as generate_derive_seed


def test_a_derived_seed_is_blake2b_of_the_parts_joined_by_colons() -> None:
    expected = int.from_bytes(hashlib.blake2b(b"7:3", digest_size=8).digest(), "big")
    assert derive_seed(7, 3) == expected
    assert derive_seed("7", "3") == expected


def test_the_generator_exports_the_same_function() -> None:
    assert generate_derive_seed is derive_seed


@pytest.mark.parametrize("bits", [16, 64, 128])
def test_a_derived_seed_fits_its_bits_and_differs_by_part(bits: int) -> None:
    seeds = {derive_seed(1, index, bits=bits) for index in range(200)}
    assert all(0 <= seed < 2**bits for seed in seeds)
    assert len(seeds) > 190
    assert derive_seed("a", "b", bits=bits) != derive_seed("b", "a", bits=bits)
