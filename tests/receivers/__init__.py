"""The receiver gallery: correct receivers in three frameworks and faulty ones with one realistic bug each.

``GALLERY`` lists every receiver with the checks it must fail (and warn on) when run with its probe.
``serve(receiver, secret)`` starts one on a free loopback port, from async code; ``serve_sync`` from sync
code (pytest plugin tests). Correct receivers must get no failure; a faulty one exactly its expected set.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import web

from harness.receiver import create_app as create_reference_app
from harness.serving import AppServer, serve_app
from tests.receivers import aiohttp_receivers as aio
from tests.receivers._ledger import PROBE_PATH, WEBHOOK_PATH
from tests.receivers.fastapi_receiver import create_fastapi_app
from tests.receivers.flask_receiver import create_flask_app

__all__ = ["CORRECT", "FAULTY", "GALLERY", "PROBE_CHECKS", "GalleryReceiver", "Served", "serve", "serve_sync"]

Kind = Literal["aiohttp", "wsgi", "asgi"]
AppFactory = Callable[[str, bool], Any]

# Checks that need the probe; without it they are skipped.
PROBE_CHECKS = frozenset(
    {
        "rejection_has_no_side_effects",
        "idempotent_under_duplicates",
        "idempotent_under_concurrent_duplicates",
        "tolerates_out_of_order_events",
    }
)
REJECTS = frozenset(
    {
        "rejects_missing_secret",
        "rejects_empty_secret",
        "rejects_wrong_secret",
        "rejects_secret_prefix",
        "rejects_secret_with_suffix",
        "rejects_secret_case_variant",
        "rejects_secret_in_query",
    }
)
# Everything that needs the event to be answered directly with a 2xx (or, for malformed JSON, a 4xx).
NEEDS_DIRECT_ANSWER = frozenset(
    {
        "accepts_correct_secret",
        "accepts_header_name_case",
        "rejects_with_401",
        "handles_legacy_fields",
        "handles_payload_without_legacy_fields",
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
        "handles_burst",
        "no_redirects",
    }
)


@dataclass(frozen=True)
class GalleryReceiver:
    """One receiver of the gallery: how to build it and what the checker must say about it."""

    name: str
    kind: Kind
    factory: AppFactory
    bug: str = ""
    probe: bool = True
    expected_failures: frozenset[str] = frozenset()
    expected_warnings: frozenset[str] = frozenset()
    options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def correct(self) -> bool:
        return not self.bug

    def build(self, secret: str) -> Any:
        """The receiver's app (aiohttp Application, Flask app or FastAPI app)."""
        return self.factory(secret, self.probe)


@dataclass(frozen=True)
class Served:
    """A running gallery receiver: its webhook URL and its probe URL (None without a probe)."""

    url: str
    probe: str | None


def _aiohttp(cls: type[aio.AiohttpReceiver]) -> AppFactory:
    return lambda secret, probe: cls(secret, probe=probe).app()


def _reference(secret: str, probe: bool) -> web.Application:
    return create_reference_app(secret, path=WEBHOOK_PATH, probe_path=PROBE_PATH if probe else None)


def _faulty(name: str, cls: type[aio.AiohttpReceiver], failures: set[str], **extra: Any) -> GalleryReceiver:
    return GalleryReceiver(
        name, "aiohttp", _aiohttp(cls), bug=(cls.__doc__ or "").strip(), expected_failures=frozenset(failures), **extra
    )


CORRECT: tuple[GalleryReceiver, ...] = (
    GalleryReceiver("aiohttp", "aiohttp", _aiohttp(aio.AiohttpReceiver)),
    GalleryReceiver("aiohttp_no_probe", "aiohttp", _aiohttp(aio.AiohttpReceiver), probe=False),
    GalleryReceiver("aiohttp_ack_then_process", "aiohttp", _aiohttp(aio.AckThenProcessReceiver)),
    GalleryReceiver("aiohttp_acts_only_on_call_end", "aiohttp", _aiohttp(aio.ActsOnlyOnCallEnd)),
    GalleryReceiver("flask", "wsgi", lambda secret, probe: create_flask_app(secret, probe=probe)),
    GalleryReceiver("flask_no_probe", "wsgi", lambda secret, probe: create_flask_app(secret, probe=probe), probe=False),
    GalleryReceiver("fastapi", "asgi", lambda secret, probe: create_fastapi_app(secret, probe=probe)),
    GalleryReceiver(
        "fastapi_no_probe", "asgi", lambda secret, probe: create_fastapi_app(secret, probe=probe), probe=False
    ),
)

