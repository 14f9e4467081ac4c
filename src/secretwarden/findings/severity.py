"""One severity scale, named two ways.

Secrets (`scan`) are graded critical / high / medium / low; policy findings
(`lint`) error / warning / info. Both are points on one ordered scale, so a
combined run can sort, filter and fail on either vocabulary: `error` ranks with
`high`, `warning` with `medium`, and `info` sits below `low`. SARIF needs one of
three levels per result, and code-scanning dashboards read a numeric
`security-severity`; both are derived here and nowhere else.
"""

from __future__ import annotations

from typing import Literal

Severity = Literal["critical", "high", "medium", "low", "error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("critical", "high", "medium", "low", "error", "warning", "info")

RANK: dict[str, int] = {"critical": 4, "high": 3, "error": 3, "medium": 2, "warning": 2, "low": 1, "info": 0}

SarifLevel = Literal["error", "warning", "note"]
_LEVEL: dict[str, SarifLevel] = {
    "critical": "error", "high": "error", "error": "error",
    "medium": "warning", "warning": "warning",
    "low": "note", "info": "note",
}
_SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "error": "8.0", "medium": "5.5", "warning": "5.5",
                      "low": "3.0", "info": "1.0"}


def rank(severity: str) -> int:
    """Position on the scale; an unknown name ranks lowest rather than failing a report."""
    return RANK.get(severity, -1)


def at_least(severity: str, floor: str) -> bool:
    return rank(severity) >= RANK[floor]


def sarif_level(severity: str) -> SarifLevel:
    return _LEVEL.get(severity, "warning")


def security_severity(severity: str) -> str:
    """The number GitHub code scanning maps to critical/high/medium/low."""
    return _SECURITY_SEVERITY.get(severity, "5.5")
