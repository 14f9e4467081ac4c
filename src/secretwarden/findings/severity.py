"""One severity scale, named two ways, with one level below it that never gates.

Secrets (`scan`) are graded critical / high / medium / low; policy findings
(`lint`) error / warning / info. Both are points on one ordered scale, so a
combined run can sort, filter and fail on either vocabulary: `error` ranks with
`high`, `warning` with `medium`, and `info` sits below `low`.

`note` sits below everything: a finding that is worth listing but is not a
problem, such as a key that is public by design (a Firebase web `apiKey`, a
Mapbox `pk.` token, a reCAPTCHA site key). No gate fails on a note — not the
`scan` exit code, not `warden ci`, not `--fail-on` at any level — and a
baseline does not record one, because there is nothing to accept.

SARIF needs one of three levels per result, and code-scanning dashboards read a
numeric `security-severity`; both are derived here and nowhere else. A note has
no `security-severity` (see `security_severity`).
"""

from __future__ import annotations

from typing import Literal

Severity = Literal["critical", "high", "medium", "low", "error", "warning", "info", "note"]
SEVERITIES: tuple[Severity, ...] = ("critical", "high", "medium", "low", "error", "warning", "info", "note")

RANK: dict[str, int] = {"critical": 4, "high": 3, "error": 3, "medium": 2, "warning": 2, "low": 1, "info": 0,
                        "note": -1}
# Severities that are listed but never fail a run. An unknown name gates: a typo
# in a hand-written rule must not silence it.
NON_GATING: frozenset[str] = frozenset({"note"})

SarifLevel = Literal["error", "warning", "note"]
_LEVEL: dict[str, SarifLevel] = {
    "critical": "error", "high": "error", "error": "error",
    "medium": "warning", "warning": "warning",
    "low": "note", "info": "note", "note": "note",
}
_SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "error": "8.0", "medium": "5.5", "warning": "5.5",
                      "low": "3.0", "info": "1.0"}


def rank(severity: str) -> int:
    """Position on the scale; an unknown name ranks lowest rather than failing a report."""
    return RANK.get(severity, -1)


def gates(severity: str) -> bool:
    """Can a finding of this severity fail a run? False only for `note`."""
    return severity not in NON_GATING


def at_least(severity: str, floor: str) -> bool:
    """`severity` reaches `floor` and gates: a note never reaches any floor, `note` included."""
    return gates(severity) and rank(severity) >= RANK[floor]


def sarif_level(severity: str) -> SarifLevel:
    return _LEVEL.get(severity, "warning")


def security_severity(severity: str) -> str | None:
    """The number GitHub code scanning maps to critical/high/medium/low; None for a note.

    Code scanning shows a rule with a `security-severity` as a security alert of
    that severity, whatever its level; without one it shows the level
    (Error/Warning/Note). A public-by-design key must read as a Note there."""
    if not gates(severity):
        return None
    return _SECURITY_SEVERITY.get(severity, "5.5")
