"""The load report: verdicts and exit codes, the terminal text, the JSON, and URLs fit to print."""

from __future__ import annotations

import pytest

from harness.errors import ConfigError
from harness.load.reconcile import reconcile
from harness.load.report import LoadReport, display_url
from harness.load.settings import LoadSettings, parse_duration
from harness.load.tally import LoadTally, WorkerLedger

URL = "http://127.0.0.1:8000/webhooks"


def tally_of(*workers: tuple[int, int], final: bool = True) -> LoadTally:
    """A tally with one worker per (acknowledged, failed) pair, every event a call_turn of its own call."""
    tally = LoadTally()
    for index, (acked, failed) in enumerate(workers):
        ledger = WorkerLedger()
        for n in range(acked + failed):
            call = f"ac_{index}_{n}"
            ledger.call_started(call)
            ledger.record("call_turn", call, "t", latency=0.002, failure=None if n < acked else "HTTP 500")
        tally.merge(f"w{index}", ledger.drain(final=final), index=index)
    tally.elapsed = 2.0
    return tally


def settings(**overrides: object) -> LoadSettings:
    values: dict[str, object] = {"url": URL, "users": 4, "spawn_rate": 4, "run_time": 2, "workers": 2, "seed": 1}
    values.update(overrides)
    return LoadSettings(**values)  # type: ignore[arg-type]


def test_a_clean_run_passes() -> None:
    report = LoadReport(settings(), tally_of((5, 0), (5, 0)))
    assert report.problems() == []
    assert report.exit_code == 0
    text = report.render()
    assert text.endswith("PASSED")
    assert "no reconciliation: pass --probe URL" in text
    assert "10 sent, 10 acknowledged (2xx), 0 failed in 2.0 s (5 events/s)" in text


def test_failures_beyond_the_ratio_fail_and_within_it_pass() -> None:
    tally = tally_of((9, 1), (10, 0))
    strict = LoadReport(settings(), tally)
    assert strict.exit_code == 1
    assert strict.problems() == ["1 of 20 requests failed (5.00%), more than --max-fail-ratio 0"]
    assert "failed by kind: HTTP 500: 1" in strict.render()
    assert LoadReport(settings(max_fail_ratio=0.05), tally).exit_code == 0


def test_a_missing_worker_or_final_report_fails_the_run() -> None:
    assert LoadReport(settings(), tally_of((5, 0))).problems() == ["only 1 of 2 workers reported"]
    incomplete = LoadReport(settings(), tally_of((5, 0), (5, 0), final=False))
    assert incomplete.problems() == ["2 workers sent no final report: their last records are missing"]
    assert "(no final report)" in incomplete.render()


def test_nothing_sent_fails() -> None:
    assert "nothing was sent" in LoadReport(settings(workers=1), LoadTally()).problems()


def test_lost_and_duplicated_events_fail_and_are_named() -> None:
    tally = tally_of((3, 0), (1, 0))
    entries = [
        {"type": "call_turn", "call_id": "ac_0_0", "timestamp": "t"},
        {"type": "call_turn", "call_id": "ac_0_1", "timestamp": "t"},
        {"type": "call_turn", "call_id": "ac_0_1", "timestamp": "t"},
        {"type": "call_turn", "call_id": "ac_1_0", "timestamp": "t"},
    ]
    report = LoadReport(settings(), tally, reconcile(tally.acked_events, entries, tally.call_ids), probe_url=URL)
    assert report.problems() == [
        "1 acknowledged events were never acted on (lost)",
        "1 events were acted on more than once",
    ]
    text = report.render()
    assert "    call_turn: 1  e.g. ac_0_2 @ t" in text
    assert "    call_turn: 1  e.g. ac_0_1 @ t x2" in text
    data = report.to_json()
    assert data["passed"] is False
    assert data["reconciliation"]["duplicated"]["call_turn"]["examples"][0]["times"] == 2


def test_an_interrupted_run_exits_130_with_what_it_has() -> None:
    report = LoadReport(settings(), tally_of((5, 0), (5, 0)), interrupted=True)
    assert report.exit_code == 130
    assert "INTERRUPTED" in report.render()
    assert report.to_json()["interrupted"] is True


def test_json_report_has_latency_per_type_and_per_worker_counts() -> None:
    data = LoadReport(settings(), tally_of((5, 0), (4, 1))).to_json()
    assert data["by_type"]["call_turn"]["latency_s"] == {"p50": 0.002, "p95": 0.002, "p99": 0.002}
    assert data["by_type"]["call_turn"]["failed"] == {"HTTP 500": 1}
    assert [w["sent"] for w in data["workers"].values()] == [5, 5]
    assert data["events_per_second"] == 5.0


def test_passwords_in_urls_are_never_printed() -> None:
    secret_url = "http://alice:s3cr3t@127.0.0.1:8000/webhooks"
    assert display_url(secret_url) == "http://alice:***@127.0.0.1:8000/webhooks"
    assert display_url(URL) == URL
    report = LoadReport(settings(url=secret_url), tally_of((1, 0), (1, 0)), probe_url=secret_url)
    assert "s3cr3t" not in report.render()
    assert "s3cr3t" not in str(report.to_json())


@pytest.mark.parametrize(("text", "seconds"), [("90", 90), ("90s", 90), ("5m", 300), ("1h30m", 5400), ("1m5s", 65)])
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "s", "1.5s", "ten", "5 minutes", "-1"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ConfigError, match="expected a duration such as 30s"):
        parse_duration(text)
