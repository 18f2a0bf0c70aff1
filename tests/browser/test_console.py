"""The web console in a real browser, used as a person would: a real receiver, a real `harness serve`, Chromium.

Each test plays calls through the server and checks what a person looking at the console would check.
Waits are WebDriverWait / deadline polls, never sleeps.
"""

from __future__ import annotations

import urllib.request
from pathlib import Path
from typing import Any

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from harness.server.audio import SAMPLE_RATE
from harness.server.console.render import offset
from tests.browser._support import (
    ROTATED,
    SECRET,
    RecordingReference,
    Serve,
    get_json,
    harness_serve,
    post_json,
    wait_until,
)

DEADLINE = 60


def play(serve: Serve, **request: Any) -> list[str]:
    """Start calls through the control API and wait until their deliveries all went out."""
    call_ids: list[str] = post_json(serve.url + "/_harness/calls", request)["call_ids"]
    wait_until(lambda: finished(serve, call_ids), deadline=DEADLINE, what=f"calls {call_ids} to end")
    return call_ids


def finished(serve: Serve, call_ids: list[str]) -> bool:
    return all(call(serve, call_id)["status"] in ("completed", "failed") for call_id in call_ids) and (
        get_json(serve.url + "/_harness/health")["calls_in_progress"] == 0
    )


def call(serve: Serve, call_id: str) -> dict[str, Any]:
    """The call as the Calls API serves it."""
    data: dict[str, Any] = get_json(f"{serve.url}/agents/calls/{call_id}")
    return data


def wait(browser: WebDriver, condition: Any, deadline: float = DEADLINE) -> Any:
    """Poll ``condition`` until it is truthy; a live update may replace an element while it is read: poll again."""
    waiting = WebDriverWait(browser, deadline, poll_frequency=0.1, ignored_exceptions=[StaleElementReferenceException])
    return waiting.until(condition)


def mark_document(browser: WebDriver) -> None:
    """Tag the loaded document; a reload would lose the tag."""
    browser.execute_script("window.__harnessSameDocument = true;")


def same_document(browser: WebDriver) -> bool:
    return browser.execute_script("return window.__harnessSameDocument === true;") is True


def wider_than(browser: WebDriver, width: int) -> list[str]:
    """The elements reaching past ``width`` pixels, outside the scrolling regions made for that."""
    script = """
        var limit = arguments[0] + 1, out = [];
        document.querySelectorAll('body *').forEach(function (e) {
          var r = e.getBoundingClientRect();
          if (r.right > limit && !e.closest('.table-scroll')) out.push(e.tagName + '.' + e.className);
        });
        return out.slice(0, 10);
    """
    found: list[str] = browser.execute_script(script, width)
    return found


def row_of(browser: WebDriver, call_id: str) -> Any:
    links = browser.find_elements(By.CSS_SELECTOR, f'#calls-results a[href="/calls/{call_id}"]')
    return links[0].find_element(By.XPATH, "./ancestor::tr") if links else None


def test_new_calls_appear_in_the_list_without_a_reload(browser: WebDriver, serve: Serve) -> None:
    browser.get(serve.console)
    wait(browser, lambda b: "Live:" in b.find_element(By.ID, "live-status").text)
    mark_document(browser)
    call_ids = play(serve, scenario="happy-path", calls=3)
    for call_id in call_ids:
        row = wait(browser, lambda b, call_id=call_id: row_of(b, call_id))
        wait(browser, lambda b, call_id=call_id: "completed" in row_of(b, call_id).text)
        cells = row_of(browser, call_id).find_elements(By.TAG_NAME, "td")
        expected = call(serve, call_id)
        assert cells[1].text == "completed"
        assert cells[2].text == expected["agent_name"]
        assert cells[5].text == expected["end_reason"]
        assert cells[7].text == str(len(expected["transcript"]))
        assert int(cells[8].text) >= len(expected["transcript"]) + 2  # its turns, start and end at least
        assert cells[9].text == "0"
        assert row is not None
    assert same_document(browser)
    assert browser.find_element(By.CSS_SELECTOR, "#calls-results .count").text.startswith("Calls 1\N{EN DASH}3 of 3")


