"""Failure kinds: one closed set, the same object wherever it is imported from, usable on its own."""

from __future__ import annotations

import subprocess
import sys

import harness
import harness.delivery
from harness.failure_kind import FailureKind


def test_the_kinds_and_their_values() -> None:
    assert [kind.value for kind in FailureKind] == [
        "refused",
        "timeout",
        "reset",
        "tls",
        "invalid_http",
        "redirect",
        "status",
        "cancelled",
        "other",
        "unknown",
        "not_forwarded",
    ]
    stored: str = "timeout"  # as a plain string from a log or a JSON report
    assert stored == FailureKind.TIMEOUT
    assert f"{FailureKind.INVALID_HTTP}" == "invalid_http"
    assert FailureKind("unknown") is FailureKind.UNKNOWN


def test_one_enum_re_exported() -> None:
    assert harness.FailureKind is FailureKind
    assert harness.delivery.FailureKind is FailureKind


def test_importing_it_imports_nothing_else_of_the_harness() -> None:
    # harness._lazy is what the package's own __init__ runs (its lazy names), whatever submodule is imported.
    code = (
        "import sys; import harness.failure_kind; print(sorted(m for m in sys.modules"
        " if m.startswith('harness.') and m not in ('harness.failure_kind', 'harness._lazy')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == "[]"
