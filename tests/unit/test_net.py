"""harness._net: the reachability preflight shared by `harness send`, `harness load` and the contract checker."""

from __future__ import annotations

import socket

import pytest

from harness._net import address_of, bind_socket, require_reachable, unreachable_reason
from harness.errors import TargetUnreachableError


def test_address_of_uses_the_scheme_port_when_none_is_written() -> None:
    assert address_of("http://127.0.0.1/webhooks") == ("127.0.0.1", 80)
    assert address_of("https://localhost/webhooks") == ("localhost", 443)
    assert address_of("http://127.0.0.1:8123/webhooks") == ("127.0.0.1", 8123)


async def test_a_listening_port_is_reachable() -> None:
    with bind_socket("127.0.0.1", 0) as listener:
        port = listener.getsockname()[1]
        assert await unreachable_reason(f"http://127.0.0.1:{port}/webhooks", 3.0) is None


async def test_a_closed_port_is_refused() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # bound, never listening: connecting is refused
        reason = await unreachable_reason(f"http://127.0.0.1:{port}/webhooks", 3.0)
    assert reason == "connection refused: nothing listens there"


async def test_an_unreachable_target_is_one_error_naming_the_masked_url_and_the_fix() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        url = f"http://user:pa55word@127.0.0.1:{probe.getsockname()[1]}/webhooks"
        with pytest.raises(TargetUnreachableError) as info:
            await require_reachable(url, 3.0, fix="pass the right --to URL")
    assert str(info.value) == (
        f"cannot reach {url.replace('pa55word', '***')} (connection refused: nothing listens there): start your "
        "receiver there, or pass the right --to URL"
    )
