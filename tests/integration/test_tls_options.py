"""https receivers with their own certificate: trusted with a CA file, or with verification turned off."""

from __future__ import annotations

import asyncio
import ssl
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from harness.checks import arun_checks
from harness.errors import ConfigError
from harness.receiver import create_app
from harness.server import resolve_config
from harness.serving import AppServer
from tests.conftest import SECRET

CHECKS = ["accepts_correct_secret", "rejects_wrong_secret", "idempotent_under_duplicates"]


@pytest.fixture
async def https_reference(certificate: tuple[Path, Path]) -> AsyncIterator[str]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    async with AppServer(create_app(SECRET), host="127.0.0.1", ssl_context=context) as server:
        assert server.url.startswith("https://")
        yield server.url


async def test_checks_pass_over_https_when_the_certificate_is_trusted(
    https_reference: str, certificate: tuple[Path, Path]
) -> None:
    probe = https_reference + "/_harness/processed"
    cert = str(certificate[0])
    report = await arun_checks(https_reference + "/webhooks", SECRET, probe, checks=CHECKS, tls_ca_file=cert)
    assert {r.name: r.status for r in report.results} == dict.fromkeys(CHECKS, "passed")


async def test_checks_pass_over_https_with_verification_off(https_reference: str) -> None:
    probe = https_reference + "/_harness/processed"
    report = await arun_checks(https_reference + "/webhooks", SECRET, probe, checks=CHECKS, tls_verify=False)
    assert report.summary["failed"] == 0


async def test_an_untrusted_certificate_fails_with_a_tls_reason(https_reference: str) -> None:
    report = await arun_checks(https_reference + "/webhooks", SECRET, checks=["accepts_correct_secret"])
    (result,) = report.results
    assert result.status == "failed"
    assert "tls" in str(result.evidence).lower()


async def test_send_command_trusts_the_ca_file(https_reference: str, certificate: tuple[Path, Path]) -> None:
    command = [sys.executable, "-m", "harness", "send", "--to", https_reference + "/webhooks", "--secret", SECRET]
    command += ["--scenario", "happy-path", "--calls", "1", "--fast", "--quiet", "--db", ":memory:"]
    trusted = await asyncio.to_thread(
        subprocess.run, [*command, "--tls-ca-file", str(certificate[0])], capture_output=True, text=True, timeout=120
    )
    assert trusted.returncode == 0, trusted.stdout + trusted.stderr
    untrusted = await asyncio.to_thread(subprocess.run, command, capture_output=True, text=True, timeout=120)
    assert untrusted.returncode != 0
    assert "Traceback" not in untrusted.stderr


def test_serve_config_reads_tls_settings_from_the_environment() -> None:
    config = resolve_config(env={"HARNESS_TLS_VERIFY": "false", "HARNESS_TLS_CA_FILE": "/tmp/ca.pem"})
    assert config.delivery.tls_verify is False
    assert config.delivery.tls_ca_file == "/tmp/ca.pem"
    assert resolve_config({"tls_verify": None}, env={"HARNESS_TLS_VERIFY": "no"}).delivery.tls_verify is False
    assert resolve_config(env={}).delivery.tls_verify is True


def test_serve_config_refuses_a_non_boolean_tls_verify() -> None:
    with pytest.raises(ConfigError, match='HARNESS_TLS_VERIFY: field "tls_verify": expected a boolean, got "maybe"'):
        resolve_config(env={"HARNESS_TLS_VERIFY": "maybe"})