def test_a_call_page_shows_the_transcript_texts_and_the_system_events(browser: WebDriver, serve: Serve) -> None:
    [call_id] = play(serve, scenario="tool-heavy", calls=1)
    transcript = call(serve, call_id)["transcript"]
    browser.get(f"{serve.console}calls/{call_id}")
    turns = wait(browser, lambda b: b.find_elements(By.CSS_SELECTOR, "ol.transcript > li"))
    assert len(turns) == len(transcript)
    spoken = [t for t in transcript if t.get("role") in ("user", "assistant")]
    system = [t for t in transcript if t.get("role") == "system"]
    assert spoken
    assert system
    assert any(t.get("tool_calls") for t in spoken)
    for shown, turn in zip(turns, transcript, strict=True):
        text = shown.text
        if turn in spoken:
            assert turn["text"] in text
            assert shown.find_element(By.CSS_SELECTOR, ".when time").text == offset(turn["start_timestamp"])
            for tool in turn.get("tool_calls") or []:
                assert tool["name"] in text
        elif "log_event" in turn:
            assert "log event" in text
            assert turn["log_event"]["event"] in text
            assert shown.find_element(By.CSS_SELECTOR, ".when time").text == offset(turn["log_event"]["timestamp"])
        else:
            assert "metric" in text
            assert turn["log_metric"]["name"] in text
            assert shown.find_element(By.CSS_SELECTOR, ".when time").text == offset(turn["log_metric"]["timestamp"])
    browser.find_element(By.LINK_TEXT, "Logs").click()
    logs = wait(browser, lambda b: b.find_elements(By.CSS_SELECTOR, "ol.logs li"))
    served = get_json(f"{serve.url}/agents/calls/{call_id}/logs")["logs"]
    assert [item.text for item in logs] == served


def test_the_transcript_grows_while_the_call_is_in_progress(browser: WebDriver, serve: Serve) -> None:
    # Real-time pacing at 3x: the call takes several seconds, long enough to watch it grow.
    # The call is asked to complete: which outcome a seed draws is the generator's business, not this test's.
    request = {
        "scenario": "realtime-demo",
        "calls": 1,
        "outcome": "completed",
        "pacing": {"mode": "realtime", "speed": 3.0},
    }
    [call_id] = post_json(serve.url + "/_harness/calls", request)["call_ids"]
    browser.get(f"{serve.console}calls/{call_id}")
    mark_document(browser)
    # Live updates replace these elements: every read goes through wait(), which retries a stale element.
    status = wait(browser, lambda b: b.find_element(By.CSS_SELECTOR, "#call-summary .status").text)
    assert status in ("queued", "in progress"), status
    seen = len(browser.find_elements(By.CSS_SELECTOR, "ol.transcript > li"))
    wait(browser, lambda b: len(b.find_elements(By.CSS_SELECTOR, "ol.transcript > li")) > seen)
    wait(browser, lambda b: b.find_element(By.CSS_SELECTOR, "#call-summary .status").text == "completed")
    turns = len(call(serve, call_id)["transcript"])
    wait(browser, lambda b: len(b.find_elements(By.CSS_SELECTOR, "ol.transcript > li")) == turns)
    assert same_document(browser)


def test_the_recording_plays_and_its_source_answers_a_wav(browser: WebDriver, serve: Serve) -> None:
    [call_id] = play(serve, scenario="happy-path", calls=1)
    browser.get(f"{serve.console}calls/{call_id}?tab=recording")
    audio = wait(browser, lambda b: b.find_element(By.TAG_NAME, "audio"))
    source = audio.get_attribute("src")
    with urllib.request.urlopen(source, timeout=30) as response:
        assert response.headers["Content-Type"] == "audio/wav"
        size = int(response.headers["Content-Length"])
        head = response.read(12)
    assert head[:4] == b"RIFF"
    assert head[8:12] == b"WAVE"
    seconds = (size - 44) / (SAMPLE_RATE * 2)  # 16-bit mono PCM after a 44-byte header
    assert seconds > 1
    # The browser decodes it itself: a player that knows the recording's length can play it.
    duration = wait(
        browser, lambda b: b.execute_script("var a = arguments[0]; return a.duration > 0 && a.duration;", audio)
    )
    assert abs(duration - seconds) < 0.01
    link = browser.find_element(By.PARTIAL_LINK_TEXT, "Download the recording")
    assert link.get_attribute("download") == f"{call_id}.wav"


