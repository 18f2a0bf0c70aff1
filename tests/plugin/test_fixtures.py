"""The plugin's fixtures, used as a user would in their own test files (through pytester)."""

from __future__ import annotations

import pytest


def test_cartesia_calls_is_seeded_from_the_node_id(inner: pytest.Pytester) -> None:
    inner.makepyfile(
        """
        def test_first(cartesia_calls):
            events = cartesia_calls(outcome="completed")
            assert [e.type for e in events][0] == "call_started"
            assert events[-1].type == "post_call_analysis"
            print("IDS", "first", events[0].call_id, cartesia_calls()[0].call_id)

        def test_second(cartesia_calls):
            print("IDS", "second", cartesia_calls()[0].call_id, cartesia_calls()[0].call_id)
        """
    )
    runs = []
    for _ in range(2):
        result = inner.runpytest("-s")
        result.assert_outcomes(passed=2)
        runs.append(sorted(line[line.index("IDS") :] for line in result.outlines if "IDS" in line))
    assert runs[0] == runs[1], "the same node ids must give the same calls"
    ids = [call_id for line in runs[0] for call_id in line.split()[2:]]
    assert len(set(ids)) == 4, "calls differ between tests and between calls within a test"


def test_sender_and_served_aiohttp_app(inner: pytest.Pytester) -> None:
    inner.makepyfile(
        """
        import json
        import urllib.request

        from harness.receiver import create_app

        def test_send_a_whole_call(cartesia_serve, cartesia_sender, cartesia_calls, cartesia_secret):
            base = cartesia_serve(create_app(cartesia_secret))
            events = cartesia_calls(outcome="completed", turns=4)
            deliveries = cartesia_sender.send_call(events, url=base + "/webhooks")
            assert [d.last.status for d in deliveries] == [200] * len(events)
            rejected = cartesia_sender.send(events[0], url=base + "/webhooks", secret="wrong")
            assert rejected.last.status == 401
            with urllib.request.urlopen(base + "/_harness/processed", timeout=10) as response:
                processed = json.load(response)["processed"]
            assert [entry["type"] for entry in processed] == [e.type for e in events]
        """
    )
    inner.runpytest().assert_outcomes(passed=1)


def test_mock_server_delivers_to_the_target_and_serves_the_calls_api(inner: pytest.Pytester) -> None:
    inner.makeconftest(
        """
        import pytest
        from harness.receiver import create_app

        @pytest.fixture
        def cartesia_target(cartesia_serve, cartesia_secret):
            return cartesia_serve(create_app(cartesia_secret)) + "/webhooks"
        """
    )
    inner.makepyfile(
        """
        import json
        import urllib.request

        def get(url):
            request = urllib.request.Request(url, headers={"Authorization": "Bearer test-key"})
            with urllib.request.urlopen(request, timeout=10) as response:
                return json.load(response)

        def test_calls_reach_the_receiver(cartesia_mock, cartesia_target):
            call_ids = cartesia_mock.start_calls("happy-path", calls=2)
            cartesia_mock.wait_for_calls(call_ids, timeout=60)
            deliveries = cartesia_mock.log.list_deliveries(limit=1000)
            assert deliveries and all(d.ok for d in deliveries)
            assert {d.call_id for d in deliveries} == set(call_ids)
            call = get(f"{cartesia_mock.url}/agents/calls/{call_ids[0]}")
            assert call["id"] == call_ids[0]
            assert call["status"] in ("completed", "failed")

        def test_each_test_starts_with_an_empty_log(cartesia_mock):
            assert cartesia_mock.log.count() == 0
        """
    )
    inner.runpytest("-p", "no:randomly").assert_outcomes(passed=2)


def test_contract_fixture_and_marker(inner: pytest.Pytester) -> None:
    inner.makepyfile(
        """
        import pytest
        from harness.receiver import create_app
        from tests_receivers_shim import prefix_receiver

        @pytest.fixture
        def cartesia_target(cartesia_serve, cartesia_secret):
            return cartesia_serve(create_app(cartesia_secret)) + "/webhooks"

        def test_reference_receiver_passes(cartesia_contract, cartesia_target):
            report = cartesia_contract(probe=cartesia_target.replace("/webhooks", "/_harness/processed"))
            assert report.summary["failed"] == 0

        @pytest.mark.cartesia(checks=["rejects_secret_prefix", "rejects_wrong_secret"])
        def test_marker_limits_the_checks(cartesia_contract):
            report = cartesia_contract()
            assert sorted(r.name for r in report.results) == ["rejects_secret_prefix", "rejects_wrong_secret"]

        @pytest.mark.cartesia(checks=["rejects_secret_prefix"])
        def test_buggy_receiver_fails_readably(cartesia_contract, cartesia_serve, cartesia_secret):
            cartesia_contract(cartesia_serve(prefix_receiver(cartesia_secret)) + "/webhooks")
        """
    )
    inner.makepyfile(
        tests_receivers_shim="""
        from aiohttp import web

        def prefix_receiver(secret):
            async def receive(request):
                provided = request.headers.get("X-Webhook-Secret", "")
                if not provided or not secret.startswith(provided):
                    return web.json_response({"error": "unauthorized"}, status=401)
                return web.json_response({"ok": True})

            app = web.Application()
            app.router.add_post("/webhooks", receive)
            return app
        """
    )
    result = inner.runpytest()
    result.assert_outcomes(passed=2, failed=1)
    expected = ["*FAIL  rejects_secret_prefix: accepted*", "*reproduce:*", "1 checks: 0 passed, 1 failed*"]
    result.stdout.fnmatch_lines(expected)
    assert "harness/plugin.py" not in result.stdout.str(), "the failure is the report, not a traceback into the plugin"


