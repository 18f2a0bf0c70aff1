"""wrk, the baseline the benchmarks measure the harness against: the same body and webhook headers, no harness."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from harness.delivery import webhook_headers

__all__ = ["run_wrk"]


def run_wrk(url: str, body: bytes, *, secret: str, seconds: int, connections: int, workdir: Path) -> float:
    """wrk's requests per second, POSTing ``body`` with the webhook headers over ``connections`` connections.

    SystemExit when wrk did not run cleanly (no rate printed, or any answer that is not a 2xx).
    """
    text = body.decode()
    if "]==]" in text:
        raise SystemExit("the body contains ]==], which the Lua long string cannot hold")
    headers = "".join(f'wrk.headers["{name}"] = "{value}"\n' for name, value in webhook_headers(secret).items())
    script = workdir / "post.lua"
    script.write_text(f'wrk.method = "POST"\nwrk.body = [==[{text}]==]\n{headers}')
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-s", str(script), url]
    result = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=True)
    match = re.search(r"Requests/sec:\s+([\d.]+)", result.stdout)
    if match is None or "Non-2xx or 3xx responses" in result.stdout:
        raise SystemExit(f"wrk did not run cleanly:\n{result.stdout}{result.stderr}")
    return float(match.group(1))
