"""SARIF 2.1.0 output for code-scanning dashboards."""

from __future__ import annotations

import json
from typing import Any

from secretwarden import __version__
from secretwarden.scan.model import ScanResult
from secretwarden.scan.rules import all_rules

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
_SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}


def render(result: ScanResult, show_secrets: bool, verbose: bool) -> str:
    rules = list(all_rules())
    index = {r.id: i for i, r in enumerate(rules)}
    driver_rules = [
        {
            "id": r.id,
            "name": "".join(p.capitalize() for p in r.id.split("-")),
            "shortDescription": {"text": r.description},
            "defaultConfiguration": {"level": _LEVEL[r.severity]},
            "properties": {"tags": list(dict.fromkeys(["security", "secret", *r.tags])),
                           "security-severity": _SECURITY_SEVERITY[r.severity]},
        }
        for r in rules
    ]
    results: list[dict[str, Any]] = []
    for f in result.findings:
        value = f.secret if show_secrets else f.preview
        region: dict[str, Any] = {"startLine": f.line, "startColumn": f.column}
        if f.end_line and f.end_line > f.line:
            region["endLine"] = f.end_line
        props: dict[str, Any] = {"confidence": f.confidence, "severity": f.severity}
        if f.commit:
            props["commit"] = f.commit
            props["authorDate"] = f.author_date
        if f.decoded:
            props["decoded"] = f.decoded
        results.append({
            "ruleId": f.rule_id,
            "ruleIndex": index.get(f.rule_id, 0),
            "level": _LEVEL.get(f.severity, "warning"),
            "message": {"text": f"{f.description}: {value}"},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": f.path, "uriBaseId": "SRCROOT"},
                "region": region,
            }}],
            "partialFingerprints": {"wardenFingerprint/v1": f.fingerprint},
            "properties": props,
        })
    notifications = [
        {"level": "note", "message": {"text": f"{n.path}: {n.reason}"}} for n in result.notices
    ]
    doc = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "warden",
                "semanticVersion": __version__,
                "rules": driver_rules,
            }},
            "invocations": [{"executionSuccessful": True, "toolExecutionNotifications": notifications}],
            "results": results,
            "columnKind": "unicodeCodePoints",
        }],
    }
    return json.dumps(doc, indent=2)
