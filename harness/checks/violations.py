"""The contract violations the built-in checks report: one class per kind, with typed fields.

Each kind words its own title and message from what it was given (the deliveries that show it and the
figures that matter), so a check only decides *whether* the receiver broke the contract. The fields stay
on the failure (``result.failure``) for code that wants more than the words.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from harness.checks.auth import Auth
from harness.checks.failures import CheckFailure, CheckWarning
from harness.checks.wording import describe_event, outcome, reply_to
from harness.delivery import Delivery
from harness.models import BaseEvent

__all__ = [
    "ActedMoreThanOnce",
    "ActedOnRejected",
    "BadSecretAccepted",
    "BurstFailed",
    "CrashedOnDuplicate",
    "EndReasonRejected",
    "HeaderNameCaseRejected",
    "LegacyFormatRefused",
    "MalformedJsonMishandled",
    "NotAccepted",
    "OrderChangedWhatWasDone",
    "OutOfOrderRejected",
    "OverLatencyBudget",
    "RedirectAnswered",
    "RefusedWithout401",
    "UnknownEventTypeRejected",
    "WrongSecretNot401",
]


class NotAccepted(CheckFailure):
    """An event the platform may send did not get a 2xx."""

    what: str
    failed: int

    def __init__(self, what: str, bad: Sequence[Delivery]) -> None:
        self.what, self.failed = what, len(bad)
        first = bad[0]
        super().__init__(
            f"{what} was not accepted",
            f"{reply_to(first)}; the platform expects a 2xx for every event it sends"
            + (f" ({len(bad)} requests failed)" if len(bad) > 1 else ""),
            deliveries=bad[:3],
        )


# --- the secret ---------------------------------------------------------------------------------------


class BadSecretAccepted(CheckFailure):
    """A request that presented the secret wrongly got a 2xx: anyone who knows the URL can forge events."""

    presented: str
    status: int | None

    def __init__(self, delivery: Delivery, auth: Auth) -> None:
        self.presented, self.status = auth.label, delivery.last.status
        super().__init__(
            f"accepted a request with {auth.label}",
            f"answered {self.status} to {describe_event(delivery)} sent with {auth.label}: anyone who knows the URL "
            "can forge events; compare the whole header to the secret (hmac.compare_digest) and answer 401 otherwise",
            deliveries=[delivery],
        )


class HeaderNameCaseRejected(CheckFailure):
    """The correct secret was refused because its header name was cased differently."""

    header_name: str | None

    def __init__(self, delivery: Delivery, auth: Auth) -> None:
        self.header_name = auth.header_name
        super().__init__(
            "rejected the correct secret sent under a differently cased header name",
            f"{outcome(delivery)} when the header was named {auth.header_name!r}: HTTP header names are "
            "case-insensitive and proxies may change their case; look the header up case-insensitively",
            deliveries=[delivery],
        )


class RefusedWithout401(CheckWarning):
    """A wrong secret was refused with a 4xx other than the documented 401."""

    status: int

    def __init__(self, delivery: Delivery, status: int) -> None:
        self.status = status
        super().__init__(
            f"answered {status} to a wrong secret, not 401",
            "the request was refused, which is what matters, but the platform documents 401 for a wrong secret",
            deliveries=[delivery],
        )


class WrongSecretNot401(CheckFailure):
    """A wrong secret got something other than a 4xx: a 2xx, a 3xx, a 5xx or no answer."""

    status: int | None

    def __init__(self, delivery: Delivery, auth: Auth) -> None:
        self.status = delivery.last.status
        super().__init__(
            "did not answer a wrong secret with 401",
            f"{reply_to(delivery)} sent with {auth.label}: answer 401 (a 2xx means "
            "'delivered', a 3xx is never followed, a 5xx says your receiver is broken)",
            deliveries=[delivery],
        )


class ActedOnRejected(CheckFailure):
    """The probe shows an effect of a request the receiver rejected for its secret."""

    presented: str
    entries: int

    def __init__(self, delivery: Delivery, auth: Auth, entries: Sequence[dict[str, Any]]) -> None:
        self.presented, self.entries = auth.label, len(entries)
        super().__init__(
            "acted on a request it rejected",
            f"{reply_to(delivery)} sent with {auth.label}, yet the probe shows it was "
            f"processed ({len(entries)} entries): verify the secret before reading, storing or queueing anything",
            evidence={"probe_entries": list(entries[:5])},
            deliveries=[delivery],
        )


# --- handling ------------------------------------------------------------------------------------------


class LegacyFormatRefused(CheckWarning):
    """A call_completed in the 2025 format did not get a 2xx (only old agents send it)."""

    def __init__(self, delivery: Delivery) -> None:
        super().__init__(
            "does not accept the 2025 payload format",
            f"{outcome(delivery)} to a 2025-format call_completed (no call object, transcript in body, request_id "
            "instead of call_id); the platform no longer sends it, so this only matters for old agents",
            deliveries=[delivery],
        )


class UnknownEventTypeRejected(CheckFailure):
    """An event of a type the receiver does not know did not get a 2xx."""

    event_type: str | None

    def __init__(self, bad: Sequence[Delivery]) -> None:
        self.event_type = bad[0].event_type
        super().__init__(
            "rejected an unknown event type",
            f"{reply_to(bad[0])}: Cartesia says to ignore event types you do not handle "
            "and may add more; answer 2xx and do nothing",
            deliveries=bad,
        )


class EndReasonRejected(CheckFailure):
    """A call ending with some end_reason (documented or not) did not get a 2xx."""

    end_reason: str

    def __init__(self, bad: Sequence[Delivery], end_reason: str) -> None:
        self.end_reason = end_reason
        super().__init__(
            f"failed on a call ending with end_reason {end_reason!r}",
            f"{reply_to(bad[0])}: end_reason is an open string (ten documented values, "
            "others occur); never parse it as a closed enum",
            deliveries=bad[:3],
        )


class MalformedJsonMishandled(CheckFailure):
    """A body that is not JSON got a 3xx, a 5xx or no answer, instead of a 4xx (or a 2xx)."""

    status: int | None

    def __init__(self, delivery: Delivery) -> None:
        self.status = delivery.last.status
        super().__init__(
            "mishandled a body that is not valid JSON",
            f"{outcome(delivery)} to a truncated JSON body: answer 400 (a 5xx or a dropped connection means the "
            "parse error escaped your handler)",
            deliveries=[delivery],
        )


# --- delivery ------------------------------------------------------------------------------------------


class CrashedOnDuplicate(CheckFailure):
    """A duplicate delivery got a 5xx or no answer."""

    what: str

    def __init__(self, crashed: Sequence[Delivery], what: str) -> None:
        self.what = what
        super().__init__(
            f"crashed on {what}",
            f"{reply_to(crashed[0])}: a duplicate must be acknowledged (2xx) and ignored, not fail",
            deliveries=crashed[:3],
        )


class ActedMoreThanOnce(CheckFailure):
    """The probe shows one event acted on more than once."""

    event_type: str
    call_id: str | None
    timestamp: str | None
    times: int

    def __init__(
        self,
        what: str,
        event: BaseEvent,
        times: int,
        entries: Sequence[dict[str, Any]],
        deliveries: Sequence[Delivery],
    ) -> None:
        self.event_type, self.call_id, self.timestamp = event.type, event.call_id, event.timestamp
        self.times = times
        super().__init__(
            f"acted on {what} more than once",
            f"the probe shows {self.event_type} of call {self.call_id} (timestamp {self.timestamp}) acted on {times} "
            "times: the payload has no event id, so deduplicate on a key such as (type, call_id, turn start) with "
            "an atomic insert",
            evidence={"probe_entries": list(entries[:10])},
            deliveries=[d for d in deliveries if d.event_type == self.event_type][:3],
        )


class OutOfOrderRejected(CheckFailure):
    """An event sent before the events that precede it did not get a 2xx."""

    def __init__(self, bad: Sequence[Delivery]) -> None:
        super().__init__(
            "rejected an event that arrived out of order",
            f"{reply_to(bad[0])} sent before the events that precede it: ordering is not "
            "guaranteed (a retried delivery arrives late); accept it and reconcile by timestamp",
            deliveries=bad[:3],
        )


class OrderChangedWhatWasDone(CheckFailure):
    """A call's events sent in reverse order were acted on differently than when sent in order."""

    in_order: int
    in_reverse: int
    lost: list[str]
    extra: list[str]

    def __init__(
        self,
        *,
        in_order: int,
        in_reverse: int,
        lost: list[str],
        extra: list[str],
        entries: Sequence[dict[str, Any]],
        deliveries: Sequence[Delivery],
    ) -> None:
        self.in_order, self.in_reverse, self.lost, self.extra = in_order, in_reverse, lost, extra
        super().__init__(
            "acted differently on events that arrived out of order",
            f"sent in order, the probe shows {in_order} events of the call acted on; the same call sent in reverse "
            f"order, {in_reverse}"
            + (f"; lost: {', '.join(lost)}" if lost else "")
            + (f"; acted on twice: {', '.join(extra)}" if extra else "")
            + ": do not drop or redo an event because its predecessors have not arrived",
            evidence={"probe_entries": list(entries[:20])},
            deliveries=deliveries[:2],
        )


