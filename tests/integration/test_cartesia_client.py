"""The official ``cartesia`` client, pointed at the mock server: retrieve, list every page, download audio."""

from __future__ import annotations

import io
import wave
from collections.abc import Iterator

import pytest
from cartesia import Cartesia

from harness.server import MockServerThread, ServerConfig
from tests.integration.server_helpers import SECRET, threaded_receiver


@pytest.fixture
def server() -> Iterator[MockServerThread]:
    with threaded_receiver() as receiver_url:
        config = ServerConfig(port=0, target_url=receiver_url, secret=SECRET, db_path=":memory:")
        with MockServerThread(config) as running:
            yield running


def test_retrieve_list_and_download_audio_with_the_official_client(server: MockServerThread) -> None:
    call_ids = server.start_calls("happy-path", calls=7)
    server.wait_for_calls(call_ids)
    with Cartesia(api_key="sk_test_key", base_url=server.url, max_retries=0) as client:
        call = client.agents.calls.retrieve(call_ids[0])
        assert call.id == call_ids[0]
        assert call.status == "completed"
        assert call.transcript
        assert call.start_time is not None
        assert call.end_time is not None

        listed = [c.id for c in client.agents.calls.list(agent_id=server.config.agent_id, limit=3)]
        assert listed == list(reversed(call_ids))

        first_page = client.agents.calls.list(agent_id=server.config.agent_id, limit=3, expand="transcript")
        assert first_page.has_next_page()
        assert all(c.transcript for c in first_page.data)

        response = client.agents.calls.with_raw_response.download_audio(call_ids[0])
        data = response.http_response.read()
        assert response.http_response.headers["content-type"] == "audio/wav"
        with wave.open(io.BytesIO(data)) as wav:
            seconds = wav.getnframes() / wav.getframerate()
        assert seconds == pytest.approx((call.end_time - call.start_time).total_seconds(), abs=0.001)
        client.agents.calls.download_audio(call_ids[0])  # the plain method (body discarded) succeeds too


def test_a_missing_key_or_call_is_an_api_error(server: MockServerThread) -> None:
    import cartesia

    with (
        Cartesia(api_key="sk_test_key", base_url=server.url, max_retries=0) as client,
        pytest.raises(cartesia.NotFoundError),
    ):
        client.agents.calls.retrieve("ac_missing")
