"""Run the lint rules over a repository and collect findings.

`run_lint` finds the files (honouring .gitignore), loads the contract when
there is one, runs every enabled rule, applies `warden.yaml` re-levelling and
`# warden:allow <rule-id> <reason>` comments, and returns a `LintResult`.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from secretwarden.errors import UsageError
from secretwarden.lint.context import LintContext
from secretwarden.lint.files import list_files
from secretwarden.lint.model import Finding, LintResult, Rule
from secretwarden.lint.registry import all_rules, extra_required_ignores

if TYPE_CHECKING:
    from secretwarden.contract.model import Contract

def load_contract_for(root: Path, contract_path: str | None) -> tuple[Contract | None, Path | None]:
    from secretwarden.contract.loader import find_contract, load_contract

    path = Path(contract_path) if contract_path else find_contract(root)
    if path is None:
        return None, None
    loaded = load_contract(path)
    return loaded.contract, loaded.path


def configured_rules(contract: Contract | None, only: list[str] | None = None) -> list[Rule]:
    """The enabled rules, with severities re-levelled as `warden.yaml` says."""
    from secretwarden.contract.suggest import closest

    rules = list(all_rules())
    known = {r.id for r in rules}
    settings = dict(contract.lint.rules) if contract is not None else {}
    for rule_id in [*settings, *(only or [])]:
        if rule_id not in known:
            guess = closest(rule_id, known)
            raise UsageError(
                f"unknown lint rule `{rule_id}`" + (f"; did you mean `{guess}`?" if guess else ""),
                hint="`warden lint --list-rules` prints the rule ids",
            )
    out: list[Rule] = []
    for rule in rules:
        setting = settings.get(rule.id)
        if only and rule.id not in only:
            continue
        if setting is not None and not setting.enabled:
            continue
        if setting is not None and setting.severity is not None:
            rule = replace(rule, severity=setting.severity)
        out.append(rule)
    return out


# Rules that judge the repository as a whole (a service's wiring across files, the
# ignore rules, a service's README): a staged subset would make them guess.
WHOLE_REPOSITORY_RULES = frozenset({
    "unknown-secret-ref", "undeclared-remote-key", "unwired-key", "cross-service-ref",
    "required-ignore", "secrets-doc", "startup-validation",
})


def build_context(
    root: Path, contract: Contract | None, contract_file: Path | None, *, staged: bool = False
) -> LintContext:
    files, tracked = list_files(root)
    repo_files = files
    if staged:
        from secretwarden.lint.files import staged_files

        chosen = staged_files(root)
        if chosen is None:
            raise UsageError(f"{root} is not inside a git work tree", hint="--staged lints what `git add` staged")
        files = chosen
    rel_contract: str | None = None
    if contract_file is not None:
        try:
            rel_contract = contract_file.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            rel_contract = str(contract_file.resolve())
    return LintContext(
        root, files, tracked, contract, rel_contract,
        contract_file.resolve().parent if contract_file is not None else None,
        repo_files=repo_files, extra_required_ignores=extra_required_ignores(),
    )


def run_lint(
    root: str | Path = ".",
    *,
    contract_path: str | None = None,
    use_contract: bool = True,
    only: list[str] | None = None,
    staged: bool = False,
) -> LintResult:
    return lint_repository(root, contract_path=contract_path, use_contract=use_contract, only=only, staged=staged)[0]


def lint_repository(
    root: str | Path = ".",
    *,
    contract_path: str | None = None,
    use_contract: bool = True,
    only: list[str] | None = None,
    staged: bool = False,
) -> tuple[LintResult, LintContext]:
    """The result and the context it was computed from (the checklist reads both).

    `staged`: judge only the files staged in git (the pre-commit hook), skipping
    the rules in WHOLE_REPOSITORY_RULES; `warden lint` without it in CI runs them.
    """
    started = time.perf_counter()
    base = Path(root)
    if not base.is_dir():
        raise UsageError(f"{base} is not a directory", hint="pass the repository folder to lint")
    contract, contract_file = load_contract_for(base, contract_path) if use_contract else (None, None)
    rules = configured_rules(contract, only)
    if staged:
        rules = [r for r in rules if r.id not in WHOLE_REPOSITORY_RULES]
    ctx = build_context(base, contract, contract_file, staged=staged)
    findings: list[Finding] = []
    for rule in rules:
        if rule.needs_contract and contract is None:
            continue
        try:
            produced = list(rule.check(ctx))
        except Exception as exc:  # one broken rule must not hide every other finding
            produced = [rule.finding(".", 1, 1, f"rule failed ({type(exc).__name__}); this is a bug in warden")]
        # A check shared by several rules yields all their findings: keep this rule's,
        # with the configured severity.
        findings.extend(replace(f, severity=rule.severity) for f in produced if f.rule_id == rule.id)
    findings = apply_allows(ctx, _dedupe(findings))
    findings.sort(key=lambda f: (f.file, f.line, f.column, f.rule_id, f.message))
    result = LintResult(
        root=str(base),
        contract=str(contract_file) if contract_file else None,
        findings=findings,
        files=len(ctx.files),
        rules=[r.id for r in rules],
        seconds=time.perf_counter() - started,
    )
    return result, ctx


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[str, str, int, int, str]] = set()
    out = []
    for f in findings:
        key = (f.rule_id, f.file, f.line, f.column, f.message)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def allow_on(line: str, rule_id: str) -> tuple[bool, str | None]:
    """(comment present for rule_id, reason) for one source line.

    The grammar is the shared one (`secretwarden.findings.allow`); a policy
    exception must name its rule, so a bare `warden:allow` does not count here.
    """
    from secretwarden.findings.allow import parse

    allow = parse(line)
    if allow is None or rule_id not in allow.rule_ids:
        return False, None
    return True, allow.reason or None


def apply_allows(ctx: LintContext, findings: list[Finding]) -> list[Finding]:
    """Silence findings whose line (or the line above) carries an allow comment with a reason."""
    out = []
    for f in findings:
        lines = ctx.lines(f.file) if "warden:allow" in (ctx.text(f.file) or "") else []
        verdict: str | None = None
        missing_reason = False
        for index in (f.line - 1, f.line - 2):
            if 0 <= index < len(lines):
                present, reason = allow_on(lines[index], f.rule_id)
                if present and reason:
                    verdict = reason
                    break
                missing_reason = missing_reason or present
        if verdict is not None:
            f = replace(f, allowed=verdict)
        elif missing_reason:
            f = replace(f, message=f.message + " (the warden:allow comment here has no reason, so it is ignored)")
        out.append(f)
    return out
