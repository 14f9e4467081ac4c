"""Machine output: one JSON document per run, the same shape for every checker.

Top level: `tool`, `command`, `version`, the checker's own fields (scan:
`source`, `stats`; lint: `root`, `contract`, `files`, `rules`, `summary`),
`findings` and `notices`. Each finding has the shared keys (`tool`, `rule`,
`severity`, `path`, `line`, `column`, `end_line`, `message`, `fingerprint`,
`allowed`) plus its checker's own."""

from __future__ import annotations

import json
from typing import Any

from secretwarden.findings.model import RenderOptions, Report


def as_dict(report: Report, options: RenderOptions) -> dict[str, Any]:
    from secretwarden import __version__

    doc: dict[str, Any] = {"tool": "warden", "command": report.tool, "version": __version__}
    doc.update(report.details)
    doc["findings"] = [f.json_fields(options.show_secrets) for f in report.findings]
    doc["notices"] = [{"path": n.path, "reason": n.reason, "commit": n.commit} for n in report.notices]
    return doc


def render(report: Report, options: RenderOptions) -> str:
    return json.dumps(as_dict(report, options), indent=2, ensure_ascii=False) + "\n"