def test_the_webhooks_tab_lists_each_event_with_its_status_and_masks_the_secret(
    browser: WebDriver, serve: Serve
) -> None:
    [call_id] = play(serve, scenario="happy-path", calls=1)
    logged = get_json(f"{serve.url}/_harness/deliveries?call_id={call_id}&limit=1000")["data"]
    browser.get(f"{serve.console}calls/{call_id}?tab=webhooks")
    rows = wait(browser, lambda b: b.find_elements(By.CSS_SELECTOR, "table.deliveries > tbody"))
    assert len(rows) == len(logged)
    for row, delivery in zip(rows, reversed(logged), strict=True):
        assert row.get_attribute("id") == delivery["id"]
        cells = row.find_elements(By.CSS_SELECTOR, "tr:first-child > td")
        assert cells[1].text == delivery["event_type"]
        assert cells[3].text == f"{delivery['attempts'][-1]['status']} delivered"
    first = rows[0].find_element(By.CSS_SELECTOR, "button.disclose")
    first.click()
    detail = wait(browser, lambda b: b.find_element(By.ID, f"detail-{logged[-1]['id']}"))
    assert detail.is_displayed()
    headers = {
        r.find_element(By.TAG_NAME, "th").text: r.find_element(By.TAG_NAME, "td").text
        for r in detail.find_elements(By.CSS_SELECTOR, "table.headers tr")
    }
    assert headers["X-Webhook-Secret"] == "***"
    assert '"type": "call_started"' in detail.find_element(By.CSS_SELECTOR, "pre.body").text
    assert SECRET not in browser.page_source


def test_replay_delivers_again_and_the_tab_shows_the_new_delivery(
    browser: WebDriver, serve: Serve, receiver: RecordingReference
) -> None:
    [call_id] = play(serve, scenario="happy-path", calls=1)
    started = [r for r in receiver.snapshot() if r.call_id == call_id and r.event_type == "call_started"]
    assert len(started) == 1
    browser.get(f"{serve.console}calls/{call_id}?tab=webhooks")
    before = len(wait(browser, lambda b: b.find_elements(By.CSS_SELECTOR, "table.deliveries > tbody")))
    browser.find_element(By.CSS_SELECTOR, "table.deliveries > tbody:first-of-type button[type=submit]").click()
    wait_until(
        lambda: len([r for r in receiver.snapshot() if r.call_id == call_id and r.event_type == "call_started"]) == 2,
        what="the receiver to get call_started again",
    )
    highlighted = wait(browser, lambda b: b.find_element(By.CSS_SELECTOR, "tbody.highlight"))
    assert "replay of" in highlighted.text
    assert "call_started" in highlighted.text
    assert "200 delivered" in highlighted.text
    assert len(browser.find_elements(By.CSS_SELECTOR, "table.deliveries > tbody")) == before + 1


def test_rotating_the_secret_changes_what_the_next_delivery_carries(
    browser: WebDriver, serve: Serve, receiver: RecordingReference
) -> None:
    [first] = play(serve, scenario="happy-path", calls=1)
    browser.get(serve.console + "webhooks")
    secret_box = browser.find_element(By.NAME, "secret")
    secret_box.send_keys(ROTATED)
    secret_box.submit()
    shown = wait(browser, lambda b: b.find_element(By.CSS_SELECTOR, ".secret-once code"))
    assert shown.text == ROTATED
    browser.get(serve.console + "webhooks")  # shown once: not on the page again
    assert ROTATED not in browser.page_source
    assert SECRET not in browser.page_source
    [second] = play(serve, scenario="happy-path", calls=1)
    received = receiver.snapshot()
    assert {r.secret for r in received if r.call_id == first} == {SECRET}
    assert {r.secret for r in received if r.call_id == second} == {ROTATED}
    # Left empty, the field gets a generated secret, shown once too.
    browser.find_element(By.CSS_SELECTOR, "form[action$='/rotate'] button").click()
    generated = wait(browser, lambda b: b.find_element(By.CSS_SELECTOR, ".secret-once code")).text
    assert generated.startswith("whsec_")
    assert generated not in (SECRET, ROTATED)


def test_test_your_endpoint_runs_the_31_checks_and_keeps_the_report(
    browser: WebDriver, serve: Serve, receiver: RecordingReference
) -> None:
    browser.get(serve.console + "test")
    browser.find_element(By.NAME, "probe").send_keys(receiver.probe)
    browser.find_element(By.CSS_SELECTOR, "form.inline button[type=submit]").click()
    summary = wait(browser, lambda b: b.find_element(By.CSS_SELECTOR, "#test-result .summary"))
    assert summary.text.startswith("31 checks: 31 passed, 0 failed, 0 warnings, 0 skipped")
    rows = browser.find_elements(By.CSS_SELECTOR, "table.checks tbody tr")
    assert len(rows) == 31
    assert {row.find_element(By.CSS_SELECTOR, ".status").text for row in rows} == {"PASS"}
    areas = [h.text for h in browser.find_elements(By.CSS_SELECTOR, "#test-result h2")]
    assert areas == ["secret", "handling", "delivery"]
    browser.get(serve.console + "test")  # the report stays until the next run
    assert browser.find_element(By.CSS_SELECTOR, "#test-result .summary").text.startswith("31 checks")


