"""`harness send` as a subprocess: a line per delivery, a summary, exit codes, signals."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from pathlib import Path

import pytest

from harness.store import DeliveryLog
from tests.conftest import SECRET
from tests.integration.server_helpers import RecordingReceiver


async def run_send(*args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "harness", "send", *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


async def test_sends_a_scenario_with_a_line_per_delivery_and_a_summary(tmp_path: Path) -> None:
    db = tmp_path / "log.db"
    async with RecordingReceiver() as receiver:
        code, out, err = await run_send(
            "--to", receiver.url, "--secret", SECRET, "--scenario", "happy-path", "--calls", "2", "--db", str(db)
        )
    assert code == 0, err
    lines = out.splitlines()
    *delivery_lines, summary = lines
    assert len(delivery_lines) == len(receiver.received)
    assert all(" 200 " in line for line in delivery_lines)
    assert summary.startswith(f"{len(receiver.received)} deliveries: {len(receiver.received)} ok, 0 failed")
    assert {r.secret for r in receiver.received} == {SECRET}
    with DeliveryLog(db) as log:
        assert log.count() == len(receiver.received)
        assert {d.id for d in log.list_deliveries(limit=1000)} == {line.split()[0] for line in delivery_lines}


async def test_a_scenario_file_and_a_seed(tmp_path: Path) -> None:
    scenario = tmp_path / "mine.toml"
    scenario.write_text("calls = 1\n[generator]\noutcomes = { dial_busy = 1.0 }\n", encoding="utf-8")
    async with RecordingReceiver() as receiver:
        code, _, err = await run_send(
            "--to", receiver.url, "--secret", SECRET, str(scenario), "--seed", "5", "--db", ":memory:"
        )
    assert code == 0, err
    types = [json.loads(r.body)["type"] for r in receiver.received]
    assert types[-1] == "call_failed"
    assert "call_turn" not in types


async def test_exit_1_when_a_delivery_fails() -> None:
    async with RecordingReceiver(status=401) as receiver:
        code, out, _ = await run_send(
            "--to", receiver.url, "--secret", "wrong", "--scenario", "happy-path", "--calls", "1", "--db", ":memory:"
        )
    assert code == 1
    assert "401" in out
    assert " 0 ok, " in out.splitlines()[-1]


async def test_exit_2_when_nothing_listens_at_the_target() -> None:
    async with RecordingReceiver() as receiver:
        url = receiver.url
    code, out, err = await run_send("--to", url, "--secret", SECRET, "--scenario", "happy-path", "--db", ":memory:")
    assert code == 2
    assert f"cannot reach {url} (connection refused: nothing listens there)" in err
    assert "Traceback" not in err
    assert out == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--scenario", "nope"], "no scenario named 'nope'"),
        ([], "nothing to send"),
        (["--scenario", "happy-path", "--calls", "0"], "--calls 0"),
        (["--scenario", "happy-path", "--to", "ftp://127.0.0.1/x"], "--to 'ftp://127.0.0.1/x': expected an http://"),
        (
            ["--scenario", "happy-path", "--to", "http://127.0.0.1:99999/x"],
            "--to 'http://127.0.0.1:99999/x': expected a port number from 0 to 65535",
        ),
        (["--scenario", "happy-path", "--to", "http://[::1/x"], "--to 'http://[::1/x': expected a valid URL"),
    ],
)
async def test_exit_2_for_bad_input(args: list[str], message: str) -> None:
    code, _, err = await run_send("--to", "http://127.0.0.1:9/x", "--secret", SECRET, "--db", ":memory:", *args)
    assert code == 2
    assert message in err
    assert "Traceback" not in err


async def test_a_malformed_scenario_file_names_file_and_line(tmp_path: Path) -> None:
    scenario = tmp_path / "broken.toml"
    scenario.write_text('name = "broken"\ncalls = "ten"\n', encoding="utf-8")
    code, _, err = await run_send("--to", "http://127.0.0.1:9/x", "--secret", SECRET, str(scenario))
    assert code == 2
    assert f'{scenario}:2: field "calls": expected an integer, got "ten"' in err
    assert "Traceback" not in err


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
async def test_a_signal_lets_in_flight_deliveries_finish_and_be_logged(tmp_path: Path, signum: int) -> None:
    db = tmp_path / "log.db"
    async with RecordingReceiver(hold=True) as receiver:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "harness", "send", "--to", receiver.url, "--secret", SECRET,
            "--scenario", "happy-path", "--db", str(db),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        arrived = asyncio.ensure_future(receiver.wait_for(1, deadline=60))
        exited = asyncio.ensure_future(process.wait())
        await asyncio.wait([arrived, exited], return_when=asyncio.FIRST_COMPLETED)
        if exited.done():  # it should be waiting on the held requests; show why it is not
            _, stderr = await process.communicate()
            arrived.cancel()
            pytest.fail(f"harness send exited early with {process.returncode}: {stderr.decode()}")
        exited.cancel()
        arrived.result()  # requests are now in flight and held
        in_flight = len(receiver.received)
        process.send_signal(signum)
        receiver.release()
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 130
    assert "Traceback" not in stderr.decode()
    assert "stopped early by a signal" in stderr.decode()
    with DeliveryLog(db) as log:
        logged = log.list_deliveries(limit=1000)
    assert len(logged) >= in_flight
    assert len(logged) == len(receiver.received)
    assert all(d.ok for d in logged)
