"""``harness send``: play scenarios straight at a receiver, one shot, no server; a line per delivery."""

from __future__ import annotations

import argparse
import asyncio
import secrets
import signal
import sys
from pathlib import Path
from typing import TextIO

from harness._bounds import require_seconds
from harness._commands._tls import add_tls_arguments, tls_options
from harness._console import color_enabled, paint
from harness._environment import SECRET_ENV, require_webhook_secret
from harness._logcli import DB_ENV, default_db
from harness._net import require_http_url, require_reachable
from harness.delivery import MAX_TIMEOUT, Deliverer, Delivery, DeliverySettings
from harness.errors import ConfigError
from harness.player import PlayResult, play
from harness.scenarios import MAX_CALLS, PlannedCall, PlannedDelivery, Scenario, load_scenario, scenario_with_params
from harness.store import DEFAULT_DB_PATH, DeliveryLog

HELP = "send scenario events to a webhook receiver once (no server needed)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--to", required=True, metavar="URL", help="the receiver's webhook URL")
    parser.add_argument("--secret", help=f"webhook secret sent in X-Webhook-Secret (default: ${SECRET_ENV})")
    parser.add_argument(
        "--scenario", action="append", default=[], metavar="NAME", help="a bundled scenario (repeatable)"
    )
    parser.add_argument("files", nargs="*", metavar="FILE", help="scenario .toml files")
    parser.add_argument("--db", default=None, help=f"delivery log (default: ${DB_ENV} or {DEFAULT_DB_PATH})")
    parser.add_argument("--seed", type=int, help="override the scenarios' generator seed")
    parser.add_argument("--calls", type=int, help="override the number of calls")
    parser.add_argument("--fast", action="store_true", help="ignore realtime pacing: send as fast as possible")
    parser.add_argument("--timeout", type=float, default=10.0, help="delivery timeout in seconds (default: 10)")
    parser.add_argument("--concurrency", type=int, default=64, help="requests in flight at most (default: 64)")
    parser.add_argument("--quiet", action="store_true", help="print only the summary")
    add_tls_arguments(parser)


def run(args: argparse.Namespace) -> int:
    secret = require_webhook_secret(args.secret)
    if not args.scenario and not args.files:
        raise ConfigError("nothing to send: pass --scenario NAME (e.g. happy-path) or scenario FILE paths")
    require_http_url(args.to, "--to")
    require_seconds("--timeout", args.timeout, high=MAX_TIMEOUT)
    if args.calls is not None and not 1 <= args.calls <= MAX_CALLS:
        raise ConfigError(f"--calls {args.calls}: expected a number from 1 to {MAX_CALLS:,}")
    settings = DeliverySettings(timeout=args.timeout, concurrency=args.concurrency, **tls_options(args))
    scenarios = [_prepare(load_scenario(name), args) for name in [*args.scenario, *args.files]]
    db = args.db or default_db()
    # Fresh call ids on every run, so runs logged to one file never share one; --seed makes them repeatable.
    id_space = f"seed:{args.seed}" if args.seed is not None else secrets.token_hex(8)
    return asyncio.run(_send(args.to, secret, scenarios, settings, db, quiet=args.quiet, id_space=id_space))


def _prepare(scenario: Scenario, args: argparse.Namespace) -> Scenario:
    overrides: dict[str, object] = {}
    if args.seed is not None:
        overrides["seed"] = args.seed
    if args.calls is not None:
        overrides["calls"] = args.calls
    if args.fast:
        overrides["pacing"] = {"mode": "fast"}
    return scenario_with_params(scenario, overrides, source="command line") if overrides else scenario


async def _send(
    url: str,
    secret: str,
    scenarios: list[Scenario],
    settings: DeliverySettings,
    db: str | Path,
    *,
    quiet: bool,
    id_space: str,
) -> int:
    await require_reachable(url, settings.timeout, fix="pass the right --to URL")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    printer = _Printer(sys.stdout, quiet=quiet)
    results: list[PlayResult] = []
    with DeliveryLog(db) as log:
        async with Deliverer(url, secret, settings=settings, recorder=log) as deliverer:
            for scenario in scenarios:
                if stop.is_set():
                    break
                plan = scenario.plan(id_space=id_space)

                def record(call: PlannedCall, name: str = scenario.name) -> None:
                    log.record_call(call.call_id, agent_id=call.agent_id, scenario=name, events=len(call.event_bodies))

                result = await play(plan, deliverer, on_sent=printer.line, on_planned=record, stop=stop, keep=False)
                results.append(result)
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.remove_signal_handler(signum)
    ok = sum(r.ok_count for r in results)
    failed = sum(r.failed_count for r in results)
    dropped = sum(r.dropped_count for r in results)
    elapsed = sum(r.elapsed for r in results)
    rate = (ok + failed) / elapsed if elapsed > 0 else 0.0
    summary = f"{ok + failed} deliveries: {ok} ok, {failed} failed, {dropped} dropped on purpose"
    summary += f" in {elapsed:.2f} s ({rate:.0f}/s); log: {db}"
    if stop.is_set():
        print(f"{summary}; stopped early by a signal", file=sys.stderr)
        return 130
    print(summary)
    return 1 if failed else 0


class _Printer:
    def __init__(self, stream: TextIO, *, quiet: bool) -> None:
        self.stream = stream
        self.quiet = quiet
        self.color = color_enabled(stream)

    def line(self, planned: PlannedDelivery, delivery: Delivery | None) -> None:
        if self.quiet:
            return
        fault = f"  [{planned.fault}]" if planned.fault else ""
        if delivery is None:
            outcome = paint("dropped", "yellow", enabled=self.color)
            self.stream.write(
                f"-                         {planned.call_id}  {planned.event_type:<20} {outcome}{fault}\n"
            )
            return
        last = delivery.last
        if delivery.ok:
            outcome = paint(str(last.status), "green", enabled=self.color)
        else:
            outcome = paint(f"{last.status or last.failure}: {last.error}", "red", enabled=self.color)
        latency = f"{last.latency * 1000:.1f} ms"
        self.stream.write(f"{delivery.id}  {planned.call_id}  {planned.event_type:<20} {outcome}  {latency}{fault}\n")
