"""Machine-readable report: the result as one JSON document."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from secretwarden.lint.model import LintResult


def as_dict(result: LintResult) -> dict[str, Any]:
    return {
        "root": result.root,
        "contract": result.contract,
        "files": result.files,
        "rules": result.rules,
        "summary": {s: result.count(s) for s in ("error", "warning", "info")} | {"allowed": len(result.allowed)},
        "findings": [asdict(f) for f in result.findings],
    }


def render(result: LintResult) -> str:
    return json.dumps(as_dict(result), indent=2, ensure_ascii=False) + "\n"
