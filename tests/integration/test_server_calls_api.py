"""The Calls API of the mock server, against a real receiver on loopback."""

from __future__ import annotations

import io
import json
import uuid
import wave
from typing import Any

import aiohttp
import pytest

from harness.models import Timestamp
from harness.server import MockServer
from tests.integration.server_helpers import RecordingReceiver, call_json, server_config

AUTH = {"Authorization": "Bearer sk_test_key"}


async def get(http: aiohttp.ClientSession, url: str, **params: str) -> tuple[int, Any]:
    return await call_json(http, "GET", url, params=params, headers=AUTH)


async def test_requests_without_an_api_key_get_401_in_the_platform_shape(
    server: MockServer, http: aiohttp.ClientSession
) -> None:
    for headers in ({}, {"Authorization": "Bearer "}, {"Authorization": "Basic abc"}):
        async with http.get(server.url + "/agents/calls", headers=headers) as response:
            assert response.status == 401
            body = await response.json()
            assert set(body) == {"message", "description"}
    async with http.get(server.url + "/agents/calls", headers={"X-API-Key": "k"}) as response:
        assert response.status == 200


async def test_only_configured_keys_are_accepted_when_set(receiver: RecordingReceiver) -> None:
    config = server_config(receiver.url, api_keys=frozenset({"a"}))
    async with MockServer(config) as server, aiohttp.ClientSession() as http:
        async with http.get(server.url + "/agents/calls", headers={"Authorization": "Bearer b"}) as response:
            assert response.status == 401
        async with http.get(server.url + "/agents/calls", headers={"Authorization": "Bearer a"}) as response:
            assert response.status == 200


async def test_a_finished_call_matches_what_was_delivered(
    server: MockServer, receiver: RecordingReceiver, http: aiohttp.ClientSession
) -> None:
    [call_id] = await server.start_calls("happy-path", calls=1)
    await server.wait_for_calls([call_id])
    delivered = [json.loads(r.body) for r in receiver.received]
    completed = next(d for d in delivered if d["type"] == "call_completed")
    status, call = await get(http, f"{server.url}/agents/calls/{call_id}")
    assert status == 200
    assert call["id"] == call_id
    assert call["status"] == "completed"
    assert call["transcript"] == completed["call"]["transcript"]
    assert call["end_reason"] == completed["call"]["end_reason"]
    analysis = next(d for d in delivered if d["type"] == "post_call_analysis")
    assert call["summary"] == analysis["analysis"]["summary"]


async def test_call_state_follows_the_deliveries_one_by_one(http: aiohttp.ClientSession) -> None:
    async with RecordingReceiver(hold=True) as receiver:
        config = server_config(receiver.url)
        async with MockServer(config) as server:
            [call_id] = await server.start_calls("happy-path", calls=1)
            url = f"{server.url}/agents/calls/{call_id}"
            await receiver.wait_for(1)  # call_started is in flight, not yet delivered
            assert (await get(http, url))[1]["status"] == "created"
            receiver.release_one()
            await receiver.wait_for(2)  # call_started went out; the first turn is in flight
            _, call = await get(http, url)
            assert call["status"] == "started"
            assert call["transcript"] == []
            receiver.release_one()
            await receiver.wait_for(3)
            _, call = await get(http, url)
            first_turn = json.loads(receiver.received[1].body)["turn"]
            assert call["transcript"] == [first_turn]
            receiver.release()
            await server.wait_for_calls([call_id])
            assert (await get(http, url))[1]["status"] == "completed"


async def test_listing_pages_through_every_call_newest_first(server: MockServer, http: aiohttp.ClientSession) -> None:
    first = await server.start_calls("happy-path", calls=4)
    # Calls are listed by when they started: the second scenario starts once the first one has played.
    await server.wait_for_calls(first)
    second = await server.start_calls("failed-calls", calls=3)
    await server.wait_for_calls()
    newest_first = list(reversed(first + second))
    seen: list[str] = []
    params = {"agent_id": server.config.agent_id, "limit": "3"}
    while True:
        status, page = await get(http, server.url + "/agents/calls", **params)
        assert status == 200
        assert len(page["data"]) <= 3
        assert all("transcript" not in call for call in page["data"])
        seen += [call["id"] for call in page["data"]]
        if not page["has_more"]:
            assert page["next_page"] is None
            break
        assert page["next_page"] == seen[-1]
        params["starting_after"] = page["next_page"]
    assert seen == newest_first
    _, back = await get(http, server.url + "/agents/calls", limit="2", ending_before=newest_first[4])
    assert [c["id"] for c in back["data"]] == newest_first[2:4]
    assert back["has_more"] is True
    _, default = await get(http, server.url + "/agents/calls", expand="transcript")
    assert len(default["data"]) == 7
    assert all(isinstance(call["transcript"], list) for call in default["data"])
    _, other = await get(http, server.url + "/agents/calls", agent_id="agent_other")
    assert other["data"] == []


