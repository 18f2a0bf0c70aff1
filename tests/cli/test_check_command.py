"""``harness check`` as a user runs it: exit codes, reports written, golden terminal output, no secret printed."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import pytest

from tests.receivers import CORRECT, FAULTY, GalleryReceiver, Served, serve_sync

SECRET = "whsec_Cli_0123456789abcdef"
GOLDEN = Path(__file__).parent / "golden"


def receiver(name: str) -> GalleryReceiver:
    return next(r for r in (*CORRECT, *FAULTY) if r.name == name)


@pytest.fixture
def correct() -> Iterator[Served]:
    with serve_sync(receiver("aiohttp"), SECRET) as served:
        yield served


@pytest.fixture
def prefix_bug() -> Iterator[Served]:
    with serve_sync(receiver("prefix_compare"), SECRET) as served:
        yield served


def harness(
    *args: str, cwd: Path, secret_env: bool = False, db_env: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key not in ("CARTESIA_WEBHOOK_SECRET", "HARNESS_DB")}
    env["NO_COLOR"] = "1"
    if db_env is not None:
        env["HARNESS_DB"] = db_env
    if secret_env:
        env["CARTESIA_WEBHOOK_SECRET"] = SECRET
    return subprocess.run(
        [sys.executable, "-m", "harness", "check", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
        check=False,
    )


def normalise(text: str, tmp_path: Path) -> str:
    text = text.replace(str(tmp_path), "TMP")
    text = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", text)
    text = re.sub(r"ac_[0-9a-f]{22}", "ac_ID", text)
    text = re.sub(r"dlv_[0-9a-f]+", "dlv_ID", text)
    text = re.sub(r"in \d+(\.\d+)? ms", "in N ms", text)
    return re.sub(r"in \d+\.\d+s", "in Ns", text)


def assert_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def test_a_correct_receiver_passes_and_the_reports_are_written(correct: Served, tmp_path: Path) -> None:
    result = harness(
        correct.url,
        "--probe",
        str(correct.probe),
        "--report-json",
        "report.json",
        "--report-junit",
        "report.xml",
        cwd=tmp_path,
        secret_env=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert report["summary"] == {"passed": 31, "failed": 0, "warnings": 0, "skipped": 0}
    suite = ElementTree.parse(tmp_path / "report.xml").getroot()
    assert (suite.get("tests"), suite.get("failures")) == ("31", "0")
    lines = result.stdout.splitlines()
    assert re.fullmatch(
        r"31 checks: 31 passed, 0 failed, 0 warnings, 0 skipped in \d+\.\d\ds \(\d+ requests\)", lines[-2]
    )
    assert (
        lines[-1] == "delivery log: .harness/deliveries.db (harness replay <delivery-id> --db .harness/deliveries.db)"
    )
    assert (tmp_path / ".harness" / "deliveries.db").is_file()
    assert SECRET not in result.stdout + result.stderr


def test_the_delivery_log_defaults_to_harness_db_as_for_the_other_commands(correct: Served, tmp_path: Path) -> None:
    result = harness(correct.url, "--checks", "accepts_correct_secret", cwd=tmp_path, secret_env=True, db_env="env.db")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1] == "delivery log: env.db (harness replay <delivery-id> --db env.db)"
    assert (tmp_path / "env.db").is_file()
    assert not (tmp_path / ".harness").exists()


def test_a_failing_check_exits_1_with_evidence_and_reproduction(prefix_bug: Served, tmp_path: Path) -> None:
    result = harness(
        prefix_bug.url,
        "--secret",
        SECRET,
        "--checks",
        "rejects_secret_prefix,rejects_wrong_secret",
        "--checks",
        "idempotent_under_duplicates",
        "--db",
        str(tmp_path / "log.db"),
        "--report-json",
        "report.json",
        cwd=tmp_path,
    )
    assert result.returncode == 1, result.stderr
    assert result.stderr == ""
    assert_golden("check_prefix_bug.txt", normalise(result.stdout, tmp_path))
    checks = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))["checks"]
    assert [(c["name"], c["status"]) for c in checks] == [
        ("rejects_wrong_secret", "passed"),
        ("rejects_secret_prefix", "failed"),
        ("idempotent_under_duplicates", "skipped"),
    ]
    assert SECRET not in result.stdout
    assert SECRET[:-1] not in result.stdout


def test_warnings_fail_only_with_strict(tmp_path: Path) -> None:
    with serve_sync(receiver("forbidden_instead_of_401"), SECRET) as served:
        lenient = harness(served.url, "--checks", "rejects_with_401", "--no-db", cwd=tmp_path, secret_env=True)
        strict = harness(
            served.url, "--checks", "rejects_with_401", "--no-db", "--strict", cwd=tmp_path, secret_env=True
        )
    assert (lenient.returncode, strict.returncode) == (0, 1)
    assert "WARN  rejects_with_401: answered 403 to a wrong secret, not 401" in lenient.stdout
    assert not (tmp_path / ".harness").exists()


def test_an_unreachable_target_exits_2_saying_which_url(tmp_path: Path) -> None:
    with serve_sync(receiver("aiohttp"), SECRET) as served:
        url = served.url
    result = harness(url, "--secret", SECRET, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"harness check: error: cannot reach {url} (")
    assert "start your receiver there" in result.stderr
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--checks", "rejects_wrong_secrets"],
            "unknown check(s): rejects_wrong_secrets; valid checks: accepts_correct",
        ),
        (["--exclude", "nope"], "unknown check(s): nope; valid checks:"),
        (["--latency-budget", "-1"], "latency budget: expected a number of seconds above 0 and at most 3600, got -1.0"),
        (["--timeout", "inf"], "timeout: expected a number of seconds above 0 and at most 3600, got inf"),
        (["--timeout", "nan"], "timeout: expected a number of seconds above 0 and at most 3600, got nan"),
    ],
)
def test_bad_usage_exits_2_with_a_clear_message(correct: Served, tmp_path: Path, args: list[str], message: str) -> None:
    result = harness(correct.url, "--secret", SECRET, *args, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_a_missing_secret_or_url_exits_2(correct: Served, tmp_path: Path) -> None:
    no_secret = harness(correct.url, cwd=tmp_path)
    no_url = harness("--secret", SECRET, cwd=tmp_path)
    assert (no_secret.returncode, no_url.returncode) == (2, 2)
    assert "no secret: pass --secret S or set CARTESIA_WEBHOOK_SECRET" in no_secret.stderr
    assert "no URL: pass the receiver's webhook URL" in no_url.stderr


def test_a_broken_probe_exits_2_naming_it(correct: Served, tmp_path: Path) -> None:
    probe = correct.url.replace("/webhooks", "/missing-probe")
    result = harness(correct.url, "--secret", SECRET, "--probe", probe, "--no-db", cwd=tmp_path)
    assert result.returncode == 2
    assert f"state probe {probe}: answered 404, expected 200" in result.stderr


def test_list_shows_every_check_with_its_area(tmp_path: Path) -> None:
    result = harness("--list", cwd=tmp_path)
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert len(lines) == 31
    assert lines[0].split()[:2] == ["secret", "accepts_correct_secret"]
    assert any(
        line.startswith("delivery") and "idempotent_under_duplicates" in line and "(needs --probe)" in line
        for line in lines
    )
