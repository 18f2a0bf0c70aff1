"""pytest plugin (entry point ``cartesia``): fixtures, options, and contract checks as test items.

Thin on purpose: everything here wires the public API (``harness.checks``, ``harness.sender``,
``harness.server``, ``harness.serving``, ``harness.generate``) into pytest. Module-level imports are
pytest, the standard library and the names of the environment variables (``harness._environment``)
only, so a session that never uses the harness pays almost nothing.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import pytest

from harness._environment import DB_ENV, SECRET_ENV, URL_ENV

if TYPE_CHECKING:
    from harness.checks import CheckResult, Report
    from harness.checks.probe import ProbeSource
    from harness.models import Event
    from harness.sender import WebhookSender
    from harness.server import MockServerThread, ServerConfig

__all__ = ["CartesiaSettings", "ContractCheckItem"]

DEFAULT_TEST_SECRET = "cartesia-test-secret"


@dataclass(frozen=True)
class _Option:
    name: str
    env: str
    help: str


_OPTIONS = (
    _Option("target", URL_ENV, "webhook receiver URL to run the contract checks against"),
    _Option("secret", SECRET_ENV, "the receiver's webhook secret"),
    _Option("probe", "CARTESIA_PROBE_URL", "the receiver's state probe URL (enables side-effect checks)"),
    _Option("checks", "CARTESIA_CHECKS", "comma-separated contract checks to run (default: all)"),
    _Option("latency-budget", "CARTESIA_LATENCY_BUDGET", "seconds a receiver may take to answer (default: 10)"),
    _Option("seed", "CARTESIA_SEED", "seed of the generated payloads (default: 0)"),
    _Option("db", DB_ENV, "delivery log of the contract checks (default: .harness/deliveries.db)"),
)


@dataclass(frozen=True)
class CartesiaSettings:
    """The plugin's configuration, from the command line, else the environment, else the ini file."""

    target: str | None = None
    secret: str | None = None
    probe: str | None = None
    checks: tuple[str, ...] | None = None
    latency_budget: float = 10.0
    seed: int = 0
    db: str | None = None


@dataclass
class _ContractOutcome:
    """The results of one batch run of the selected contract checks, or the error that stopped it."""

    results: dict[str, CheckResult]
    error: Exception | None = None


SETTINGS_KEY = pytest.StashKey[CartesiaSettings]()
OUTCOME_KEY = pytest.StashKey[_ContractOutcome]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("cartesia", "Cartesia webhook contract")
    for option in _OPTIONS:
        dest = "cartesia_" + option.name.replace("-", "_")
        group.addoption(f"--cartesia-{option.name}", dest=dest, default=None, help=f"{option.help} (${option.env})")
        parser.addini(dest, f"{option.help} (--cartesia-{option.name}, ${option.env})", default=None)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "cartesia(checks=None, exclude=None, probe=None, latency_budget=None, seed=None): "
        "configure cartesia_contract and cartesia_calls for one test",
    )
    config.addinivalue_line("markers", "cartesia_contract: a contract check collected by the cartesia plugin")
    config.stash[SETTINGS_KEY] = _read_settings(config)


def _read_settings(config: pytest.Config) -> CartesiaSettings:
    values: dict[str, str | None] = {}
    for option in _OPTIONS:
        dest = "cartesia_" + option.name.replace("-", "_")
        value = config.getoption(dest) or os.environ.get(option.env) or config.getini(dest) or None
        values[option.name] = str(value) if value is not None else None
    checks = values["checks"]
    return CartesiaSettings(
        target=values["target"],
        secret=values["secret"],
        probe=values["probe"],
        checks=tuple(name.strip() for name in checks.split(",") if name.strip()) if checks else None,
        latency_budget=_parse_number("latency-budget", values["latency-budget"], 10.0, float),
        seed=int(_parse_number("seed", values["seed"], 0, int)),
        db=values["db"],
    )


def _parse_number(name: str, raw: str | None, default: float, kind: type[float] | type[int]) -> float:
    if raw is None:
        return default
    # pydantic's lax rules read text as the server's settings read its environment: one rule for numbers.
    from pydantic import TypeAdapter, ValidationError

    try:
        value: float = TypeAdapter(kind).validate_python(raw)
    except ValidationError:
        raise pytest.UsageError(f"--cartesia-{name}: expected a number, got {raw!r}") from None
    if value < 0:
        raise pytest.UsageError(f"--cartesia-{name}: expected a number >= 0, got {raw!r}")
    return value


# --- contract checks as test items -------------------------------------------------------------------


class ContractCheckFailed(Exception):
    """Raised by a contract item whose check failed; rendered without a traceback."""

    def __init__(self, result: CheckResult) -> None:
        super().__init__(result.message)
        self.result = result


