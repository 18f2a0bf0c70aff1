"""Seeds derived from other seeds: how every seeded part of the harness gets a stream of its own.

A call in a sequence, a scenario's planner, a check's payloads, a faker pool slot: each gets its seed from
:func:`derive_seed` over the seed it starts from and the names and numbers that tell it apart, so that the
same inputs give the same bytes on every Python version and platform (``hash()`` is salted per process,
``random.Random(str)`` is not documented to be stable).
"""

from __future__ import annotations

import hashlib

__all__ = ["derive_seed"]


def derive_seed(*parts: object, bits: int = 64) -> int:
    """A non-negative integer of ``bits`` bits (8 to 512, a multiple of 8) fixed by ``parts``.

    ``derive_seed(seed, index)`` is the seed of call ``index`` of a sequence started from ``seed``. Parts are
    joined by ``:`` as text, so ``derive_seed(7, 1)`` equals ``derive_seed("7", "1")``.
    """
    text = ":".join(str(part) for part in parts)
    digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=bits // 8).digest()
    return int.from_bytes(digest, "big")
