"""The mock server's settings, from command-line flags, environment variables and a TOML file.

Precedence: flags win over environment variables, which win over the config file, which wins over
the defaults below. Every layer is validated on its own, so an error names where the bad value came
from, in the same words as a scenario file's errors: ``harness.toml:3: field "port": expected ...``.

Environment variables:
  CARTESIA_WEBHOOK_URL     the receiver's URL (where events are POSTed)
  CARTESIA_WEBHOOK_SECRET  the secret sent in X-Webhook-Secret
  HARNESS_HOST             address to bind (default 127.0.0.1; any other needs a control token)
  HARNESS_PORT             port to bind (default 8765; 0 picks a free one)
  HARNESS_DB               the delivery log (default .harness/deliveries.db; ":memory:" keeps nothing)
  HARNESS_AGENT_ID         the agent id put in events and calls
  HARNESS_WEBHOOK_ID       the webhook id put in events
  HARNESS_API_KEYS         comma-separated API keys the Calls API accepts (default: any non-empty key)
  HARNESS_TIMEOUT          delivery timeout in seconds (default 10, at most 3600)
  HARNESS_RETRIES          retries per delivery (default 0, as Cartesia publishes no retry policy; at most 10)
  HARNESS_CONCURRENCY      requests in flight at most (default 64, at most 10,000)
  HARNESS_MAX_CALLS        calls the Calls API keeps (default 1000; the oldest ended ones are forgotten,
                           so memory stays bounded; the delivery log keeps every delivery)
  HARNESS_SCENARIOS        folders of scenario files the control API may start, separated by ":"
  HARNESS_CONTROL_TOKEN    token the control API and console require (required off loopback)
  HARNESS_ALLOWED_HOSTS    comma-separated extra Host names the control API and console answer to
  HARNESS_SEED             fixes the call ids: the same seed and requests give the same ids on every run

Config file keys (``harness serve --config harness.toml``): host, port, target_url, secret, agent_id,
webhook_id, db, api_keys (array), timeout, retries, concurrency, max_calls, tls_ca_file, tls_verify,
scenarios (array), control_token, allowed_hosts (array), seed.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from harness._environment import DB_ENV, SECRET_ENV, URL_ENV, unsendable_secret
from harness._files import read_capped
from harness._net import http_url_problem
from harness._redact import mask_url
from harness._validation import describe_validation_error
from harness.delivery import MAX_CONCURRENCY, MAX_RETRIES, MAX_TIMEOUT, DeliverySettings
from harness.errors import ConfigError
from harness.store import DEFAULT_DB_PATH

__all__ = [
    "DEFAULT_AGENT_ID",
    "DEFAULT_MAX_CALLS",
    "DEFAULT_PORT",
    "DEFAULT_WEBHOOK_ID",
    "ENV_VARS",
    "MAX_CALLS_KEPT",
    "MIN_GUARD_CHARS",
    "ServerConfig",
    "is_loopback",
    "resolve_config",
]

DEFAULT_PORT = 8765
# The fewest characters of a credential guarding a port others can reach (the control token off loopback,
# harness listen's secret off loopback): too long to be guessed by whoever reaches the port.
MIN_GUARD_CHARS = 16
DEFAULT_AGENT_ID = "agent_HarnessLocal0000000001"
DEFAULT_WEBHOOK_ID = "agent_webhook_HarnessLocal000001"
DEFAULT_MAX_CALLS = 1000
MAX_CALLS_KEPT = 100_000
MAX_CONFIG_BYTES = 1024 * 1024

# config key -> environment variable
ENV_VARS = {
    "target_url": URL_ENV,
    "secret": SECRET_ENV,
    "host": "HARNESS_HOST",
    "port": "HARNESS_PORT",
    "db": DB_ENV,
    "agent_id": "HARNESS_AGENT_ID",
    "webhook_id": "HARNESS_WEBHOOK_ID",
    "api_keys": "HARNESS_API_KEYS",
    "tls_ca_file": "HARNESS_TLS_CA_FILE",
    "tls_verify": "HARNESS_TLS_VERIFY",
    "timeout": "HARNESS_TIMEOUT",
    "retries": "HARNESS_RETRIES",
    "concurrency": "HARNESS_CONCURRENCY",
    "max_calls": "HARNESS_MAX_CALLS",
    "scenarios": "HARNESS_SCENARIOS",
    "control_token": "HARNESS_CONTROL_TOKEN",
    "allowed_hosts": "HARNESS_ALLOWED_HOSTS",
    "seed": "HARNESS_SEED",
}
# Environment variables holding lists, and what separates their items.
_LIST_SEPARATORS = {"api_keys": ",", "allowed_hosts": ",", "scenarios": os.pathsep}
_DELIVERY_KEYS = ("timeout", "retries", "concurrency", "tls_ca_file", "tls_verify")


class _Settings(BaseModel):
    """What a user can set, in one layer (a file, the environment, the flags); every key optional."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)

    host: str | None = Field(default=None, min_length=1)
    port: int | None = Field(default=None, ge=0, le=65535)
    target_url: str | None = None
    secret: str | None = None
    agent_id: str | None = Field(default=None, min_length=1)
    webhook_id: str | None = Field(default=None, min_length=1)
    db: str | None = Field(default=None, min_length=1)
    api_keys: list[str] | None = None
    timeout: float | None = Field(default=None, gt=0, le=MAX_TIMEOUT)
    retries: int | None = Field(default=None, ge=0, le=MAX_RETRIES)
    concurrency: int | None = Field(default=None, ge=1, le=MAX_CONCURRENCY)
    max_calls: int | None = Field(default=None, ge=1, le=MAX_CALLS_KEPT)
    tls_ca_file: str | None = None
    tls_verify: bool | None = None
    scenarios: list[str] | None = None
    control_token: str | None = Field(default=None, min_length=MIN_GUARD_CHARS)
    allowed_hosts: list[str] | None = None
    seed: int | None = Field(default=None, ge=0, le=2**63 - 1)

    @field_validator("secret")
    @classmethod
    def _sendable(cls, secret: str | None) -> str | None:
        problem = unsendable_secret(secret) if secret else None
        if problem is not None:  # caught at startup, not as a failed attempt per delivery
            raise ValueError(f"a secret a request can carry: {problem}")
        return secret

    @field_validator("target_url")
    @classmethod
    def _deliverable(cls, url: str | None) -> str | None:
        problem = http_url_problem(url) if url else None
        if problem is not None:  # caught at startup, not as a failed attempt per delivery
            raise ValueError(f"{problem}, got {mask_url(url or '')!r}")
        return url


