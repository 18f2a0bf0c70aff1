"""The runner: outcomes of user checks, skips, preflight errors, the delivery log, evidence and reproductions."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from harness.checks import (
    CheckContext,
    CheckSkipped,
    CheckWarning,
    ProbeError,
    RunSettings,
    Severity,
    Status,
    arun_checks,
    check,
    run_checks,
)
from harness.checks.registry import unregister
from harness.checks.violations import BadSecretAccepted
from harness.errors import ConfigError, TargetUnreachableError
from harness.receiver import create_app
from harness.serving import AppServer, serve_app
from harness.store import DeliveryLog
from tests.receivers import FAULTY, serve

SECRET = "whsec_Runner_0123456789"
WEBHOOK, PROBE = "/webhooks", "/_harness/processed"
SCRATCH = ("a_plain_assert_fails", "an_async_skip", "a_warning", "needs_a_probe", "a_crashing_check")


@pytest.fixture(autouse=True)
def scratch_checks() -> Iterator[None]:
    @check(area="handling", name="a_plain_assert_fails")
    def plain(ctx: CheckContext) -> None:
        """A user's check written with a plain assert."""
        assert ctx.secret == "something else", "the secret is not what I expected"

    @check(area="delivery", name="an_async_skip")
    async def skip(ctx: CheckContext) -> None:
        """A user's async check that cannot observe what it needs."""
        raise CheckSkipped("my receiver has no audit log here")

    @check(area="secret", name="a_warning")
    async def warn(ctx: CheckContext) -> None:
        """A tolerated deviation."""
        delivery = await ctx.send(ctx.call(turns=1)[0])
        raise CheckWarning("a small thing", "tolerated", deliveries=[delivery])

    @check(area="delivery", name="needs_a_probe", needs_probe=True)
    def probe_only(ctx: CheckContext) -> None:
        """Sees side effects."""
        raise AssertionError("must not run without a probe")

    @check(area="handling", name="a_crashing_check")
    def crash(ctx: CheckContext) -> None:
        """A user's check with a bug in it."""
        empty: dict[str, int] = {}
        empty["missing"]  # the bug in the user's check

    yield
    for name in SCRATCH:
        unregister(name)


@pytest.fixture
async def reference() -> AsyncIterator[AppServer]:
    async with AppServer(create_app(SECRET)) as server:
        yield server


async def test_user_checks_become_failed_skipped_and_warning_results(reference: AppServer) -> None:
    report = await arun_checks(reference.url + WEBHOOK, SECRET, checks=list(SCRATCH))
    by_name = {result.name: result for result in report.results}
    assert by_name["a_plain_assert_fails"].status == "failed"
    assert by_name["a_plain_assert_fails"].message.startswith("the secret is not what I expected")
    assert (by_name["an_async_skip"].status, by_name["an_async_skip"].message) == (
        "skipped",
        "my receiver has no audit log here",
    )
    assert by_name["needs_a_probe"].status == "skipped"
    assert "pass --probe URL" in by_name["needs_a_probe"].message
    warning = by_name["a_warning"]
    assert (warning.status, warning.message) == ("warning", "a small thing: tolerated")
    assert warning.evidence.requests[0].status == 200
    assert warning.reproduce[0].startswith("curl -sS -i -X POST ")
    assert (by_name["a_crashing_check"].status, by_name["a_crashing_check"].message) == (
        "failed",
        "a_crashing_check raised KeyError: 'missing'",
    )
    assert report.summary == {"passed": 0, "failed": 2, "warnings": 1, "skipped": 2}
    assert report.requests == 1


async def test_an_unreachable_target_is_one_error_naming_the_url(reference: AppServer) -> None:
    url = reference.url + WEBHOOK
    await reference.close()
    with pytest.raises(TargetUnreachableError) as info:
        await arun_checks(url, SECRET)
    assert str(info.value).startswith(f"cannot reach {url} (")
    assert "connection refused" in str(info.value)


async def test_a_broken_probe_stops_the_run_before_any_check(reference: AppServer) -> None:
    probe = reference.url + "/no-such-probe"
    with pytest.raises(ProbeError, match=f"state probe {probe}: answered 404"):
        await arun_checks(reference.url + WEBHOOK, SECRET, probe)


