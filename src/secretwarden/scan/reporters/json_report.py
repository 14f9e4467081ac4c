"""Machine output: one JSON document with findings, notices and counts."""

from __future__ import annotations

import json
from typing import Any

from secretwarden import __version__
from secretwarden.scan.model import Finding, ScanResult


def finding_dict(f: Finding, show_secrets: bool) -> dict[str, Any]:
    d: dict[str, Any] = {
        "rule": f.rule_id,
        "description": f.description,
        "severity": f.severity,
        "confidence": f.confidence,
        "path": f.path,
        "line": f.line,
        "column": f.column,
        "end_line": f.end_line or f.line,
        "commit": f.commit,
        "author_date": f.author_date,
        "preview": f.preview,
        "fingerprint": f.fingerprint,
        "decoded": f.decoded,
        "tags": list(f.tags),
    }
    if show_secrets:
        d["secret"] = f.secret
    return d


def render(result: ScanResult, show_secrets: bool, verbose: bool) -> str:
    doc = {
        "tool": "warden",
        "version": __version__,
        "source": result.source,
        "findings": [finding_dict(f, show_secrets) for f in result.findings],
        "notices": [{"path": n.path, "reason": n.reason, "commit": n.commit} for n in result.notices],
        "stats": {
            "files": result.stats.files,
            "blobs": result.stats.blobs,
            "commits": result.stats.commits,
            "bytes": result.stats.bytes,
            "seconds": round(result.stats.seconds, 3),
            "baselined": result.baselined,
            "allowed_inline": result.allowed,
        },
    }
    return json.dumps(doc, indent=2)
