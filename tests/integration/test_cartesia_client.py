"""The official ``cartesia`` client, pointed at the mock server: retrieve, list every page, download audio."""

from __future__ import annotations

import io
import wave

import pytest
from cartesia import Cartesia

from harness.server import MockServerThread


def test_retrieve_list_and_download_audio_with_the_official_client(server_thread: MockServerThread) -> None:
    call_ids = server_thread.start_calls("happy-path", calls=7)
    server_thread.wait_for_calls(call_ids)
    with Cartesia(api_key="sk_test_key", base_url=server_thread.url, max_retries=0) as client:
        call = client.agents.calls.retrieve(call_ids[0])
        assert call.id == call_ids[0]
        assert call.status == "completed"
        assert call.transcript
        assert call.start_time is not None
        assert call.end_time is not None

        listed = [c.id for c in client.agents.calls.list(agent_id=server_thread.config.agent_id, limit=3)]
        assert listed == list(reversed(call_ids))
        # The client pages with starting_after=<last id> until a page is empty: past the last call is a 200.
        one_by_one = client.agents.calls.list(agent_id=server_thread.config.agent_id, limit=1)
        assert [c.id for c in one_by_one] == list(reversed(call_ids))
        past_the_end = client.agents.calls.list(agent_id=server_thread.config.agent_id, starting_after=call_ids[0])
        assert past_the_end.data == []
        assert not past_the_end.has_next_page()

        first_page = client.agents.calls.list(agent_id=server_thread.config.agent_id, limit=3, expand="transcript")
        assert first_page.has_next_page()
        assert all(c.transcript for c in first_page.data)

        response = client.agents.calls.with_raw_response.download_audio(call_ids[0])
        data = response.http_response.read()
        assert response.http_response.headers["content-type"] == "audio/wav"
        with wave.open(io.BytesIO(data)) as wav:
            seconds = wav.getnframes() / wav.getframerate()
        assert seconds == pytest.approx((call.end_time - call.start_time).total_seconds(), abs=0.001)
        client.agents.calls.download_audio(call_ids[0])  # the plain method (body discarded) succeeds too


def test_a_missing_key_or_call_is_an_api_error(server_thread: MockServerThread) -> None:
    import cartesia

    with (
        Cartesia(api_key="sk_test_key", base_url=server_thread.url, max_retries=0) as client,
        pytest.raises(cartesia.NotFoundError),
    ):
        client.agents.calls.retrieve("ac_missing")


def test_deployments_of_the_calls_with_the_official_client(server_thread: MockServerThread) -> None:
    call_ids = server_thread.start_calls("happy-path", calls=3)
    server_thread.wait_for_calls(call_ids)
    with Cartesia(api_key="sk_test_key", base_url=server_thread.url, max_retries=0) as client:
        deployments = client.agents.deployments.list(server_thread.config.agent_id)
        assert [d.agent_id for d in deployments] == [server_thread.config.agent_id] * len(deployments)
        assert [d.is_live for d in deployments].count(True) == 1
        for call_id in call_ids:
            call = client.agents.calls.retrieve(call_id)
            assert call.deployment_id is not None
            deployment = client.agents.deployments.retrieve(call.deployment_id)
            assert deployment.id == call.deployment_id
            assert deployment.status in ("deployed", "inactive")
            assert deployment.build_completed_at < deployment.updated_at or deployment.is_live
            assert deployment.id in {d.id for d in deployments}


def test_errors_come_in_the_shape_of_the_clients_api_version(server_thread: MockServerThread) -> None:
    import cartesia

    with Cartesia(api_key="sk_test_key", base_url=server_thread.url, max_retries=0) as client:
        with pytest.raises(cartesia.NotFoundError) as raised:
            client.agents.calls.retrieve("ac_missing")
        assert raised.value.status_code == 404
        body = raised.value.body
        assert isinstance(body, dict)
        assert set(body) == {"error_code", "title", "message", "request_id"}  # the client sends 2026-08-14
        with pytest.raises(cartesia.NotFoundError):
            client.agents.deployments.retrieve("ad_missing")
