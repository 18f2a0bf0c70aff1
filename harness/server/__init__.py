"""The mock Cartesia server: control API, Calls API, webhook management, and scenario playback."""

from __future__ import annotations

from harness.server.app import MockServer
from harness.server.config import ServerConfig, resolve_config
from harness.server.thread import MockServerThread

__all__ = ["MockServer", "MockServerThread", "ServerConfig", "resolve_config"]
