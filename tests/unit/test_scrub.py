"""Scrubbing captured events: personal data replaced, shape and vocabulary kept, replacements consistent."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from harness.errors import PayloadError
from harness.generate import simulate_call
from harness.models import parse_event
from harness.scrub import Scrubber, scrub_event


def wire_call(seed: int) -> list[dict[str, Any]]:
    return [json.loads(event.to_json()) for event in simulate_call(seed=seed, outcome="completed", turns=8)]


def strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [text for item in value.values() for text in strings(item)]
    if isinstance(value, list):
        return [text for item in value for text in strings(item)]
    return [value] if isinstance(value, str) else []


def test_phone_numbers_texts_and_ids_are_replaced_everywhere() -> None:
    for seed in range(5):
        events = wire_call(seed)
        scrubbed = [Scrubber().event(event) for event in events]
        personal = set()
        for event in events:
            call = event.get("call") or {}
            params = call.get("telephony_params") or {}
            personal |= {params.get("to"), params.get("from"), call.get("summary"), event.get("call_id")}
            personal |= {turn.get("text") for turn in call.get("transcript") or [] if turn.get("text")}
        personal.discard(None)
        leftovers = [text for event in scrubbed for text in strings(event) if text in personal]
        assert not leftovers, leftovers


def test_the_result_still_parses_and_keeps_its_shape_and_vocabulary() -> None:
    events = wire_call(3)
    scrubber = Scrubber()
    for original, scrubbed in zip(events, [scrubber.event(e) for e in events], strict=True):
        parse_event(json.dumps(scrubbed))
        assert scrubbed["type"] == original["type"]
        assert scrubbed["timestamp"] == original["timestamp"]
        assert scrubbed.keys() == original.keys()
        before, after = original.get("call") or {}, scrubbed.get("call") or {}
        for key in ("status", "end_reason", "start_time", "deployment_region", "telephony_account_type"):
            assert after.get(key) == before.get(key), key
        turns = zip(before.get("transcript") or [], after.get("transcript") or [], strict=True)
        for old, new in turns:
            assert (new["role"], new.get("start_timestamp")) == (old["role"], old.get("start_timestamp"))
            # A system turn's text may be null (as generated calls now send it): no words either way.
            assert len((new.get("text") or "").split()) == len((old.get("text") or "").split())
            if "text_chunks" in new:
                assert "".join(chunk["text"] for chunk in new["text_chunks"]) == new["text"]
            for old_tool, new_tool in zip(old.get("tool_calls") or [], new.get("tool_calls") or [], strict=True):
                assert new_tool["name"] == old_tool["name"]
            if "log_metric" in old:
                assert new["log_metric"]["name"] == old["log_metric"]["name"]
        phone = (after.get("telephony_params") or {}).get("to")
        if phone is not None:
            assert re.fullmatch(r"\+[0-9]+", phone)
            assert len(phone) == len(before["telephony_params"]["to"])


def test_replacements_are_the_same_across_a_calls_events_and_across_runs() -> None:
    events = wire_call(7)
    first = [Scrubber().event(event) for event in events]
    again = [scrub_event(event) for event in events]
    assert first == again
    call_ids = {event["call_id"] for event in first}
    assert len(call_ids) == 1
    assert call_ids != {events[0]["call_id"]}
    assert all((event.get("call") or {}).get("id", event["call_id"]) == event["call_id"] for event in first)
    assert Scrubber(salt="other").event(events[0]) != first[0]


def test_user_supplied_parts_are_scrubbed_whatever_their_keys() -> None:
    event = {
        "type": "call_started",
        "call": {"metadata": {"name": "Jane Roe", "email": "jane.roe@acme.com", "tier": "gold", "crm": "CRM-0042"}},
    }
    metadata = Scrubber().event(event)["call"]["metadata"]
    assert metadata["name"] != "Jane Roe"
    assert metadata["email"].endswith("@example.com")
    assert metadata["tier"] == "gold"  # a lowercase word is a kind of value, not a person
    assert re.fullmatch(r"[A-Z]{3}-[0-9]{4}", metadata["crm"])
    assert metadata["crm"] != "CRM-0042"


def test_a_body_nested_deeper_than_any_payload_is_refused_as_parse_event_refuses_it() -> None:
    deep: Any = 1
    for _ in range(800):
        deep = {"a": deep}
    event = {"type": "call_started", "call_id": "ac_1", "metadata": deep}

    with pytest.raises(PayloadError, match="nested more than 200 levels"):
        Scrubber().event(event)


def test_json_nested_deeply_in_a_tool_result_is_scrubbed_as_text() -> None:
    result = "[" * 900 + "]" * 900
    event = {"type": "call_turn", "call_id": "ac_1", "turn": {"tool_calls": [{"result": result}]}}

    scrubbed = Scrubber().event(event)

    assert scrubbed["turn"]["tool_calls"][0]["result"] != result


def test_names_in_scripts_without_letter_case_are_replaced_by_the_same_script_and_length() -> None:
    names = {"ja": "山田太郎", "kana": "やまだ", "ko": "김민준", "ar": "محمد"}
    event = {"type": "call_started", "call_id": "ac_1", "metadata": {"customer": names}}

    scrubbed = Scrubber().event(event)["metadata"]["customer"]

    for key, name in names.items():
        fake = scrubbed[key]
        assert fake != name
        assert len(fake) == len(name)
        assert all(new != old for new, old in zip(fake, name, strict=True)), (name, fake)
        assert all(char.isalpha() and not char.isascii() for char in fake), fake
    assert Scrubber().event(event)["metadata"]["customer"] == scrubbed  # the same name, the same stand-in
