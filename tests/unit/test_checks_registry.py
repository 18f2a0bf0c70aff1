"""The check registry: the decorator, duplicate names, selection, and the public check names."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.checks import CHECKS, CheckContext, check, list_checks, select_checks
from harness.checks.registry import unregister
from harness.errors import ConfigError

# The names from the issue are public interface: renaming one breaks users' --checks lists.
PUBLIC_NAMES = {
    "secret": [
        "accepts_correct_secret",
        "rejects_missing_secret",
        "rejects_empty_secret",
        "rejects_wrong_secret",
        "rejects_secret_prefix",
        "rejects_secret_with_suffix",
        "rejects_secret_case_variant",
        "rejects_secret_in_query",
        "accepts_header_name_case",
        "rejects_with_401",
        "rejection_has_no_side_effects",
    ],
    "handling": [
        "handles_legacy_fields",
        "handles_payload_without_legacy_fields",
        "handles_legacy_2025_format",
        "tolerates_unknown_event_type",
        "tolerates_unknown_fields",
        "tolerates_missing_optional_fields",
        "tolerates_null_optional_fields",
        "handles_every_end_reason",
        "handles_system_log_turns",
        "handles_tool_calls",
        "handles_unicode_text",
        "handles_noncanonical_json",
        "handles_large_payload",
        "rejects_malformed_json",
    ],
    "delivery": [
        "idempotent_under_duplicates",
        "idempotent_under_concurrent_duplicates",
        "tolerates_out_of_order_events",
        "handles_burst",
        "responds_within_budget",
        "no_redirects",
    ],
}
NEEDS_PROBE = {
    "rejection_has_no_side_effects",
    "idempotent_under_duplicates",
    "idempotent_under_concurrent_duplicates",
    "tolerates_out_of_order_events",
}


@pytest.fixture
def scratch_name() -> Iterator[str]:
    name = "my_receiver_logs_every_event"
    yield name
    unregister(name)


def test_every_public_check_is_registered_in_its_area_in_report_order() -> None:
    assert [(c.area, c.name) for c in list_checks()] == [
        (area, name) for area, names in PUBLIC_NAMES.items() for name in names
    ]


def test_exactly_the_side_effect_checks_need_the_probe() -> None:
    assert {c.name for c in list_checks() if c.needs_probe} == NEEDS_PROBE


def test_each_check_has_a_one_line_description() -> None:
    for registered in list_checks():
        assert registered.doc, registered.name
        assert "\n" not in registered.doc, registered.name
        assert registered.doc.endswith("."), registered.name


def test_the_decorator_registers_name_area_doc_and_function(scratch_name: str) -> None:
    def my_receiver_logs_every_event(ctx: CheckContext) -> None:
        """Every event shows up in my log.

        More text that is not part of the description.
        """

    returned = check(area="delivery", needs_probe=True)(my_receiver_logs_every_event)
    registered = CHECKS[scratch_name]
    assert returned is my_receiver_logs_every_event
    assert (registered.area, registered.doc, registered.needs_probe) == (
        "delivery",
        "Every event shows up in my log.",
        True,
    )
    assert registered.func is my_receiver_logs_every_event


def test_a_duplicate_name_is_refused() -> None:
    def rejects_wrong_secret(ctx: CheckContext) -> None:
        """Mine."""

    with pytest.raises(ConfigError, match="'rejects_wrong_secret' is already registered"):
        check(area="secret")(rejects_wrong_secret)
    assert CHECKS["rejects_wrong_secret"].func is not rejects_wrong_secret


def test_an_unknown_area_is_refused() -> None:
    with pytest.raises(ConfigError, match="expected one of secret, handling, delivery"):
        check(area="speed")  # type: ignore[arg-type]


def test_select_keeps_report_order_and_applies_exclude() -> None:
    chosen = select_checks(["no_redirects", "rejects_wrong_secret", "handles_burst"], exclude=["handles_burst"])
    assert [c.name for c in chosen] == ["rejects_wrong_secret", "no_redirects"]
    assert len(select_checks(None, ["no_redirects"])) == len(CHECKS) - 1


def test_select_names_unknown_checks_and_lists_the_valid_ones() -> None:
    with pytest.raises(ConfigError) as info:
        select_checks(["rejects_wrong_secrets"], exclude=["nope"])
    message = str(info.value)
    assert message.startswith("unknown check(s): nope, rejects_wrong_secrets; valid checks: accepts_correct_secret")
    assert "no_redirects" in message


@pytest.mark.parametrize(("checks", "exclude"), [([], None), (["no_redirects"], ["no_redirects"])])
def test_a_selection_that_leaves_no_check_is_refused(checks: list[str], exclude: list[str] | None) -> None:
    with pytest.raises(ConfigError, match="no check selected: the names given leave none to run"):
        select_checks(checks, exclude)


def test_a_long_list_of_unknown_names_is_cut_in_the_message() -> None:
    with pytest.raises(ConfigError) as info:
        select_checks([f"nope_{index:04d}" for index in range(5000)])
    message = str(info.value)
    assert message.startswith("unknown check(s): nope_0000, nope_0001,")
    assert "nope_0009 and 4,990 more; valid checks:" in message
    assert len(message) < 2000
