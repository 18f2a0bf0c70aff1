"""How events are sent: timeout, retries and their backoff, concurrency, response cap, TLS verification."""

from __future__ import annotations

from dataclasses import dataclass

from harness._bounds import require_count, require_seconds

__all__ = [
    "DEFAULT_RETRY_STATUSES",
    "MAX_CONCURRENCY",
    "MAX_RETRIES",
    "MAX_TIMEOUT",
    "USER_AGENT",
    "DeliverySettings",
]

USER_AGENT = "cartesia-webhook-harness/0.1 (+mock Cartesia webhooks)"
# Assumed: statuses a retrying sender would retry; only used when retries are turned on.
DEFAULT_RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
# Bounds on the settings (documented in the README's "Bounds" table).
MAX_TIMEOUT = 3600.0
MAX_RETRIES = 10
MAX_CONCURRENCY = 10_000


@dataclass(frozen=True)
class DeliverySettings:
    """How events are sent. Defaults are Cartesia's as far as they are known; the rest is assumed."""

    timeout: float = 10.0
    retries: int = 0
    backoff: tuple[float, ...] = (1.0, 5.0, 30.0)
    retry_statuses: frozenset[int] = DEFAULT_RETRY_STATUSES
    concurrency: int = 64
    max_response_bytes: int = 64 * 1024
    user_agent: str = USER_AGENT
    # https receivers' certificates are verified against the system's CAs, as the platform would. A local
    # receiver with a self-signed certificate: name its certificate (or its CA) in tls_ca_file, a PEM file,
    # or turn verification off with tls_verify=False.
    tls_verify: bool = True
    tls_ca_file: str | None = None

    def __post_init__(self) -> None:
        # Checked here, once for every command and the server: nan, inf or 1e300 s would mean "never".
        require_seconds("timeout", self.timeout, high=MAX_TIMEOUT)
        for step in self.backoff:
            require_seconds("backoff", step, high=MAX_TIMEOUT, zero=True)
        require_count("retries", self.retries, low=0, high=MAX_RETRIES)
        require_count("concurrency", self.concurrency, low=1, high=MAX_CONCURRENCY)

    def delay_before(self, retry: int) -> float:
        """Seconds to wait before retry number ``retry`` (1-based); the last step repeats."""
        if not self.backoff:
            return 0.0
        return self.backoff[min(retry, len(self.backoff)) - 1]
