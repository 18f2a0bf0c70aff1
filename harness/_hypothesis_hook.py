"""Hypothesis entry point: makes ``st.from_type(CallCompleted)`` (and friends) use the harness's strategies.

Hypothesis runs this hook whenever it is imported, which pytest's Hypothesis plugin does in every session.
So the hook imports only the models and registers deferred strategies: the strategies module, the call
simulator and faker load on the first draw, not in sessions that never draw one.
"""

from __future__ import annotations

from typing import Any


def _hypothesis_setup_hook() -> None:
    from hypothesis import strategies as st

    from harness import models

    def deferred(cls: type[Any]) -> st.SearchStrategy[Any]:
        def resolve() -> st.SearchStrategy[Any]:
            from harness.strategies import TYPE_STRATEGIES

            return TYPE_STRATEGIES[cls]

        return st.deferred(resolve)

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
        st.register_type_strategy(cls, deferred(cls))
