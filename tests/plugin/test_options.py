"""Plugin options and fixtures that need no receiver, through pytester."""

from __future__ import annotations

import pytest

from harness.errors import ConfigError
from harness.server import resolve_config
from tests.plugin.conftest import INNER_INI

PRINT_SETTINGS = """
def test_settings(cartesia_settings, cartesia_secret, cartesia_target):
    print("SETTINGS", cartesia_settings.target, cartesia_secret, cartesia_settings.latency_budget,
          cartesia_settings.checks, cartesia_target)
"""


def _settings_line(result: pytest.RunResult) -> str:
    lines = [line[line.index("SETTINGS") :] for line in result.outlines if "SETTINGS" in line]
    assert lines, result.outlines
    return lines[0]


def test_defaults_without_any_configuration(inner: pytest.Pytester) -> None:
    inner.makepyfile(PRINT_SETTINGS)
    result = inner.runpytest("-s")
    result.assert_outcomes(passed=1)
    assert _settings_line(result) == "SETTINGS None cartesia-test-secret 10.0 None None"


def test_option_beats_environment_beats_ini(inner: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    ini = "cartesia_target = http://127.0.0.1:1/ini\ncartesia_secret = from-ini\ncartesia_latency_budget = 3\n"
    inner.makefile(".ini", pytest=INNER_INI + ini)
    monkeypatch.setenv("CARTESIA_WEBHOOK_SECRET", "from-env")
    inner.makepyfile(PRINT_SETTINGS.replace("test_settings", "test_settings_ini"))
    # The ini target would turn on contract items; keep only the settings test with -k.
    monkeypatch.setenv("CARTESIA_CHECKS", "no_redirects")
    result = inner.runpytest("-s", "--cartesia-latency-budget", "2.5", "-k", "settings_ini")
    line = _settings_line(result)
    assert line == "SETTINGS http://127.0.0.1:1/ini from-env 2.5 ('no_redirects',) http://127.0.0.1:1/ini"


def test_bad_latency_budget_is_a_usage_error(inner: pytest.Pytester) -> None:
    inner.makepyfile("def test_nothing(): pass")
    result = inner.runpytest("--cartesia-latency-budget", "soon")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--cartesia-latency-budget: expected a number, got 'soon'*"])


def test_no_target_collects_no_contract_items(inner: pytest.Pytester) -> None:
    inner.makepyfile("def test_own(): pass")
    result = inner.runpytest("--co", "-q")
    result.stdout.fnmatch_lines(["*test_own*", "1 test collected*"])


def test_marker_is_registered_for_strict_markers(inner: pytest.Pytester) -> None:
    inner.makepyfile(
        """
        import pytest

        @pytest.mark.cartesia(checks=["no_redirects"])
        def test_marked():
            pass
        """
    )
    result = inner.runpytest("--strict-markers")
    result.assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("raw", "seed"), [("7", 7), ("7.0", 7), (" 8 ", 8), ("1_000", 1000), ("٣", None), ("7.5", None)]
)
def test_numbers_are_read_by_the_same_rule_as_the_servers_environment(
    inner: pytest.Pytester, raw: str, seed: int | None
) -> None:
    server_seed: int | None
    try:
        server_seed = resolve_config(env={"HARNESS_SEED": raw}).seed
    except ConfigError:
        server_seed = None
    assert server_seed == seed
    inner.makepyfile("def test_seed(cartesia_settings):\n    print('SEED', cartesia_settings.seed)\n")
    result = inner.runpytest("-s", "--cartesia-seed", raw)
    if seed is None:
        assert result.ret == pytest.ExitCode.USAGE_ERROR
        result.stderr.fnmatch_lines([f"*--cartesia-seed: expected a number, got {raw!r}*"])
    else:
        result.assert_outcomes(passed=1)
        assert f"SEED {seed}" in result.stdout.str()
