"""Which event loop the command line runs on, what a wrong $HARNESS_LOOP says, and how it tunes the interpreter."""

from __future__ import annotations

import asyncio
import gc
import subprocess
import sys

import pytest

from harness._event_loops import (
    GC_THRESHOLDS,
    LOOP_ENV,
    SWITCH_INTERVAL,
    chosen_loop,
    event_loop_policy,
    interpreter_tuning,
)
from harness.errors import ConfigError
from tests.conftest import ROOT


@pytest.mark.parametrize(
    ("value", "loop"), [(None, "uvloop"), ("auto", "uvloop"), ("asyncio", "asyncio"), ("UVLOOP", "uvloop")]
)
def test_the_choice(monkeypatch: pytest.MonkeyPatch, value: str | None, loop: str) -> None:
    if value is None:
        monkeypatch.delenv(LOOP_ENV, raising=False)
    else:
        monkeypatch.setenv(LOOP_ENV, value)

    assert chosen_loop() == loop


def test_the_policy_is_set_for_the_block_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(LOOP_ENV, "uvloop")
    before = asyncio.get_event_loop_policy()

    with event_loop_policy() as name:
        loop = asyncio.new_event_loop()
        try:
            assert (name, type(loop).__module__.split(".")[0]) == ("uvloop", "uvloop")
        finally:
            loop.close()

    assert asyncio.get_event_loop_policy() is before


def test_the_interpreter_is_tuned_for_the_block_only() -> None:
    before = (sys.getswitchinterval(), gc.get_threshold())

    with interpreter_tuning():
        assert (sys.getswitchinterval(), gc.get_threshold()) == (SWITCH_INTERVAL, GC_THRESHOLDS)

    assert (sys.getswitchinterval(), gc.get_threshold()) == before
    assert before != (SWITCH_INTERVAL, GC_THRESHOLDS)  # the interpreter's defaults, changed above


def test_the_command_line_runs_tuned(monkeypatch: pytest.MonkeyPatch) -> None:
    from harness import cli

    seen: list[tuple[float, tuple[int, int, int]]] = []
    monkeypatch.setattr(cli, "build_parser", lambda: _RecordingParser(seen))

    assert cli.main([]) == 0
    assert seen == [(SWITCH_INTERVAL, GC_THRESHOLDS)]


class _RecordingParser:
    """Stands in for the argument parser: its one command records the interpreter's settings while it runs."""

    def __init__(self, seen: list[tuple[float, tuple[int, int, int]]]) -> None:
        self.seen = seen

    def parse_args(self, argv: object) -> object:
        def run(args: object) -> int:
            self.seen.append((sys.getswitchinterval(), gc.get_threshold()))
            return 0

        return type("Args", (), {"run": staticmethod(run), "command": "recorded"})()


def test_a_wrong_value_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(LOOP_ENV, "trio")

    with pytest.raises(ConfigError, match=r"HARNESS_LOOP='trio': expected one of auto, asyncio, uvloop"):
        chosen_loop()


def test_the_command_line_exits_2_for_a_wrong_value() -> None:
    command = [sys.executable, "-m", "harness", "deliveries", "--db", ":memory:"]
    environment = {"HARNESS_LOOP": "trio", "PATH": "/usr/bin:/bin", "NO_COLOR": "1"}
    result = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60)

    assert result.returncode == 2
    assert result.stderr == "harness deliveries: error: HARNESS_LOOP='trio': expected one of auto, asyncio, uvloop\n"