class ContractCheckItem(pytest.Item):
    """One contract check run against ``--cartesia-target``."""

    def __init__(self, *, check_name: str, doc: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.check_name = check_name
        self.doc = doc
        self.add_marker(pytest.mark.cartesia_contract)

    def runtest(self) -> None:
        outcome = self._outcome()
        if outcome.error is not None:
            raise outcome.error
        result = outcome.results[self.check_name]
        if result.status == "skipped":
            pytest.skip(result.message)
        if result.status == "failed":
            raise ContractCheckFailed(result)
        if result.status == "warning":
            self.add_report_section("call", "cartesia warning", result.render())
            self.user_properties.append(("cartesia_warning", result.message))

    def _outcome(self) -> _ContractOutcome:
        # The first contract item runs every selected check in one batch (checks run concurrently and
        # share one connection pool); each item then reports its own result, so -k still selects.
        outcome = self.config.stash.get(OUTCOME_KEY, None)
        if outcome is None:
            from harness.checks import run_checks
            from harness.errors import HarnessError
            from harness.store import DEFAULT_DB_PATH

            settings = self.config.stash[SETTINGS_KEY]
            assert settings.target is not None
            selected = [item.check_name for item in self.session.items if isinstance(item, ContractCheckItem)]
            try:
                report = run_checks(
                    settings.target,
                    settings.secret or "",
                    settings.probe,
                    checks=selected,
                    latency_budget=settings.latency_budget,
                    seed=settings.seed,
                    db=settings.db or DEFAULT_DB_PATH,
                )
                outcome = _ContractOutcome({result.name: result for result in report.results})
            except HarnessError as exc:
                outcome = _ContractOutcome({}, exc)
            self.config.stash[OUTCOME_KEY] = outcome
        return outcome

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str | Any:
        if isinstance(excinfo.value, ContractCheckFailed):
            return excinfo.value.result.render()
        from harness.errors import HarnessError

        if isinstance(excinfo.value, HarnessError):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Any, int | None, str]:
        return self.path, None, f"cartesia contract: {self.check_name}"


class ContractCollector(pytest.Collector):
    """Holds one item per registered contract check."""

    def collect(self) -> list[pytest.Item]:
        from harness.checks import list_checks

        settings = self.config.stash[SETTINGS_KEY]
        wanted = set(settings.checks) if settings.checks else None
        items: list[pytest.Item] = []
        for check in list_checks():
            if wanted is None or check.name in wanted:
                items.append(ContractCheckItem.from_parent(self, name=check.name, check_name=check.name, doc=check.doc))
        return items


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    # tryfirst: the items must exist before -k and -m deselect, so both work as for any test.
    settings = config.stash[SETTINGS_KEY]
    if not settings.target:
        return
    from harness.checks import list_checks

    known = {check.name for check in list_checks()}
    unknown = sorted(set(settings.checks or ()) - known)
    if unknown:
        raise pytest.UsageError(
            f"--cartesia-checks: unknown check(s) {', '.join(unknown)}; valid checks: {', '.join(sorted(known))}"
        )
    collector = ContractCollector.from_parent(session, name="cartesia-contract", nodeid="cartesia-contract")
    items.extend(collector.collect())


# --- fixtures ------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def cartesia_settings(pytestconfig: pytest.Config) -> CartesiaSettings:
    """The plugin's settings (options, environment, ini)."""
    return pytestconfig.stash[SETTINGS_KEY]


@pytest.fixture
def cartesia_secret(cartesia_settings: CartesiaSettings) -> str:
    """The webhook secret: ``--cartesia-secret`` or ``$CARTESIA_WEBHOOK_SECRET``, else a fixed test secret."""
    return cartesia_settings.secret or DEFAULT_TEST_SECRET


@pytest.fixture
def cartesia_target(cartesia_settings: CartesiaSettings) -> str | None:
    """The receiver URL under test (``--cartesia-target``); override it to point at an app you serve."""
    return cartesia_settings.target


@pytest.fixture
def cartesia_probe(cartesia_settings: CartesiaSettings) -> ProbeSource | None:
    """The receiver's state probe for ``cartesia_contract``: ``--cartesia-probe URL``, or override it to return
    a function that reads what your receiver acted on from its own store (no probe endpoint needed)."""
    return cartesia_settings.probe


def _marker_options(request: pytest.FixtureRequest) -> dict[str, Any]:
    marker = request.node.get_closest_marker("cartesia")
    return dict(marker.kwargs) if marker is not None else {}


class CallFactory:
    """Makes realistic calls, seeded from the test's node id so a failure reproduces."""

    def __init__(self, base_seed: int) -> None:
        self.base_seed = base_seed
        self.made = 0

    def __call__(self, **options: Any) -> list[Event]:
        """The events of one call; options are those of :func:`harness.generate.simulate_call`."""
        from harness.generate import simulate_call

        options.setdefault("seed", self.base_seed + self.made)
        self.made += 1
        return simulate_call(**options)


@pytest.fixture
def cartesia_calls(request: pytest.FixtureRequest, cartesia_settings: CartesiaSettings) -> CallFactory:
    """A factory of realistic calls: ``events = cartesia_calls(outcome="failed")``."""
    seed = _marker_options(request).get("seed")
    if seed is None:
        seed = zlib.crc32(request.node.nodeid.encode()) + cartesia_settings.seed
    return CallFactory(int(seed))