def test_a_failing_receiver_shows_in_the_failed_deliveries_filter(browser: WebDriver, serve: Serve) -> None:
    [good] = play(serve, scenario="happy-path", calls=1)
    browser.get(serve.console + "webhooks")
    url_box = browser.find_element(By.NAME, "url")
    url_box.send_keys("http://127.0.0.1:9/webhooks")  # the discard port: nothing listens there
    url_box.submit()
    wait(browser, lambda b: "URL saved" in b.find_element(By.CSS_SELECTOR, ".notice").text)
    [bad] = play(serve, scenario="happy-path", calls=1)
    browser.get(serve.console)
    browser.find_element(By.NAME, "failed").click()
    browser.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]").click()
    wait(browser, lambda b: "failed=1" in b.current_url)
    assert row_of(browser, bad) is not None
    assert row_of(browser, good) is None
    assert int(row_of(browser, bad).find_elements(By.TAG_NAME, "td")[9].text) > 0
    browser.get(f"{serve.console}calls/{bad}?tab=webhooks")
    assert "refused" in browser.find_element(By.CSS_SELECTOR, "table.deliveries > tbody").text


def test_every_page_fits_a_narrow_window_and_the_menu_works_by_keyboard(browser: WebDriver, serve: Serve) -> None:
    [call_id] = play(serve, scenario="tool-heavy", calls=1)
    pages = ["", f"calls/{call_id}", f"calls/{call_id}?tab=webhooks", "deployments", "webhooks", "start", "test"]
    metrics = {"width": 400, "height": 800, "deviceScaleFactor": 1, "mobile": False}
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    try:
        for page in pages:
            browser.get(serve.console + page)
            # Measured once the stylesheet applies (its rules make wide tables scroll inside their own box).
            wait(browser, lambda b: b.execute_script("return getComputedStyle(document.body).margin === '0px';"))
            width = browser.execute_script("return document.documentElement.scrollWidth;")
            assert width <= 400, f"/{page} is {width} px wide at 400 px: {wider_than(browser, 400)}"
    finally:
        browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {**metrics, "width": 1280})
    browser.get(serve.console)
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)  # the skip link comes first
    assert browser.switch_to.active_element.text == "Skip to content"
    for _ in range(8):
        browser.switch_to.active_element.send_keys(Keys.TAB)
        if browser.switch_to.active_element.text == "Test your endpoint":
            break
    assert browser.switch_to.active_element.text == "Test your endpoint"
    browser.switch_to.active_element.send_keys(Keys.ENTER)
    wait(browser, lambda b: b.find_element(By.TAG_NAME, "h1").text == "Test your endpoint")
    assert browser.find_element(By.CSS_SELECTOR, 'nav a[aria-current="page"]').text == "Test your endpoint"


def test_with_a_control_token_the_printed_link_opens_the_console(
    browser: WebDriver, receiver: RecordingReference, tmp_path: Path
) -> None:
    token = "console-token-0123456789abcdef"
    args = ("--to", receiver.url, "--secret", SECRET, "--db", str(tmp_path / "log.db"), "--control-token", token)
    with harness_serve(*args) as serve:
        browser.get(serve.console)
        assert "Control token required" in browser.page_source
        browser.get(f"{serve.console}?token={token}")  # the link the banner prints: sets a cookie, then redirects
        wait(browser, lambda b: b.find_element(By.TAG_NAME, "h1").text == "Calls")
        assert token not in browser.current_url
        wait(browser, lambda b: "Live:" in b.find_element(By.ID, "live-status").text)
        browser.get(serve.console + "start")
        browser.find_element(By.CSS_SELECTOR, "input[name=scenario][value=happy-path]").click()
        browser.find_element(By.NAME, "calls").send_keys("2")
        browser.find_element(By.CSS_SELECTOR, "form.start button[type=submit]").click()
        notice = wait(browser, lambda b: b.find_element(By.CSS_SELECTOR, ".notice"))
        assert notice.text == "Started 2 calls of happy-path."
        wait(browser, lambda b: len(b.find_elements(By.CSS_SELECTOR, "#calls-results a[href^='/calls/']")) == 2)
