"""`harness load` refuses bad input with exit 2 and a message naming it, before any Locust process starts."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator

import pytest

from harness.cli import main
from harness.receiver import create_app
from harness.serving import AppServer

SECRET = "whsec_Usage_0123456789"


@pytest.fixture
async def receiver_url() -> AsyncIterator[str]:
    async with AppServer(create_app(SECRET)) as server:
        yield server.url + "/webhooks"


def run_load(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """``harness load`` in this process (from async tests on a thread: it runs its own event loop)."""
    code = main(["load", "--secret", SECRET, *args])
    return code, capsys.readouterr().err


def test_without_locust_it_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "locust", None)  # what find_spec sees when Locust is not installed
    code, err = run_load(capsys, "http://127.0.0.1:9/webhooks")
    assert code == 2
    assert "pip install 'cartesia-webhook-harness[load]'" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--users", "0"], "--users 0: expected 1 to 10000 (users)"),
        (["--users", "10001"], "--users 10001: expected 1 to 10000"),
        (["--spawn-rate", "0"], "--spawn-rate 0: expected 0.1 to 1000"),
        (["--spawn-rate", "nan"], "--spawn-rate nan: expected"),
        (["--run-time", "soon"], "--run-time 'soon': expected a duration such as 30s"),
        (["--run-time", "0s"], "--run-time 0: expected 1 to 86400"),
        (["--run-time", "25h"], "--run-time 90000: expected 1 to 86400"),
        (["--workers", "0"], "--workers 0: expected 1 to 64"),
        (["--workers", "65", "--users", "100"], "--workers 65: expected 1 to 64"),
        (["--workers", "3", "--users", "2"], "--workers 3 is more than --users 2"),
        (["--speed", "0"], "--speed 0: expected 0.01 to 10000"),
        (["--fast", "--speed", "5"], "--fast and --speed contradict each other"),
        (["--duplicates", "1.5"], "--duplicates 1.5: expected 0 to 1"),
        (["--max-fail-ratio", "-0.1"], "--max-fail-ratio -0.1: expected 0 to 1"),
        (["--pool", "0"], "--pool 0: expected 1 to 10000"),
        (["--timeout", "0"], "--timeout 0: expected 0.1 to 300"),
        (["--settle", "301"], "--settle 301: expected 0 to 300"),
        (["--master", "--workers", "1001", "--users", "2000"], "--workers 1001: expected 1 to 1000"),
        (["--master-host", "10.0.0.1"], "--master-host is for --worker"),
        (["--seed", str(2**64)], f"--seed {2**64}: expected a whole number from -{2**63 - 1} to {2**63 - 1}"),
        (["--report-json", "/"], "--report-json /: is a folder; pass a file path in it"),
        (["--report-json", "/no/such/folder/r.json"], "--report-json /no/such/folder/r.json: there is no folder"),
        (["--locust-csv", "/no/such/folder/stats"], "--locust-csv /no/such/folder/stats: there is no folder"),
    ],
)
def test_bad_values_exit_2_naming_the_option(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run_load(capsys, "http://127.0.0.1:9/webhooks", *args)
    assert code == 2
    assert message in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "no receiver: pass its webhook URL"),
        (["ftp://example/webhooks"], "URL 'ftp://example/webhooks': expected an http:// or https:// URL"),
        (["http://127.0.0.1:9/webhooks", "--probe", "nope"], "--probe 'nope': expected an http:// or https:// URL"),
        (["--worker"], "--worker needs --master-host"),
        (["--worker", "--master-host", "127.0.0.1", "http://127.0.0.1:9/"], "leave out the URL"),
        (["--worker", "--master-host", "127.0.0.1", "--master-port", "70000"], "--master-port 70000"),
    ],
)
def test_bad_targets_and_roles_exit_2(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run_load(capsys, *args)
    assert code == 2
    assert message in err


def test_no_secret_exits_2(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("CARTESIA_WEBHOOK_SECRET", raising=False)
    assert main(["load", "http://127.0.0.1:9/webhooks"]) == 2
    assert "no secret: pass --secret S or set CARTESIA_WEBHOOK_SECRET" in capsys.readouterr().err


async def test_unreachable_receiver_exits_2_before_starting_locust(capsys: pytest.CaptureFixture[str]) -> None:
    async with AppServer(create_app(SECRET)) as server:
        url = server.url + "/webhooks"
    # The server is closed: nothing listens on its port any more.
    code = await asyncio.to_thread(main, ["load", "--secret", SECRET, url, "--run-time", "1s"])
    captured = capsys.readouterr()
    assert code == 2
    assert f"cannot reach {url} (connection refused" in captured.err
    assert "starting" not in captured.out


async def test_a_probe_that_breaks_its_contract_exits_2_before_the_run(
    receiver_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    probe = receiver_url  # POST-only: a GET answers 405, not the probe's JSON
    code, err = await asyncio.to_thread(run_load, capsys, receiver_url, "--probe", probe, "--run-time", "1s")
    assert code == 2
    assert f"state probe {probe}: answered 405, expected 200" in err


def test_help_documents_the_bounds(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["load", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    for bound in ("1-10000 users", "0.1-1000 users/s", "1-64 local worker processes", "max 24h", "1-10000 calls"):
        assert bound in out
