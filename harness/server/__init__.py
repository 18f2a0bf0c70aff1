"""The mock Cartesia server: control API, Calls API, webhook management, and scenario playback.

Its names are imported on first use (:mod:`harness._lazy`), so importing one of its modules never runs the
others.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness._lazy import lazy_exports

if TYPE_CHECKING:
    from harness.server.app import MockServer as MockServer
    from harness.server.config import ServerConfig as ServerConfig
    from harness.server.config import resolve_config as resolve_config
    from harness.server.thread import MockServerThread as MockServerThread

__getattr__, __dir__ = lazy_exports(__name__)
