"""A Locust user that plays whole Cartesia calls at a webhook receiver, and its master/worker plumbing.

Import this module only where Locust runs (a locustfile, or the processes ``harness load`` starts):
importing Locust monkey-patches the standard library with gevent, which breaks asyncio and pytest in the
same process. Nothing else in the harness imports it.

    from harness.locust import CartesiaCallUser

    class Calls(CartesiaCallUser):
        speed = 20.0  # each call's turns 20 times faster than it was spoken

``locust -f that_file.py --host http://127.0.0.1:8000/webhooks`` with ``CARTESIA_WEBHOOK_SECRET`` set.
Each user plays one call after another: ``call_started``, its turns at the call's own pace divided by
``speed`` (``None``: as fast as answers come), the end event and the analysis, each POSTed with
``X-Webhook-Secret`` and named by its event type in Locust's statistics. Calls come from a pool generated
before the test starts, seeded per worker, so workers never send the same call ids.

With ``--master``/``--worker``, each worker sends the master, as custom messages, what it sent and which
events were acknowledged; the master collects every worker's last batch when the test stops and, with
``--cartesia-results PATH``, writes it all for ``harness load``'s report and reconciliation.
"""

from __future__ import annotations

import json
import logging
import os
import random
import secrets
import socket
import ssl
import sys
import time
from pathlib import Path
from typing import Any, ClassVar

import gevent
from gevent.lock import Semaphore
from geventhttpclient.response import HTTPConnectionClosed
from geventhttpclient.useragent import EmptyResponse
from locust import FastHttpUser, constant, events, task
from locust.argument_parser import LocustArgumentParser
from locust.contrib.fasthttp import FastResponse, ResponseContextManager
from locust.env import Environment
from locust.rpc import Message
from locust.runners import STATE_MISSING, LocalRunner, MasterRunner, Runner, WorkerRunner

from harness._environment import SECRET_ENV
from harness._seeds import derive_seed
from harness.delivery import FailureKind, webhook_headers
from harness.load.pool import MAX_POOL_CALLS, CallPool, PooledCall, PooledEvent
from harness.load.tally import LoadTally, WorkerLedger, failure_label

__all__ = ["SECRET_ENV", "CartesiaCallUser"]

USER_AGENT = "cartesia-webhook-harness/0.1 (+load)"
ACKS_MESSAGE = "cartesia_acks"
FLUSH_MESSAGE = "cartesia_flush"
# How often a worker hands its records to the master; the last batch goes when the test stops.
BATCH_INTERVAL = 1.0
# How long the master waits at the stop for every worker's last batch.
FLUSH_TIMEOUT = 30.0
RESULTS_FORMAT = 1

logger = logging.getLogger("harness.locust")