@pytest.mark.parametrize("params", [{"limit": "0"}, {"limit": "101"}, {"limit": "x"}, {"starting_after": "ac_no"}])
async def test_bad_list_parameters_get_400(
    server: MockServer, http: aiohttp.ClientSession, params: dict[str, str]
) -> None:
    status, body = await get(http, server.url + "/agents/calls", **params)
    assert status == 400
    assert set(body) == {"message", "description"}


async def test_unknown_calls_get_404_call_not_found(server: MockServer, http: aiohttp.ClientSession) -> None:
    for suffix in ("", "/audio", "/logs"):
        status, body = await get(http, f"{server.url}/agents/calls/ac_missing{suffix}")
        assert status == 404
        assert body["message"] == "Call not found"


async def test_the_audio_is_a_wav_as_long_as_the_call(server: MockServer, http: aiohttp.ClientSession) -> None:
    [call_id] = await server.start_calls("happy-path", calls=1)
    await server.wait_for_calls([call_id])
    _, call = await get(http, f"{server.url}/agents/calls/{call_id}")
    expected = (Timestamp(call["end_time"]).nanoseconds - Timestamp(call["start_time"]).nanoseconds) / 1e9
    async with http.get(f"{server.url}/agents/calls/{call_id}/audio", headers=AUTH) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "audio/wav"
        data = await response.read()
        assert int(response.headers["Content-Length"]) == len(data)
    with wave.open(io.BytesIO(data)) as wav:
        assert wav.getnframes() / wav.getframerate() == pytest.approx(expected, abs=0.001)
    assert expected > 1


async def test_logs_grow_with_the_call(server: MockServer, http: aiohttp.ClientSession) -> None:
    [call_id] = await server.start_calls("happy-path", calls=1)
    await server.wait_for_calls([call_id])
    status, logs = await get(http, f"{server.url}/agents/calls/{call_id}/logs")
    assert status == 200
    assert logs["call_id"] == call_id
    assert "call started" in logs["logs"][0]
    assert any("call completed" in line for line in logs["logs"])
    assert any(" metric " in line for line in logs["logs"])
    Timestamp.parse(logs["updated_at"])


async def test_legacy_2025_calls_are_still_tracked(server: MockServer, http: aiohttp.ClientSession) -> None:
    call_ids = await server.start_calls("legacy-2025", calls=2)
    await server.wait_for_calls(call_ids)
    for call_id in call_ids:
        _, call = await get(http, f"{server.url}/agents/calls/{call_id}")
        assert call["status"] == "completed"
        assert call["transcript"]
        assert call["start_time"] is not None


@pytest.mark.parametrize("scenario", ["out-of-order", "duplicates", "unknown-events"])
async def test_faults_change_what_the_receiver_sees_not_the_call_itself(
    server: MockServer, http: aiohttp.ClientSession, scenario: str
) -> None:
    call_ids = await server.start_calls(scenario, calls=3)
    await server.wait_for_calls(call_ids)
    for call_id in call_ids:
        _, call = await get(http, f"{server.url}/agents/calls/{call_id}")
        ended = server.log.list_deliveries(call_id=call_id, event_type=f"call_{call['status']}", limit=1)
        assert ended, f"{call_id} is {call['status']}, but no such end event was delivered"
        assert call["transcript"] == json.loads(ended[0].body)["call"]["transcript"]


@pytest.mark.parametrize("version", ["2026-03-01", "2026-08-14", "2027-01-01", "latest"])
async def test_current_api_versions_get_errors_with_code_title_message_and_request_id(
    server: MockServer, http: aiohttp.ClientSession, version: str
) -> None:
    headers = {**AUTH, "Cartesia-Version": version}
    ids = set()
    for url in (f"{server.url}/agents/calls/ac_missing", f"{server.url}/agents/calls/ac_missing/audio"):
        async with http.get(url, headers=headers) as response:
            assert response.status == 404
            body = await response.json()
        assert set(body) == {"error_code", "title", "message", "request_id"}
        assert (body["error_code"], body["title"]) == ("not_found", "Call not found")
        assert "ac_missing" in body["message"]
        ids.add(str(uuid.UUID(body["request_id"])))
    assert len(ids) == 2  # one request id per request
    async with http.get(server.url + "/agents/calls", params={"limit": "0"}, headers=headers) as response:
        assert (response.status, (await response.json())["error_code"]) == (400, "invalid_request")
    async with http.get(server.url + "/agents/calls", headers={"Cartesia-Version": version}) as response:
        assert (response.status, (await response.json())["error_code"]) == (401, "unauthorized")


@pytest.mark.parametrize("headers", [{}, {"Cartesia-Version": "2025-04-16"}, {"Cartesia-Version": "2024-06-10"}])
async def test_older_api_versions_and_no_version_keep_the_message_description_errors(
    server: MockServer, http: aiohttp.ClientSession, headers: dict[str, str]
) -> None:
    async with http.get(f"{server.url}/agents/calls/ac_missing", headers={**AUTH, **headers}) as response:
        assert response.status == 404
        assert await response.json() == {
            "message": "Call not found",
            "description": "No call with id 'ac_missing' exists on this server.",
        }


