"""The ``harness`` command line. Each subcommand lives in ``harness/_commands/<name>.py``."""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from collections.abc import Sequence

import harness._commands as _commands
from harness._event_loops import event_loop_policy, interpreter_tuning
from harness.errors import HarnessError

# The order `harness --help` lists subcommands in; any other module in harness/_commands/ follows.
PREFERRED_ORDER = ("demo", "serve", "send", "check", "replay", "fixtures", "receiver", "schema")

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def command_names() -> list[str]:
    """Every subcommand: one module each in ``harness/_commands/``."""
    found = {info.name for info in pkgutil.iter_modules(_commands.__path__) if not info.name.startswith("_")}
    return sorted(found, key=lambda name: (PREFERRED_ORDER.index(name) if name in PREFERRED_ORDER else 99, name))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="harness", description="Local testing harness for Cartesia voice-agent webhooks."
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in command_names():
        module = importlib.import_module(f"harness._commands.{name}")
        sub = subparsers.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(sub)
        sub.set_defaults(run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns 0 when all passed, 1 when a check or delivery failed, 2 for bad usage or input."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        with event_loop_policy(), interpreter_tuning():  # uvloop unless $HARNESS_LOOP=asyncio
            return int(args.run(args))
    except HarnessError as exc:
        print(f"harness {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"harness {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`harness check --list | head`). Point stdout at /dev/null so the interpreter's
        # final flush does not raise again, and exit as a shell does for SIGPIPE.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
