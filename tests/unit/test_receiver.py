"""verify_secret (property-tested) and event_key."""

from __future__ import annotations

import hmac
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness import event_key, parse_event, receiver, reference_receiver, verify_secret
from tests.conftest import load_fixture

secrets = st.text(min_size=1, max_size=64)


@given(secret=secrets)
def test_the_secret_itself_is_accepted(secret: str) -> None:
    assert verify_secret(secret, secret)


@given(secret=secrets, provided=st.text(max_size=64))
def test_accepts_exactly_the_equal_string(secret: str, provided: str) -> None:
    assert verify_secret(provided, secret) == (provided == secret and provided != "")


@given(secret=secrets, cut=st.integers(min_value=0, max_value=63))
def test_prefix_is_rejected(secret: str, cut: int) -> None:
    prefix = secret[: cut % len(secret)]
    assert not verify_secret(prefix, secret)


@given(secret=secrets, suffix=st.text(min_size=1, max_size=8))
def test_suffix_is_rejected(secret: str, suffix: str) -> None:
    assert not verify_secret(secret + suffix, secret)


@given(secret=st.text(alphabet="abcdefXYZ", min_size=1, max_size=32))
def test_case_variant_is_rejected(secret: str) -> None:
    variant = secret.swapcase()
    assert verify_secret(variant, secret) == (variant == secret)


@given(rotation=st.lists(secrets, min_size=1, max_size=4), pick=st.integers(min_value=0))
def test_any_secret_of_a_rotation_is_accepted(rotation: list[str], pick: int) -> None:
    assert verify_secret(rotation[pick % len(rotation)], rotation)


@pytest.mark.parametrize("provided", [None, ""])
def test_missing_or_empty_header_fails_closed(provided: str | None) -> None:
    assert not verify_secret(provided, "s3cret")


@pytest.mark.parametrize("configured", ["", [], [""]])
def test_unset_secret_fails_closed(configured: str | list[str]) -> None:
    assert not verify_secret("", configured)
    assert not verify_secret("anything", configured)


@pytest.mark.parametrize("provided", ["\udcff\udcfe", "\ud800", "s3cret\udcff"])
def test_a_header_that_is_not_valid_text_is_rejected_without_raising(provided: str) -> None:
    # aiohttp hands over the bytes of a non-UTF-8 header as surrogate escapes.
    assert not verify_secret(provided, "s3cret")
    assert not verify_secret(provided, ["other", "s3cret"])


def test_non_string_header_is_rejected() -> None:
    assert not verify_secret(123, "123")  # type: ignore[arg-type]  # what an untyped caller could pass


def test_compares_with_compare_digest(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    assert verify_secret("b", ["a", "b", "c"])
    # Every configured secret is compared, even after a match, and as bytes.
    assert calls == [(b"b", b"a"), (b"b", b"b"), (b"b", b"c")]


def test_event_key_is_equal_for_a_redelivery_and_distinct_across_events() -> None:
    started = parse_event(load_fixture("call_started"))
    turn = parse_event(load_fixture("call_turn"))
    other_turn = parse_event(load_fixture("call_turn_without_legacy_fields"))
    assert event_key(started) == event_key(parse_event(load_fixture("call_started")))
    assert len({event_key(started), event_key(turn), event_key(other_turn)}) == 3


def test_event_key_of_a_2025_payload_uses_request_id() -> None:
    assert "MZ4958bfe4940bf0ef6cc92f8c6cfa1a1f" in event_key(parse_event(load_fixture("legacy_2025_call_completed")))


def test_event_key_without_call_uses_content() -> None:
    a = parse_event({"type": "ping", "n": 1})
    b = parse_event({"type": "ping", "n": 2})
    assert event_key(a) != event_key(b)
    assert event_key(a) == event_key(parse_event({"type": "ping", "n": 1}))


def test_the_helpers_import_no_web_framework() -> None:
    # Users are told to copy verify_secret and event_key: their module must not need aiohttp.
    script = (
        "import sys, harness.receiver; print(sorted(m for m in ('aiohttp', 'multidict', 'yarl') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == "[]"


def test_the_reference_receiver_is_still_found_through_harness_receiver() -> None:
    assert receiver.create_app is reference_receiver.create_app
    assert receiver.ReceiverState is reference_receiver.ReceiverState
    assert receiver.DEFAULT_PROBE_PATH == reference_receiver.DEFAULT_PROBE_PATH == "/_harness/processed"
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        _ = receiver.nothing_here
