"""A delivery in words, as failure messages and evidence say it: what was sent, and what came back."""

from __future__ import annotations

from harness.delivery import Delivery

__all__ = ["describe_event", "outcome", "reply_to"]


def outcome(delivery: Delivery) -> str:
    """``answered 500`` or ``redirected (308) to ...`` or ``timed out ...``: what came back, in words."""
    attempt = delivery.last
    if attempt.status is None:
        return attempt.error or "no response"
    if 300 <= attempt.status < 400:
        return f"redirected ({attempt.status}) to {attempt.header('Location') or '(no Location)'}"
    return f"answered {attempt.status}"


def describe_event(delivery: Delivery) -> str:
    """``call_turn of call ac_...``, or the byte count for raw bodies."""
    if delivery.event_type:
        return f"{delivery.event_type} of call {delivery.call_id}" if delivery.call_id else delivery.event_type
    return f"a {len(delivery.body):,}-byte body"


def reply_to(delivery: Delivery) -> str:
    """``answered 500 to call_turn of call ac_...``: what came back, and to what."""
    return f"{outcome(delivery)} to {describe_event(delivery)}"
