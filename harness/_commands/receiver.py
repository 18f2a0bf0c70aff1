"""``harness receiver``: run the bundled reference receiver (a correct receiver to compare against)."""

from __future__ import annotations

import argparse

from aiohttp import web

from harness._environment import SECRET_ENV, require_sendable_secret, require_webhook_secret
from harness._net import bind_socket
from harness.reference_receiver import DEFAULT_PROBE_PATH, DEFAULT_WEBHOOK_PATH, create_app

HELP = "run the reference webhook receiver"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port to bind, 0 for any free port (default: 8000)")
    parser.add_argument(
        "--secret",
        action="append",
        help=f"accepted secret; repeat during a rotation (default: ${SECRET_ENV})",
    )
    parser.add_argument("--path", default=DEFAULT_WEBHOOK_PATH, help=f"webhook path (default: {DEFAULT_WEBHOOK_PATH})")
    parser.add_argument(
        "--probe-path", default=DEFAULT_PROBE_PATH, help=f"state probe path (default: {DEFAULT_PROBE_PATH})"
    )


def run(args: argparse.Namespace) -> int:
    secrets = args.secret or [require_webhook_secret(None)]
    for secret in args.secret or ():
        require_sendable_secret(secret, "--secret")  # one no request can carry would never match
    sock = bind_socket(args.host, args.port)
    host, port = sock.getsockname()[:2]
    print(f"reference receiver: http://{host}:{port}{args.path}  (probe: http://{host}:{port}{args.probe_path})")
    web.run_app(create_app(secrets, path=args.path, probe_path=args.probe_path), sock=sock, print=None)
    return 0
