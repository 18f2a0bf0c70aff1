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
    with pytest.raises(ConfigError, match="environment variable HARNESS_PORT: expected an integer, got 'eighty'"):
        resolve_config({}, env={"HARNESS_PORT": "eighty"})


def test_a_bad_file_key_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "harness.toml"
    path.write_text("prot = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=rf"{path}: unknown key 'prot'"):
        resolve_config({}, env={}, config_file=path)
    path.write_text('port = "x"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=rf"{path}: key 'port': expected an integer"):
        resolve_config({}, env={}, config_file=path)


def test_out_of_range_values_are_refused() -> None:
    with pytest.raises(ConfigError, match="port: expected a number from 0 to 65535"):
        resolve_config({"port": 70000}, env={})
    with pytest.raises(ConfigError, match="timeout"):
        resolve_config({"timeout": 0.0}, env={})
    with pytest.raises(ConfigError, match=re.escape("target_url 'ftp://127.0.0.1/x': expected an http:// or https://")):
        resolve_config({"target_url": "ftp://127.0.0.1/x"}, env={})
    with pytest.raises(ConfigError, match=re.escape("target_url 'http://127.0.0.1:99999/x': expected a port number")):
        resolve_config({}, env={"CARTESIA_WEBHOOK_URL": "http://127.0.0.1:99999/x"})


def test_max_calls_bounds_the_calls_api_memory() -> None:
    assert resolve_config({}, env={"HARNESS_MAX_CALLS": "50"}).max_calls == 50
    with pytest.raises(ConfigError, match="max_calls: expected 1 or more"):
        resolve_config({"max_calls": 0}, env={})