@pytest.mark.parametrize(
    ("url", "secret", "options", "message"),
    [
        ("ftp://127.0.0.1/webhooks", SECRET, {}, "target URL 'ftp://127.0.0.1/webhooks': expected an http://"),
        ("http://127.0.0.1:x/webhooks", SECRET, {}, "target URL 'http://127.0.0.1:x/webhooks': expected a port number"),
        ("http://[::1/webhooks", SECRET, {}, "target URL 'http://[::1/webhooks': expected a valid URL"),
        (
            "http://127.0.0.1:1/webhooks",
            SECRET,
            {"probe": "http://127.0.0.1:70000/p"},
            "probe URL 'http://127.0.0.1:70000/p': expected a port number",
        ),
        ("http://127.0.0.1:1/webhooks", "", {}, "no secret"),
        (
            "http://127.0.0.1:1/webhooks",
            SECRET,
            {"latency_budget": 0},
            "latency budget: expected a number of seconds above 0",
        ),
        ("http://127.0.0.1:1/webhooks", SECRET, {"checks": ["nope"]}, "unknown check(s): nope; valid checks:"),
    ],
)
async def test_bad_options_are_config_errors(url: str, secret: str, options: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        await arun_checks(url, secret, **options)  # type: ignore[arg-type]
    assert message in str(info.value)


async def test_run_checks_also_works_from_async_code() -> None:
    # The blocking API must not deadlock or nest loops when a test is itself async.
    with serve_app(create_app(SECRET)) as server:
        report = run_checks(server.url + WEBHOOK, SECRET, checks=["rejects_wrong_secret", "accepts_correct_secret"])
    assert [(r.name, r.status) for r in report.results] == [
        ("accepts_correct_secret", "passed"),
        ("rejects_wrong_secret", "passed"),
    ]


def test_run_checks_from_sync_code_against_a_faulty_receiver() -> None:
    receiver = next(r for r in FAULTY if r.name == "prefix_compare")
    with serve_app(receiver.build(SECRET), kind="aiohttp") as server:
        base = server.url
        report = run_checks(base + WEBHOOK, SECRET, checks=["rejects_secret_prefix"])
    (result,) = report.results
    assert result.status == "failed"
    assert result.message.startswith("accepted a request with the secret without its last character: answered 200")
    (request,) = result.evidence.requests
    assert request.status == 200
    assert request.secret == "the secret without its last character"
    assert request.request.startswith(f"POST {base}{WEBHOOK} (call_started of call ac_")
    assert json.loads(request.response) == {"ok": True}
    assert request.latency_ms >= 0
    # No log was given, and a replay would send the real secret anyway: only curl reproduces it.
    assert len(result.reproduce) == 1
    assert '"X-Webhook-Secret: ${CARTESIA_WEBHOOK_SECRET%?}"' in result.reproduce[0]
    assert report.exit_code() == 1


async def test_every_request_is_logged_with_the_secret_masked_everywhere(tmp_path: Path) -> None:
    db = tmp_path / "deliveries.db"
    receiver = next(r for r in FAULTY if r.name == "trailing_slash_redirect")
    async with serve(receiver, SECRET) as served:
        report = await arun_checks(
            served.url,
            SECRET,
            checks=["accepts_correct_secret", "rejects_secret_in_query", "rejects_empty_secret"],
            db=db,
        )
    with DeliveryLog(db) as log:
        stored = log.list_deliveries(limit=1000)
        assert len(stored) == report.requests
        for delivery in stored:
            dumped = json.dumps(delivery.to_dict())
            assert SECRET not in dumped
            assert SECRET[:-1] not in dumped
    assert any("secret=***" in delivery.url for delivery in stored)
    failed = report.result("accepts_correct_secret")
    assert failed.status == "failed"
    assert "redirected (308) to /webhooks/" in failed.message
    replay = [command for command in failed.reproduce if command.startswith("harness replay dlv_")]
    assert replay
    assert f"--db {db}" in replay[0]
    assert replay[0].split()[2] in {delivery.id for delivery in stored}


def test_call_ids_are_fresh_per_check_and_per_run() -> None:
    def ids(run_id: str, name: str) -> list[str]:
        ctx = CheckContext(name, RunSettings(url="http://h/w", secret="s", run_id=run_id), deliverer=None)  # type: ignore[arg-type]
        return [ctx.new_call_id() for _ in range(3)]

    everything = ids("run1", "a") + ids("run1", "b") + ids("run2", "a")
    assert len(set(everything)) == 9
    assert all(call_id.startswith("ac_") and len(call_id) == 25 for call_id in everything)


def test_the_same_seed_gives_the_same_payloads_except_call_ids() -> None:
    def payload(run_id: str) -> dict[str, object]:
        ctx = CheckContext("x", RunSettings(url="http://h/w", secret="s", seed=5, run_id=run_id), deliverer=None)  # type: ignore[arg-type]
        wire = ctx.call(label="l")[0].to_wire()
        wire.pop("call_id")
        wire["call"].pop("id")
        return wire

    assert payload("one") == payload("two")


async def test_latency_figures_are_evidence_even_when_the_check_passes(reference: AppServer) -> None:
    report = await arun_checks(reference.url + WEBHOOK, SECRET, checks=["responds_within_budget"], latency_budget=30)
    (result,) = report.results
    assert result.status == "passed"
    assert result.evidence.facts["budget_s"] == 30
    stats = result.evidence.facts["latency_by_type"]
    assert set(stats) == {"call_started", "call_turn", "call_completed", "call_failed", "post_call_analysis"}
    for figures in stats.values():
        assert figures["count"] >= 1
        assert 0 <= figures["p50_ms"] <= figures["p95_ms"] <= figures["max_ms"]


def test_a_failure_keeps_its_kind_and_typed_fields() -> None:
    receiver = next(r for r in FAULTY if r.name == "prefix_compare")
    with serve_app(receiver.build(SECRET), kind="aiohttp") as server:
        report = run_checks(server.url + WEBHOOK, SECRET, checks=["rejects_secret_prefix", "rejects_wrong_secret"])
    failed, passed = report.result("rejects_secret_prefix"), report.result("rejects_wrong_secret")
    assert isinstance(failed.failure, BadSecretAccepted)
    assert (failed.failure.severity, failed.failure.status) == (Severity.ERROR, 200)
    assert failed.failure.presented == "the secret without its last character"
    assert failed.message == f"{failed.failure.title}: {failed.failure.message}"
    assert (passed.status, passed.failure) == (Status.PASSED, None)


async def test_a_short_secret_sent_in_the_query_is_never_logged(tmp_path: Path) -> None:
    # Too short to be searched for in echoed text, the secret is still masked where the check put it.
    secret, db = "k3y", tmp_path / "deliveries.db"
    async with AppServer(create_app(secret)) as server:
        report = await arun_checks(server.url + WEBHOOK, secret, checks=["rejects_secret_in_query"], db=db)
    assert report.result("rejects_secret_in_query").status == Status.PASSED
    with DeliveryLog(db) as log:
        (stored,) = log.list_deliveries(limit=10)
    assert "secret=***&token=***" in stored.url
    assert f"={secret}" not in json.dumps(stored.to_dict())
