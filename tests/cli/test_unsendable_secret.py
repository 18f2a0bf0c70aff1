"""A secret no request can carry (a control character in it) is bad input for every command that sends or
checks one: exit 2 naming where it came from and the code point, never the secret, before any request."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness._environment import SECRET_ENV
from tests.conftest import SECRET

UNREACHABLE = "http://127.0.0.1:9/hook"  # nothing listens on port 9: a request would fail differently


@pytest.mark.parametrize(
    "command",
    [
        ["send", "--to", UNREACHABLE, "--calls", "1"],
        ["check", UNREACHABLE],
        ["replay", "dlv_0000000000000000000000000", "--db", ":memory:"],
        ["receiver", "--port", "0"],
        ["serve", "--port", "0", "--to", UNREACHABLE],
        ["listen", "--port", "0", "--forward-to", UNREACHABLE, "--db", ":memory:"],
    ],
    ids=lambda command: command[0],
)
@pytest.mark.parametrize("from_env", [False, True], ids=["--secret", "environment"])
def test_a_secret_with_a_control_character_is_refused(command: list[str], from_env: bool, tmp_path: Path) -> None:
    secret = SECRET + "\n"
    env = {key: value for key, value in os.environ.items() if key != SECRET_ENV}
    if from_env:
        env[SECRET_ENV] = secret
    given = [] if from_env else ["--secret", secret]
    result = subprocess.run(
        [sys.executable, "-m", "harness", *command, *given],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=tmp_path,
    )

    assert result.returncode == 2, result.stderr
    assert "the secret holds a control character (U+000A)" in result.stderr
    assert SECRET not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr
