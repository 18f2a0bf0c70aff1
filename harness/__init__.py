"""Local testing harness for Cartesia voice-agent webhooks.

Names are imported on first use (PEP 562), so ``import harness`` and the pytest plugin stay cheap for
sessions that never touch the harness; type checkers see ordinary imports.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.checks import (
        CHECKS,
        CheckContext,
        CheckFailure,
        CheckResult,
        CheckSkipped,
        CheckWarning,
        ProbeError,
        Report,
        arun_checks,
        check,
        list_checks,
        run_checks,
    )
    from harness.delivery import (
        Attempt,
        Deliverer,
        Delivery,
        DeliverySettings,
    )
    from harness.errors import (
        ConfigError,
        DeliveryError,
        HarnessError,
        PayloadError,
        ScenarioError,
        TargetUnreachableError,
    )
    from harness.failure_kind import FailureKind
    from harness.generate import (
        DOMAINS,
        LOCALES,
        OUTCOMES,
        simulate_call,
        simulate_calls,
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
    from harness.scenarios import (
        Scenario,
        list_scenarios,
        load_scenario,
    )
    from harness.sender import (
        WebhookSender,
    )
    from harness.server import (
        MockServer,
        MockServerThread,
        ServerConfig,
    )
    from harness.serving import (
        AppServer,
        serve_app,
    )
    from harness.store import (
        DEFAULT_DB_PATH,
        DeliveryLog,
        StoredDelivery,
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
    "DOMAINS": "harness.generate",
    "LOCALES": "harness.generate",
    "OUTCOMES": "harness.generate",
    "simulate_call": "harness.generate",
    "simulate_calls": "harness.generate",
    "CHECKS": "harness.checks",
    "CheckContext": "harness.checks",
    "CheckFailure": "harness.checks",
    "CheckResult": "harness.checks",
    "CheckSkipped": "harness.checks",
    "CheckWarning": "harness.checks",
    "ProbeError": "harness.checks",
    "Report": "harness.checks",
    "arun_checks": "harness.checks",
    "check": "harness.checks",
    "list_checks": "harness.checks",
    "run_checks": "harness.checks",
    "Attempt": "harness.delivery",
    "Deliverer": "harness.delivery",
    "Delivery": "harness.delivery",
    "DeliverySettings": "harness.delivery",
    "FailureKind": "harness.failure_kind",
    "DEFAULT_DB_PATH": "harness.store",
    "DeliveryLog": "harness.store",
    "StoredDelivery": "harness.store",
    "MockServer": "harness.server",
    "MockServerThread": "harness.server",
    "ServerConfig": "harness.server",
    "Scenario": "harness.scenarios",
    "list_scenarios": "harness.scenarios",
    "load_scenario": "harness.scenarios",
    "WebhookSender": "harness.sender",
    "AppServer": "harness.serving",
    "serve_app": "harness.serving",
}

__all__ = [
    "BUILTIN_METRICS",
    "CALL_STATUSES",
    "CHECKS",
    "CONNECTION_TYPES",
    "DEFAULT_DB_PATH",
    "DEPLOYMENT_REGIONS",
    "DIAL_FAILURE_END_REASONS",
    "DIRECTIONS",
    "DOMAINS",
    "END_REASONS",
    "EVENT_CLASSES",
    "EVENT_TYPES",
    "LOCALES",
    "OUTCOMES",
    "TELEPHONY_ACCOUNT_TYPES",
    "TURN_END_REASONS",
    "TURN_ROLES",
    "WEBHOOK_SECRET_HEADER",
    "Analysis",
    "AppServer",
    "Attempt",
    "BaseEvent",
    "Call",
    "CallCompleted",
    "CallFailed",
    "CallStarted",
    "CallTurn",
    "CheckContext",
    "CheckFailure",
    "CheckResult",
    "CheckSkipped",
    "CheckWarning",
    "ConfigError",
    "Deliverer",
    "Delivery",
    "DeliveryError",
    "DeliveryLog",
    "DeliverySettings",
    "Event",
    "FailureKind",
    "HarnessError",
    "LogEvent",
    "LogMetric",
    "MockServer",
    "MockServerThread",
    "PayloadError",
    "PostCallAnalysis",
    "ProbeError",
    "Report",
    "Scenario",
    "ScenarioError",
    "ServerConfig",
    "StoredDelivery",
    "TargetUnreachableError",
    "TelephonyParams",
    "TextChunk",
    "Timestamp",
    "ToolCall",
    "Turn",
    "UnknownEvent",
    "WebhookSender",
    "__version__",
    "arun_checks",
    "check",
    "event_key",
    "list_checks",
    "list_scenarios",
    "load_scenario",
    "parse_event",
    "run_checks",
    "serve_app",
    "simulate_call",
    "simulate_calls",
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
