"""The Deployments API: ``GET /agents/deployments/{id}`` and ``GET /agents/{agent_id}/deployments``.

An agent's deployments are derived from its id (:mod:`harness._deployments`), the same way the
generator picks each call's ``deployment_id`` and ``deployment_version_id``, so every call served has
its deployment here. The server knows its own agent (``HARNESS_AGENT_ID``) and the agents of the calls
it holds; other agent ids are a 404.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from harness._deployments import agent_deployments
from harness.server._http import fail, json_response
from harness.server.services import services_of

__all__ = ["routes"]

routes = web.RouteTableDef()


def _known_agents(request: web.Request) -> list[str]:
    services = services_of(request)
    return sorted({services.config.agent_id, *services.calls.agent_ids()})


@routes.get("/agents/deployments/{deployment_id}")
async def get_deployment(request: web.Request) -> web.Response:
    """``GET /agents/deployments/{deployment_id}``: one deployment object."""
    deployment_id = request.match_info["deployment_id"]
    for agent_id in _known_agents(request):
        found: dict[str, Any] | None = next((d for d in agent_deployments(agent_id) if d["id"] == deployment_id), None)
        if found is not None:
            return json_response(found)
    fail(404, "Deployment not found", f"No deployment with id {deployment_id!r} among this server's agents.")


@routes.get("/agents/{agent_id}/deployments")
async def list_deployments(request: web.Request) -> web.Response:
    """``GET /agents/{agent_id}/deployments``: the agent's deployments, newest first, as a bare array."""
    agent_id = request.match_info["agent_id"]
    if agent_id not in _known_agents(request):
        fail(
            404,
            "Agent not found",
            f"No agent with id {agent_id!r} on this server; it plays {services_of(request).config.agent_id!r} "
            "(HARNESS_AGENT_ID) and the agents of the calls it holds.",
        )
    return json_response(agent_deployments(agent_id))
