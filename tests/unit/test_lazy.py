"""Lazy package exports: names listed once, under TYPE_CHECKING, imported on first use."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

import harness.delivery
import harness.server
from harness._lazy import MAX_INIT_BYTES, type_checking_imports


def test_the_type_checking_imports_are_the_exports(tmp_path: Path) -> None:
    init = tmp_path / "__init__.py"
    init.write_text(
        "from typing import TYPE_CHECKING\n"
        "import json\n"
        "if TYPE_CHECKING:\n"
        "    from a.b import One as One\n"
        "    from a.c import two as renamed\n"
        "    import not_a_name\n"
        "from d import not_exported\n",
        encoding="utf-8",
    )
    assert type_checking_imports(init) == {"One": ("a.b", "One"), "renamed": ("a.c", "two")}


def test_names_defined_in_the_package_itself_join_all(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "lazy_sample"
    package.mkdir()
    (package / "__init__.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "from harness._lazy import lazy_exports\n"
        "if TYPE_CHECKING:\n"
        "    from json import dumps as dumps\n"
        "version = '1'\n"
        "__getattr__, __dir__ = lazy_exports(__name__, also=['version'])\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    sample = importlib.import_module("lazy_sample")
    assert "dumps" not in vars(sample)  # nothing imported before first use
    assert sample.__all__ == ["dumps", "version"]
    assert sample.dumps is json.dumps
    assert {"dumps", "version"} <= set(dir(sample))
    monkeypatch.delitem(sys.modules, "lazy_sample")


def test_an_oversized_init_is_refused(tmp_path: Path) -> None:
    init = tmp_path / "__init__.py"
    init.write_bytes(b"#" * (MAX_INIT_BYTES + 1))
    with pytest.raises(ImportError, match="over"):
        type_checking_imports(init)


def test_the_server_and_delivery_packages_keep_their_public_names() -> None:
    assert harness.server.__all__ == ["MockServer", "MockServerThread", "ServerConfig", "resolve_config"]
    assert {"Deliverer", "Delivery", "Attempt", "DeliverySettings", "webhook_headers", "mask_secret"} <= set(
        harness.delivery.__all__
    )
    for package in (harness.server, harness.delivery):
        sources = type_checking_imports(Path(str(package.__file__)))
        assert sorted(sources) == package.__all__
        for name, (module, original) in sources.items():
            assert getattr(package, name) is getattr(importlib.import_module(module), original), name
        assert set(package.__all__) <= set(dir(package))
    with pytest.raises(AttributeError, match="has no attribute 'Nope'"):
        _ = harness.server.Nope


def test_importing_a_submodule_runs_none_of_its_siblings() -> None:
    code = (
        "import sys, harness.server.state, harness.delivery.records\n"
        "loaded = [m for m in ('harness.server.app', 'harness.delivery.engine') if m in sys.modules]\n"
        "print(loaded)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == "[]"
