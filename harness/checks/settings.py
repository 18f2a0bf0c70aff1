"""One run of the contract checks, as given: the target, which checks, how to send, where to log.

:class:`RunSettings` is the one list of a run's options: ``run_checks`` and ``arun_checks`` take exactly its
arguments, and every check of the run sees it as ``ctx.settings``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import KW_ONLY, dataclass, field
from pathlib import Path

from harness._bounds import require_seconds
from harness._environment import SECRET_ENV
from harness._net import require_http_url
from harness.checks.probe import ProbeSource
from harness.delivery import MAX_TIMEOUT
from harness.errors import ConfigError

__all__ = ["RunSettings"]


@dataclass(frozen=True)
class RunSettings:
    """A run's options, checked when made: ConfigError names a bad one.

    ``url`` is the receiver's webhook URL and ``secret`` the secret it expects. ``probe`` is its state probe
    URL, or a function returning the entries it acted on (sync or async; called on the thread that runs the
    checks). ``checks`` and ``exclude`` name checks (default: all). ``latency_budget`` is the slowest answer
    accepted and ``timeout`` each request's timeout, in seconds. ``seed`` fixes the payloads. ``strict`` only
    matters to :meth:`Report.exit_code` callers (kept for symmetry with the CLI). ``db`` is the delivery log
    (None: no log, and no ``harness replay`` in reproductions). ``tls_verify`` and ``tls_ca_file`` are for
    https receivers. ``run_id`` keeps call ids of different runs apart (a fresh one per run by default).
    """

    url: str
    secret: str
    probe: ProbeSource | None = None
    _: KW_ONLY
    checks: Iterable[str] | None = None
    exclude: Iterable[str] | None = None
    latency_budget: float = 10.0
    seed: int = 0
    strict: bool = False
    timeout: float = 10.0
    db: str | Path | None = None
    tls_verify: bool = True
    tls_ca_file: str | None = None
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def __post_init__(self) -> None:
        # Names given as a generator are read once, here, so selecting checks cannot exhaust them.
        for name in ("checks", "exclude"):
            names = getattr(self, name)
            if names is not None:
                object.__setattr__(self, name, tuple(names))
        probe = self.probe
        if probe is not None and not isinstance(probe, str) and not callable(probe):
            raise ConfigError(f"probe {probe!r}: expected the probe's URL or a function returning its entries")
        require_http_url(self.url, "target URL")
        if isinstance(probe, str):
            require_http_url(probe, "probe URL")
        if not self.secret:
            raise ConfigError(f"no secret: pass the receiver's webhook secret (--secret S or ${SECRET_ENV})")
        require_seconds("latency budget", self.latency_budget, high=MAX_TIMEOUT)
        require_seconds("timeout", self.timeout, high=MAX_TIMEOUT)

    @property
    def probe_url(self) -> str | None:
        """The probe's URL; None without a probe, or when it is a function."""
        return self.probe if isinstance(self.probe, str) else None
