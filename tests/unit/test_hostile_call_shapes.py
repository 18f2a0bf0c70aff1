"""Events of any JSON shape (harness listen records whatever a sender posts) never break the Calls API or the console.

The mock's own events are well formed; captured ones are not necessarily: a turn whose ``log_metric`` is a
number, ``tool_calls`` that is not a list, an end event whose ``body`` is a string, times that are not
strings or lie beyond year 9999. Each must leave the call's state, its log row and every tab of its console
page readable.
"""

from __future__ import annotations

import math
from typing import Any

from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.models import EVENT_TYPES
from harness.server.console.data import page_from_record, turn_views
from harness.server.console.render import setup_templates, timestamp
from harness.server.console.tracking import state_of
from harness.server.state import CallsState

CALL_ID = "ac_hostile"
TABS = ("summary", "transcript", "logs", "recording")

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=8,
)
beyond_the_calendar = ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59"]
times = json_values | st.sampled_from([*beyond_the_calendar, "2025-06-24T23:36:40Z"])
turns = json_values | st.fixed_dictionaries(
    {},
    optional={
        key: json_values
        for key in ("role", "text", "log_metric", "log_event", "tool_calls", "start_timestamp", "end_timestamp")
    }
    | {"tts_ttfb": st.floats() | st.integers(), "was_interrupted": json_values},
)
calls = json_values | st.fixed_dictionaries(
    {},
    optional={
        "start_time": times,
        "end_time": times,
        "end_reason": json_values,
        "summary": json_values,
        "transcript": st.lists(turns, max_size=4) | json_values,
        "agent_name": json_values,
    },
)
events = st.fixed_dictionaries(
    {"type": st.sampled_from([*EVENT_TYPES, "call_unknown"]), "call_id": st.just(CALL_ID)},
    optional={"turn": turns, "body": turns | st.lists(turns, max_size=3), "call": calls, "analysis": json_values}
    | {"timestamp": times, "agent_id": json_values},
)
environment = setup_templates(web.Application(), lambda: ["whsec_hostile_secret"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(events, min_size=1, max_size=5))
def test_any_event_shapes_leave_the_call_and_its_console_page_readable(sequence: list[dict[str, Any]]) -> None:
    state = CallsState()
    for event in sequence:
        state.apply(CALL_ID, event)
    record = state.get(CALL_ID)
    assert record is not None
    assert record.to_json()["id"] == CALL_ID
    duration = record.duration()
    assert math.isfinite(duration)
    assert duration >= 0
    row = state_of(record)
    assert row.turns == len(record.transcript)
    page = page_from_record(record, None)
    shown_turns = turn_views(page.transcript)
    context = {"call": page, "turns": shown_turns, "shown_status": page.status}
    for tab in TABS:
        html = environment.get_template(f"_call_{tab}.html").render(context)
        assert html.strip(), tab
    assert len(shown_turns) == len(page.transcript)


def test_a_time_beyond_the_calendar_is_shown_as_given() -> None:
    assert timestamp("9999-12-31T23:59:59-23:59") == "9999-12-31T23:59:59-23:59"
    assert timestamp("2025-06-24T23:36:40Z") == "2025-06-24 23:36:40"