class CartesiaCallUser(FastHttpUser):
    """Plays whole simulated calls, one after another, at the receiver given as Locust's host.

    Class attributes configure it; the ``--cartesia-*`` command-line options, when given, win.
    """

    abstract = True
    wait_time = constant(0)
    # A real call's pace divided by this; None sends each event as soon as the previous one was answered.
    speed: ClassVar[float | None] = 1.0
    # Calls generated before the test starts, per worker; played again under fresh call ids when used up.
    pool_size: ClassVar[int] = 100
    # The share of calls played a second time, byte for byte, right after the first (a redelivery).
    duplicates: ClassVar[float] = 0.0
    # The pool's seed before it is made distinct per worker; None draws one per process.
    seed: ClassVar[int | None] = None
    # Default: $CARTESIA_WEBHOOK_SECRET. Never logged; Locust's statistics show only event types.
    secret: ClassVar[str | None] = None
    # The platform's assumed delivery timeout.
    network_timeout = 10.0
    connection_timeout = 10.0
    # Certificates are verified against the system's CAs, as the platform would (Locust's default is not to).
    insecure = False

    def on_start(self) -> None:
        settings = _settings(type(self), self.environment)
        self._speed: float | None = settings["speed"]
        self._duplicates: float = settings["duplicates"]
        self._pool = _pool(type(self), self.environment)
        self._ledger = _state(self.environment).ledger
        self._headers = {**webhook_headers(_secret(type(self))), "User-Agent": USER_AGENT}
        self._rng = random.Random(derive_seed(self._pool.seed, id(self)))

    @task
    def play_call(self) -> None:
        """Play the pool's next call, and play it again when it is drawn as a duplicate."""
        call = self._pool.next_call()
        self.play(call)
        if self._duplicates and self._rng.random() < self._duplicates:
            self.play(call, replay=True)

    def play(self, call: PooledCall, *, replay: bool = False) -> None:
        """POST every event of ``call`` in order, pausing between them at the call's pace divided by speed."""
        self._ledger.call_started(call.call_id, replay=replay)
        for event in call.events:
            if self._speed is not None and event.gap > 0:
                gevent.sleep(event.gap / self._speed)
            self.post_event(call.call_id, event)

    def post_event(self, call_id: str, event: PooledEvent) -> None:
        """POST one event; a 2xx is an acknowledgement, anything else a failure counted by kind."""
        started = time.perf_counter()
        response: ResponseContextManager
        # geventhttpclient sends bytes as they are; the annotation only names str.
        with self.client.post(
            "",
            data=event.body,  # type: ignore[arg-type]
            headers=self._headers,
            name=event.type,
            catch_response=True,
            allow_redirects=False,
        ) as response:
            latency = time.perf_counter() - started
            failure = _failure(response)
            if failure is None:
                response.success()
            else:
                response.failure(failure)
        answered = bool(response.status_code)
        self._ledger.record(
            event.type, call_id, event.timestamp, latency=latency if answered else None, failure=failure
        )


def _failure(response: FastResponse | ResponseContextManager) -> str | None:
    status = response.status_code
    if status and 200 <= status < 300:
        return None
    if status:
        return failure_label(FailureKind.STATUS, status)
    error = getattr(response, "error", None)
    # geventhttpclient wraps the last error of a request it gave up on (RetriesExceeded) in .original.
    error = getattr(error, "original", None) or error
    if isinstance(error, TimeoutError | socket.timeout | gevent.Timeout):
        return FailureKind.TIMEOUT
    if isinstance(error, ConnectionRefusedError):
        return FailureKind.REFUSED
    if isinstance(error, ConnectionError | HTTPConnectionClosed | EmptyResponse):
        return FailureKind.RESET
    if isinstance(error, ssl.SSLError):
        return FailureKind.TLS
    return f"{FailureKind.OTHER}: {type(error).__name__}"


# --- per-process state -----------------------------------------------------------------------------------


class _NodeState:
    def __init__(self) -> None:
        self.ledger = WorkerLedger()
        self.lock = Semaphore()
        self.pools: dict[type[CartesiaCallUser], CallPool] = {}
        self.tally = LoadTally()
        self.started: float | None = None
        self.stopped: float | None = None
        self.collected = False


_STATES: dict[int, _NodeState] = {}


def _state(environment: Environment) -> _NodeState:
    return _STATES.setdefault(id(environment), _NodeState())


def _option(environment: Environment, name: str) -> Any:
    options = environment.parsed_options
    return getattr(options, name, None) if options is not None else None


def _settings(cls: type[CartesiaCallUser], environment: Environment) -> dict[str, Any]:
    speed = _option(environment, "cartesia_speed")
    fast = bool(_option(environment, "cartesia_fast"))
    pool = _option(environment, "cartesia_pool")
    duplicates = _option(environment, "cartesia_duplicates")
    seed = _option(environment, "cartesia_seed")
    return {
        "speed": None if fast else (speed if speed is not None else cls.speed),
        "pool": pool if pool is not None else cls.pool_size,
        "duplicates": duplicates if duplicates is not None else cls.duplicates,
        "seed": seed if seed is not None else cls.seed,
    }


