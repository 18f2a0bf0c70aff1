"""What a call page shows: turns laid out for reading, transcripts from the log, deliveries with secrets masked."""

from __future__ import annotations

import json

from harness.delivery import Attempt
from harness.server.console.data import delivery_views, transcript_from_deliveries, turn_views
from harness.store import StoredDelivery

SECRET = "whsec_console_data_secret"


def test_spoken_turns_keep_their_text_timing_interruption_and_tool_calls() -> None:
    [turn] = turn_views(
        [
            {
                "role": "assistant",
                "text": "Let me check.",
                "start_timestamp": 3.5,
                "end_timestamp": 4.25,
                "was_interrupted": True,
                "tts_ttfb": 0.21,
                "tool_calls": [{"id": "c1", "name": "lookup", "arguments": {"order": "42"}, "result": '{"ok": true}'}],
            }
        ]
    )
    assert (turn.kind, turn.role, turn.text, turn.start, turn.end) == (
        "speech",
        "assistant",
        "Let me check.",
        3.5,
        4.25,
    )
    assert turn.interrupted is True
    assert turn.latency == "TTS first byte 210 ms"
    [tool] = turn.tools
    assert (tool.name, json.loads(tool.arguments), tool.result) == ("lookup", {"order": "42"}, '{\n  "ok": true\n}')


def test_system_turns_show_their_event_or_metric_at_its_own_timestamp() -> None:
    views = turn_views(
        [
            {
                "role": "system",
                "start_timestamp": 1.0,
                "log_event": {"event": "intent", "metadata": {"a": 1}, "timestamp": 1.5},
            },
            {
                "role": "system",
                "log_event": {
                    "event": "form_saved",
                    "metadata": {"level": "error", "message": "no email", "metadata": {"field": "email"}},
                    "timestamp": 2.0,
                },
            },
            {"role": "system", "text": None, "log_metric": {"name": "answer", "value": "blue", "timestamp": 3.0}},
            {"role": "system", "log_metric": {"name": "agent_turn_ms", "value": 812, "timestamp": 4.0}},
        ]
    )
    assert [(v.kind, v.name, v.detail, v.start) for v in views] == [
        ("event", "intent", "a=1", 1.5),
        ("event", "form_saved", 'error: no email {"field": "email"}', 2.0),
        ("metric", "answer", "blue", 3.0),
        ("metric", "agent_turn_ms", "812", 4.0),
    ]


def stored(delivery_id: str, event: dict[str, object], *, response: bytes = b"ok", status: int = 200) -> StoredDelivery:
    delivery = StoredDelivery(
        id=delivery_id,
        url="http://127.0.0.1:9/hook",
        event_type=str(event["type"]),
        call_id="ac_1",
        body=json.dumps(event).encode(),
        created_at=1.0,
        ok=200 <= status < 300,
        replay_of=None,
    )
    delivery.attempts.append(
        Attempt(
            number=1,
            url=delivery.url,
            request_headers={"Content-Type": "application/json", "X-Webhook-Secret": "***"},
            started_at=1.0,
            latency=0.002,
            status=status,
            response_headers={"X-Echo": SECRET},
            response_body=response,
        )
    )
    return delivery


def test_a_transcript_comes_from_the_end_event_else_from_each_turn_once() -> None:
    turn_a = {"role": "user", "text": "hi", "start_timestamp": 1.0}
    turn_b = {"role": "assistant", "text": "hello", "start_timestamp": 2.0}
    turns = [
        stored("d2", {"type": "call_turn", "turn": turn_b}),
        stored("d1", {"type": "call_turn", "turn": turn_a}),
        stored("d1b", {"type": "call_turn", "body": turn_a}),  # a duplicate, legacy-shaped
    ]
    assert transcript_from_deliveries(turns) == [turn_a, turn_b]
    end = stored("d3", {"type": "call_completed", "call": {"transcript": [turn_a]}})
    assert transcript_from_deliveries([*turns, end]) == [turn_a]
    legacy_end = stored("d4", {"type": "call_failed", "body": [turn_b]})
    assert transcript_from_deliveries([legacy_end]) == [turn_b]


def test_a_secret_the_receiver_echoes_back_is_masked_in_the_response_shown() -> None:
    echoing = stored("d1", {"type": "call_started"}, response=json.dumps({"you sent": SECRET}).encode(), status=401)
    [view] = delivery_views([echoing], [SECRET])
    assert SECRET not in repr(view)
    assert view.response_headers == [("X-Echo", "***")]
    assert view.response_body == '{\n  "you sent": "***"\n}'
    assert view.request_headers == [("Content-Type", "application/json"), ("X-Webhook-Secret", "***")]
    assert (view.number, view.ok, view.status, view.attempts) == (1, False, 401, 1)
