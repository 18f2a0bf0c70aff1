"""Command-line pieces shared by the commands that read the delivery log: the --db option, one-line summaries."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from harness._environment import DB_ENV
from harness.delivery import Attempt, FailureKind
from harness.store import DEFAULT_DB_PATH

__all__ = ["DB_ENV", "add_db_argument", "default_db", "describe_attempt"]


def default_db() -> str:
    """The delivery log when no ``--db`` is given: $HARNESS_DB, else ``.harness/deliveries.db`` here."""
    return os.environ.get(DB_ENV) or str(DEFAULT_DB_PATH)


def add_db_argument(parser: argparse.ArgumentParser) -> None:
    """``--db PATH``, defaulting to :func:`default_db`."""
    parser.add_argument(
        "--db",
        type=Path,
        default=Path(default_db()),
        metavar="PATH",
        help=f"the delivery log (default: ${DB_ENV}, else {DEFAULT_DB_PATH})",
    )


def describe_attempt(attempt: Attempt) -> str:
    """``200 in 12 ms``, ``failed (refused) after 1 ms: connection refused ...``, ``unknown: ...`` or ``in flight``."""
    elapsed = f"{attempt.latency * 1000:.0f} ms"
    if attempt.ok:
        return f"{attempt.status} in {elapsed}"
    if attempt.in_flight:
        return "in flight: sent, no answer recorded yet"
    if attempt.failure == FailureKind.UNKNOWN:
        return f"unknown: {attempt.error}"
    status = f" {attempt.status}" if attempt.status is not None else ""
    return f"failed ({attempt.failure}{status}) after {elapsed}: {attempt.error}"
