"""The Hypothesis entry point costs a session nothing until one of the harness's types is asked for."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def run(code: str) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120, check=True
    )
    return result.stdout.split()


def test_importing_hypothesis_imports_no_model_and_no_pydantic() -> None:
    loaded = run(
        """
        import sys, hypothesis
        from hypothesis import strategies as st
        heavy = ("harness.models", "pydantic", "harness.strategies", "hypothesis.strategies._internal.types")
        print("after-import:", *sorted(m for m in heavy if m in sys.modules))
        st.from_type(int).example()  # resolving other types loads none of ours either
        print("after-int:", *sorted(m for m in heavy[:3] if m in sys.modules))
        """
    )
    assert loaded == ["after-import:", "after-int:"]


def test_from_type_resolves_the_models_once_they_are_imported() -> None:
    drawn = run(
        """
        import hypothesis
        from hypothesis import strategies as st
        from pydantic import BaseModel
        from harness.models import BaseEvent, Call, CallCompleted

        class Mine(BaseModel):  # a user's model with one of ours inside: resolved through builds()
            call: Call

        print(type(st.from_type(CallCompleted).example()).__name__)
        print(isinstance(st.from_type(BaseEvent).example(), BaseEvent))
        print(type(st.from_type(Mine).example().call).__name__)
        """
    )
    assert drawn == ["CallCompleted", "True", "Call"]


def test_models_imported_before_hypothesis_are_registered_at_once() -> None:
    drawn = run(
        """
        from harness.models import Turn
        import hypothesis
        from hypothesis.strategies._internal.types import _global_type_lookup
        print(Turn in _global_type_lookup)
        """
    )
    assert drawn == ["True"]


def test_the_models_module_keeps_working_as_a_module() -> None:
    found = run(
        """
        import inspect, hypothesis
        import harness.models
        print(harness.models.__spec__.origin.endswith("models.py"), "class Turn" in inspect.getsource(harness.models))
        """
    )
    assert found == ["True", "True"]


def test_the_strategies_module_imports_first_in_a_fresh_process() -> None:
    # Importing harness.strategies imports harness.models on the way, which registers the strategies: the
    # registration must not need the half-imported strategies module.
    drawn = run(
        """
        import hypothesis
        from hypothesis import strategies as st
        from harness.strategies import call_failed_events
        from harness.models import CallFailed, Turn
        print(type(call_failed_events().example()).__name__, type(st.from_type(Turn).example()).__name__)
        """
    )
    assert drawn == ["CallFailed", "Turn"]