def _secret(cls: type[CartesiaCallUser]) -> str:
    secret = cls.secret or os.environ.get(SECRET_ENV)
    if not secret:
        raise SystemExit(f"{cls.__name__}: no webhook secret: set {SECRET_ENV} (or the class's secret attribute)")
    return secret


def _call_users(environment: Environment) -> list[type[CartesiaCallUser]]:
    return [cls for cls in environment.user_classes if issubclass(cls, CartesiaCallUser)]


def _pool(cls: type[CartesiaCallUser], environment: Environment) -> CallPool:
    state = _state(environment)
    pool = state.pools.get(cls)
    if pool is None:
        settings = _settings(cls, environment)
        base = settings["seed"] if settings["seed"] is not None else secrets.randbits(63)
        runner = environment.runner
        worker = runner.worker_index if isinstance(runner, WorkerRunner) else 0
        classes = _call_users(environment)
        position = classes.index(cls) if cls in classes else 0
        # Distinct per worker (the master numbers them) and per user class, so no two send the same call.
        seed = derive_seed(derive_seed(base, worker), position)
        pool = state.pools[cls] = CallPool(seed=seed, size=settings["pool"], pause=lambda: gevent.sleep(0))
    return pool


# --- options and events ----------------------------------------------------------------------------------


@events.init_command_line_parser.add_listener
def _add_options(parser: LocustArgumentParser, **_: Any) -> None:
    group = parser.add_argument_group("Cartesia calls (harness.locust)")
    group.add_argument("--cartesia-speed", type=float, metavar="X", help="play calls X times faster than real time")
    group.add_argument("--cartesia-fast", action="store_true", help="send each event as soon as the last was answered")
    group.add_argument("--cartesia-pool", type=int, metavar="N", help=f"calls made per worker (1-{MAX_POOL_CALLS})")
    group.add_argument("--cartesia-seed", type=int, metavar="N", help="seed of the calls (made distinct per worker)")
    group.add_argument("--cartesia-duplicates", type=float, metavar="R", help="share of calls played twice (0-1)")
    group.add_argument("--cartesia-timeout", type=float, metavar="S", help="request timeout in seconds (default 10)")
    group.add_argument("--cartesia-results", metavar="PATH", help="master: write what the workers reported here")
    group.add_argument("--cartesia-progress", type=float, metavar="S", help="master: a progress line every S seconds")


@events.init.add_listener
def _on_init(environment: Environment, runner: Runner | None = None, **_: Any) -> None:
    if isinstance(runner, MasterRunner):
        runner.register_message(ACKS_MESSAGE, _on_acks)
        return
    for cls in _call_users(environment):
        _secret(cls)  # fail at start, not in every user
    if isinstance(runner, WorkerRunner):
        runner.register_message(FLUSH_MESSAGE, _on_flush)
        runner.greenlet.spawn(_send_batches, environment)


@events.test_start.add_listener
def _on_test_start(environment: Environment, **_: Any) -> None:
    state = _state(environment)
    state.started = time.monotonic()
    runner = environment.runner
    if isinstance(runner, MasterRunner):
        interval = _option(environment, "cartesia_progress")
        if interval:
            runner.greenlet.spawn(_print_progress, environment, float(interval))
        return
    timeout = _option(environment, "cartesia_timeout")
    for cls in _call_users(environment):
        if timeout is not None:
            cls.network_timeout = cls.connection_timeout = float(timeout)
        _pool(cls, environment)  # generated now, before any user starts


@events.test_stopping.add_listener
def _on_test_stopping(environment: Environment, **_: Any) -> None:
    if isinstance(environment.runner, MasterRunner):
        _collect(environment)


@events.quitting.add_listener
def _on_quitting(environment: Environment, **_: Any) -> None:
    runner = environment.runner
    if isinstance(runner, WorkerRunner) or runner is None:
        return
    if isinstance(runner, LocalRunner):
        runner.stop()
    _collect(environment)
    path = _option(environment, "cartesia_results")
    if path:
        _write_results(Path(path), _state(environment))


# --- worker side -----------------------------------------------------------------------------------------


