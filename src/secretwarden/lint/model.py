"""Plain data produced by `warden lint`: rules, findings, results."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from secretwarden.findings.model import Finding as BaseFinding
from secretwarden.findings.severity import at_least

if TYPE_CHECKING:
    from secretwarden.lint.context import LintContext

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")


@dataclass(frozen=True, kw_only=True)
class Finding(BaseFinding):
    """The shared finding (`path` relative to the lint root, `.file` is the same) plus a fix and a service."""

    tool: ClassVar[str] = "lint"

    fix: str = ""
    service: str | None = None  # the contract service the finding belongs to, when known

    def details(self) -> list[str]:
        return [f"fix: {self.fix}"] if self.fix else []

    def json_fields(self, show_secrets: bool) -> dict[str, Any]:
        d = super().json_fields(show_secrets)
        # `rule_id` and `file` are the names this report used before the shared layer.
        d.update({"rule_id": self.rule_id, "file": self.path, "fix": self.fix, "service": self.service})
        return d

    def sarif_properties(self) -> dict[str, Any]:
        props: dict[str, Any] = {"severity": self.severity}
        if self.service:
            props["service"] = self.service
        return props


@dataclass(frozen=True)
class Example:
    """A tiny repository (path -> text) that a rule must flag or must accept.

    `expect` lists the (rule id, file, line) of every finding the example must
    produce, nothing more; an empty tuple means the example must pass.
    `contract` is an optional warden.yaml text for contract-aware rules.
    """

    files: dict[str, str]
    expect: tuple[tuple[str, str, int], ...] = ()
    contract: str | None = None
    tracked: bool = True  # commit the files to git (False: leave them untracked)


CheckFn = Callable[["LintContext"], Iterable[Finding]]


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    severity: Severity
    rationale: str
    fix: str
    check: CheckFn
    failing: Example
    passing: Example
    needs_contract: bool = False

    def finding(
        self,
        file: str,
        line: int,
        column: int,
        message: str,
        *,
        service: str | None = None,
        fix: str | None = None,
    ) -> Finding:
        return Finding(
            rule_id=self.id,
            severity=self.severity,
            path=file,
            line=max(1, line),
            column=max(1, column),
            message=message,
            fix=self.fix if fix is None else fix,
            service=service,
        )


@dataclass
class LintResult:
    root: str
    contract: str | None
    findings: list[Finding] = field(default_factory=list)
    files: int = 0
    rules: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def active(self) -> list[Finding]:
        return [f for f in self.findings if f.active]

    @property
    def allowed(self) -> list[Finding]:
        return [f for f in self.findings if not f.active]

    def count(self, severity: str) -> int:
        return sum(1 for f in self.active if f.severity == severity)

    def fails(self, fail_on: str) -> bool:
        return any(at_least(f.severity, fail_on) for f in self.active)
