"""``harness export``: captured calls as fixture files and a scenario that replays them (optionally scrubbed)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness._logcli import add_db_argument
from harness.export import RECORDING_NAME, SCENARIO_NAME, export_captured
from harness.store import DeliveryLog

HELP = "write captured calls (harness listen) as fixtures and a replay scenario; --scrub replaces personal data"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_db_argument(parser)
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="directory to write into")
    parser.add_argument(
        "--call", dest="calls", action="append", default=[], metavar="ID", help="only this call (repeatable)"
    )
    parser.add_argument("--scrub", action="store_true", help="replace personal data by fake data of the same shape")
    parser.add_argument(
        "--force", action="store_true", help="replace what an earlier export wrote in DIR (only once all is written)"
    )


def run(args: argparse.Namespace) -> int:
    with DeliveryLog.open_existing(args.db) as log:
        result = export_captured(log, args.out, call_ids=args.calls, scrub=args.scrub, force=args.force)
    scrubbed = ", scrubbed" if args.scrub else ""
    print(f"wrote {result.events} events of {result.calls} calls to {args.out}{scrubbed}")
    if result.recorded:
        print(f"replay them: harness send --to URL {args.out / SCENARIO_NAME}  (recording: {RECORDING_NAME})")
    else:
        print(f"no event could be parsed: no {RECORDING_NAME} or {SCENARIO_NAME} was written", file=sys.stderr)
    if result.without_call:
        print(
            f"left out {result.without_call} captured deliveries that name no call (no call_id or request_id): "
            "they cannot be replayed as part of a call; `harness deliveries` lists them",
            file=sys.stderr,
        )
    if result.unknown:
        print("seen in real traffic, unknown to the harness: " + ", ".join(sorted(result.unknown)), file=sys.stderr)
    for problem in result.unparsable:
        print(f"not an event the harness can parse, left out of {RECORDING_NAME}: {problem}", file=sys.stderr)
    return 1 if result.unparsable else 0
