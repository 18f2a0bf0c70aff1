"""The mock server on a background thread, for synchronous code: lifecycle, calls, surfaced errors."""

from __future__ import annotations

import urllib.request

import pytest

from harness.errors import ConfigError
from harness.server import MockServerThread, ServerConfig
from tests.conftest import SECRET
from tests.integration.server_helpers import server_config


def test_start_and_stop_are_idempotent_and_it_serves_in_between(receiver_url: str) -> None:
    server = MockServerThread(server_config(receiver_url))
    server.start()
    server.start()
    with urllib.request.urlopen(server.url + "/_harness/health") as response:
        assert response.status == 200
    server.stop()
    server.stop()


def test_calls_run_and_are_logged(receiver_url: str) -> None:
    config = server_config(receiver_url)
    with MockServerThread(config) as server:
        call_ids = server.start_calls("happy-path", calls=2)
        server.wait_for_calls(call_ids)
        assert {d.call_id for d in server.log.list_deliveries(limit=1000)} == set(call_ids)
        assert all(d.ok for d in server.log.list_deliveries(limit=1000))
        server.clear()
        assert server.log.count() == 0
        server.check_errors()


def test_an_exception_inside_the_server_is_re_raised_by_check_errors(receiver_url: str) -> None:
    config = server_config(receiver_url)
    with MockServerThread(config) as server:

        def broken(call_id: str, event: object) -> None:
            raise RuntimeError("state update exploded")

        server.server.calls.apply = broken  # type: ignore[method-assign]
        server.wait_for_calls(server.start_calls("happy-path", calls=1))
        with pytest.raises(RuntimeError, match="state update exploded"):
            server.check_errors()
        server.check_errors()  # reported once


def test_a_port_in_use_is_a_clear_error(receiver_url: str) -> None:
    with MockServerThread(ServerConfig(port=0, db_path=":memory:")) as first:
        port = int(first.url.rsplit(":", 1)[1])
        second = MockServerThread(ServerConfig(port=port, db_path=":memory:"))
        with pytest.raises(ConfigError, match=f"127.0.0.1:{port} is already in use"):
            second.start()
        second.stop()


def test_set_webhook_points_a_server_started_without_a_target(receiver_url: str) -> None:
    with MockServerThread(ServerConfig(port=0, db_path=":memory:")) as server:
        with pytest.raises(ConfigError, match="no webhook to deliver to"):
            server.start_calls("happy-path", calls=1)
        server.set_webhook(receiver_url, SECRET)
        call_ids = server.start_calls("happy-path", calls=1)
        server.wait_for_calls(call_ids)
        delivered = server.log.list_deliveries(limit=1000)
        assert delivered
        assert all(d.ok and d.url == receiver_url for d in delivered)
        server.set_webhook(receiver_url + "/moved", SECRET)
        server.wait_for_calls(server.start_calls("happy-path", calls=1))
        assert server.log.list_deliveries(limit=1)[0].url == receiver_url + "/moved"