def test_flask_and_fastapi_apps_end_to_end(inner: pytest.Pytester) -> None:
    inner.makepyfile(
        user_apps="""
        import hmac

        from fastapi import FastAPI, Request, Response
        from flask import Flask, request as flask_request

        SECRET = "cartesia-test-secret"
        seen_flask, seen_fastapi = set(), set()

        def authorised(value):
            return bool(value) and hmac.compare_digest(value.encode(), SECRET.encode())

        flask_app = Flask("receiver")

        @flask_app.post("/webhooks")
        def flask_webhook():
            if not authorised(flask_request.headers.get("X-Webhook-Secret")):
                return {"error": "unauthorized"}, 401
            event = flask_request.get_json(silent=True)
            if not isinstance(event, dict) or "type" not in event:
                return {"error": "bad payload"}, 400
            seen_flask.add((event["type"], event.get("call_id"), event.get("timestamp")))
            return "", 204

        fastapi_app = FastAPI()

        @fastapi_app.post("/webhooks")
        async def fastapi_webhook(request: Request) -> Response:
            if not authorised(request.headers.get("x-webhook-secret")):
                return Response(status_code=401)
            try:
                event = await request.json()
            except ValueError:
                return Response(status_code=400)
            if not isinstance(event, dict) or "type" not in event:
                return Response(status_code=400)
            seen_fastapi.add((event["type"], event.get("call_id"), event.get("timestamp")))
            return Response(status_code=200)
        """
    )
    inner.makepyfile(
        """
        import pytest
        from user_apps import fastapi_app, flask_app

        NO_PROBE = ["rejection_has_no_side_effects", "idempotent_under_duplicates",
                    "idempotent_under_concurrent_duplicates", "tolerates_out_of_order_events"]

        @pytest.mark.parametrize("app", [flask_app, fastapi_app], ids=["flask", "fastapi"])
        def test_user_app_honours_the_contract(cartesia_serve, cartesia_contract, app):
            report = cartesia_contract(cartesia_serve(app) + "/webhooks")
            assert {r.name for r in report.results if r.status == "skipped"} == set(NO_PROBE)
            assert report.summary["failed"] == 0
        """
    )
    inner.runpytest().assert_outcomes(passed=2)


def test_hypothesis_test_written_as_a_user_would(inner: pytest.Pytester) -> None:
    inner.makepyfile(
        """
        import pytest
        from hypothesis import given, settings, HealthCheck, strategies as st
        from harness import CallTurn
        from harness.receiver import create_app

        @pytest.fixture(scope="module")
        def receiver_url(cartesia_serve):
            return cartesia_serve(create_app("cartesia-test-secret")) + "/webhooks"

        @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
        @given(event=st.from_type(CallTurn))
        def test_receiver_accepts_any_turn(cartesia_sender, receiver_url, event):
            delivery = cartesia_sender.send(event, url=receiver_url)
            assert delivery.last.status == 200, delivery.last.response_body
        """
    )
    inner.runpytest().assert_outcomes(passed=1)


def test_contract_fixture_failures_offer_a_replay_from_the_log(inner: pytest.Pytester) -> None:
    inner.makepyfile(
        """
        import pytest
        from aiohttp import web

        def crashes_on_unknown_types(secret):
            async def receive(request):
                if request.headers.get("X-Webhook-Secret") != secret:
                    return web.json_response({}, status=401)
                event = await request.json()
                if event["type"] not in ("call_started", "call_turn", "call_completed", "call_failed",
                                         "post_call_analysis"):
                    raise web.HTTPInternalServerError()
                return web.json_response({})

            app = web.Application()
            app.router.add_post("/webhooks", receive)
            return app

        @pytest.mark.cartesia(checks=["tolerates_unknown_event_type"])
        def test_unknown_types(cartesia_contract, cartesia_serve, cartesia_secret):
            cartesia_contract(cartesia_serve(crashes_on_unknown_types(cartesia_secret)) + "/webhooks")
        """
    )
    result = inner.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*FAIL  tolerates_unknown_event_type*", "*harness replay dlv_*"])
