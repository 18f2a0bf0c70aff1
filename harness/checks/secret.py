"""Secret checks: the receiver accepts exactly the shared secret, in the header, and rejects the rest with 401."""

from __future__ import annotations

import asyncio

from harness.checks.auth import CORRECT, NO_HEADER, Auth
from harness.checks.context import CheckContext, describe_event, is_2xx, outcome
from harness.checks.failures import CheckFailure, CheckSkipped, CheckWarning
from harness.checks.registry import check
from harness.delivery import Delivery
from harness.models import WEBHOOK_SECRET_HEADER

__all__ = ["BAD_SECRETS", "CASE_VARIANT", "CORRECT", "EMPTY", "IN_QUERY", "NO_HEADER", "PREFIX", "SUFFIX", "WRONG"]

EMPTY = Auth("an empty X-Webhook-Secret header", transform="empty")
WRONG = Auth("a wrong secret", transform="literal", literal="whsec_wrong_4f1c9a7e2b8d")
PREFIX = Auth("the secret without its last character", transform="drop_last")
SUFFIX = Auth("the secret with an extra character appended", transform="append", literal="x")
CASE_VARIANT = Auth("the secret with its letters' case swapped", transform="swapcase")
IN_QUERY = Auth(
    "no header, the secret in the query string",
    header_name=None,
    query_names=("secret", "token", "webhook_secret", "key", WEBHOOK_SECRET_HEADER),
)
LOWER_NAME = Auth("the header name in lower case", header_name=WEBHOOK_SECRET_HEADER.lower())
UPPER_NAME = Auth("the header name in upper case", header_name=WEBHOOK_SECRET_HEADER.upper())
BAD_SECRETS = (NO_HEADER, EMPTY, WRONG, PREFIX, SUFFIX, CASE_VARIANT, IN_QUERY)


async def _expect_rejected(ctx: CheckContext, auth: Auth) -> Delivery:
    """Send a realistic event with a bad secret; fail if it was accepted (2xx)."""
    delivery = await ctx.send(ctx.call(turns=1)[0], auth=auth)
    if is_2xx(delivery):
        raise CheckFailure(
            f"accepted a request with {auth.label}",
            f"answered {delivery.last.status} to {describe_event(delivery)} sent with {auth.label}: anyone who "
            "knows the URL can forge events; compare the whole header to the secret (hmac.compare_digest) and "
            "answer 401 otherwise",
            deliveries=[delivery],
        )
    return delivery


@check(area="secret")
async def accepts_correct_secret(ctx: CheckContext) -> None:
    """Every event type sent with the correct secret gets a 2xx."""
    completed = ctx.call(label="completed", outcome="completed")
    failed = ctx.call(label="failed", outcome="error", turns=1)
    deliveries = await ctx.send_calls([completed, failed])
    ctx.expect_accepted([d for call in deliveries for d in call], "an event with the correct secret")


@check(area="secret")
async def rejects_missing_secret(ctx: CheckContext) -> None:
    """A request without the X-Webhook-Secret header is rejected."""
    await _expect_rejected(ctx, NO_HEADER)


@check(area="secret")
async def rejects_empty_secret(ctx: CheckContext) -> None:
    """A request with an empty X-Webhook-Secret header is rejected."""
    await _expect_rejected(ctx, EMPTY)


@check(area="secret")
async def rejects_wrong_secret(ctx: CheckContext) -> None:
    """A request with a wrong secret is rejected."""
    await _expect_rejected(ctx, WRONG)


@check(area="secret")
async def rejects_secret_prefix(ctx: CheckContext) -> None:
    """A request whose secret is a prefix of the real one is rejected."""
    if len(ctx.secret) < 2:
        raise CheckSkipped("the secret is too short to have a non-empty prefix")
    await _expect_rejected(ctx, PREFIX)


@check(area="secret")
async def rejects_secret_with_suffix(ctx: CheckContext) -> None:
    """A request whose secret is the real one plus extra characters is rejected."""
    await _expect_rejected(ctx, SUFFIX)


@check(area="secret")
async def rejects_secret_case_variant(ctx: CheckContext) -> None:
    """A request whose secret differs from the real one only in letter case is rejected."""
    if ctx.secret.swapcase() == ctx.secret:
        raise CheckSkipped("the secret has no letters, so it has no case variant")
    await _expect_rejected(ctx, CASE_VARIANT)


@check(area="secret")
async def rejects_secret_in_query(ctx: CheckContext) -> None:
    """A request without the header but with the secret in the query string is rejected."""
    await _expect_rejected(ctx, IN_QUERY)


@check(area="secret")
async def accepts_header_name_case(ctx: CheckContext) -> None:
    """The secret header is found whatever the case of its name (HTTP header names are case-insensitive)."""
    for auth in (LOWER_NAME, UPPER_NAME):
        delivery = await ctx.send(ctx.call(turns=1)[0], auth=auth)
        if not is_2xx(delivery):
            raise CheckFailure(
                "rejected the correct secret sent under a differently cased header name",
                f"{outcome(delivery)} when the header was named {auth.header_name!r}: HTTP header names are "
                "case-insensitive and proxies may change their case; look the header up case-insensitively",
                deliveries=[delivery],
            )


@check(area="secret")
async def rejects_with_401(ctx: CheckContext) -> None:
    """A request with a wrong secret is answered 401 (403 is a warning; 2xx, 3xx or 5xx fail)."""
    delivery = await ctx.send(ctx.call(turns=1)[0], auth=WRONG)
    status = delivery.last.status
    if status == 401:
        return
    if status is not None and 400 <= status < 500:
        raise CheckWarning(
            f"answered {status} to a wrong secret, not 401",
            "the request was refused, which is what matters, but the platform documents 401 for a wrong secret",
            deliveries=[delivery],
        )
    raise CheckFailure(
        "did not answer a wrong secret with 401",
        f"{outcome(delivery)} to {describe_event(delivery)} sent with {WRONG.label}: answer 401 (a 2xx means "
        "'delivered', a 3xx is never followed, a 5xx says your receiver is broken)",
        deliveries=[delivery],
    )


@check(area="secret", needs_probe=True)
async def rejection_has_no_side_effects(ctx: CheckContext) -> None:
    """A request rejected for its secret leaves no trace: the receiver verifies before it acts."""
    sends = [(ctx.call(turns=1, label=auth.label), auth) for auth in BAD_SECRETS]
    deliveries = await asyncio.gather(*(ctx.send(events[0], auth=auth) for events, auth in sends))
    rejected = {d.call_id: d for d in deliveries if not is_2xx(d)}
    if not rejected:
        return  # every bad secret was accepted: the rejects_* checks report that
    entries = await ctx.settled(rejected)
    if entries:
        acted = rejected[entries[0].get("call_id")]
        raise CheckFailure(
            "acted on a request it rejected",
            f"{outcome(acted)} to {describe_event(acted)} sent with {ctx.auth_of(acted).label}, yet the probe shows "
            f"it was processed ({len(entries)} entries): verify the secret before reading, storing or queueing "
            "anything",
            evidence={"probe_entries": entries[:5]},
            deliveries=[acted],
        )
