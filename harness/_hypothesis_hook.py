"""Hypothesis entry point: makes ``st.from_type(CallCompleted)`` (and friends) use the harness's strategies.

Hypothesis runs this hook whenever it is imported, which pytest's Hypothesis plugin does in every session,
so the hook must cost nearly nothing. ``register_type_strategy`` needs the type objects, which live in
``harness.models`` (pydantic: about 0.1 s to import), and registering loads Hypothesis's type-resolution
module (another 0.04 s). A type of ours can only reach ``from_type`` once its module is imported, so the
hook waits for that: when ``harness.models`` is already imported it registers at once, otherwise it puts a
one-shot finder on ``sys.meta_path`` that registers right after ``harness.models`` is executed. The
strategies themselves wait too: the strategies module, the call simulator and faker load when ``from_type``
first asks for one of our types.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

MODELS = "harness.models"


def _hypothesis_setup_hook() -> None:
    if MODELS in sys.modules:
        _register()
    elif not any(isinstance(finder, _RegisterAfterImport) for finder in sys.meta_path):
        sys.meta_path.insert(0, _RegisterAfterImport())


class _RegisterAfterImport(importlib.abc.MetaPathFinder):
    """Finds nothing itself; when ``harness.models`` is imported, wraps its loader to register afterwards."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != MODELS:
            return None
        sys.meta_path.remove(self)  # one shot: the other finders locate the module, as usual
        spec = importlib.util.find_spec(fullname)
        if spec is not None and spec.loader is not None:
            spec.loader = _ThenRegister(spec.loader)
        return spec


class _ThenRegister(importlib.abc.Loader):
    """A module loader that registers the strategies once the module has run; anything else goes to ``loader``."""

    def __init__(self, loader: importlib.abc.Loader) -> None:
        self._loader = loader

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self._loader.exec_module(module)
        _register()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)  # get_source, get_filename...: tracebacks and inspect still work


def _register() -> None:
    """Register the harness's strategy for every payload model, resolved when ``from_type`` first asks for it."""
    from hypothesis import strategies as st

    import harness.models as models

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
        # A function, not st.deferred(): Hypothesis materialises a strategy when it is registered, which would
        # import harness.strategies while harness.models is still being imported, perhaps by harness.strategies
        # itself (a fresh `import hypothesis; import harness.strategies` failed on the half-imported module).
        st.register_type_strategy(cls, _strategy_for)


def _strategy_for(cls: type[Any]) -> SearchStrategy[Any]:
    from harness.strategies import TYPE_STRATEGIES

    return TYPE_STRATEGIES[cls]
