"""``harness fixtures``: write realistic simulated calls as JSON fixture files for a receiver's own tests."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO

from harness._fixture_files import fixture_name, staged_folder
from harness.generate import DOMAINS, LOCALES, OUTCOMES, simulate_calls
from harness.models import Event
from harness.scenarios import MAX_TURNS

HELP = "write simulated calls as JSON fixture files (one per event, or JSON Lines)"

JSONL_NAME = "events.jsonl"
# Calls one run may write: the README's "Bounds" table.
MAX_FIXTURE_CALLS = 1_000_000
# Without a terminal, a progress line is printed every this many calls.
PROGRESS_EVERY = 1000


def _integer(minimum: int | None = None, maximum: int | None = None) -> Callable[[str], int]:
    """An argparse type: an integer, at least ``minimum`` and at most ``maximum`` when they are given."""
    expected = "an integer" if minimum is None else f"an integer >= {minimum}"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
        if minimum is not None and value < minimum:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
        if maximum is not None and value > maximum:
            raise argparse.ArgumentTypeError(f"expected at most {maximum:,}, got {text!r}")
        return value

    return parse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--calls",
        type=_integer(1, MAX_FIXTURE_CALLS),
        default=1,
        metavar="N",
        help=f"number of calls (default: 1, at most {MAX_FIXTURE_CALLS:,})",
    )
    parser.add_argument(
        "--seed", type=_integer(), default=0, metavar="S", help="seed; the same seed writes the same bytes"
    )
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="directory to write into")
    parser.add_argument(
        "--format",
        choices=("json", "jsonl"),
        default="json",
        help=f"json: one file per event, named to sort in delivery order; jsonl: one line per event in {JSONL_NAME}",
    )
    parser.add_argument("--outcome", choices=OUTCOMES, help="completed, failed or an end reason (default: mixed)")
    parser.add_argument("--domain", choices=DOMAINS, help="conversation domain (default: mixed)")
    parser.add_argument("--locale", choices=LOCALES, help="faker locale for names and addresses (default: mixed)")
    parser.add_argument(
        "--turns",
        type=_integer(0, MAX_TURNS),
        metavar="N",
        help=f"user and assistant turns per call (default: varies, at most {MAX_TURNS:,})",
    )
    parser.add_argument(
        "--no-legacy-fields",
        dest="legacy_fields",
        action="store_false",
        help="leave out the legacy top-level body and end_reason copies",
    )
    parser.add_argument("--force", action="store_true", help="overwrite fixtures already in DIR")


def run(args: argparse.Namespace) -> int:
    out: Path = args.out
    target = out / JSONL_NAME if args.format == "jsonl" else out
    calls = simulate_calls(
        seed=args.seed,
        count=args.calls,
        outcome=args.outcome,
        domain=args.domain,
        locale=args.locale,
        turns=args.turns,
        legacy_fields=args.legacy_fields,
    )
    report = _progress_reporter(args.calls, sys.stderr)
    events_written = 0
    # Written in a hidden folder in --out first, and swapped in only once complete: with --force, a run that
    # fails or is interrupted (a full disk, Ctrl-C) leaves the earlier fixtures as they were, never half of them.
    with staged_folder(out, [JSONL_NAME] if args.format == "jsonl" else [], force=args.force) as folder:
        if args.format == "jsonl":
            with (folder / JSONL_NAME).open("wb") as stream:
                for index, events in enumerate(calls):
                    stream.writelines(event.to_json() + b"\n" for event in events)
                    events_written += len(events)
                    report(index + 1)
        else:
            width = max(4, len(str(args.calls - 1)))
            for index, events in enumerate(calls):
                _write_call(folder, index, width, events)
                events_written += len(events)
                report(index + 1)
    print(f"wrote {events_written} events from {args.calls} calls to {target}")
    return 0


def _write_call(out: Path, index: int, width: int, events: list[Event]) -> None:
    for position, event in enumerate(events):
        name = fixture_name(index, width, event.call_id, position, len(events), event.type)
        (out / name).write_bytes(event.to_json() + b"\n")


def _progress_reporter(total: int, stream: IO[str]) -> Callable[[int], None]:
    """A callback taking the number of calls done: live on a terminal, a line every PROGRESS_EVERY otherwise."""
    live = bool(getattr(stream, "isatty", lambda: False)())
    step = max(1, total // 100)

    def report(done: int) -> None:
        if live:
            if done % step == 0 or done == total:
                stream.write(f"\rfixtures: {done}/{total} calls" + ("\n" if done == total else ""))
                stream.flush()
        elif done % PROGRESS_EVERY == 0 and done != total:
            stream.write(f"fixtures: {done}/{total} calls\n")
            stream.flush()

    return report