FAULTY: tuple[GalleryReceiver, ...] = (
    _faulty("prefix_compare", aio.PrefixCompare, {"rejects_secret_prefix"}),
    _faulty("startswith_secret", aio.StartsWithSecret, {"rejects_secret_with_suffix"}),
    _faulty("case_insensitive_compare", aio.CaseInsensitiveCompare, {"rejects_secret_case_variant"}),
    _faulty(
        "fail_open_missing_header", aio.FailOpenMissingHeader, {"rejects_missing_secret", "rejects_secret_in_query"}
    ),
    _faulty("fail_open_empty_header", aio.FailOpenEmptyHeader, {"rejects_empty_secret"}),
    _faulty("secret_from_query", aio.SecretFromQuery, {"rejects_secret_in_query"}),
    _faulty("ok_on_rejected_secret", aio.OkOnRejectedSecret, {*REJECTS, "rejects_with_401"}),
    _faulty(
        "forbidden_instead_of_401", aio.ForbiddenInsteadOf401, set(), expected_warnings=frozenset({"rejects_with_401"})
    ),
    _faulty("case_sensitive_header_name", aio.CaseSensitiveHeaderName, {"accepts_header_name_case"}),
    _faulty("acts_before_verifying", aio.ActsBeforeVerifying, {"rejection_has_no_side_effects"}),
    GalleryReceiver(
        "closed_end_reason_enum",
        "asgi",
        lambda secret, probe: create_fastapi_app(secret, probe=probe, closed_end_reason=True),
        bug="A pydantic model declares end_reason as a Literal of the known values (ten documented, the SDK's two).",
        expected_failures=frozenset({"handles_every_end_reason"}),
    ),
    GalleryReceiver(
        "extra_forbid",
        "asgi",
        lambda secret, probe: create_fastapi_app(secret, probe=probe, extra="forbid"),
        bug='The pydantic models use extra="forbid", so a field added by Cartesia gets a 422.',
        expected_failures=frozenset({"tolerates_unknown_fields"}),
    ),
    _faulty("crash_on_missing_text", aio.CrashOnMissingText, {"tolerates_missing_optional_fields"}),
    _faulty("crash_on_null_text", aio.CrashOnNullText, {"tolerates_null_optional_fields"}),
    _faulty("unknown_type_crashes", aio.UnknownTypeCrashes, {"tolerates_unknown_event_type"}),
    _faulty("malformed_json_crashes", aio.MalformedJsonCrashes, {"rejects_malformed_json"}),
    _faulty("legacy_body_only", aio.LegacyBodyOnly, {"handles_payload_without_legacy_fields"}),
    _faulty("regex_routing", aio.RegexRouting, {"handles_noncanonical_json"}),
    _faulty("requires_call_id", aio.RequiresCallId, set(), expected_warnings=frozenset({"handles_legacy_2025_format"})),
    _faulty("three_byte_utf8_storage", aio.ThreeByteUtf8Storage, {"handles_unicode_text"}),
    _faulty("tool_arguments_as_object", aio.ToolArgumentsAsObject, {"handles_tool_calls"}),
    _faulty("default_body_limit", aio.DefaultBodyLimit, {"handles_large_payload"}),
    _faulty(
        "not_idempotent", aio.NotIdempotent, {"idempotent_under_duplicates", "idempotent_under_concurrent_duplicates"}
    ),
    _faulty("check_then_insert_race", aio.CheckThenInsertRace, {"idempotent_under_concurrent_duplicates"}),
    _faulty(
        "breaks_out_of_order",
        aio.BreaksOutOfOrder,
        {"tolerates_out_of_order_events"},
        expected_warnings=frozenset({"handles_legacy_2025_format"}),
    ),
    _faulty(
        "trailing_slash_redirect",
        aio.TrailingSlashRedirect,
        set(NEEDS_DIRECT_ANSWER),
        expected_warnings=frozenset({"handles_legacy_2025_format"}),
    ),
    # A 2 s handler against a 0.5 s budget: far apart, so the verdict does not depend on machine load.
    _faulty("slow_on_call_end", aio.SlowOnCallEnd, {"responds_within_budget"}, options={"latency_budget": 0.5}),
)

REFERENCE: tuple[GalleryReceiver, ...] = (
    GalleryReceiver("reference", "aiohttp", _reference),
    GalleryReceiver("reference_no_probe", "aiohttp", _reference, probe=False),
)

GALLERY: tuple[GalleryReceiver, ...] = CORRECT + REFERENCE + FAULTY


@asynccontextmanager
async def serve(receiver: GalleryReceiver, secret: str) -> AsyncIterator[Served]:
    """Run ``receiver`` on a free loopback port for the ``async with`` block."""
    app = receiver.build(secret)
    if receiver.kind == "aiohttp":
        async with AppServer(app) as server:
            yield _served(server.url, receiver.probe)
    else:
        async with serve_app(app, kind=receiver.kind) as threaded:
            yield _served(threaded.url, receiver.probe)


@contextmanager
def serve_sync(receiver: GalleryReceiver, secret: str) -> Iterator[Served]:
    """Run ``receiver`` on a free loopback port on a background thread, for sync callers."""
    with serve_app(receiver.build(secret), kind=receiver.kind) as server:
        yield _served(server.url, receiver.probe)


def _served(base: str, probe: bool) -> Served:
    return Served(base + WEBHOOK_PATH, base + PROBE_PATH if probe else None)
