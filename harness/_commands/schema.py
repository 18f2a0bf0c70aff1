"""``harness schema``: write the JSON Schema of every event type."""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.schema import write_schemas

HELP = "write a JSON Schema per event type"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="directory to write the schemas into")


def run(args: argparse.Namespace) -> int:
    for path in write_schemas(args.out):
        print(path)
    return 0