class BurstFailed(CheckFailure):
    """Some events of many simultaneous calls did not get a 2xx."""

    failed: int
    sent: int
    calls: int

    def __init__(self, bad: Sequence[Delivery], *, sent: int, calls: int) -> None:
        self.failed, self.sent, self.calls = len(bad), sent, calls
        super().__init__(
            f"failed {len(bad)} of {sent} events of {calls} simultaneous calls",
            f"{reply_to(bad[0])}: busy hours deliver many calls at once",
            evidence={"failed": len(bad), "sent": sent},
            deliveries=bad[:3],
        )


class OverLatencyBudget(CheckFailure):
    """An event was answered later than the latency budget allows (or not within the timeout)."""

    event_type: str | None
    latency: float
    budget: float

    def __init__(self, slowest: Delivery, budget: float) -> None:
        self.event_type, self.latency, self.budget = slowest.event_type, slowest.last.latency, budget
        super().__init__(
            f"took {self.latency:.2f} s to answer {self.event_type}, over the {budget:g} s budget",
            "answer first and do slow work (CRM updates, summaries, downstream calls) after responding or in a "
            "queue; a slow answer times out and the event may be delivered again",
            deliveries=[slowest],
        )


class RedirectAnswered(CheckFailure):
    """The webhook URL answered with a 3xx, which the platform never follows."""

    status: int | None
    location: str | None

    def __init__(self, delivery: Delivery, auth: Auth) -> None:
        self.status, self.location = delivery.last.status, delivery.last.header("Location")
        super().__init__(
            "answered with a redirect",
            f"{outcome(delivery)} for {describe_event(delivery)} sent with {auth.label}: the platform does not "
            "follow redirects, so the event is lost; configure the final URL (mind trailing slashes and http→https)",
            deliveries=[delivery],
        )
