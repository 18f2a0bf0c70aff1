"""Regenerate the web console's screenshots in docs/: one per page, at 1280x800, and the calls at 400 px wide.

Starts the recording reference receiver and a real ``harness serve`` on loopback, plays a few calls (some of
them to a closed port, so failed deliveries show), runs the contract check, then visits each page in headless
Chromium (Debian's ``chromium`` and ``chromium-driver``).

    .venv/bin/python docs/screenshots.py
"""

from __future__ import annotations

import socket
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.browser._support import (
    SECRET,
    RecordingReference,
    browser_missing,
    chromium,
    get_json,
    harness_serve,
    post_json,
    wait_until,
)

DOCS = Path(__file__).resolve().parent


def closed_port_url() -> str:
    """A loopback URL where nothing listens (the port was bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/webhooks"


def main() -> None:
    missing = browser_missing()
    if missing:
        raise SystemExit(missing)
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    with tempfile.TemporaryDirectory() as tmp, RecordingReference() as receiver:
        db = str(Path(tmp) / "log.db")
        with harness_serve("--to", receiver.url, "--secret", SECRET, "--db", db) as serve, chromium() as driver:
            base = serve.url

            def play(**request: object) -> list[str]:
                # English calls: the screenshots should not depend on the CJK fonts of the machine taking them.
                request = {**request, "generator": {"locale": "en_US"}}
                call_ids: list[str] = post_json(base + "/_harness/calls", request)["call_ids"]
                wait_until(
                    lambda: get_json(base + "/_harness/health")["calls_in_progress"] == 0, what="the calls to end"
                )
                return call_ids

            play(scenario="failed-calls", calls=4)
            # Two calls to a receiver that is down, so the list shows failed deliveries; then back to the receiver.
            driver.get(base + "/webhooks")
            url_box = driver.find_element(By.NAME, "url")
            url_box.send_keys(closed_port_url())
            url_box.submit()
            play(scenario="happy-path", calls=2)
            driver.get(base + "/webhooks")
            url_box = driver.find_element(By.NAME, "url")
            url_box.send_keys(receiver.url)
            url_box.submit()
            [call_id, *_] = play(scenario="tool-heavy", calls=6)

            def shoot(path: str, name: str) -> None:
                driver.get(base + path)
                WebDriverWait(driver, 20).until(expected_conditions.presence_of_element_located((By.TAG_NAME, "h1")))
                driver.save_screenshot(str(DOCS / name))
                print(f"docs/{name}: {path}")

            shoot("/", "console-calls.png")
            shoot(f"/calls/{call_id}", "console-call-transcript.png")
            shoot(f"/calls/{call_id}?tab=logs", "console-call-logs.png")
            shoot(f"/calls/{call_id}?tab=recording", "console-call-recording.png")
            driver.get(f"{base}/calls/{call_id}?tab=webhooks")
            driver.find_elements(By.CSS_SELECTOR, "button.disclose")[1].click()
            driver.save_screenshot(str(DOCS / "console-call-webhooks.png"))
            print("docs/console-call-webhooks.png: the Webhooks tab, one delivery expanded")
            shoot("/deployments", "console-deployments.png")
            shoot("/webhooks", "console-webhooks.png")
            shoot("/start", "console-start.png")
            driver.get(base + "/test")
            driver.find_element(By.NAME, "probe").send_keys(receiver.probe)
            driver.find_element(By.CSS_SELECTOR, "form.inline button").click()
            WebDriverWait(driver, 60).until(
                expected_conditions.text_to_be_present_in_element((By.ID, "test-result"), "31 checks")
            )
            driver.save_screenshot(str(DOCS / "console-test.png"))
            print("docs/console-test.png: /test after a run")
        with harness_serve("--to", receiver.url, "--secret", SECRET, "--db", db) as serve, chromium(400, 800) as narrow:
            narrow.get(serve.url + "/")
            narrow.save_screenshot(str(DOCS / "console-calls-narrow.png"))
            print("docs/console-calls-narrow.png: / at 400 px wide")


if __name__ == "__main__":
    main()
