"""`harness serve` as a subprocess: serving, port in use, bad scenario, SIGINT/SIGTERM, SIGKILL and restart."""

from __future__ import annotations

import asyncio
import signal
import socket
from pathlib import Path
from typing import Any

import pytest

from harness.store import DeliveryLog
from tests.conftest import SECRET
from tests.integration.server_helpers import RecordingReceiver, request, serve, spawn


async def poll_deliveries(url: str, at_least: int, deadline: float = 60) -> list[dict[str, Any]]:
    """Poll the control API until ``at_least`` deliveries are listed (a deadline, not a sleep)."""
    async with asyncio.timeout(deadline):
        while True:
            _, body = await request("GET", url + "/_harness/deliveries", params={"limit": "1000"})
            if len(body["data"]) >= at_least:
                return list(body["data"])
            await asyncio.sleep(0.05)


async def test_serves_calls_then_exits_cleanly_on_sigterm(tmp_path: Path) -> None:
    db = tmp_path / "log.db"
    async with RecordingReceiver() as receiver, serve("--to", receiver.url, "--secret", SECRET, "--db", str(db)) as s:
        status, body = await request("POST", s.url + "/_harness/calls", json={"scenario": "happy-path", "calls": 2})
        assert status == 201
        [first, _] = body["call_ids"]
        status, call = await request("GET", f"{s.url}/agents/calls/{first}", headers={"X-API-Key": "k"})
        assert status == 200
        assert call["id"] == first
        s.process.send_signal(signal.SIGTERM)
        code, out, err = await s.finish()
    assert code == 0, err
    assert "Traceback" not in err
    assert "SIGTERM: finishing in-flight deliveries" in out
    with DeliveryLog(db) as log:
        assert log.count() == len(receiver.received)


async def test_sigint_records_in_flight_attempts_before_exiting(tmp_path: Path) -> None:
    db = tmp_path / "log.db"
    async with (
        RecordingReceiver(hold=True) as receiver,
        serve("--to", receiver.url, "--secret", SECRET, "--db", str(db)) as s,
    ):
        status, _ = await request("POST", s.url + "/_harness/calls", json={"scenario": "happy-path", "calls": 3})
        assert status == 201
        await receiver.wait_for(3)  # three call_started deliveries in flight, held by the receiver
        s.process.send_signal(signal.SIGINT)
        receiver.release()
        code, _, err = await s.finish()
    assert code == 0, err
    assert "Traceback" not in err
    with DeliveryLog(db) as log:
        logged = log.list_deliveries(limit=1000)
    assert len(logged) == len(receiver.received) >= 3
    assert all(d.ok for d in logged)


async def test_a_port_in_use_is_exit_2_with_a_clear_message() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = await spawn("--port", str(port), "--db", ":memory:")
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 2
    assert f"127.0.0.1:{port} is already in use" in stderr.decode()
    assert "Traceback" not in stderr.decode()


async def test_a_malformed_scenario_is_exit_2_with_file_and_line(tmp_path: Path) -> None:
    scenario = tmp_path / "broken.toml"
    scenario.write_text('calls = 3\n\n[pacing]\nmode = "warp"\n', encoding="utf-8")
    async with RecordingReceiver() as receiver:
        process = await spawn(
            "--port", "0", "--db", ":memory:", "--to", receiver.url, "--secret", SECRET, "--scenario", str(scenario)
        )
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 2
    assert f'{scenario}:4: field "pacing.mode": expected ' in stderr.decode()
    assert "Traceback" not in stderr.decode()


async def test_a_bad_config_file_is_exit_2(tmp_path: Path) -> None:
    config = tmp_path / "harness.toml"
    config.write_text("port = 'eighty'\n", encoding="utf-8")
    process = await spawn("--config", str(config))
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 2
    assert f'{config}:1: field "port": expected an integer' in stderr.decode()


async def test_environment_configures_the_server(tmp_path: Path) -> None:
    async with RecordingReceiver() as receiver:
        env = {"CARTESIA_WEBHOOK_URL": receiver.url, "CARTESIA_WEBHOOK_SECRET": "env-secret", "HARNESS_DB": ":memory:"}
        process = await spawn("--port", "0", env=env)
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), timeout=60)).decode()
        assert f"delivering to {receiver.url}" in line
        url = line.split()[3]
        await request("POST", url + "/_harness/calls", json={"calls": 1})
        await receiver.wait_for(1)
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.communicate(), timeout=60)
    assert receiver.received[0].secret == "env-secret"


@pytest.mark.parametrize("restart", ["reopen", "serve"])
async def test_after_sigkill_the_log_has_every_delivery_recorded_before(tmp_path: Path, restart: str) -> None:
    db = tmp_path / "log.db"
    async with RecordingReceiver() as receiver:
        async with serve("--to", receiver.url, "--secret", SECRET, "--db", str(db)) as s:
            await request("POST", s.url + "/_harness/calls", json={"scenario": "burst", "calls": 20})
            recorded = await poll_deliveries(s.url, at_least=20)
            s.process.kill()
            await s.process.wait()
        assert s.process.returncode == -signal.SIGKILL
        ids = {d["id"] for d in recorded}
        if restart == "reopen":
            with DeliveryLog(db) as log:
                assert ids <= {d.id for d in log.list_deliveries(limit=100_000)}
        else:
            async with serve("--db", str(db)) as again:
                for delivery_id in list(ids)[:5]:
                    status, shown = await request("GET", f"{again.url}/_harness/deliveries/{delivery_id}")
                    assert status == 200
                    assert shown["attempts"]
                again.process.send_signal(signal.SIGTERM)
                code, _, err = await again.finish()
                assert code == 0, err
