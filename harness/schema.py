"""JSON Schema for each event type, generated from the models (committed copies live in fixtures/schema/)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from harness.errors import ConfigError
from harness.models import EVENT_CLASSES

__all__ = ["event_schemas", "write_schemas"]


def event_schemas() -> dict[str, dict[str, Any]]:
    """One JSON Schema (draft 2020-12) per known event type, keyed by file name."""
    schemas = {}
    for event_type, cls in EVENT_CLASSES.items():
        schema = cls.model_json_schema(by_alias=True, mode="validation")
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["$id"] = f"{event_type}.schema.json"
        schemas[f"{event_type}.schema.json"] = schema
    return schemas


def render_schema(schema: dict[str, Any]) -> str:
    """The stable text of a schema file: sorted keys, two-space indent, trailing newline."""
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_schemas(out_dir: Path) -> list[Path]:
    """Write every event schema into ``out_dir`` (created if missing) and return the paths written."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        written = []
        for name, schema in event_schemas().items():
            path = out_dir / name
            path.write_text(render_schema(schema), encoding="utf-8")
            written.append(path)
    except OSError as exc:
        message = f"{out_dir}: cannot write schemas ({exc.strerror}); choose a writable --out directory"
        raise ConfigError(message) from exc
    return written
