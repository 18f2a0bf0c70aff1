"""The shared environment variable names, and where a command finds the webhook secret."""

from __future__ import annotations

import pytest

from harness import _environment
from harness._environment import SECRET_ENV, require_webhook_secret, unsendable_secret, webhook_secret
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


@pytest.mark.parametrize(
    "secret",
    ["whsec_0123456789abcdef", "inner\ttab", "caf\u00e9-latin-1", "spaces inside are kept", "!#$%&'*+-.^_`|~"],
)
def test_a_secret_a_header_can_carry_is_accepted(secret: str) -> None:
    assert unsendable_secret(secret) is None


@pytest.mark.parametrize(
    ("secret", "why"),
    [
        ("whsec_newline\n", "a control character (U+000A)"),
        ("nul\x00inside", "a control character (U+0000)"),
        ("delete\x7f", "a control character (U+007F)"),
        ("c1\x85control", "a control character (U+0085)"),
        ("\u5bc6\u94a5", "a character outside Latin-1 (U+5BC6)"),
        ("undecodable\udce9", "a character outside Latin-1 (U+DCE9)"),
        (" leading", "begins or ends with a space or a tab"),
        ("trailing\t", "begins or ends with a space or a tab"),
    ],
)
def test_a_secret_no_header_can_carry_is_refused_naming_the_code_point_only(secret: str, why: str) -> None:
    problem = unsendable_secret(secret)

    assert problem is not None
    assert why in problem
    assert secret.strip() not in problem