async def test_the_page_after_the_last_call_is_an_empty_200(server: MockServer, http: aiohttp.ClientSession) -> None:
    call_ids = await server.start_calls("happy-path", calls=3)
    await server.wait_for_calls(call_ids)
    status, page = await get(http, server.url + "/agents/calls", limit="5", starting_after=call_ids[0])
    assert (status, page) == (200, {"data": [], "has_more": False, "next_page": None})
    status, page = await get(http, server.url + "/agents/calls", limit="5", ending_before=call_ids[-1])
    assert (status, page) == (200, {"data": [], "has_more": False, "next_page": None})
    status, body = await get(http, server.url + "/agents/calls", starting_after="ac_unknown")
    assert status == 400
    assert "ac_unknown" in body["description"]


async def test_deleting_an_ended_call_redacts_it_and_its_audio(
    server: MockServer, receiver: RecordingReceiver, http: aiohttp.ClientSession
) -> None:
    call_ids = await server.start_calls("happy-path", calls=5, generator={"seed": 3, "outcomes": {"completed": 1}})
    await server.wait_for_calls(call_ids)
    calls = [(await get(http, f"{server.url}/agents/calls/{call_id}"))[1] for call_id in call_ids]
    before = next(call for call in calls if "telephony_params" in call)  # a phone call: it has numbers to erase
    call_id = before["id"]
    assert before["transcript"]
    assert before["summary"]
    async with http.delete(f"{server.url}/agents/calls/{call_id}", headers=AUTH) as response:
        assert response.status == 200
        redacted = await response.json()
    Timestamp.parse(redacted["redacted_at"])
    assert redacted["id"] == call_id
    assert (redacted["status"], redacted["end_reason"]) == (before["status"], before["end_reason"])
    assert redacted["transcript"] == []
    assert redacted["summary"] is None
    assert redacted["metadata"] is None
    phone = redacted["telephony_params"]
    assert (phone["to"], phone["from"], phone["parameters"], phone["headers"]) == (None, None, {}, {})
    assert phone["call_sid"] == before["telephony_params"]["call_sid"]
    _, after = await get(http, f"{server.url}/agents/calls/{call_id}")
    assert after == redacted
    async with http.delete(f"{server.url}/agents/calls/{call_id}", headers=AUTH) as response:
        assert (response.status, (await response.json())["redacted_at"]) == (200, redacted["redacted_at"])
    status, body = await get(http, f"{server.url}/agents/calls/{call_id}/audio")
    assert (status, body["message"]) == (404, "Call audio not available")
    _, logs = await get(http, f"{server.url}/agents/calls/{call_id}/logs")
    assert logs["logs"] == [f"{redacted['redacted_at']} call redacted"]
    words = before["transcript"][0]["text"]
    assert all(words not in line for line in logs["logs"])


async def test_a_call_in_progress_cannot_be_deleted_and_has_no_audio(http: aiohttp.ClientSession) -> None:
    async with RecordingReceiver(hold=True) as receiver:
        config = server_config(receiver.url)
        async with MockServer(config) as server:
            [call_id] = await server.start_calls("happy-path", calls=1)
            await receiver.wait_for(1)
            receiver.release_one()
            await receiver.wait_for(2)  # call_started went out: the call is in progress
            async with http.delete(f"{server.url}/agents/calls/{call_id}", headers=AUTH) as response:
                assert response.status == 400
                body = await response.json()
            assert body["message"] == "Call in progress"
            status, body = await get(http, f"{server.url}/agents/calls/{call_id}/audio")
            assert (status, body["message"]) == (404, "Call audio not available")
            receiver.release()
            await server.wait_for_calls([call_id])
            _, call = await get(http, f"{server.url}/agents/calls/{call_id}")
            assert call["transcript"]
            assert "redacted_at" not in call


@pytest.mark.parametrize("outcome", ["dial_busy", "dial_no_answer", "dial_failed"])
async def test_a_call_that_failed_before_connecting_has_no_audio(
    server: MockServer, http: aiohttp.ClientSession, outcome: str
) -> None:
    [call_id] = await server.start_calls("happy-path", calls=1, generator={"outcomes": {outcome: 1}})
    await server.wait_for_calls([call_id])
    _, call = await get(http, f"{server.url}/agents/calls/{call_id}")
    assert (call["status"], call["transcript"]) == ("failed", [])
    status, body = await get(http, f"{server.url}/agents/calls/{call_id}/audio")
    assert status == 404
    assert outcome in body["description"]
    async with http.delete(f"{server.url}/agents/calls/{call_id}", headers=AUTH) as response:
        assert response.status == 200  # failed calls can be redacted too
