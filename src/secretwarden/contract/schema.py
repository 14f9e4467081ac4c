"""JSON Schema of warden.yaml, generated from the pydantic models."""

from __future__ import annotations

from typing import Any


def json_schema() -> dict[str, Any]:
    from secretwarden.contract.model import Contract

    schema = Contract.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Secret Warden contract (warden.yaml)"
    return schema
