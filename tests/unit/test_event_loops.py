"""Which event loop the command line runs on, and what a wrong $HARNESS_LOOP says."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest

from harness._event_loops import LOOP_ENV, SWITCH_INTERVAL, chosen_loop, event_loop_policy
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


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_the_switch_interval_is_the_commands_for_the_block_only(monkeypatch: pytest.MonkeyPatch, loop: str) -> None:
    monkeypatch.setenv(LOOP_ENV, loop)
    before = sys.getswitchinterval()

    with event_loop_policy():
        assert sys.getswitchinterval() == pytest.approx(SWITCH_INTERVAL)

    assert sys.getswitchinterval() == before
    assert before != pytest.approx(SWITCH_INTERVAL)  # the interpreter's default, which the block changed


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
