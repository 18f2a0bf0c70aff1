"""What a check works with: fresh calls, a sender that keeps every request, the receiver's state probe.

:class:`CheckContext` only gathers these for one check; each lives in its own module (:mod:`.calls`,
:mod:`.sending`, :mod:`.probe`), and what a check may conclude from them in :mod:`.violations`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.checks.auth import CORRECT, Auth
from harness.checks.calls import CallMaker
from harness.checks.probe import Probe, ProbeEntry, require_probe
from harness.checks.sending import CheckSender, Payload, Sent
from harness.checks.settings import RunSettings
from harness.checks.violations import NotAccepted
from harness.delivery import Deliverer, Delivery
from harness.models import Event

__all__ = ["CheckContext"]


@dataclass
class CheckContext:
    """Passed to every check. Use :meth:`call` for realistic events and :meth:`send` to deliver them."""

    name: str
    settings: RunSettings
    deliverer: Deliverer
    probe: Probe | None = None
    # What the check observed, reported whatever its outcome (latency figures, say): name -> JSON value.
    observed: dict[str, Any] = field(default_factory=dict)
    calls: CallMaker = field(init=False)
    sender: CheckSender = field(init=False)

    def __post_init__(self) -> None:
        self.calls = CallMaker(check=self.name, seed=self.settings.seed, run_id=self.settings.run_id)
        self.sender = CheckSender(self.deliverer, self.settings.url, self.settings.secret)

    @property
    def url(self) -> str:
        """The receiver's webhook URL."""
        return self.settings.url

    @property
    def secret(self) -> str:
        """The shared secret the receiver expects."""
        return self.settings.secret

    @property
    def sent(self) -> list[Sent]:
        """Every request this check made, in order."""
        return self.sender.sent

    # --- payloads: harness.checks.calls ------------------------------------------------------------------

    def call(
        self, *, label: str = "", turns: int | None = 2, outcome: str | None = "completed", **options: Any
    ) -> list[Event]:
        """A realistic call's events in delivery order, with a fresh call id (``options`` go to the generator)."""
        return self.calls.call(label=label, turns=turns, outcome=outcome, **options)

    def new_call_id(self) -> str:
        """A call id no other check (and no earlier run) uses, so checks cannot see each other's effects."""
        return self.calls.new_call_id()

    def seed_for(self, label: str) -> int:
        """A payload seed derived from the run's seed, this check and ``label``: the same each run."""
        return self.calls.seed_for(label)

    # --- sending: harness.checks.sending ----------------------------------------------------------------

    async def send(
        self, payload: Payload, *, auth: Auth = CORRECT, event_type: str | None = None, call_id: str | None = None
    ) -> Delivery:
        """Deliver one event (model, wire dict, or exact bytes) the way the platform does; never raises."""
        return await self.sender.send(payload, auth=auth, event_type=event_type, call_id=call_id)

    async def send_in_order(self, payloads: Iterable[Payload], *, auth: Auth = CORRECT) -> list[Delivery]:
        """Deliver events one after another, as the platform sends one call's events."""
        return await self.sender.send_in_order(payloads, auth=auth)

    async def send_calls(self, calls: Sequence[Sequence[Payload]]) -> list[list[Delivery]]:
        """Deliver several calls at once, each call's events in order."""
        return await self.sender.send_calls(calls)

    def auth_of(self, delivery: Delivery) -> Auth:
        """How ``delivery`` presented the secret."""
        return self.sender.auth_of(delivery)

    # --- observing: harness.checks.probe ----------------------------------------------------------------

    def require_probe(self) -> Probe:
        """The probe, or skip the check saying how to enable it."""
        return require_probe(self.probe)

    async def settled(
        self,
        call_ids: Collection[str | None],
        *,
        until: Callable[[list[ProbeEntry]], bool] | None = None,
        quiet: float = 0.1,
        deadline: float = 10.0,
    ) -> list[ProbeEntry]:
        """The probe's entries for ``call_ids`` once ``until`` holds, they stop changing, or ``deadline`` passes."""
        return await self.require_probe().wait(call_ids, until=until, quiet=quiet, deadline=deadline)

    # --- the one verdict most checks share ----------------------------------------------------------------

    def expect_accepted(self, deliveries: Iterable[Delivery], what: str) -> None:
        """Fail unless every delivery got a 2xx; ``what`` says what was sent, for the message."""
        bad = [delivery for delivery in deliveries if not delivery.ok]
        if bad:
            raise NotAccepted(what, bad)
