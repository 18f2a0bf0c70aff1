"""What the browser tests and docs/screenshots.py share: a recording reference receiver, `harness serve` as a
process, headless Chromium through the system chromedriver, and small HTTP helpers. Everything is loopback."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from aiohttp import web
from aiohttp.typedefs import Handler

from harness.models import WEBHOOK_SECRET_HEADER
from harness.receiver import create_app
from harness.serving import AiohttpThreadedServer

ROOT = Path(__file__).resolve().parents[2]
SECRET = "whsec_browser_0123456789abcdef"
ROTATED = "whsec_rotated_fedcba9876543210"  # the receiver accepts it too, so it keeps answering 2xx after a rotation
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
# The flags the harness's own tests run Chromium with: no network of its own, no sandbox (CI runs as root).
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
T = TypeVar("T")


@dataclass(frozen=True)
class Received:
    """One request the receiver got: the secret header it carried and the event it posted."""

    secret: str | None
    event_type: str | None
    call_id: str | None


class RecordingReference:
    """The reference receiver (it passes every contract check) that also records what it receives.

    Runs on its own thread; ``url`` is its webhook, ``probe`` its state probe.
    """

    def __init__(self, secrets: tuple[str, ...] = (SECRET, ROTATED)) -> None:
        self.received: list[Received] = []
        self._lock = threading.Lock()
        app = create_app(list(secrets))
        app.middlewares.append(self._record)
        self._server = AiohttpThreadedServer(app)

    @web.middleware
    async def _record(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method == "POST":
            body = await request.read()
            try:
                event = json.loads(body)
            except ValueError:
                event = {}
            event = event if isinstance(event, dict) else {}
            with self._lock:
                self.received.append(
                    Received(request.headers.get(WEBHOOK_SECRET_HEADER), event.get("type"), event.get("call_id"))
                )
        return await handler(request)

    def __enter__(self) -> RecordingReference:
        self._server.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.stop()

    @property
    def url(self) -> str:
        """The webhook URL."""
        return self._server.url + "/webhooks"

    @property
    def probe(self) -> str:
        """The state probe URL."""
        return self._server.url + "/_harness/processed"

    def snapshot(self) -> list[Received]:
        """What was received so far."""
        with self._lock:
            return list(self.received)


class Serve:
    """A running ``harness serve`` process; ``url`` is its base URL, ``console`` the console URL it printed."""

    def __init__(self, process: subprocess.Popen[str], url: str, console: str) -> None:
        self.process = process
        self.url = url
        self.console = console


@contextmanager
def harness_serve(*args: str) -> Iterator[Serve]:
    """Start ``harness serve --port 0 ARGS`` and stop it (SIGTERM, then SIGKILL after 20 s) afterwards."""
    process = subprocess.Popen(
        [sys.executable, "-m", "harness", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "NO_COLOR": "1"},
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        if not banner.startswith("mock Cartesia server: "):
            process.kill()
            raise RuntimeError(f"harness serve did not start: {banner}{process.communicate(timeout=20)[1]}")
        # The console's URL follows the banner (after the control-token link, when there is one).
        following = [process.stdout.readline() for _ in range(1 + ("--control-token" in args))]
        console = following[-1]
        assert console.startswith("web console: "), following
        yield Serve(process, banner.split()[3], console.split()[2])
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate()


def post_json(url: str, data: dict[str, Any]) -> Any:
    """POST JSON to the control API; the decoded answer."""
    request = urllib.request.Request(
        url, data=json.dumps(data).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def get_json(url: str) -> Any:
    """GET JSON from the server (the control API, or the Calls API with a key)."""
    request = urllib.request.Request(url, headers={"X-API-Key": "browser-tests"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def wait_until(condition: Callable[[], T | None], *, deadline: float = 30, what: str = "the condition") -> T:
    """Poll ``condition`` until it returns a truthy value (returned), or fail after ``deadline`` seconds."""
    end = time.monotonic() + deadline
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {deadline:g} s waiting for {what}")
        time.sleep(0.05)  # polling interval of a deadline-bound wait, not a synchronisation sleep


def browser_missing() -> str | None:
    """Why the browser tests cannot run here (None when Chromium, chromedriver and Selenium are installed)."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if shutil.which(path) is None:
            return f"{path} is missing: apt-get install -y chromium chromium-driver"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is missing: pip install -e '.[test]'"
    return None


@contextmanager
def chromium(width: int = 1280, height: int = 800) -> Iterator[Any]:
    """Headless Chromium driven through the system chromedriver, with a fresh profile deleted afterwards."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="harness-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        # The page's viewport exactly (a window's size would include the browser's own frame).
        metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
