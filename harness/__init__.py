"""Local testing harness for Cartesia voice-agent webhooks.

Names are imported on first use (PEP 562), so ``import harness`` and the pytest plugin stay cheap for
sessions that never touch the harness; type checkers see ordinary imports.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.errors import (
        ConfigError,
        DeliveryError,
        HarnessError,
        PayloadError,
        ScenarioError,
        TargetUnreachableError,
    )
    from harness.models import (
        BUILTIN_METRICS,
        CALL_STATUSES,
        CONNECTION_TYPES,
        DEPLOYMENT_REGIONS,
        DIAL_FAILURE_END_REASONS,
        DIRECTIONS,
        END_REASONS,
        EVENT_CLASSES,
        EVENT_TYPES,
        TELEPHONY_ACCOUNT_TYPES,
        TURN_END_REASONS,
        TURN_ROLES,
        WEBHOOK_SECRET_HEADER,
        Analysis,
        BaseEvent,
        Call,
        CallCompleted,
        CallFailed,
        CallStarted,
        CallTurn,
        Event,
        LogEvent,
        LogMetric,
        PostCallAnalysis,
        TelephonyParams,
        TextChunk,
        Timestamp,
        ToolCall,
        Turn,
        UnknownEvent,
        parse_event,
    )
    from harness.receiver import (
        event_key,
        verify_secret,
    )

__version__ = "0.1.0"

# name -> module that defines it
_EXPORTS: dict[str, str] = {
    "ConfigError": "harness.errors",
    "DeliveryError": "harness.errors",
    "HarnessError": "harness.errors",
    "PayloadError": "harness.errors",
    "ScenarioError": "harness.errors",
    "TargetUnreachableError": "harness.errors",
    "BUILTIN_METRICS": "harness.models",
    "CALL_STATUSES": "harness.models",
    "CONNECTION_TYPES": "harness.models",
    "DEPLOYMENT_REGIONS": "harness.models",
    "DIAL_FAILURE_END_REASONS": "harness.models",
    "DIRECTIONS": "harness.models",
    "END_REASONS": "harness.models",
    "EVENT_CLASSES": "harness.models",
    "EVENT_TYPES": "harness.models",
    "TELEPHONY_ACCOUNT_TYPES": "harness.models",
    "TURN_END_REASONS": "harness.models",
    "TURN_ROLES": "harness.models",
    "WEBHOOK_SECRET_HEADER": "harness.models",
    "Analysis": "harness.models",
    "BaseEvent": "harness.models",
    "Call": "harness.models",
    "CallCompleted": "harness.models",
    "CallFailed": "harness.models",
    "CallStarted": "harness.models",
    "CallTurn": "harness.models",
    "Event": "harness.models",
    "LogEvent": "harness.models",
    "LogMetric": "harness.models",
    "PostCallAnalysis": "harness.models",
    "TelephonyParams": "harness.models",
    "TextChunk": "harness.models",
    "Timestamp": "harness.models",
    "ToolCall": "harness.models",
    "Turn": "harness.models",
    "UnknownEvent": "harness.models",
    "parse_event": "harness.models",
    "event_key": "harness.receiver",
    "verify_secret": "harness.receiver",
}

__all__ = [
    "BUILTIN_METRICS",
    "CALL_STATUSES",
    "CONNECTION_TYPES",
    "DEPLOYMENT_REGIONS",
    "DIAL_FAILURE_END_REASONS",
    "DIRECTIONS",
    "END_REASONS",
    "EVENT_CLASSES",
    "EVENT_TYPES",
    "TELEPHONY_ACCOUNT_TYPES",
    "TURN_END_REASONS",
    "TURN_ROLES",
    "WEBHOOK_SECRET_HEADER",
    "Analysis",
    "BaseEvent",
    "Call",
    "CallCompleted",
    "CallFailed",
    "CallStarted",
    "CallTurn",
    "ConfigError",
    "DeliveryError",
    "Event",
    "HarnessError",
    "LogEvent",
    "LogMetric",
    "PayloadError",
    "PostCallAnalysis",
    "ScenarioError",
    "TargetUnreachableError",
    "TelephonyParams",
    "TextChunk",
    "Timestamp",
    "ToolCall",
    "Turn",
    "UnknownEvent",
    "__version__",
    "event_key",
    "parse_event",
    "verify_secret",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'harness' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
