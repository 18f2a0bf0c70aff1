"""POST webhook events as Cartesia does, and record every attempt.

The package is made of one module per concept: :mod:`.settings` (how events are sent), :mod:`.endpoint`
(where they go and the headers they carry), :mod:`.records` (attempts, deliveries, recorders), :mod:`.ids`
(delivery ids), :mod:`.failures` (what went wrong with an attempt) and :mod:`.engine` (the
:class:`Deliverer`). Its names are imported on first use (:mod:`harness._lazy`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness._lazy import lazy_exports

if TYPE_CHECKING:
    from harness._redact import MASK as MASK
    from harness.delivery.endpoint import Endpoint as Endpoint
    from harness.delivery.endpoint import EndpointSource as EndpointSource
    from harness.delivery.endpoint import mask_secret as mask_secret
    from harness.delivery.endpoint import webhook_headers as webhook_headers
    from harness.delivery.engine import Deliverer as Deliverer
    from harness.delivery.failures import classify_failure as classify_failure
    from harness.delivery.failures import classify_status as classify_status
    from harness.delivery.ids import new_delivery_id as new_delivery_id
    from harness.delivery.records import Attempt as Attempt
    from harness.delivery.records import AttemptRecorder as AttemptRecorder
    from harness.delivery.records import Delivery as Delivery
    from harness.delivery.records import WriteAheadRecorder as WriteAheadRecorder
    from harness.delivery.settings import DEFAULT_RETRY_STATUSES as DEFAULT_RETRY_STATUSES
    from harness.delivery.settings import MAX_CONCURRENCY as MAX_CONCURRENCY
    from harness.delivery.settings import MAX_RETRIES as MAX_RETRIES
    from harness.delivery.settings import MAX_TIMEOUT as MAX_TIMEOUT
    from harness.delivery.settings import USER_AGENT as USER_AGENT
    from harness.delivery.settings import DeliverySettings as DeliverySettings
    from harness.failure_kind import FailureKind as FailureKind
    from harness.failure_kind import Source as Source

__getattr__, __dir__ = lazy_exports(__name__)
