"""A pytest plugin for bench_plugin_startup's baseline: the harness's Hypothesis hook, and only it, does nothing.

``HYPOTHESIS_NO_PLUGINS=1`` would turn off every package's Hypothesis entry point (trio's, installed with
the test extras, imports trio), charging their cost to the harness. Loaded with ``-p`` before Hypothesis runs
its entry points, this puts an inert module where the harness's hook would be imported from.
"""

from __future__ import annotations

import sys
import types

_inert = types.ModuleType("harness._hypothesis_hook")
_inert._hypothesis_setup_hook = lambda: None  # type: ignore[attr-defined]
sys.modules.setdefault("harness._hypothesis_hook", _inert)
