"""An agent's deployments, derived from its id alone, so generated calls and the mock's Deployments API agree.

Every agent has the same history, with its own ids and times: the live deployment (``deployed``,
``is_live``), the one it replaced (``inactive``), a build that failed (``build_error``) and an older
``inactive`` one. Calls run on the live deployment, a few on the one before (calls placed before the
switch-over), so ``GET /agents/deployments/{call.deployment_id}`` always finds the call's deployment.

Each deployment has one version (``version_id``, what calls carry as ``deployment_version_id``) and
serves every region (``regions``); the platform's deployment object does not publish either, so these
two fields are the harness's additions, beside the platform's own.
"""

from __future__ import annotations

import functools
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import harness._ids as _ids
from harness._seeds import derive_seed
from harness.models import Timestamp

__all__ = ["DEPLOYMENT_STATUSES", "agent_deployments", "call_deployment"]

DEPLOYMENT_STATUSES = ("queued", "inactive", "deploy_error", "skipped", "build_error", "building", "deployed")
# Newest first: (status, is_live). Calls ran on the first two.
_HISTORY = (("deployed", True), ("inactive", False), ("build_error", False), ("inactive", False))
# Share of calls that ran on the live deployment; the rest ran on the one before it.
LIVE_SHARE = 0.9
# The live deployment finished before this instant, before any generated call's default start.
_LIVE_BEFORE = datetime(2026, 1, 1, tzinfo=UTC)
_BUILD_ERRORS = (
    "pip install failed: No matching distribution found for cartesia-line==9.9.9",
    "SyntaxError: invalid syntax (main.py, line 42)",
)


def _rng(agent_id: str, index: int) -> random.Random:
    return random.Random(derive_seed(agent_id, "deployment", index))


@functools.lru_cache(maxsize=1024)  # every call of an agent asks for the same two
def _ids_of(agent_id: str, index: int) -> tuple[str, str]:
    rng = _rng(agent_id, index)
    return _ids.deployment_id(rng), _ids.deployment_version_id(rng)


def call_deployment(rng: random.Random, agent_id: str) -> tuple[str, str]:
    """(deployment_id, deployment_version_id) of a call of ``agent_id``; draws one number from ``rng``."""
    index = 0 if rng.random() < LIVE_SHARE else 1
    return _ids_of(agent_id, index)


def _stamp(moment: datetime) -> str:
    return str(Timestamp.from_datetime(moment))


def agent_deployments(agent_id: str) -> list[dict[str, Any]]:
    """The agent's deployments as the platform's deployment objects, newest first."""
    deployments: list[dict[str, Any]] = []
    # Each deployment starts some days before the next newer one finished; times go back from _LIVE_BEFORE.
    finished_before = _LIVE_BEFORE
    replaced_at: str | None = None
    for index, (status, live) in enumerate(_HISTORY):
        rng = _rng(agent_id, index)
        deployment_id, version_id = _ids.deployment_id(rng), _ids.deployment_version_id(rng)
        created = finished_before - timedelta(days=rng.randint(2, 12), seconds=rng.randint(0, 86_399))
        build_started = created + timedelta(seconds=rng.uniform(1, 8))
        build_completed = build_started + timedelta(seconds=rng.uniform(25, 140))
        deploy_started = build_completed + timedelta(seconds=rng.uniform(1, 5))
        deploy_completed = deploy_started + timedelta(seconds=rng.uniform(8, 45))
        built = status != "build_error"
        data: dict[str, Any] = {
            "id": deployment_id,
            "agent_id": agent_id,
            "status": status,
            "is_live": live,
            "is_pinned": False,
            "git_commit_hash": "".join(rng.choices("0123456789abcdef", k=40)),
            "source_code_file_id": "file_" + _ids.base62(rng, 22),
            "env_var_collection_id": "evc_" + _ids.base62(rng, 22),
            "build_logs": "Installing dependencies\nBuild succeeded"
            if built
            else "Installing dependencies\nBuild failed",
            "created_at": _stamp(created),
            "build_started_at": _stamp(build_started),
            "build_completed_at": _stamp(build_completed),
            "deployment_started_at": _stamp(deploy_started) if built else None,
            "deployment_completed_at": _stamp(deploy_completed) if built else None,
            "updated_at": (
                replaced_at if built and replaced_at else _stamp(deploy_completed if built else build_completed)
            ),
            "build_error": None if built else rng.choice(_BUILD_ERRORS),
            "deployment_error": None,
            "version_id": version_id,
            "regions": ["US", "EU", "APAC"],
        }
        deployments.append(data)
        if built:
            replaced_at = data["deployment_completed_at"]
        finished_before = created
    return deployments
