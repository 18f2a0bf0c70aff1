"""The mock server's settings, from command-line flags, environment variables and a TOML file.

Precedence: flags win over environment variables, which win over the config file, which wins over
the defaults below.

Environment variables:
  CARTESIA_WEBHOOK_URL     the receiver's URL (where events are POSTed)
  CARTESIA_WEBHOOK_SECRET  the secret sent in X-Webhook-Secret
  HARNESS_HOST             address to bind (default 127.0.0.1)
  HARNESS_PORT             port to bind (default 8765; 0 picks a free one)
  HARNESS_DB               the delivery log (default .harness/deliveries.db; ":memory:" keeps nothing)
  HARNESS_AGENT_ID         the agent id put in events and calls
  HARNESS_WEBHOOK_ID       the webhook id put in events
  HARNESS_API_KEYS         comma-separated API keys the Calls API accepts (default: any non-empty key)
  HARNESS_TIMEOUT          delivery timeout in seconds (default 10)
  HARNESS_RETRIES          retries per delivery (default 0, as Cartesia publishes no retry policy)
  HARNESS_CONCURRENCY      requests in flight at most (default 64)
  HARNESS_MAX_CALLS        calls the Calls API keeps (default 1000; the oldest ended ones are forgotten,
                           so memory stays bounded; the delivery log keeps every delivery)

Config file keys (``harness serve --config harness.toml``): host, port, target_url, secret, agent_id,
webhook_id, db, api_keys (array), timeout, retries, concurrency, max_calls.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness._net import require_http_url
from harness.delivery import DeliverySettings
from harness.errors import ConfigError
from harness.store import DEFAULT_DB_PATH

__all__ = [
    "DEFAULT_AGENT_ID",
    "DEFAULT_MAX_CALLS",
    "DEFAULT_PORT",
    "DEFAULT_WEBHOOK_ID",
    "ENV_VARS",
    "ServerConfig",
    "resolve_config",
]

DEFAULT_PORT = 8765
DEFAULT_AGENT_ID = "agent_HarnessLocal0000000001"
DEFAULT_WEBHOOK_ID = "agent_webhook_HarnessLocal000001"

# config key -> environment variable
ENV_VARS = {
    "target_url": "CARTESIA_WEBHOOK_URL",
    "secret": "CARTESIA_WEBHOOK_SECRET",
    "host": "HARNESS_HOST",
    "port": "HARNESS_PORT",
    "db": "HARNESS_DB",
    "agent_id": "HARNESS_AGENT_ID",
    "webhook_id": "HARNESS_WEBHOOK_ID",
    "api_keys": "HARNESS_API_KEYS",
    "tls_ca_file": "HARNESS_TLS_CA_FILE",
    "tls_verify": "HARNESS_TLS_VERIFY",
    "timeout": "HARNESS_TIMEOUT",
    "retries": "HARNESS_RETRIES",
    "concurrency": "HARNESS_CONCURRENCY",
    "max_calls": "HARNESS_MAX_CALLS",
}
_INTS = ("port", "retries", "concurrency", "max_calls")
DEFAULT_MAX_CALLS = 1000
_FLOATS = ("timeout",)
_BOOLS = ("tls_verify",)
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


@dataclass(frozen=True)
class ServerConfig:
    """Everything the mock server needs. ``api_keys=None`` accepts any non-empty API key."""

    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    target_url: str | None = None
    secret: str | None = None
    agent_id: str = DEFAULT_AGENT_ID
    webhook_id: str = DEFAULT_WEBHOOK_ID
    db_path: str | Path = DEFAULT_DB_PATH
    api_keys: frozenset[str] | None = None
    delivery: DeliverySettings = field(default_factory=DeliverySettings)
    max_calls: int = DEFAULT_MAX_CALLS

    def replace(self, **changes: Any) -> ServerConfig:
        """A copy with some settings changed."""
        return dataclasses.replace(self, **changes)


def resolve_config(
    flags: Mapping[str, Any] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    config_file: str | Path | None = None,
) -> ServerConfig:
    """Merge the defaults, a TOML file, the environment and flags (``None`` flags are ignored)."""
    values: dict[str, Any] = {}
    if config_file is not None:
        values.update(_read_file(Path(config_file)))
    environ = os.environ if env is None else env
    for key, name in ENV_VARS.items():
        raw = environ.get(name)
        if raw:
            values[key] = _from_text(key, raw, f"environment variable {name}")
    for key, value in (flags or {}).items():
        if value is not None:
            values[key] = value
    return _build(values)


def _read_file(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file ({exc.strerror or exc})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from exc
    known = set(ENV_VARS)
    for key, value in data.items():
        if key not in known:
            raise ConfigError(f"{path}: unknown key {key!r}; known keys: {', '.join(sorted(known))}")
        _check_type(key, value, f"{path}: key {key!r}")
    return data


def _from_text(key: str, raw: str, where: str) -> Any:
    if key in _INTS:
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(f"{where}: expected an integer, got {raw!r}") from None
    if key in _FLOATS:
        try:
            return float(raw)
        except ValueError:
            raise ConfigError(f"{where}: expected a number of seconds, got {raw!r}") from None
    if key in _BOOLS:
        if raw.strip().lower() in (*_TRUE, *_FALSE):
            return raw.strip().lower() in _TRUE
        raise ConfigError(f"{where}: expected true or false, got {raw!r}")
    if key == "api_keys":
        return [part.strip() for part in raw.split(",") if part.strip()]
    return raw


def _check_type(key: str, value: Any, where: str) -> None:
    if key in _INTS and (isinstance(value, bool) or not isinstance(value, int)):
        raise ConfigError(f"{where}: expected an integer, got {value!r}")
    if key in _FLOATS and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise ConfigError(f"{where}: expected a number of seconds, got {value!r}")
    if key in _BOOLS and not isinstance(value, bool):
        raise ConfigError(f"{where}: expected true or false, got {value!r}")
    if key == "api_keys" and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        raise ConfigError(f"{where}: expected an array of strings, got {value!r}")
    if key not in (*_INTS, *_FLOATS, *_BOOLS, "api_keys") and not isinstance(value, str):
        raise ConfigError(f"{where}: expected a string, got {value!r}")


def _build(values: Mapping[str, Any]) -> ServerConfig:
    settings = DeliverySettings()
    delivery_keys = ("timeout", "retries", "concurrency", "tls_ca_file", "tls_verify")
    delivery_changes = {k: values[k] for k in delivery_keys if k in values}
    if delivery_changes.get("timeout", 1) <= 0:
        raise ConfigError(f"timeout: expected a number of seconds above 0, got {delivery_changes['timeout']!r}")
    if delivery_changes.get("retries", 0) < 0:
        raise ConfigError(f"retries: expected 0 or more, got {delivery_changes['retries']!r}")
    if delivery_changes.get("concurrency", 1) < 1:
        raise ConfigError(f"concurrency: expected 1 or more, got {delivery_changes['concurrency']!r}")
    port = values.get("port", DEFAULT_PORT)
    if not 0 <= port <= 65535:
        raise ConfigError(f"port: expected a number from 0 to 65535, got {port}")
    if values.get("target_url"):
        # Caught here, at startup, rather than as a failed attempt on every delivery.
        require_http_url(values["target_url"], "target_url")
    api_keys = values.get("api_keys")
    max_calls = values.get("max_calls", DEFAULT_MAX_CALLS)
    if max_calls < 1:
        raise ConfigError(f"max_calls: expected 1 or more, got {max_calls}")
    return ServerConfig(
        host=values.get("host", "127.0.0.1"),
        port=port,
        target_url=values.get("target_url"),
        secret=values.get("secret"),
        agent_id=values.get("agent_id", DEFAULT_AGENT_ID),
        webhook_id=values.get("webhook_id", DEFAULT_WEBHOOK_ID),
        db_path=values.get("db", DEFAULT_DB_PATH),
        api_keys=frozenset(api_keys) if api_keys else None,
        delivery=dataclasses.replace(settings, **delivery_changes),
        max_calls=max_calls,
    )
