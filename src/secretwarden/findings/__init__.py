"""One findings layer for every checker (`scan`, `lint`, and `ci` which combines them).

A checker turns its result into a `Report` (findings + the rules that can
produce them + a one-line summary); everything downstream — severity scale,
`warden:allow` grammar, baseline, the text/json/sarif/markdown reporters and
the one SARIF writer — works on that, so a new output format is one module in
`findings/reporters/` and one entry in its registry, for every checker at once.
"""

from secretwarden.findings.model import Finding, Notice, Report, RuleInfo
from secretwarden.findings.severity import SEVERITIES, Severity

__all__ = ["SEVERITIES", "Finding", "Notice", "Report", "RuleInfo", "Severity"]
