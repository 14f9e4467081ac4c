"""JSON Schema (draft 2020-12) of a service's environment, for validators in any language."""

from __future__ import annotations

import json
from typing import Any

from secretwarden.render.schema.patterns import ecmascript
from secretwarden.render.schema.spec import STANDARD_FORMATS, SchemaField, SchemaSpec

SUFFIX = ".json"

_BOOLEAN = "^(?:[Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee]|1|0|[Yy][Ee][Ss]|[Nn][Oo])$"


def _property(field: SchemaField) -> dict[str, Any]:
    # Environment variables are text: every property is a string, its shape a pattern.
    prop: dict[str, Any] = {"type": "string", "minLength": max(field.min_length or 1, 1)}
    if field.description:
        prop["description"] = " ".join(field.description.split())
    patterns = [_BOOLEAN] if field.kind == "boolean" else [ecmascript(field.name, p, dot_all_flag=False)[0] for p in field.patterns]
    if len(patterns) == 1:
        prop["pattern"] = patterns[0]
    elif patterns:
        prop["allOf"] = [{"pattern": p} for p in patterns]
    if field.fmt in STANDARD_FORMATS:
        prop["format"] = STANDARD_FORMATS[field.fmt]
    if field.minimum is not None or field.maximum is not None:
        prop["x-warden-range"] = [field.minimum, field.maximum]
    prop["x-warden-expected"] = field.expected
    if field.sensitive:
        prop["writeOnly"] = True  # JSON Schema's hint that a value must not be echoed back
        prop["x-warden-sensitive"] = True
    return prop


def render(spec: SchemaSpec, header: list[str]) -> str:
    env = f"/{spec.env}" if spec.env else ""
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"urn:secretwarden:{spec.project}:{spec.service}{env.replace('/', ':')}",
        "$comment": " ".join(header),
        "title": f"Environment of service {spec.service}",
        "type": "object",
        "properties": {f.name: _property(f) for f in spec.fields},
        "required": [f.name for f in spec.fields if f.required],
    }
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
