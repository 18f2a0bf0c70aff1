"""The shared environment variable names, and where a command finds the webhook secret."""

from __future__ import annotations

import pytest

from harness import _environment
from harness._environment import SECRET_ENV, require_webhook_secret, webhook_secret
from harness.errors import ConfigError
from harness.server.config import ENV_VARS


def test_an_option_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SECRET_ENV, "from-env")
    assert webhook_secret("from-option") == "from-option"
    assert webhook_secret(None) == "from-env"
    assert webhook_secret("") == "from-env"


def test_an_empty_or_unset_secret_is_none_and_required_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SECRET_ENV, "")
    assert webhook_secret(None) is None
    monkeypatch.delenv(SECRET_ENV)
    assert webhook_secret("") is None
    with pytest.raises(ConfigError, match=r"no secret: pass --secret S or set CARTESIA_WEBHOOK_SECRET to it$"):
        require_webhook_secret(None, hint=" to it")


def test_the_server_reads_the_same_names() -> None:
    assert ENV_VARS["secret"] == _environment.SECRET_ENV == "CARTESIA_WEBHOOK_SECRET"
    assert ENV_VARS["target_url"] == _environment.URL_ENV == "CARTESIA_WEBHOOK_URL"
    assert ENV_VARS["db"] == _environment.DB_ENV == "HARNESS_DB"
