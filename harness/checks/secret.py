"""Secret checks: the receiver accepts exactly the shared secret, in the header, and rejects the rest with 401."""

from __future__ import annotations

import asyncio

from harness.checks.auth import CORRECT, NO_HEADER, Auth
from harness.checks.context import CheckContext
from harness.checks.failures import CheckSkipped
from harness.checks.registry import check
from harness.checks.violations import (
    ActedOnRejected,
    BadSecretAccepted,
    HeaderNameCaseRejected,
    RefusedWithout401,
    WrongSecretNot401,
)
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
    if delivery.ok:
        raise BadSecretAccepted(delivery, auth)
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
        if not delivery.ok:
            raise HeaderNameCaseRejected(delivery, auth)


@check(area="secret")
async def rejects_with_401(ctx: CheckContext) -> None:
    """A request with a wrong secret is answered 401 (403 is a warning; 2xx, 3xx or 5xx fail)."""
    delivery = await ctx.send(ctx.call(turns=1)[0], auth=WRONG)
    status = delivery.last.status
    if status == 401:
        return
    if status is not None and 400 <= status < 500:
        raise RefusedWithout401(delivery, status)
    raise WrongSecretNot401(delivery, WRONG)


@check(area="secret", needs_probe=True)
async def rejection_has_no_side_effects(ctx: CheckContext) -> None:
    """A request rejected for its secret leaves no trace: the receiver verifies before it acts."""
    sends = [(ctx.call(turns=1, label=auth.label), auth) for auth in BAD_SECRETS]
    deliveries = await asyncio.gather(*(ctx.send(events[0], auth=auth) for events, auth in sends))
    rejected = {d.call_id: d for d in deliveries if not d.ok}
    if not rejected:
        return  # every bad secret was accepted: the rejects_* checks report that
    entries = await ctx.settled(rejected)
    if entries:
        acted = rejected[entries[0].get("call_id")]
        raise ActedOnRejected(acted, ctx.auth_of(acted), entries)
