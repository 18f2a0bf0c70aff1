"""Scenario files: load a TOML description, validate it, and expand it into a timed delivery plan.

A scenario says how many calls to simulate and how many at once, how the generator is set up, how the
events are paced, and which faults to inject. The same file and seed always give the same plan.

This module is the public face of the parts, one concept each:

- :mod:`harness._scenario_settings`: the ``[generator]``, ``[pacing]`` and ``[faults]`` tables, and the bounds;
- :mod:`harness._scenario`: :class:`Scenario`, built from data (:func:`scenario_from_dict`, overrides);
- :mod:`harness._scenario_files`: bundled scenarios, :func:`load_scenario`, the server's :class:`ScenarioCatalog`;
- :mod:`harness._planning`: a scenario's calls into deliveries (:mod:`harness._plan` holds what is planned);
- :mod:`harness._faults`: seeded fault injection.
"""

from __future__ import annotations

from harness._faults import FAULT_KINDS
from harness._plan import Plan, PlannedCall, PlannedDelivery
from harness._scenario import Scenario, scenario_from_dict, scenario_with_params
from harness._scenario_files import (
    MAX_SCENARIO_BYTES,
    ScenarioCatalog,
    list_scenarios,
    load_scenario,
    scenarios_dir,
)
from harness._scenario_settings import MAX_CALLS, MAX_CONCURRENCY, MAX_TURNS, Faults, GeneratorSettings, Pacing

__all__ = [
    "FAULT_KINDS",
    "MAX_CALLS",
    "MAX_CONCURRENCY",
    "MAX_SCENARIO_BYTES",
    "MAX_TURNS",
    "Faults",
    "GeneratorSettings",
    "Pacing",
    "Plan",
    "PlannedCall",
    "PlannedDelivery",
    "Scenario",
    "ScenarioCatalog",
    "list_scenarios",
    "load_scenario",
    "scenario_from_dict",
    "scenario_with_params",
    "scenarios_dir",
]