class ServerConfig(BaseModel):
    """Everything the mock server needs. ``api_keys=None`` accepts any non-empty API key.

    ``control_token``, when set, is required by the control API and the console; it is required to bind
    anything but a loopback address. ``seed=None`` gives each server run its own call ids.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False, arbitrary_types_allowed=True)

    host: str = "127.0.0.1"
    port: int = Field(default=DEFAULT_PORT, ge=0, le=65535)
    target_url: str | None = None
    secret: str | None = None
    agent_id: str = DEFAULT_AGENT_ID
    webhook_id: str = DEFAULT_WEBHOOK_ID
    db_path: str | Path = DEFAULT_DB_PATH
    api_keys: frozenset[str] | None = None
    delivery: DeliverySettings = Field(default_factory=DeliverySettings)
    max_calls: int = Field(default=DEFAULT_MAX_CALLS, ge=1, le=MAX_CALLS_KEPT)
    scenario_dirs: tuple[Path, ...] = ()
    control_token: str | None = None
    allowed_hosts: frozenset[str] = frozenset()
    seed: int | None = None

    @model_validator(mode="after")
    def _token_off_loopback(self) -> ServerConfig:
        if not is_loopback(self.host) and not self.control_token:
            raise ValueError(
                f"binding {self.host!r}, an address other people can reach, needs a control token: the control"
                " API starts calls and replays deliveries; pass --control-token T (or HARNESS_CONTROL_TOKEN), at"
                f" least {MIN_GUARD_CHARS} characters, or bind 127.0.0.1"
            )
        return self

    def replace(self, **changes: Any) -> ServerConfig:
        """A copy with some settings changed (validated like the original)."""
        return ServerConfig.model_validate({**dict(self), **changes})


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1), which only this machine can reach."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def resolve_config(
    flags: Mapping[str, Any] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    config_file: str | Path | None = None,
) -> ServerConfig:
    """Merge the defaults, a TOML file, the environment and flags (``None`` flags are ignored)."""
    values: dict[str, Any] = {}
    if config_file is not None:
        values.update(_from_file(Path(config_file)))
    values.update(_from_environment(os.environ if env is None else env))
    given = {key: value for key, value in (flags or {}).items() if value is not None}
    values.update(_validated(given, "command line", strict=True))
    try:
        return _build(values)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc, "settings")) from exc


def _validated(
    values: Mapping[str, Any], source: str | Callable[[str], str], *, strict: bool, text: str | None = None
) -> dict[str, Any]:
    """The keys ``values`` sets, checked by :class:`_Settings`; ConfigError naming ``source`` otherwise."""
    try:
        settings = _Settings.model_validate(values, strict=strict)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc, source, text)) from exc
    return settings.model_dump(exclude_unset=True)


def _from_file(path: Path) -> dict[str, Any]:
    text = read_capped(path, limit=MAX_CONFIG_BYTES, what="config file", error=ConfigError)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from exc
    return _validated(data, str(path), strict=True, text=text)


def _from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    raw: dict[str, Any] = {}
    for key, name in ENV_VARS.items():
        value = environ.get(name)
        if value:
            separator = _LIST_SEPARATORS.get(key)
            raw[key] = [part.strip() for part in value.split(separator) if part.strip()] if separator else value
    # Text from the environment is converted (lax), with pydantic's one rule for numbers and true/false.
    return _validated(raw, lambda field: f"environment variable {ENV_VARS.get(field, field)}", strict=False)


def _build(values: Mapping[str, Any]) -> ServerConfig:
    delivery = {key: values[key] for key in _DELIVERY_KEYS if key in values}
    renamed = {"db": "db_path", "scenarios": "scenario_dirs"}
    fields = {renamed.get(key, key): value for key, value in values.items() if key not in _DELIVERY_KEYS}
    if "api_keys" in fields:
        fields["api_keys"] = frozenset(fields["api_keys"]) or None
    if "allowed_hosts" in fields:
        fields["allowed_hosts"] = frozenset(host.lower() for host in fields["allowed_hosts"])
    if "scenario_dirs" in fields:
        fields["scenario_dirs"] = tuple(_scenario_folder(folder) for folder in fields["scenario_dirs"])
    return ServerConfig(delivery=DeliverySettings(**delivery), **fields)


def _scenario_folder(folder: str) -> Path:
    path = Path(folder)
    if not path.is_dir():
        raise ConfigError(f"scenarios {folder!r}: not a folder; pass --scenarios DIR with a folder of .toml files")
    return path
