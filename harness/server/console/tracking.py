"""Follows the Calls API's state: records each call's status changes in the delivery log, tells live pages.

The Calls API keeps only the last ``max_calls`` calls in memory; the log keeps every call, so the console
lists calls from the log. A call's row in ``call_states`` is written when its status changes (created,
started, completed or failed): a few writes per call, none per turn. Turns of calls in progress are read
from the Calls API's own state when a page is shown.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from harness.errors import HarnessError
from harness.server.console.live import Broadcaster
from harness.server.state import CallRecord
from harness.store import CallState, DeliveryLog

__all__ = ["CallTracker", "state_of"]


def state_of(record: CallRecord) -> CallState:
    """The row ``call_states`` keeps for this call, as the Calls API shows it now."""
    call = record.call
    return CallState(
        id=record.id,
        status=record.status,
        agent_name=_text(call.get("agent_name")),
        start_time=_text(call.get("start_time")) or record.start_time,
        end_time=_text(call.get("end_time")) or record.end_time,
        end_reason=_text(call.get("end_reason")),
        deployment_id=_text(call.get("deployment_id")),
        deployment_version_id=_text(call.get("deployment_version_id")),
        deployment_region=_text(call.get("deployment_region")),
        turns=len(record.transcript),
        duration=record.duration() if record.ended else None,
        updated_at=time.time(),
    )


def _text(value: object) -> str | None:
    return None if value is None else str(value)


class CallTracker:
    """A :data:`~harness.server.state.CallListener`: cheap for every event, a log write per status change."""

    def __init__(self, log: DeliveryLog, broadcaster: Broadcaster, on_error: Callable[[BaseException], None]) -> None:
        self.log = log
        self.broadcaster = broadcaster
        self.on_error = on_error

    def __call__(self, record: CallRecord, before: str | None) -> None:
        self.broadcaster.touch(record.id)
        if record.status == before:
            return
        try:
            self.log.record_call_state(state_of(record))
        except HarnessError as exc:  # a closed or failing log: recorded by the server, never raised into deliveries
            self.on_error(exc)
