"""``harness deliveries``: list the delivery log, newest first.

A delivery whose outcome the log never got (the harness was stopped while it was in flight) reads
``unknown``; ``harness replay`` sends it again.
"""

from __future__ import annotations

import argparse
import json
import sys

from harness._console import color_enabled, paint
from harness._logcli import add_db_argument, describe_attempt
from harness.delivery import FailureKind
from harness.errors import ConfigError
from harness.models import Timestamp
from harness.store import DeliveryLog, StoredDelivery

HELP = "list logged deliveries, newest first"
# Each one listed is read whole (body and attempts) before printing: this bounds the memory a listing takes.
MAX_LIMIT = 100_000


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_db_argument(parser)
    parser.add_argument("--call", metavar="ID", help="only this call's deliveries")
    parser.add_argument("--type", metavar="EVENT_TYPE", help="only this event type")
    parser.add_argument("--failed", action="store_true", help="only failed deliveries")
    limit_help = f"at most N deliveries (default 50, at most {MAX_LIMIT:,})"
    parser.add_argument("--limit", type=int, default=50, metavar="N", help=limit_help)
    parser.add_argument("--json", action="store_true", help="one JSON object per line, with every attempt")


def run(args: argparse.Namespace) -> int:
    if not 1 <= args.limit <= MAX_LIMIT:
        raise ConfigError(f"--limit {args.limit}: expected a number from 1 to {MAX_LIMIT:,}")
    with DeliveryLog.open_existing(args.db) as log:
        deliveries = log.list_deliveries(
            call_id=args.call, event_type=args.type, ok=False if args.failed else None, limit=args.limit
        )
    colored = color_enabled(sys.stdout)
    for delivery in deliveries:
        print(json.dumps(delivery.to_dict()) if args.json else summary_line(delivery, colored=colored))
    return 0


def summary_line(delivery: StoredDelivery, *, colored: bool = False) -> str:
    """One delivery: id, time, event type, call, outcome of the last attempt, how many attempts."""
    when = Timestamp.from_epoch_ns(round(delivery.created_at * 1_000_000) * 1000, digits=3)
    last = delivery.attempts[-1] if delivery.attempts else None
    outcome = describe_attempt(last) if last is not None else "no attempt"
    undecided = last is not None and (last.in_flight or last.failure == FailureKind.UNKNOWN)
    outcome = paint(outcome, "green" if delivery.ok else "yellow" if undecided else "red", enabled=colored)
    replay = f" replay of {delivery.replay_of}" if delivery.replay_of else ""
    tries = f" ({len(delivery.attempts)} attempts)" if len(delivery.attempts) > 1 else ""
    return f"{delivery.id}  {when}  {delivery.event_type or '-'}  {delivery.call_id or '-'}  {outcome}{tries}{replay}"