def _send_batches(environment: Environment) -> None:
    while True:
        gevent.sleep(BATCH_INTERVAL)
        _send_batch(environment, final=False)


def _send_batch(environment: Environment, *, final: bool) -> None:
    state = _state(environment)
    runner = environment.runner
    assert isinstance(runner, WorkerRunner)
    # One sender at a time, so the last batch can never overtake one still being sent.
    with state.lock:
        if not final and not state.ledger.pending:
            return
        batch = state.ledger.drain(final=final)
        batch["index"] = runner.worker_index
        runner.send_message(ACKS_MESSAGE, batch)


def _on_flush(environment: Environment, msg: Message, **_: Any) -> None:
    runner = environment.runner
    assert runner is not None
    runner.stop()  # no request is in flight after this, so the next batch is complete
    _send_batch(environment, final=True)


# --- master side -----------------------------------------------------------------------------------------


def _on_acks(environment: Environment, msg: Message, **_: Any) -> None:
    data = msg.data if isinstance(msg.data, dict) else {}
    index = data.get("index")
    _state(environment).tally.merge(str(msg.node_id), data, index=index if isinstance(index, int) else None)


def _collect(environment: Environment) -> None:
    """Stop the clock and, on a master, wait for every connected worker's last batch (at most FLUSH_TIMEOUT)."""
    state = _state(environment)
    if state.collected:
        return
    state.collected = True
    state.stopped = time.monotonic()
    runner = environment.runner
    if isinstance(runner, LocalRunner):
        state.tally.merge(socket.gethostname(), state.ledger.drain(final=True), index=0)
        return
    if not isinstance(runner, MasterRunner):
        return
    waiting = {node.id for node in runner.clients.all if node.state != STATE_MISSING}
    for worker in waiting:
        runner.send_message(FLUSH_MESSAGE, None, client_id=worker)
    deadline = time.monotonic() + FLUSH_TIMEOUT
    while waiting and time.monotonic() < deadline:
        connected = {node.id for node in runner.clients.all if node.state != STATE_MISSING}
        waiting = {w for w in waiting if w in connected and not _reported_final(state, w)}
        if waiting:
            gevent.sleep(0.05)  # the batches arrive on the master's message greenlet
    for worker in waiting:
        logger.warning(
            "worker %s sent no final report within %.0f s; its last records are missing", worker, FLUSH_TIMEOUT
        )


def _reported_final(state: _NodeState, worker: str) -> bool:
    totals = state.tally.workers.get(worker)
    return totals is not None and totals.final


def _print_progress(environment: Environment, interval: float) -> None:
    state = _state(environment)
    runner = environment.runner
    assert isinstance(runner, MasterRunner)
    while not state.collected:
        gevent.sleep(interval)
        if state.collected:
            break
        elapsed = time.monotonic() - (state.started or time.monotonic())
        tally = state.tally
        sent, acked = sum(tally.total("sent").values()), sum(tally.total("acked").values())
        failed = sum(totals.failed_total for totals in tally.workers.values())
        rate = sent / elapsed if elapsed > 0 else 0.0
        print(
            f"[{elapsed:6.1f} s] {runner.worker_count} workers, {runner.user_count} users, {tally.calls:,} calls: "
            f"{sent:,} events sent, {acked:,} acknowledged, {failed:,} failed ({rate:,.0f}/s)",
            flush=True,
        )


def _write_results(path: Path, state: _NodeState) -> None:
    started, stopped = state.started, state.stopped
    state.tally.elapsed = (stopped - started) if started is not None and stopped is not None else 0.0
    data = {"format": RESULTS_FORMAT, "tally": state.tally.to_json()}
    partial = path.with_name(path.name + ".partial")
    try:
        partial.write_text(json.dumps(data), encoding="utf-8")
        partial.replace(path)  # whole or absent: the reader never sees half a file
    except OSError as exc:
        print(f"harness.locust: cannot write the results to {path}: {exc}", file=sys.stderr)