@pytest.fixture
def cartesia_sender(cartesia_target: str | None, cartesia_secret: str) -> Iterator[WebhookSender]:
    """Sends one event (``send``) or a call's events (``send_call``) to a URL, as Cartesia does."""
    from harness.sender import WebhookSender

    with WebhookSender(cartesia_target, cartesia_secret) as sender:
        yield sender


@pytest.fixture(scope="session")
def cartesia_mock_config() -> ServerConfig:
    """The mock server's configuration; override it in conftest.py (session scope) to change it."""
    from harness.server import ServerConfig

    return ServerConfig(port=0, db_path=":memory:")


@pytest.fixture(scope="session")
def make_cartesia_mock(cartesia_mock_config: ServerConfig) -> Iterator[MockServerThread]:
    """The session's mock Cartesia server, on a free loopback port."""
    from harness.server import MockServerThread

    server = MockServerThread(cartesia_mock_config)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def cartesia_mock(
    make_cartesia_mock: MockServerThread, cartesia_target: str | None, cartesia_secret: str
) -> Iterator[MockServerThread]:
    """The mock Cartesia server, cleared for each test and delivering to ``cartesia_target`` when there is one.

    Point it elsewhere with ``cartesia_mock.set_webhook(url, secret)``; its Calls API base URL is
    ``cartesia_mock.url`` and its delivery log ``cartesia_mock.log``. Errors inside it are raised at teardown.
    """
    make_cartesia_mock.clear()
    if cartesia_target:
        make_cartesia_mock.set_webhook(cartesia_target, cartesia_secret)
    yield make_cartesia_mock
    make_cartesia_mock.check_errors()


@pytest.fixture(scope="session")
def cartesia_serve() -> Iterator[Callable[..., str]]:
    """Serve your own app (aiohttp ``Application``, WSGI such as Flask, ASGI such as FastAPI) on a loopback port.

    ``url = cartesia_serve(app)`` returns its base URL. An app is served once per session: serving the same
    app object again (from another test) returns the same URL. Everything is stopped at the end of the
    session, in reverse order.
    """
    from harness.serving import ThreadedServer, serve_app

    served: dict[int, tuple[Any, ThreadedServer]] = {}

    def serve(app: Any, *, kind: str | None = None) -> str:
        # Keyed by identity and holding the app, so the id cannot be reused while it is served.
        if id(app) not in served:
            served[id(app)] = (app, serve_app(app, kind=kind))
        return served[id(app)][1].url

    try:
        yield serve
    finally:
        for _, server in reversed(list(served.values())):
            server.stop()


class ContractRunner:
    """Runs contract checks from a test and fails it with a readable report."""

    def __init__(
        self,
        target: str | None,
        secret: str,
        settings: CartesiaSettings,
        marker: dict[str, Any],
        probe: ProbeSource | None = None,
    ) -> None:
        self.target = target
        self.secret = secret
        self.settings = settings
        self.marker = marker
        self.probe = probe

    def __call__(
        self,
        url: str | None = None,
        *,
        secret: str | None = None,
        probe: ProbeSource | None = None,
        checks: list[str] | None = None,
        exclude: list[str] | None = None,
        latency_budget: float | None = None,
        strict: bool = False,
    ) -> Report:
        """Run the checks against ``url`` (default: the target); fail the test if any check failed.

        ``probe`` (default: the marker's, else the ``cartesia_probe`` fixture) is a probe URL or a function
        returning the entries the receiver acted on.
        """
        __tracebackhide__ = True
        from harness.checks import run_checks
        from harness.store import DEFAULT_DB_PATH

        target = url or self.target
        if not target:
            pytest.fail("cartesia_contract: no target URL; pass url= or --cartesia-target", pytrace=False)
        report = run_checks(
            target,
            secret or self.secret,
            probe or self.marker.get("probe") or self.probe,
            checks=checks
            or self.marker.get("checks")
            or (list(self.settings.checks) if self.settings.checks else None),
            exclude=exclude or self.marker.get("exclude"),
            # The fixture already put a marker's latency_budget into settings.
            latency_budget=latency_budget or self.settings.latency_budget,
            seed=int(self.marker.get("seed", self.settings.seed)),
            # Logged like the contract items, so every reproduction can offer `harness replay <id>`.
            db=self.settings.db or DEFAULT_DB_PATH,
        )
        if report.exit_code(strict=strict) != 0:
            pytest.fail(report.render_terminal(color=False), pytrace=False)
        return report


@pytest.fixture
def cartesia_contract(
    request: pytest.FixtureRequest,
    cartesia_target: str | None,
    cartesia_secret: str,
    cartesia_settings: CartesiaSettings,
    cartesia_probe: ProbeSource | None,
) -> ContractRunner:
    """``cartesia_contract(url, probe=...)`` runs the contract checks and fails the test with the report."""
    settings = cartesia_settings
    marker = _marker_options(request)
    if "latency_budget" in marker:
        settings = replace(settings, latency_budget=float(marker["latency_budget"]))
    return ContractRunner(cartesia_target, cartesia_secret, settings, marker, cartesia_probe)
