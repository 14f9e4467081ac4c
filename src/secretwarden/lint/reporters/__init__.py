"""Output formats for lint results: name -> module with `render(result) -> str`."""

from __future__ import annotations

import importlib

from secretwarden.lint.model import LintResult

FORMATS: dict[str, str] = {
    "text": "secretwarden.lint.reporters.text",
    "json": "secretwarden.lint.reporters.json_report",
    "sarif": "secretwarden.lint.reporters.sarif",
}


def render(result: LintResult, fmt: str) -> str:
    module = importlib.import_module(FORMATS[fmt])
    text: str = module.render(result)
    return text
