"""Scan settings: command-line options merged with the contract's `scan:` policy.

`warden.yaml` is optional for scanning. When one is given (or found upwards
from the scan root), its `scan` section adds path globs never scanned, rule ids
disabled, a file-size cap and a baseline path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from secretwarden.errors import UsageError

DEFAULT_MAX_FILE_SIZE = 10 * 1024 * 1024
DEFAULT_BASELINE = ".warden-baseline.json"
# `--min-confidence` levels; `warden ci` and the dashboard scan at the command's default too.
CONFIDENCE_LEVELS = {"low": 0.0, "medium": 0.5, "high": 0.8}
DEFAULT_MIN_CONFIDENCE = "medium"


@dataclass(frozen=True)
class ScanPolicySettings:
    allow_paths: tuple[str, ...] = ()
    allow_rules: tuple[str, ...] = ()
    max_file_size: int | None = None
    baseline: str | None = None
    contract_path: str | None = None


@dataclass
class ScanOptions:
    target: str = "."
    mode: str = "files"  # files | git | staged | stdin
    honour_ignore: bool = True
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    since: str | None = None
    branch: str | None = None
    paths: tuple[str, ...] = ()  # with mode "git": only the history of these paths
    use_cache: bool = True  # with mode "git": skip commits a previous scan found clean
    jobs: int = 0  # 0: one worker per core
    disabled_rules: frozenset[str] = frozenset()
    only_rules: frozenset[str] = frozenset()
    allow_paths: tuple[str, ...] = ()
    baseline: str | None = None
    use_baseline: bool = True
    min_confidence: float = 0.0
    stdin_name: str = "<stdin>"
    progress: Any = None  # callable(done_bytes, total_bytes) or None
    extra: dict[str, Any] = field(default_factory=dict)


def load_policy(contract_path: str | None, start: Path) -> ScanPolicySettings:
    """The contract's scan policy, or defaults when there is no contract (or no contract module)."""
    try:
        from secretwarden.contract import loader
    except ImportError:
        return ScanPolicySettings()
    path: Path | None
    if contract_path:
        path = Path(contract_path)
    else:
        find = getattr(loader, "find_contract", None)
        path = find(start if start.is_dir() else start.parent) if find else None
    if path is None:
        return ScanPolicySettings()
    loaded = loader.load_contract(path)
    contract = getattr(loaded, "contract", loaded)
    policy = getattr(contract, "scan", None)
    if policy is None:
        return ScanPolicySettings(contract_path=str(path))
    return ScanPolicySettings(
        allow_paths=tuple(policy.allow_paths),
        allow_rules=tuple(policy.allow_rules),
        max_file_size=policy.max_file_size,
        baseline=policy.baseline,
        contract_path=str(path),
    )


def apply_policy(options: ScanOptions, policy: ScanPolicySettings, *, size_given: bool) -> ScanOptions:
    from secretwarden.scan.rules import rule_ids

    known = set(rule_ids())
    unknown = [r for r in policy.allow_rules if r not in known]
    if unknown:
        raise UsageError(f"warden.yaml scan.allow_rules names unknown rule(s): {', '.join(unknown)}",
                         hint="`warden scan --list-rules` prints the rule ids")
    options.disabled_rules = options.disabled_rules | frozenset(policy.allow_rules)
    options.allow_paths = options.allow_paths + policy.allow_paths
    if policy.max_file_size and not size_given:
        options.max_file_size = policy.max_file_size
    if policy.baseline and options.baseline is None:
        base = Path(policy.contract_path).parent if policy.contract_path else Path(".")
        options.baseline = str(base / policy.baseline)
    return options
