"""The checker against the receiver gallery: no failure for a correct receiver, exactly the bug's for a faulty one."""

from __future__ import annotations

import pytest

from harness.checks import Report, arun_checks
from tests.receivers import CORRECT, FAULTY, GALLERY, PROBE_CHECKS, GalleryReceiver, serve

SECRET = "whsec_Gallery_0123456789abcdef"


def _names(report: Report, status: str) -> set[str]:
    return {result.name for result in report.results if result.status == status}


async def _check(receiver: GalleryReceiver) -> Report:
    async with serve(receiver, SECRET) as served:
        return await arun_checks(served.url, SECRET, served.probe, seed=7, **receiver.options)


@pytest.mark.parametrize("receiver", GALLERY, ids=lambda r: r.name)
async def test_gallery_receiver_gets_exactly_its_expected_verdicts(receiver: GalleryReceiver) -> None:
    report = await _check(receiver)
    failures = {r.name: r.message for r in report.results if r.status == "failed"}
    assert set(failures) == set(receiver.expected_failures), failures
    assert _names(report, "warning") == set(receiver.expected_warnings)


@pytest.mark.parametrize("receiver", [r for r in CORRECT if not r.probe], ids=lambda r: r.name)
async def test_without_a_probe_the_probe_checks_are_skipped_with_how_to_enable_them(receiver: GalleryReceiver) -> None:
    report = await _check(receiver)
    assert _names(report, "skipped") == PROBE_CHECKS
    assert all("--probe URL" in report.result(name).message for name in PROBE_CHECKS)


def test_the_gallery_has_three_frameworks_and_at_least_fifteen_bugs() -> None:
    assert {r.kind for r in CORRECT} == {"aiohttp", "wsgi", "asgi"}
    assert {r.kind for r in CORRECT if r.probe} == {"aiohttp", "wsgi", "asgi"}
    assert len(FAULTY) >= 15
    assert all(r.expected_failures or r.expected_warnings for r in FAULTY)
