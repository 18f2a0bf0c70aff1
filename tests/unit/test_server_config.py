"""Server settings: flags win over environment variables, which win over the config file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness.errors import ConfigError
from harness.server.config import DEFAULT_PORT, ServerConfig, resolve_config
from harness.store import DEFAULT_DB_PATH


def test_defaults() -> None:
    config = resolve_config({}, env={})
    assert config == ServerConfig()
    assert config.port == DEFAULT_PORT
    assert config.host == "127.0.0.1"
    assert config.db_path == DEFAULT_DB_PATH
    assert config.api_keys is None


def test_flags_beat_environment_which_beats_the_file(tmp_path: Path) -> None:
    path = tmp_path / "harness.toml"
    path.write_text(
        'port = 9001\ntarget_url = "http://127.0.0.1:1/file"\nsecret = "from-file"\nagent_id = "agent_file"\n'
        'api_keys = ["k1", "k2"]\ntimeout = 3\n',
        encoding="utf-8",
    )
    env = {"HARNESS_PORT": "9002", "CARTESIA_WEBHOOK_SECRET": "from-env", "HARNESS_DB": ":memory:"}
    config = resolve_config({"port": 9003, "secret": None}, env=env, config_file=path)
    assert config.port == 9003
    assert config.secret == "from-env"
    assert config.target_url == "http://127.0.0.1:1/file"
    assert config.agent_id == "agent_file"
    assert config.api_keys == frozenset({"k1", "k2"})
    assert config.db_path == ":memory:"
    assert config.delivery.timeout == 3


def test_api_keys_from_the_environment_are_comma_separated() -> None:
    config = resolve_config({}, env={"HARNESS_API_KEYS": "a, b,,c"})
    assert config.api_keys == frozenset({"a", "b", "c"})


def test_a_bad_environment_value_names_the_variable() -> None:
    with pytest.raises(
        ConfigError, match='environment variable HARNESS_PORT: field "port": expected an integer, got "eighty"'
    ):
        resolve_config({}, env={"HARNESS_PORT": "eighty"})


def test_a_bad_file_key_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "harness.toml"
    path.write_text("prot = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=rf'{path}:1: field "prot": unknown field'):
        resolve_config({}, env={}, config_file=path)
    path.write_text('port = "x"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=rf'{path}:1: field "port": expected an integer'):
        resolve_config({}, env={}, config_file=path)


def test_out_of_range_values_are_refused() -> None:
    with pytest.raises(ConfigError, match='field "port": expected <= 65535, got 70000'):
        resolve_config({"port": 70000}, env={})
    with pytest.raises(ConfigError, match="timeout"):
        resolve_config({"timeout": 0.0}, env={})
    with pytest.raises(ConfigError, match=re.escape('field "target_url": expected an http:// or https://')):
        resolve_config({"target_url": "ftp://127.0.0.1/x"}, env={})
    with pytest.raises(
        ConfigError, match=re.escape('CARTESIA_WEBHOOK_URL: field "target_url": expected a port number')
    ):
        resolve_config({}, env={"CARTESIA_WEBHOOK_URL": "http://127.0.0.1:99999/x"})


def test_max_calls_bounds_the_calls_api_memory() -> None:
    assert resolve_config({}, env={"HARNESS_MAX_CALLS": "50"}).max_calls == 50
    with pytest.raises(ConfigError, match='field "max_calls": expected >= 1, got 0'):
        resolve_config({"max_calls": 0}, env={})


@pytest.mark.parametrize("value", [float("nan"), float("inf"), 1e300, -1.0])
def test_a_timeout_that_is_not_a_sane_number_of_seconds_is_refused(value: float) -> None:
    with pytest.raises(ConfigError, match='command line: field "timeout"'):
        resolve_config({"timeout": value}, env={})


def test_non_finite_numbers_in_the_config_file_name_their_line(tmp_path: Path) -> None:
    path = tmp_path / "harness.toml"
    path.write_text("port = 0\ntimeout = inf\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=rf'^{path}:2: field "timeout": expected a finite number, got inf$'):
        resolve_config({}, env={}, config_file=path)


def test_a_huge_config_file_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "harness.toml"
    path.write_bytes(b"#" * (1024 * 1024 + 1))
    with pytest.raises(ConfigError, match="larger than 1,024 KiB"):
        resolve_config({}, env={}, config_file=path)


def test_off_loopback_needs_a_token_and_the_message_says_why() -> None:
    with pytest.raises(
        ConfigError, match=re.escape("binding '0.0.0.0', an address other people can reach, needs a control token")
    ):
        resolve_config({"host": "0.0.0.0"}, env={})
    config = resolve_config({"host": "0.0.0.0"}, env={"HARNESS_CONTROL_TOKEN": "t" * 16})
    assert config.control_token == "t" * 16
    with pytest.raises(ConfigError, match=r'field "control_token": expected at least 16 characters$'):
        resolve_config({"control_token": "short"}, env={})  # and the value itself is not repeated


def test_security_and_id_settings_from_the_environment(tmp_path: Path) -> None:
    env = {"HARNESS_ALLOWED_HOSTS": "a.test, B.test", "HARNESS_SEED": "7", "HARNESS_SCENARIOS": str(tmp_path)}
    config = resolve_config({}, env=env)
    assert config.allowed_hosts == frozenset({"a.test", "b.test"})
    assert config.seed == 7
    assert config.scenario_dirs == (tmp_path,)
    with pytest.raises(ConfigError, match="not a folder"):
        resolve_config({"scenarios": [str(tmp_path / "absent")]}, env={})


def test_a_webhook_url_with_control_characters_is_refused() -> None:
    with pytest.raises(ConfigError, match="without control characters"):
        resolve_config({"target_url": "http://127.0.0.1:1/hook\r\nX-Injected: 1"}, env={})
