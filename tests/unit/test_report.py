"""Reports: summary and exit codes, the JSON shape, JUnit XML, and the terminal text."""

from __future__ import annotations

import json
from dataclasses import replace
from xml.etree import ElementTree

import pytest

from harness.checks import CheckResult, Evidence, Report, RequestEvidence, Status

WRONG_SECRET_REQUEST = RequestEvidence(
    delivery_id="dlv_0",
    url="http://h/w",
    event="call_started",
    size=10,
    secret="a wrong secret",
    status=403,
    error=None,
    response="{}",
    latency_ms=1.5,
)
UNKNOWN_FIELDS_REQUEST = RequestEvidence(
    delivery_id="dlv_1",
    url="http://h/w",
    event="call_turn of call ac_1",
    size=99,
    secret="the correct secret",
    status=422,
    error="receiver answered 422",
    response='{"detail": 1}',
    latency_ms=2.0,
)


def sample() -> Report:
    return Report(
        results=[
            CheckResult("accepts_correct_secret", "secret", Status.PASSED, duration=0.012),
            CheckResult(
                "rejects_with_401",
                "secret",
                Status.WARNING,
                "answered 403 to a wrong secret, not 401",
                evidence=Evidence((WRONG_SECRET_REQUEST,)),
                reproduce=["curl -sS ... <rw>"],
            ),
            CheckResult(
                "tolerates_unknown_fields",
                "handling",
                Status.FAILED,
                "an event with unknown fields was not accepted: answered 422",
                evidence=Evidence((UNKNOWN_FIELDS_REQUEST,), {"note": {"k": "ü"}}),
                reproduce=["curl -sS -i -X POST 'http://h/w' <uf>", "harness replay dlv_1"],
            ),
            CheckResult("idempotent_under_duplicates", "delivery", Status.SKIPPED, "needs the probe; pass --probe URL"),
        ],
        target="http://h/w",
        seed=3,
        duration=1.25,
        requests=42,
    )


def test_summary_and_exit_codes() -> None:
    report = sample()
    assert report.summary == {"passed": 1, "failed": 1, "warnings": 1, "skipped": 1}
    assert report.exit_code() == 1
    report.results = [r for r in report.results if r.status != "failed"]
    assert report.exit_code() == 0
    assert report.exit_code(strict=True) == 1
    report.results = [r for r in report.results if r.status != "warning"]
    assert report.exit_code(strict=True) == 0


def test_json_has_the_documented_shape() -> None:
    data = json.loads(json.dumps(sample().to_json()))
    assert data["summary"] == {"passed": 1, "failed": 1, "warnings": 1, "skipped": 1}
    assert [c["status"] for c in data["checks"]] == ["passed", "warning", "failed", "skipped"]
    for entry in data["checks"]:
        assert {"name", "status", "message", "evidence", "reproduce"} <= set(entry)
    assert data["checks"][2]["reproduce"][1] == "harness replay dlv_1"
    assert (data["target"], data["seed"], data["requests"]) == ("http://h/w", 3, 42)


def test_junit_has_one_testcase_per_check_with_failure_skipped_and_warning_output() -> None:
    suite = ElementTree.fromstring(sample().to_junit_xml())
    assert (suite.tag, suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("testsuite", "4", "1", "1")
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert list(cases) == [
        "accepts_correct_secret",
        "rejects_with_401",
        "tolerates_unknown_fields",
        "idempotent_under_duplicates",
    ]
    assert cases["tolerates_unknown_fields"].get("classname") == "cartesia.handling"
    failure = cases["tolerates_unknown_fields"].find("failure")
    assert failure is not None
    assert failure.get("message") == "an event with unknown fields was not accepted: answered 422"
    assert "harness replay dlv_1" in (failure.text or "")
    skipped = cases["idempotent_under_duplicates"].find("skipped")
    assert skipped is not None
    assert skipped.get("message") == "needs the probe; pass --probe URL"
    warning = cases["rejects_with_401"]
    assert warning.find("failure") is None
    out = warning.find("system-out")
    assert out is not None
    assert (out.text or "").startswith("WARNING: answered 403 to a wrong secret, not 401")
    assert list(cases["accepts_correct_secret"]) == []


def test_terminal_groups_by_area_shows_details_and_a_summary_line() -> None:
    text = sample().render_terminal(color=False)
    lines = text.splitlines()
    assert lines[0] == "Contract check of http://h/w"
    assert lines.index("secret") < lines.index("handling") < lines.index("delivery")
    assert "  FAIL  tolerates_unknown_fields: an event with unknown fields was not accepted: answered 422" in lines
    assert "  WARN  rejects_with_401: answered 403 to a wrong secret, not 401" in lines
    assert "  SKIP  idempotent_under_duplicates: needs the probe; pass --probe URL" in lines
    assert "  PASS  accepts_correct_secret" in lines
    assert "          harness replay dlv_1" in lines
    assert '        note: {"k": "ü"}' in lines
    assert lines[-1] == "4 checks: 1 passed, 1 failed, 1 warnings, 1 skipped in 1.25s (42 requests)"
    assert "\033[" not in text


@pytest.mark.parametrize("color", [True, False])
def test_colour_only_when_asked(color: bool) -> None:
    text = sample().render_terminal(color=color)
    assert ("\033[31mFAIL\033[0m" in text) is color


def test_evidence_is_rendered_the_same_in_the_terminal_json_and_a_result_on_its_own() -> None:
    report = sample()
    failed = report.result("tolerates_unknown_fields")
    request_line = (
        "request: POST http://h/w (call_turn of call ac_1, 99 bytes) with the correct secret -> 422 in 2.0 ms; "
        "response: '{\"detail\": 1}'"
    )
    assert "        " + request_line in report.render_terminal().splitlines()
    assert report.to_json()["checks"][2]["evidence"] == {
        "requests": [
            {
                "delivery_id": "dlv_1",
                "request": "POST http://h/w (call_turn of call ac_1, 99 bytes)",
                "secret": "the correct secret",
                "status": 422,
                "error": "receiver answered 422",
                "response": '{"detail": 1}',
                "latency_ms": 2.0,
            }
        ],
        "note": {"k": "ü"},
    }
    assert failed.render().splitlines() == [
        "tolerates_unknown_fields: failed",
        "an event with unknown fields was not accepted: answered 422",
        "",
        "evidence:",
        "  " + request_line,
        '  note: {"k": "ü"}',
        "",
        "reproduce:",
        "  curl -sS -i -X POST 'http://h/w' <uf>",
        "  harness replay dlv_1",
    ]


def test_masked_evidence_hides_the_secret_in_requests_and_facts() -> None:
    secret = "whsec_Report_0123456789"
    evidence = Evidence(
        (replace(UNKNOWN_FIELDS_REQUEST, response=f"echo {secret}"),),
        {"probe_entries": [{"headers": {"X-Webhook-Secret": secret}}], "count": 3, secret: "key"},
    )
    masked = json.dumps(evidence.masked([secret]).to_json())
    assert secret not in masked
    assert '"response": "echo ***"' in masked
    assert '"count": 3' in masked
