"""The request body the wrk baselines post: a call_turn of the burst scenario, as harness send delivers it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from harness.store import DeliveryLog

ROOT = Path(__file__).resolve().parent.parent


def median_call_turn(url: str, secret: str, workdir: Path) -> bytes:
    """The ``call_turn`` of median size among 5 burst calls sent to ``url`` (which also warms the receiver).

    The median, not the newest: which turn is logged last varies from run to run, and so would its size.
    """
    db = workdir / "sample.db"
    command = [sys.executable, "-m", "harness", "send", "--to", url, "--secret", secret, "--scenario", "burst"]
    subprocess.run([*command, "--quiet", "--calls", "5", "--db", str(db)], check=True, capture_output=True, cwd=ROOT)
    with DeliveryLog(db) as log:
        turns = sorted((delivery.body for delivery in log.list_deliveries(event_type="call_turn")), key=len)
    return turns[len(turns) // 2]
