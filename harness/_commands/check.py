"""``harness check``: run the contract checks against a webhook receiver and report what it gets wrong."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from harness._commands._tls import add_tls_arguments
from harness._console import color_enabled
from harness._environment import SECRET_ENV, require_webhook_secret
from harness._logcli import DB_ENV, default_db
from harness.checks import list_checks, run_checks
from harness.errors import ConfigError
from harness.store import DEFAULT_DB_PATH

HELP = "run the contract checks against your webhook receiver"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "url", nargs="?", metavar="URL", help="the receiver's webhook URL, e.g. http://127.0.0.1:8000/webhooks"
    )
    parser.add_argument("--secret", metavar="S", help=f"the receiver's webhook secret (default: ${SECRET_ENV})")
    parser.add_argument(
        "--probe",
        metavar="URL",
        help="the receiver's state probe; enables the side-effect, idempotency and order checks",
    )
    parser.add_argument(
        "--checks", metavar="NAMES", action="append", help="comma-separated checks to run (default: all)"
    )
    parser.add_argument("--exclude", metavar="NAMES", action="append", help="comma-separated checks to leave out")
    parser.add_argument(
        "--latency-budget", type=float, default=10.0, metavar="SECONDS", help="slowest acceptable answer (default: 10)"
    )
    parser.add_argument(
        "--timeout", type=float, default=10.0, metavar="SECONDS", help="per-request timeout (default: 10)"
    )
    parser.add_argument("--seed", type=int, default=0, metavar="N", help="seed of the generated payloads (default: 0)")
    parser.add_argument("--strict", action="store_true", help="warnings fail the run too")
    parser.add_argument("--report-json", type=Path, metavar="PATH", help="also write the report as JSON")
    parser.add_argument("--report-junit", type=Path, metavar="PATH", help="also write the report as JUnit XML")
    parser.add_argument(
        "--db", metavar="PATH", help=f"delivery log, for `harness replay` (default: ${DB_ENV} or {DEFAULT_DB_PATH})"
    )
    parser.add_argument("--no-db", action="store_true", help="do not log the requests")
    parser.add_argument("--list", action="store_true", help="list the checks and exit")
    add_tls_arguments(parser)


def _names(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    return [name.strip() for value in values for name in value.split(",") if name.strip()]


def run(args: argparse.Namespace) -> int:
    if args.list:
        for check in list_checks():
            probe = " (needs --probe)" if check.needs_probe else ""
            print(f"{check.area:<9} {check.name:<40} {check.doc}{probe}")
        return 0
    if not args.url:
        raise ConfigError("no URL: pass the receiver's webhook URL, e.g. harness check http://127.0.0.1:8000/webhooks")
    secret = require_webhook_secret(args.secret, hint=" to the secret your receiver expects")
    db = None if args.no_db else (args.db or default_db())
    report = run_checks(
        args.url,
        secret,
        args.probe,
        checks=_names(args.checks),
        exclude=_names(args.exclude),
        latency_budget=args.latency_budget,
        seed=args.seed,
        strict=args.strict,
        timeout=args.timeout,
        db=db,
        tls_verify=args.tls_verify is not False,
        tls_ca_file=args.tls_ca_file,
    )
    sys.stdout.write(report.render_terminal(color=color_enabled(sys.stdout)))
    if db is not None:
        print(f"delivery log: {db} (harness replay <delivery-id> --db {db})")
    if args.report_json is not None:
        _write(args.report_json, json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n", "--report-json")
    if args.report_junit is not None:
        _write(args.report_junit, report.to_junit_xml(), "--report-junit")
    return report.exit_code(strict=args.strict)


def _write(path: Path, text: str, option: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{option} {path}: cannot write it ({exc.strerror}); pick a writable file path") from exc
