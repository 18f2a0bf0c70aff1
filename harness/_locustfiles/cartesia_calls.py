"""The locustfile ``harness load`` runs: whole simulated calls, configured by the ``--cartesia-*`` options."""

from __future__ import annotations

from harness.locust import CartesiaCallUser


class CartesiaCalls(CartesiaCallUser):
    """Plays calls at the receiver given as Locust's host (``harness load`` passes it in $LOCUST_HOST)."""
