"""Hypothesis entry point: makes ``st.from_type(CallCompleted)`` (and friends) use the harness's strategies.

Hypothesis runs this hook whenever it is imported, which pytest's Hypothesis plugin does in every session,
so the hook must cost nearly nothing: it imports no harness module. ``register_type_strategy`` needs the
type objects, which live in ``harness.models`` (pydantic, ~0.1 s to import); so the hook leaves a resolver
in Hypothesis's table of per-module lookups, which Hypothesis consults, only once ``harness.models`` is in
``sys.modules``, for a type it has no strategy for. A type of ours can only reach ``from_type`` after its
module was imported, so the first such call registers every model's strategy and answers it. The
strategies themselves are deferred too: the strategies module, the call simulator and faker load on the
first draw.

That table (``hypothesis.strategies._internal.types._global_extra_lookup``, how Hypothesis defers numpy)
is not public API: on a Hypothesis without it, the hook falls back to importing the models at once.
"""

from __future__ import annotations

import sys
from typing import Any

MODELS = "harness.models"


def _hypothesis_setup_hook() -> None:
    try:
        from hypothesis.strategies._internal import types
    except ImportError:
        lookups = None
    else:
        lookups = getattr(types, "_global_extra_lookup", None)
    if MODELS in sys.modules or not isinstance(lookups, dict):
        _register()  # the models are loaded already, or this Hypothesis cannot wait for them
        return

    def first_lookup(thing: Any) -> Any:
        lookups.pop(MODELS, None)  # once registered, Hypothesis finds ours in its ordinary table
        return _register().get(thing)

    lookups[MODELS] = first_lookup


def _register() -> dict[type[Any], Any]:
    """Register a deferred strategy for every payload model; returns them by type."""
    from hypothesis import strategies as st

    from harness import models

    def deferred(cls: type[Any]) -> st.SearchStrategy[Any]:
        def resolve() -> st.SearchStrategy[Any]:
            from harness.strategies import TYPE_STRATEGIES

            return TYPE_STRATEGIES[cls]

        return st.deferred(resolve)

    registered: dict[type[Any], Any] = {}
    for cls in (
        models.Timestamp,
        models.ToolCall,
        models.TextChunk,
        models.LogEvent,
        models.LogMetric,
        models.Turn,
        models.TelephonyParams,
        models.Call,
        models.Analysis,
        models.CallStarted,
        models.CallTurn,
        models.CallCompleted,
        models.CallFailed,
        models.PostCallAnalysis,
        models.UnknownEvent,
        models.BaseEvent,
    ):
        registered[cls] = deferred(cls)
        st.register_type_strategy(cls, registered[cls])
    return registered
