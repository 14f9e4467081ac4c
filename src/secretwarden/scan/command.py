"""`warden scan` as a library call: policy, baseline and paths around `run_scan`.

The CLI parses flags into `ScanOptions` and renders what this returns; `ci`
and the dashboard call the same function, so all three apply the contract's
scan policy and the baseline the same way and name files the same way:
relative to the repository root (the current directory outside a
repository), whatever target was given.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from secretwarden.errors import UsageError
from secretwarden.findings import baseline as baseline_file
from secretwarden.findings.paths import relative_to, report_root
from secretwarden.scan.config import DEFAULT_BASELINE, ScanOptions, apply_policy, load_policy
from secretwarden.scan.model import ScanResult


@dataclass
class ScanOutcome:
    result: ScanResult
    root: Path  # finding paths are relative to this folder
    baseline: Path | None
    baseline_written: int | None = None  # fingerprints recorded by `update_baseline`


def scan(
    options: ScanOptions,
    *,
    contract_path: str | None = None,
    baseline_path: str | None = None,
    use_baseline: bool = True,
    update_baseline: bool = False,
    size_given: bool = False,
    stdin_data: bytes | None = None,
) -> ScanOutcome:
    from secretwarden.scan.runner import run_scan

    target = Path.cwd() if options.mode == "stdin" else Path(options.target)
    if options.mode == "git" and options.paths and not target.exists():
        target = Path.cwd()  # a path that only exists in history
    if not target.exists():
        raise UsageError(f"{options.target}: no such file or directory")
    policy = load_policy(contract_path, target.resolve())
    options = apply_policy(options, policy, size_given=size_given)
    root = report_root(target)
    if baseline_path:
        options.baseline = baseline_path
    elif options.baseline is None:
        options.baseline = str(root / DEFAULT_BASELINE)
    # The baseline is applied here, after paths are made root-relative: fingerprints include the path.
    options.use_baseline = False
    result = run_scan(options, stdin_data=stdin_data)
    _rebase(result, options, target, root)
    if policy.allow_paths:
        _drop_allowed_paths(result, policy.allow_paths, root,
                            Path(policy.contract_path).resolve().parent if policy.contract_path else root)
    baseline = Path(options.baseline) if options.baseline else None
    if update_baseline and baseline is not None:
        return ScanOutcome(result, root, baseline, baseline_file.write(baseline, result.findings))
    if use_baseline and baseline is not None:
        result.findings, result.baselined = baseline_file.split(result.findings, baseline_file.load(baseline))
    return ScanOutcome(result, root, baseline)


def _rebase(result: ScanResult, options: ScanOptions, target: Path, root: Path) -> None:
    """Tree scans name files relative to the target; make them relative to `root`.

    History and staged scans already name files from the repository's top
    level, which is `root`; stdin has no file."""
    if options.mode != "files":
        return
    if target.is_dir():
        base = target.resolve()
        if base == root:
            return

        def fix(path: str) -> str:
            return relative_to(base / path, root)
    else:
        def fix(path: str) -> str:
            return relative_to(Path(path), root)  # the file as given: absolute or from the cwd

    result.findings = sorted((f.at(path=fix(f.path)) for f in result.findings),
                             key=lambda f: (f.path, f.line, f.column, f.rule_id, f.commit or ""))
    result.notices = sorted((replace(n, path=fix(n.path)) for n in result.notices),
                            key=lambda n: (n.path, n.reason))


def _drop_allowed_paths(result: ScanResult, patterns: tuple[str, ...], root: Path, base: Path) -> None:
    """Apply `scan.allow_paths` from the contract's folder, whatever folder was scanned.

    The tree walk skips allowed files relative to the target it was given; a
    pattern such as `services/billing/fixtures/**` must also hold when the
    target is `services/billing`, so findings are matched again here by their
    path from the contract's folder."""
    import pathspec

    spec = pathspec.GitIgnoreSpec.from_lines(patterns)

    def allowed(path: str) -> bool:
        rel = relative_to(root / path, base)
        return not rel.startswith("../") and spec.match_file(rel)

    result.findings = [f for f in result.findings if not allowed(f.path)]
