"""The Deployments API agrees with the deployment ids and versions of the calls served."""

from __future__ import annotations

from typing import Any

from harness._deployments import DEPLOYMENT_STATUSES
from harness.models import Timestamp
from harness.server import MockServer
from tests.integration.server_helpers import request

AUTH = {"X-API-Key": "sk_test"}
PLATFORM_FIELDS = {
    "id",
    "agent_id",
    "status",
    "is_live",
    "is_pinned",
    "git_commit_hash",
    "source_code_file_id",
    "env_var_collection_id",
    "build_logs",
    "created_at",
    "updated_at",
    "build_started_at",
    "build_completed_at",
    "deployment_started_at",
    "deployment_completed_at",
    "build_error",
    "deployment_error",
}


async def get(url: str) -> tuple[int, Any]:
    return await request("GET", url, headers=AUTH)


async def test_every_call_names_a_deployment_of_its_agent(server: MockServer) -> None:
    call_ids = await server.start_calls("happy-path", calls=20)
    await server.wait_for_calls(call_ids)
    status, deployments = await get(f"{server.url}/agents/{server.config.agent_id}/deployments")
    assert status == 200
    assert isinstance(deployments, list)  # a bare array, as on the platform
    by_id = {d["id"]: d for d in deployments}
    assert sum(d["is_live"] for d in deployments) == 1
    assert deployments[0]["is_live"]
    assert deployments[0]["status"] == "deployed"
    used = set()
    for call_id in call_ids:
        _, call = await get(f"{server.url}/agents/calls/{call_id}")
        deployment = by_id[call["deployment_id"]]
        assert deployment["version_id"] == call["deployment_version_id"]
        assert call["deployment_region"] in deployment["regions"]
        assert deployment["status"] in ("deployed", "inactive")
        status, fetched = await get(f"{server.url}/agents/deployments/{call['deployment_id']}")
        assert (status, fetched) == (200, deployment)
        used.add(call["deployment_id"])
    assert deployments[0]["id"] in used


async def test_deployments_carry_the_platform_fields_and_statuses(server: MockServer) -> None:
    _, deployments = await get(f"{server.url}/agents/{server.config.agent_id}/deployments")
    for deployment in deployments:
        assert set(deployment) >= PLATFORM_FIELDS
        assert deployment["agent_id"] == server.config.agent_id
        assert deployment["status"] in DEPLOYMENT_STATUSES
        assert deployment["id"].startswith("ad_")
        Timestamp.parse(deployment["created_at"])
        if deployment["status"] == "build_error":
            assert deployment["build_error"]
            assert deployment["deployment_completed_at"] is None
        else:
            assert (
                Timestamp.parse(deployment["deployment_completed_at"]).datetime
                > Timestamp.parse(deployment["created_at"]).datetime
            )
    created = [Timestamp.parse(d["created_at"]).datetime for d in deployments]
    assert created == sorted(created, reverse=True)  # newest first


async def test_unknown_deployments_and_agents_are_404(server: MockServer) -> None:
    status, body = await get(f"{server.url}/agents/deployments/ad_missing")
    assert (status, body["message"]) == (404, "Deployment not found")
    status, body = await get(f"{server.url}/agents/agent_nobody/deployments")
    assert (status, body["message"]) == (404, "Agent not found")
    assert server.config.agent_id in body["description"]
