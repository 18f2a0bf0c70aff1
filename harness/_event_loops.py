"""How the command line runs: on which asyncio event loop, and with which interpreter settings.

The loop is uvloop when installed, unless ``$HARNESS_LOOP`` says: uvloop (libuv under asyncio's API) delivers
more webhooks per second from ``harness send`` and ``harness serve`` (see BENCHMARKS.md); ``HARNESS_LOOP=asyncio``
falls back to the standard loop, for comparison or when a problem is suspected in one of them. The interpreter
gets a shorter switch interval and a rarer garbage collection (``interpreter_tuning``). The library itself never
picks a loop or changes the interpreter: code that embeds ``MockServer`` or ``Deliverer`` runs as it is given.
"""

from __future__ import annotations

import asyncio
import gc
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from harness.errors import ConfigError

__all__ = ["GC_THRESHOLDS", "LOOP_ENV", "SWITCH_INTERVAL", "chosen_loop", "event_loop_policy", "interpreter_tuning"]

LOOP_ENV = "HARNESS_LOOP"
# The two interpreter settings the command line runs with (interpreter_tuning), each measured in harness send
# to the minimal receiver (BENCHMARKS.md). Only the command line sets them: a library leaves its host's alone.
# Seconds a thread may keep the GIL while another waits for it (Python's default: 5 ms). The event loop shares
# the interpreter with the delivery log's writer thread, whose Python work in a batch (ms of it under load)
# could hold the loop for that long: 1 ms bounds the stall (3 - 5 % more deliveries per second).
SWITCH_INTERVAL = 0.001
# Allocations between collections of the youngest generation (Python's default: 700), then the default ratios.
# A delivery allocates dozens of short-lived objects, nearly all freed by their reference counts; at 700 the
# collector ran every few deliveries and, every hundred runs, went through every object of the planned calls
# (5 - 7 % more deliveries per second at 10,000; garbage cycles wait at most that many allocations longer).
GC_THRESHOLDS = (10_000, 10, 10)
_CHOICES = ("auto", "asyncio", "uvloop")


def chosen_loop() -> str:
    """``asyncio`` or ``uvloop``: ``$HARNESS_LOOP``, or for ``auto`` (the default) uvloop when it is installed."""
    wanted = os.environ.get(LOOP_ENV, "auto").strip().lower() or "auto"
    if wanted not in _CHOICES:
        raise ConfigError(f"{LOOP_ENV}={wanted!r}: expected one of {', '.join(_CHOICES)}")
    if wanted == "asyncio":
        return "asyncio"
    try:
        import uvloop  # noqa: F401  (only asks whether it is installed)
    except ImportError as exc:
        if wanted == "uvloop":
            raise ConfigError(f"{LOOP_ENV}=uvloop, but uvloop is not installed: pip install uvloop") from exc
        return "asyncio"
    return "uvloop"


@contextmanager
def event_loop_policy() -> Iterator[str]:
    """Run the block with the chosen loop's policy (``asyncio.run`` then makes that loop); the old one after."""
    name = chosen_loop()
    if name == "asyncio":
        yield name
        return
    import uvloop

    previous = asyncio.get_event_loop_policy()
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    try:
        yield name
    finally:
        asyncio.set_event_loop_policy(previous)


@contextmanager
def interpreter_tuning() -> Iterator[None]:
    """Run the block with the switch interval at ``SWITCH_INTERVAL`` and the collector's thresholds at
    ``GC_THRESHOLDS``; both as they were after."""
    interval, thresholds = sys.getswitchinterval(), gc.get_threshold()
    sys.setswitchinterval(SWITCH_INTERVAL)
    gc.set_threshold(*GC_THRESHOLDS)
    try:
        yield
    finally:
        sys.setswitchinterval(interval)
        gc.set_threshold(*thresholds)
