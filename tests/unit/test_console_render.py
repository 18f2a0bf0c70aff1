"""The console's display filters and the start form's parsing."""

from __future__ import annotations

import re

import pytest

from harness.server.console.render import (
    clock,
    mask_secrets,
    milliseconds,
    offset,
    pretty_json,
    seconds,
    shown_url,
    timestamp,
)
from harness.server.console.startform import MAX_CALLS, StartForm


def test_a_url_password_is_never_shown() -> None:
    assert shown_url("http://user:hunter2@127.0.0.1:8000/hook") == "http://user:***@127.0.0.1:8000/hook"
    assert shown_url("http://127.0.0.1:8000/hook") == "http://127.0.0.1:8000/hook"
    assert shown_url(None) == "—"


def test_every_secret_is_masked_wherever_it_appears() -> None:
    text = 'echo: {"x-webhook-secret": "s3cret/1", "old": "s3cret-0"} s3cret%2F1'
    assert mask_secrets(text, ["s3cret/1", "s3cret-0", ""]) == 'echo: {"x-webhook-secret": "***", "old": "***"} ***'


def test_json_is_indented_and_cut_at_the_limit() -> None:
    assert pretty_json(b'{"a":[1,2]}') == ('{\n  "a": [\n    1,\n    2\n  ]\n}', False)
    assert pretty_json(b"not json \xff") == ("not json \ufffd", False)
    text, cut = pretty_json(b'"' + b"x" * 100 + b'"', limit=10)
    assert (text, cut) == ('"xxxxxxxxx', True)
    assert pretty_json(b"[" * 100_000)[1] is True  # nested too deeply to parse: shown as text, cut


def test_times_and_durations_read_as_a_person_expects() -> None:
    assert clock(0) == "1970-01-01 00:00:00"
    assert timestamp("2025-06-24T23:36:40.360473878Z") == "2025-06-24 23:36:40"
    assert timestamp("yesterday") == "yesterday"
    assert timestamp(None) == "—"
    assert seconds(42.04) == "42.0 s"
    assert seconds(125.4) == "2:05"
    assert offset(62.34) == "01:02.3"
    assert offset(None) == "—"
    assert milliseconds(0.0123) == "12.3 ms"


def test_the_start_form_turns_filled_fields_into_scenario_overrides() -> None:
    form = StartForm.from_form(
        {
            "scenario": "burst",
            "calls": " 20 ",
            "failed_share": "25",
            "domain": "billing",
            "pacing": "realtime",
            "fault_duplicates": "0.5",
            "fault_drop": "",
        }
    )
    assert form.overrides() == {
        "calls": 20,
        "generator": {"outcomes": {"completed": 75.0, "failed": 25.0}, "domains": ["billing"]},
        "pacing": {"mode": "realtime"},
        "faults": {"duplicates": 0.5},
    }
    assert StartForm(scenario="happy-path").overrides() == {}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"scenario": "../etc/passwd"}, "Scenario: choose one of the bundled scenarios, got '../etc/passwd'"),
        ({"calls": "0"}, f"Calls: expected a whole number from 1 to {MAX_CALLS:,}, got '0'"),
        ({"calls": "1e9"}, "Calls: expected a whole number"),
        ({"failed_share": "101"}, "Failed calls (%): expected a number from 0 to 100, got '101'"),
        ({"failed_share": "nan"}, "Failed calls (%): expected a number from 0 to 100, got 'nan'"),
        ({"pacing": "warp"}, "Pacing: expected fast or realtime, got 'warp'"),
        ({"fault_reorder": "inf"}, "Reordered calls: expected a number from 0 to 1, got 'inf'"),
    ],
)
def test_a_bad_field_is_named_with_what_it_expects(fields: dict[str, str], message: str) -> None:
    form = StartForm.from_form({"scenario": "happy-path", **fields})
    with pytest.raises(ValueError, match=re.escape(message)):
        form.overrides()
