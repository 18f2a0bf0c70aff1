"""Local testing harness for Cartesia voice-agent webhooks.

Names are imported on first use (PEP 562), so ``import harness`` and the pytest plugin stay cheap for
sessions that never touch the harness. The ``if TYPE_CHECKING:`` imports below are the one list of public
names: type checkers read them as ordinary imports, and ``__all__`` and the table of which module defines
each name are read from them on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness._lazy import lazy_exports

if TYPE_CHECKING:
    from harness.checks import CHECKS as CHECKS
    from harness.checks import CheckContext as CheckContext
    from harness.checks import CheckFailure as CheckFailure
    from harness.checks import CheckResult as CheckResult
    from harness.checks import CheckSkipped as CheckSkipped
    from harness.checks import CheckWarning as CheckWarning
    from harness.checks import ProbeError as ProbeError
    from harness.checks import Report as Report
    from harness.checks import arun_checks as arun_checks
    from harness.checks import check as check
    from harness.checks import list_checks as list_checks
    from harness.checks import run_checks as run_checks
    from harness.delivery import Attempt as Attempt
    from harness.delivery import Deliverer as Deliverer
    from harness.delivery import Delivery as Delivery
    from harness.delivery import DeliverySettings as DeliverySettings
    from harness.errors import ConfigError as ConfigError
    from harness.errors import DeliveryError as DeliveryError
    from harness.errors import HarnessError as HarnessError
    from harness.errors import PayloadError as PayloadError
    from harness.errors import ScenarioError as ScenarioError
    from harness.errors import TargetUnreachableError as TargetUnreachableError
    from harness.failure_kind import FailureKind as FailureKind
    from harness.generate import DOMAINS as DOMAINS
    from harness.generate import LOCALES as LOCALES
    from harness.generate import OUTCOMES as OUTCOMES
    from harness.generate import simulate_call as simulate_call
    from harness.generate import simulate_calls as simulate_calls
    from harness.models import BUILTIN_METRICS as BUILTIN_METRICS
    from harness.models import CALL_STATUSES as CALL_STATUSES
    from harness.models import CONNECTION_TYPES as CONNECTION_TYPES
    from harness.models import DEPLOYMENT_REGIONS as DEPLOYMENT_REGIONS
    from harness.models import DIAL_FAILURE_END_REASONS as DIAL_FAILURE_END_REASONS
    from harness.models import DIRECTIONS as DIRECTIONS
    from harness.models import END_REASONS as END_REASONS
    from harness.models import EVENT_CLASSES as EVENT_CLASSES
    from harness.models import EVENT_TYPES as EVENT_TYPES
    from harness.models import TELEPHONY_ACCOUNT_TYPES as TELEPHONY_ACCOUNT_TYPES
    from harness.models import TURN_END_REASONS as TURN_END_REASONS
    from harness.models import TURN_ROLES as TURN_ROLES
    from harness.models import WEBHOOK_SECRET_HEADER as WEBHOOK_SECRET_HEADER
    from harness.models import Analysis as Analysis
    from harness.models import BaseEvent as BaseEvent
    from harness.models import Call as Call
    from harness.models import CallCompleted as CallCompleted
    from harness.models import CallFailed as CallFailed
    from harness.models import CallStarted as CallStarted
    from harness.models import CallTurn as CallTurn
    from harness.models import Event as Event
    from harness.models import LogEvent as LogEvent
    from harness.models import LogMetric as LogMetric
    from harness.models import PostCallAnalysis as PostCallAnalysis
    from harness.models import TelephonyParams as TelephonyParams
    from harness.models import TextChunk as TextChunk
    from harness.models import Timestamp as Timestamp
    from harness.models import ToolCall as ToolCall
    from harness.models import Turn as Turn
    from harness.models import UnknownEvent as UnknownEvent
    from harness.models import parse_event as parse_event
    from harness.receiver import event_key as event_key
    from harness.receiver import verify_secret as verify_secret
    from harness.scenarios import Scenario as Scenario
    from harness.scenarios import list_scenarios as list_scenarios
    from harness.scenarios import load_scenario as load_scenario
    from harness.sender import WebhookSender as WebhookSender
    from harness.server import MockServer as MockServer
    from harness.server import MockServerThread as MockServerThread
    from harness.server import ServerConfig as ServerConfig
    from harness.serving import AppServer as AppServer
    from harness.serving import serve_app as serve_app
    from harness.store import DEFAULT_DB_PATH as DEFAULT_DB_PATH
    from harness.store import DeliveryLog as DeliveryLog
    from harness.store import StoredDelivery as StoredDelivery

__version__ = "0.1.0"

# Names this file defines itself; every other public name is an import above, read from there on first use.
__getattr__, __dir__ = lazy_exports(__name__, also=["__version__"])
