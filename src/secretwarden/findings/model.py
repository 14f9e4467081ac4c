"""What every checker reports: findings, notices, the rules behind them, and one report.

`Finding` holds what every output format needs (rule, severity, place,
message, whether an inline allow silenced it). A checker that knows more
subclasses it — `scan` adds the secret and its confidence, `lint` a fix and a
service — and says how its extra fields appear in JSON and SARIF; reporters
only ever see the base type.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol, TypeVar

from secretwarden.findings.severity import gates


@dataclass(frozen=True, kw_only=True)
class Finding:
    tool: ClassVar[str] = "warden"

    rule_id: str
    severity: str
    path: str  # posix, relative to the report's root
    line: int  # 1-based
    column: int  # 1-based
    message: str = ""
    end_line: int | None = None
    allowed: str | None = None  # reason of the inline `warden:allow` that silences it

    @property
    def file(self) -> str:
        return self.path

    @property
    def active(self) -> bool:
        return self.allowed is None

    @property
    def gating(self) -> bool:
        """Active and of a severity that can fail a run (not a `note`)."""
        return self.active and gates(self.severity)

    @property
    def note(self) -> bool:
        """Active but listed only: it never fails a run (see `findings.severity`)."""
        return self.active and not gates(self.severity)

    def location(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"

    @property
    def fingerprint(self) -> str:
        """Stable across runs and line moves: what a baseline and code scanning match on."""
        raw = f"{self.tool}\0{self.rule_id}\0{self.path}\0{self.message}"
        return hashlib.sha256(raw.encode("utf-8", "surrogateescape")).hexdigest()[:40]

    def evidence(self, show_secrets: bool) -> str | None:
        """The matched text to print beside the message, if the checker has one."""
        return None

    def details(self) -> list[str]:
        """Short notes a human report prints after the message (confidence, commit, fix)."""
        return []

    def json_fields(self, show_secrets: bool) -> dict[str, Any]:
        return {
            "tool": self.tool,
            "rule": self.rule_id,
            "severity": self.severity,
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line or self.line,
            "message": self.message,
            "fingerprint": self.fingerprint,
            "allowed": self.allowed,
        }

    def sarif_properties(self) -> dict[str, Any]:
        return {"severity": self.severity}


@dataclass(frozen=True)
class Notice:
    """Something a checker skipped or could only partly read; never fatal."""

    path: str
    reason: str
    commit: str | None = None


@dataclass(frozen=True)
class RuleInfo:
    """What an output format says about a rule (SARIF's rule descriptors, markdown's legend)."""

    id: str
    title: str
    severity: str
    description: str = ""
    help: str = ""
    tags: tuple[str, ...] = ()


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


RuleT = TypeVar("RuleT", bound=_HasId)


def unique_rules(families: Iterable[Iterable[RuleT]], what: str) -> tuple[RuleT, ...]:
    """Every family's rules in order; an id two rules share stops the checker at load (ids are
    what allow comments, baselines and `--disable-rule` name)."""
    rules = [rule for family in families for rule in family]
    ids = [r.id for r in rules]
    repeated = {i for i in ids if ids.count(i) > 1}
    if repeated:
        raise RuntimeError(f"duplicate {what} ids: {sorted(repeated)}")
    return tuple(rules)


@dataclass
class Report:
    """One checker's run, ready for any output format.

    `root` is the absolute folder every finding path is relative to (the
    repository's top level, or the current directory outside a repository);
    SARIF names it `SRCROOT`. `details` are the checker's own top-level JSON
    fields, kept so each command's JSON stays what it was. `failed` is the
    checker's verdict; it never counts notes (`gating` is what may fail).
    """

    tool: str
    root: Path
    findings: Sequence[Finding]
    rules: Sequence[RuleInfo]
    summary: str
    notices: Sequence[Notice] = ()
    details: dict[str, Any] = field(default_factory=dict)
    failed: bool = False

    @property
    def active(self) -> list[Finding]:
        """Every finding no inline allow silenced, notes included."""
        return [f for f in self.findings if f.active]

    @property
    def gating(self) -> list[Finding]:
        """The active findings that can fail a run: every gate counts these and nothing else."""
        return [f for f in self.findings if f.gating]

    @property
    def notes(self) -> list[Finding]:
        """Active findings listed for information only (public-by-design keys)."""
        return [f for f in self.findings if f.note]

    @property
    def allowed(self) -> list[Finding]:
        return [f for f in self.findings if not f.active]


@dataclass(frozen=True)
class RenderOptions:
    show_secrets: bool = False  # only `scan --show-secrets`: a value in the output is the user's explicit choice
    verbose: bool = False
    colour: bool = False  # ANSI styles: only for a terminal, never in a file
    # Human formats (text, github) hide notes unless asked: a terminal or a pull
    # request shows what needs action. Machine formats (json, sarif) always carry them.
    notes: bool = False
