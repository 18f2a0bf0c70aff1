"""``harness serve``: run the mock Cartesia server (control API, Calls API, webhooks) until stopped."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys

from harness._commands._tls import add_tls_arguments
from harness._redact import mask_url
from harness.server import MockServer, ServerConfig, resolve_config
from harness.server.config import DEFAULT_PORT

HELP = "run the mock Cartesia server that delivers webhooks and serves the Calls API"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", metavar="FILE", help="TOML config file (flags win over env, env over the file)")
    parser.add_argument("--host", help="address to bind ($HARNESS_HOST, default 127.0.0.1)")
    parser.add_argument("--port", type=int, help=f"port, 0 for any free one ($HARNESS_PORT, default {DEFAULT_PORT})")
    parser.add_argument("--to", dest="target_url", metavar="URL", help="receiver webhook URL ($CARTESIA_WEBHOOK_URL)")
    parser.add_argument("--secret", help="webhook secret ($CARTESIA_WEBHOOK_SECRET)")
    parser.add_argument("--agent-id", help="agent id in events and calls ($HARNESS_AGENT_ID)")
    parser.add_argument("--webhook-id", help="webhook id in events ($HARNESS_WEBHOOK_ID)")
    parser.add_argument("--db", help="delivery log path or :memory: ($HARNESS_DB, default .harness/deliveries.db)")
    parser.add_argument(
        "--api-key",
        dest="api_keys",
        action="append",
        help="accepted Calls API key, repeatable ($HARNESS_API_KEYS; default: any non-empty key)",
    )
    parser.add_argument("--timeout", type=float, help="delivery timeout in seconds ($HARNESS_TIMEOUT, default 10)")
    parser.add_argument("--retries", type=int, help="retries per delivery ($HARNESS_RETRIES, default 0)")
    parser.add_argument("--concurrency", type=int, help="requests in flight at most ($HARNESS_CONCURRENCY)")
    parser.add_argument(
        "--max-calls", type=int, help="calls the Calls API keeps, oldest ended forgotten ($HARNESS_MAX_CALLS, 1000)"
    )
    parser.add_argument("--scenario", action="append", default=[], help="start this scenario at launch (repeatable)")
    parser.add_argument(
        "--scenarios",
        dest="scenario_dirs",
        action="append",
        metavar="DIR",
        help="a folder of .toml scenarios the control API may start, beside the bundled ones (repeatable)",
    )
    parser.add_argument(
        "--control-token",
        metavar="T",
        help="require this token for the control API and console ($HARNESS_CONTROL_TOKEN; needed off loopback)",
    )
    parser.add_argument(
        "--allowed-host",
        dest="allowed_hosts",
        action="append",
        metavar="NAME",
        help="another Host name the control API and console answer to (repeatable; '*' for any)",
    )
    parser.add_argument("--seed", type=int, help="fix the call ids: the same seed gives the same ids ($HARNESS_SEED)")
    add_tls_arguments(parser)  # also $HARNESS_TLS_CA_FILE, $HARNESS_TLS_VERIFY


def run(args: argparse.Namespace) -> int:
    flags = {
        key: getattr(args, key)
        for key in ("host", "port", "target_url", "secret", "agent_id", "webhook_id", "api_keys", "timeout")
    }
    flags.update(db=args.db, retries=args.retries, concurrency=args.concurrency, max_calls=args.max_calls)
    flags.update(tls_ca_file=args.tls_ca_file, tls_verify=args.tls_verify, scenarios=args.scenario_dirs)
    flags.update(control_token=args.control_token, allowed_hosts=args.allowed_hosts, seed=args.seed)
    config = resolve_config(flags, config_file=args.config)
    return asyncio.run(_serve(config, args.scenario))


async def _serve(config: ServerConfig, scenarios: list[str]) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    received: list[str] = []

    def on_signal(signum: signal.Signals) -> None:
        received.append(signum.name)
        stop.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, on_signal, signum)
    async with MockServer(config) as server:
        hook = server.webhooks.active
        target = (
            f"delivering to {mask_url(hook.url)}" if hook else "no webhook yet (pass --to URL or POST /agents/webhooks)"
        )
        print(f"mock Cartesia server: {server.url}  ({target}; log: {config.db_path})", flush=True)
        if config.control_token:
            # The link sets the token as a cookie in the browser that opens it; share it only with trusted people.
            print(f"control API and console need the control token; open {server.url}/?token={config.control_token}")
        print(f"web console: {server.url}/", flush=True)
        for name in scenarios:
            call_ids = await server.start_calls(name)
            print(f"started scenario {name}: {len(call_ids)} calls", flush=True)
        await stop.wait()
        print(f"{received[0] if received else 'stop'}: finishing in-flight deliveries, then exiting", flush=True)
    print(f"stopped; {server.log.path} has every delivery recorded", flush=True)
    for message in server.error_messages():
        print(f"harness serve: error inside the server: {message}", file=sys.stderr)
    return 1 if server.errors else 0
