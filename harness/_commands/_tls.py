"""The TLS options shared by the commands that send to a receiver."""

from __future__ import annotations

import argparse
from typing import TypedDict


class TLSOptions(TypedDict):
    tls_verify: bool
    tls_ca_file: str | None


def add_tls_arguments(parser: argparse.ArgumentParser) -> None:
    """``--tls-ca-file`` and ``--no-tls-verify``, for https receivers with their own certificate."""
    parser.add_argument(
        "--tls-ca-file",
        metavar="PEM",
        help="also trust this certificate or CA (PEM) for https receivers, e.g. a local self-signed one",
    )
    # default None, not True, so `harness serve` can tell "not given" from the environment's value.
    parser.add_argument(
        "--no-tls-verify",
        dest="tls_verify",
        action="store_const",
        const=False,
        default=None,
        help="accept any certificate from https receivers (local testing only)",
    )


def tls_options(args: argparse.Namespace) -> TLSOptions:
    """The DeliverySettings fields the TLS options set."""
    return {"tls_verify": args.tls_verify is not False, "tls_ca_file": args.tls_ca_file}
