"""``harness demo``: the whole loop on your machine, with nothing but the install.

Starts the mock Cartesia server and the bundled reference receiver on free loopback ports, plays a few
realistic calls through the server to the receiver, runs the contract checks against the receiver
with its state probe, prints the report and where the delivery log is, and stops.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
import time
from pathlib import Path

from harness._console import color_enabled, paint
from harness._logcli import DB_ENV, default_db
from harness.checks import Report, arun_checks
from harness.errors import ConfigError
from harness.reference_receiver import DEFAULT_PROBE_PATH, DEFAULT_WEBHOOK_PATH, create_app
from harness.serving import AppServer
from harness.store import DEFAULT_DB_PATH

HELP = "play calls to the reference receiver through the mock server, then check it (needs nothing else)"
DEMO_SCENARIO = "happy-path"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--calls", type=int, default=3, metavar="N", help="calls to play first (default: 3)")
    parser.add_argument("--seed", type=int, default=0, metavar="N", help="seed of the calls and checks (default: 0)")
    parser.add_argument(
        "--db", type=Path, metavar="PATH", help=f"delivery log to write (default: ${DB_ENV} or {DEFAULT_DB_PATH})"
    )


def run(args: argparse.Namespace) -> int:
    if args.calls < 1:
        raise ConfigError(f"--calls {args.calls}: expected an integer >= 1")
    db = args.db or Path(default_db())
    report = asyncio.run(_demo(args.calls, args.seed, db))
    return report.exit_code()


async def _demo(calls: int, seed: int, db: Path) -> Report:
    from harness.server import MockServer, ServerConfig

    color = color_enabled(sys.stdout)
    # A throwaway secret: the demo's receiver and server share it and nobody else needs it.
    secret = "whsec_demo_" + secrets.token_hex(12)
    async with AppServer(create_app(secret)) as receiver:
        url, probe = receiver.url + DEFAULT_WEBHOOK_PATH, receiver.url + DEFAULT_PROBE_PATH
        print(paint("1. Reference receiver", "bold", enabled=color) + f" listening at {url} (state probe {probe})")
        config = ServerConfig(port=0, target_url=url, secret=secret, db_path=db)
        async with MockServer(config) as server:
            print(paint("2. Mock Cartesia server", "bold", enabled=color) + f" at {server.url}, playing {calls} calls")
            print(f"   web console: {server.url}/ (open while the demo runs)")
            started = time.time()
            call_ids = await server.start_calls(DEMO_SCENARIO, calls=calls, seed=seed)
            await server.wait_for_calls(call_ids)
            # The same seed gives the same call ids, so an earlier demo's deliveries may be in the log too.
            logged = [d for call_id in call_ids for d in server.log.list_deliveries(call_id=call_id, limit=10_000)]
            played = [delivery for delivery in logged if delivery.created_at >= started]
            delivered = sum(1 for delivery in played if delivery.ok)
            print(f"   {delivered} of {len(played)} events delivered with a 2xx; calls: {', '.join(call_ids)}")
            status, turns = await _call_status(server.url, call_ids[0])
            print(f"   Calls API: GET /agents/calls/{call_ids[0]} -> status {status!r}, {turns} transcript turns")
        print(paint("3. Contract check", "bold", enabled=color) + " of the receiver, with its state probe\n")
        report = await arun_checks(url, secret, probe, seed=seed, db=db)
    sys.stdout.write(report.render_terminal(color=color))
    print(f"\ndelivery log: {db}  (list it: harness deliveries --db {db})")
    print("next: run your own receiver and `harness check http://127.0.0.1:8000/webhooks --secret S --probe URL`")
    return report


async def _call_status(base_url: str, call_id: str) -> tuple[str, int]:
    """What the mock server's Calls API says about a played call, as a client would ask it."""
    import aiohttp

    headers = {"Authorization": "Bearer demo"}
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{base_url}/agents/calls/{call_id}", headers=headers) as response,
    ):
        call = await response.json()
    return str(call.get("status")), len(call.get("transcript") or [])
