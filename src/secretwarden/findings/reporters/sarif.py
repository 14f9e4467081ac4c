"""SARIF 2.1.0, the one writer for every checker.

One `run` per checker: `warden scan --format sarif` writes one, `warden ci`
puts the scan and lint runs side by side in one log (`log`). Each run names
the repository root it used as `SRCROOT` in `originalUriBaseIds`, every
result's `uri` is relative to it, and `automationDetails.id` gives each
checker its own category, which code scanning needs to keep two runs of one
tool apart. Allowed findings stay in the run as suppressed results with the
allow comment's reason as the justification. Notes (public-by-design keys)
are results of level `note` whose rules carry no `security-severity`, so
code scanning lists them as notes, never as security alerts.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from secretwarden.findings.model import Finding, RenderOptions, Report, RuleInfo
from secretwarden.findings.severity import sarif_level, security_severity

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
VERSION = "2.1.0"
ROOT_ID = "SRCROOT"


def _rule(info: RuleInfo) -> dict[str, Any]:
    properties: dict[str, Any] = {"tags": list(dict.fromkeys(["security", *info.tags]))}
    score = security_severity(info.severity)
    if score is not None:
        properties["security-severity"] = score
    d: dict[str, Any] = {
        "id": info.id,
        "name": "".join(part.capitalize() for part in info.id.split("-")),
        "shortDescription": {"text": info.title},
        "fullDescription": {"text": info.description or info.title},
        "defaultConfiguration": {"level": sarif_level(info.severity)},
        "properties": properties,
    }
    if info.help:
        d["help"] = {"text": info.help, "markdown": info.help}
    return d


def _message(f: Finding, options: RenderOptions) -> str:
    evidence = f.evidence(options.show_secrets)
    text = f.message + (f": {evidence}" if evidence else "")
    details = f.details()
    return text + (f" ({'; '.join(details)})" if details else "")


def _result(f: Finding, index: dict[str, int], options: RenderOptions) -> dict[str, Any]:
    region: dict[str, Any] = {"startLine": f.line, "startColumn": f.column}
    if f.end_line and f.end_line > f.line:
        region["endLine"] = f.end_line
    entry: dict[str, Any] = {
        "ruleId": f.rule_id,
        "level": sarif_level(f.severity),
        "message": {"text": _message(f, options)},
        "locations": [{"physicalLocation": {
            "artifactLocation": {"uri": quote(f.path, errors="surrogateescape"), "uriBaseId": ROOT_ID},
            "region": region,
        }}],
        "partialFingerprints": {"wardenFingerprint/v1": f.fingerprint},
        "properties": f.sarif_properties(),
    }
    if f.rule_id in index:
        entry["ruleIndex"] = index[f.rule_id]
    if f.allowed is not None:
        entry["suppressions"] = [{"kind": "inSource", "justification": f.allowed}]
    return entry


def run(report: Report, options: RenderOptions | None = None) -> dict[str, Any]:
    from secretwarden import __version__

    opts = options or RenderOptions()
    index = {r.id: i for i, r in enumerate(report.rules)}
    notifications = [
        {"level": "note", "message": {"text": f"{n.path}: {n.reason}"}} for n in report.notices
    ]
    return {
        "tool": {"driver": {
            "name": f"warden {report.tool}",
            "version": __version__,
            "semanticVersion": __version__,
            "rules": [_rule(r) for r in report.rules],
        }},
        "automationDetails": {"id": f"warden/{report.tool}/"},
        "originalUriBaseIds": {ROOT_ID: {"uri": report.root.resolve().as_uri().rstrip("/") + "/"}},
        "invocations": [{"executionSuccessful": True, "toolExecutionNotifications": notifications}],
        "results": [_result(f, index, opts) for f in report.findings],
        "columnKind": "unicodeCodePoints",
    }


def log(runs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return {"$schema": SCHEMA, "version": VERSION, "runs": list(runs)}


def render(report: Report, options: RenderOptions) -> str:
    return json.dumps(log([run(report, options)]), indent=2, ensure_ascii=False) + "\n"
