"""SARIF 2.1.0 report, so CI systems can show findings inline on pull requests.

`run_for` builds one SARIF `run`; `warden ci` puts the lint run and the scan
run side by side in one log. Allowed findings are kept as suppressed results
with the allow comment's reason as the justification.
"""

from __future__ import annotations

import json
from typing import Any

from secretwarden import __version__
from secretwarden.lint.model import LintResult
from secretwarden.lint.registry import all_rules

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}


def rule_descriptors() -> list[dict[str, Any]]:
    return [
        {
            "id": rule.id,
            "name": "".join(part.capitalize() for part in rule.id.split("-")),
            "shortDescription": {"text": rule.title},
            "fullDescription": {"text": rule.rationale},
            "help": {"text": f"{rule.fix} (docs/lint.md#{rule.id})", "markdown": f"**Fix:** {rule.fix}"},
            "defaultConfiguration": {"level": LEVELS[rule.severity]},
        }
        for rule in all_rules()
    ]


def run_for(result: LintResult) -> dict[str, Any]:
    index = {d["id"]: i for i, d in enumerate(rule_descriptors())}
    results: list[dict[str, Any]] = []
    for f in result.findings:
        entry: dict[str, Any] = {
            "ruleId": f.rule_id,
            "ruleIndex": index.get(f.rule_id, 0),
            "level": LEVELS[f.severity],
            "message": {"text": f.message + (f" Fix: {f.fix}" if f.fix else "")},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": f.file, "uriBaseId": "SRCROOT"},
                        "region": {"startLine": f.line, "startColumn": f.column},
                    }
                }
            ],
            "partialFingerprints": {"wardenLint/v1": f"{f.rule_id}:{f.file}:{f.message}"},
        }
        if f.service:
            entry["properties"] = {"service": f.service}
        if f.allowed is not None:
            entry["suppressions"] = [{"kind": "inSource", "justification": f.allowed}]
        results.append(entry)
    return {
        "tool": {
            "driver": {
                "name": "warden lint",
                "version": __version__,
                "rules": rule_descriptors(),
            }
        },
        "originalUriBaseIds": {"SRCROOT": {"uri": _root_uri(result.root)}},
        "results": results,
    }


def _root_uri(root: str) -> str:
    from pathlib import Path

    return Path(root).resolve().as_uri() + "/"


def sarif_log(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": runs}


def render(result: LintResult) -> str:
    return json.dumps(sarif_log([run_for(result)]), indent=2, ensure_ascii=False) + "\n"
