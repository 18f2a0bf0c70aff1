"""``harness listen``: receive real deliveries, forward them to a local receiver, and record them."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from typing import TextIO

from harness._bounds import require_seconds
from harness._commands._tls import add_tls_arguments, tls_options
from harness._console import color_enabled, paint
from harness._environment import SECRET_ENV, webhook_secret
from harness._logcli import add_db_argument
from harness._net import require_http_url
from harness._redact import mask_url
from harness.delivery import MAX_TIMEOUT, DeliverySettings
from harness.errors import ConfigError
from harness.listen import Captured, Listener
from harness.server.config import MIN_GUARD_CHARS, is_loopback
from harness.store import DeliveryLog

HELP = "forward real Cartesia deliveries to a local receiver, recording each in the delivery log"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--forward-to", required=True, metavar="URL", help="your local receiver's webhook URL")
    parser.add_argument("--port", type=int, default=8766, help="port to listen on, 0 for any free one (default 8766)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1; point a tunnel at it)")
    parser.add_argument(
        "--secret",
        help=f"refuse (401, not forwarded) requests whose X-Webhook-Secret differs (default: ${SECRET_ENV}, if set)",
    )
    parser.add_argument(
        "--forward-unverified", action="store_true", help="forward requests with a wrong secret too, flagged"
    )
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds the receiver has to answer (default 10)")
    parser.add_argument("--json", action="store_true", help="one JSON object per request instead of a line")
    add_db_argument(parser)
    add_tls_arguments(parser)


def run(args: argparse.Namespace) -> int:
    require_http_url(args.forward_to, "--forward-to")
    require_seconds("--timeout", args.timeout, high=MAX_TIMEOUT)
    secret = webhook_secret(args.secret)  # ConfigError for one no request can carry
    if not is_loopback(args.host) and secret is None:
        raise ConfigError(
            f"--host {args.host}: listening beyond loopback forwards whatever anyone sends to your receiver; pass"
            f" --secret S (or set ${SECRET_ENV}) so only requests with the webhook's secret are forwarded"
        )
    if not is_loopback(args.host) and secret is not None and len(secret) < MIN_GUARD_CHARS:
        raise ConfigError(
            f"--host {args.host}: listening beyond loopback needs a secret of at least {MIN_GUARD_CHARS}"
            f" characters (the one given has {len(secret)}; a short one can be guessed by anyone who can reach"
            " the port); use the webhook's full secret, or bind 127.0.0.1"
        )
    settings = DeliverySettings(timeout=args.timeout, **tls_options(args))
    return asyncio.run(_listen(args, secret, settings))


async def _listen(args: argparse.Namespace, secret: str | None, settings: DeliverySettings) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    printer = _Printer(sys.stdout, as_json=args.json, cap=settings.max_response_bytes)
    with DeliveryLog(args.db) as log:
        listener = Listener(
            args.forward_to,
            log=log,
            secret=secret,
            forward_unverified=args.forward_unverified,
            settings=settings,
            host=args.host,
            port=args.port,
            on_captured=printer.line,
        )
        async with listener:
            checked = "checking X-Webhook-Secret" if secret else "not checking X-Webhook-Secret (no --secret)"
            print(
                f"listening on {listener.url}, forwarding to {mask_url(args.forward_to)} ({checked}; log: {args.db})",
                file=sys.stderr if args.json else sys.stdout,
                flush=True,
            )
            await stop.wait()
    # The listener's count, not the printer's: a forward cut short by stopping is recorded, never printed.
    count = listener.recorded
    print(f"stopped; {count} request{'' if count == 1 else 's'} recorded in {args.db}", file=sys.stderr, flush=True)
    return 0


class _Printer:
    def __init__(self, stream: TextIO, *, as_json: bool, cap: int) -> None:
        self.stream = stream
        self.as_json = as_json
        self.cap = cap  # the most of a receiver's answer that is kept and relayed
        self.color = color_enabled(stream)

    def line(self, captured: Captured) -> None:
        if self.as_json:
            self.stream.write(json.dumps(captured.to_dict()) + "\n")
        else:
            self.stream.write(self._text(captured) + "\n")
        self.stream.flush()

    def _text(self, captured: Captured) -> str:
        delivery = captured.delivery
        attempt = delivery.attempts[-1] if delivery.attempts else None
        if not captured.forwarded:
            outcome = paint(f"{captured.answered} not forwarded: {captured.refused}", "red", enabled=self.color)
        elif attempt is None or attempt.status is None:
            reason = attempt.failure if attempt is not None else "no attempt"
            outcome = paint(f"502 receiver unreachable ({reason})", "red", enabled=self.color)
        else:
            answered = f"{attempt.status} in {attempt.latency * 1000:.1f} ms"
            outcome = paint(answered, "green" if attempt.ok else "red", enabled=self.color)
            if captured.response_truncated:
                outcome += paint(f" (answer over {self.cap} bytes: relayed cut short)", "red", enabled=self.color)
        flag = ""
        if captured.verified is False:  # a refusal's reason is in the outcome already
            flag = f"  [unverified: {captured.refused}]" if captured.forwarded else "  [unverified]"
        return f"{delivery.id}  {delivery.event_type or '-':<20} {delivery.call_id or '-'}  {outcome}{flag}"
