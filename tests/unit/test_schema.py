"""The committed JSON Schemas are current, and every golden fixture validates against its schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from harness.schema import event_schemas, render_schema
from tests.conftest import EVENT_FIXTURES, FIXTURES

SCHEMA_DIR = FIXTURES / "schema"


@pytest.mark.parametrize("name", sorted(event_schemas()))
def test_committed_schema_is_current(name: str) -> None:
    committed = SCHEMA_DIR / name
    assert committed.exists(), f"{committed} is missing: run `harness schema --out fixtures/schema`"
    assert committed.read_text(encoding="utf-8") == render_schema(event_schemas()[name]), (
        f"{committed} is stale: run `harness schema --out fixtures/schema` and commit the result"
    )


@pytest.mark.parametrize("path", EVENT_FIXTURES, ids=lambda p: p.stem)
def test_fixture_validates_against_its_schema(path: Path) -> None:
    payload = json.loads(path.read_bytes())
    schema_path = SCHEMA_DIR / f"{payload['type']}.schema.json"
    if not schema_path.exists():
        assert payload["type"] == "call_transferred"  # the unknown-type fixture has no schema by design
        return
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    errors = sorted(Draft202012Validator(schema).iter_errors(payload), key=str)
    assert not errors, [e.message for e in errors]


def test_schema_rejects_a_wrong_type() -> None:
    schema = json.loads((SCHEMA_DIR / "call_turn.schema.json").read_text(encoding="utf-8"))
    bad = {"type": "call_turn", "turn": {"start_timestamp": "soon"}}
    assert list(Draft202012Validator(schema).iter_errors(bad))
