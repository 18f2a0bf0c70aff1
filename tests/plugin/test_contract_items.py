"""Contract checks collected as test items, against the receiver gallery: the plugin's verdicts are the checker's."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree

import pytest

from harness.checks import list_checks
from tests.receivers import CORRECT, FAULTY, PROBE_CHECKS, REFERENCE, GalleryReceiver, Served, serve_sync

SECRET = "whsec_Plugin_0123456789abcdef"


def _contract_args(served: Served, receiver: GalleryReceiver) -> list[str]:
    args = ["--cartesia-target", served.url, "--cartesia-secret", SECRET, "--cartesia-seed", "7"]
    if served.probe:
        args += ["--cartesia-probe", served.probe]
    if "latency_budget" in receiver.options:
        args += ["--cartesia-latency-budget", str(receiver.options["latency_budget"])]
    return args


def _outcomes(recorder: pytest.HookRecorder) -> dict[str, set[str]]:
    passed, skipped, failed = recorder.listoutcomes()
    names = {"passed": passed, "skipped": skipped, "failed": failed}
    return {status: {report.nodeid.rsplit("::", 1)[-1] for report in reports} for status, reports in names.items()}


@pytest.mark.parametrize("receiver", CORRECT + REFERENCE, ids=lambda r: r.name)
def test_correct_receiver_passes_or_skips_every_item(inner: pytest.Pytester, receiver: GalleryReceiver) -> None:
    with serve_sync(receiver, SECRET) as served:
        recorder = inner.inline_run(*_contract_args(served, receiver))
    outcomes = _outcomes(recorder)
    assert outcomes["failed"] == set()
    assert outcomes["skipped"] == (set() if receiver.probe else PROBE_CHECKS)
    assert outcomes["passed"] | outcomes["skipped"] == {check.name for check in list_checks()}


@pytest.mark.parametrize("receiver", FAULTY, ids=lambda r: r.name)
def test_faulty_receiver_fails_exactly_its_expected_items(inner: pytest.Pytester, receiver: GalleryReceiver) -> None:
    with serve_sync(receiver, SECRET) as served:
        recorder = inner.inline_run(*_contract_args(served, receiver))
    assert _outcomes(recorder)["failed"] == set(receiver.expected_failures)


def test_failure_shows_evidence_and_reproduction(inner: pytest.Pytester) -> None:
    receiver = next(r for r in FAULTY if r.name == "closed_end_reason_enum")
    with serve_sync(receiver, SECRET) as served:
        result = inner.runpytest(*_contract_args(served, receiver), "-k", "handles_every_end_reason")
    result.assert_outcomes(failed=1, deselected=len(list_checks()) - 1)
    result.stdout.fnmatch_lines(["*FAILED cartesia-contract::handles_every_end_reason*"])
    text = result.stdout.str()
    assert "evidence:" in text
    assert "reproduce:" in text
    assert "$CARTESIA_WEBHOOK_SECRET" in text
    assert "harness replay dlv_" in text
    assert SECRET not in text
    assert "Traceback" not in text


def test_warning_passes_with_the_warning_in_a_report_section(inner: pytest.Pytester) -> None:
    receiver = next(r for r in FAULTY if r.name == "forbidden_instead_of_401")
    with serve_sync(receiver, SECRET) as served:
        recorder = inner.inline_run(*_contract_args(served, receiver), "-k", "rejects_with_401")
    (report,) = [r for r in recorder.getreports("pytest_runtest_logreport") if r.when == "call"]
    assert report.passed
    sections = {title: content for title, content in report.sections if "cartesia warning" in title}
    assert sections, report.sections
    assert "403" in next(iter(sections.values()))


def test_k_selects_and_junitxml_lists_contract_items(inner: pytest.Pytester) -> None:
    receiver = REFERENCE[0]
    junit = inner.path / "contract.xml"
    with serve_sync(receiver, SECRET) as served:
        result = inner.runpytest(*_contract_args(served, receiver), "-k", "secret", f"--junitxml={junit}")
    selected = {check.name for check in list_checks() if "secret" in check.name}
    result.assert_outcomes(passed=len(selected), deselected=len(list_checks()) - len(selected))
    cases = {case.get("name") for case in ElementTree.parse(junit).getroot().iter("testcase")}
    assert cases == selected


def test_unreachable_target_fails_items_with_one_clear_message(inner: pytest.Pytester) -> None:
    result = inner.runpytest(
        "--cartesia-target", "http://127.0.0.1:9/webhooks", "--cartesia-secret", SECRET, "-k", "no_redirects"
    )
    result.assert_outcomes(failed=1, deselected=len(list_checks()) - 1)
    result.stdout.fnmatch_lines(["*127.0.0.1:9*"])
    assert "Traceback" not in result.stdout.str()


def test_unknown_check_name_is_a_usage_error(inner: pytest.Pytester) -> None:
    result = inner.runpytest("--cartesia-target", "http://127.0.0.1:9/w", "--cartesia-checks", "no_such_check")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*unknown check(s) no_such_check*valid checks:*no_redirects*"])
