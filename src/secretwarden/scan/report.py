"""A scan result as the shared `findings.Report`: the one thing every output format reads."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from secretwarden.findings.model import Report, RuleInfo
from secretwarden.scan.model import ScanResult


@cache
def rule_infos() -> tuple[RuleInfo, ...]:
    from secretwarden.scan.rules import all_rules

    return tuple(RuleInfo(id=r.id, title=r.description, severity=r.severity, tags=("secret", *r.tags))
                 for r in all_rules())


def summary(result: ScanResult, verbose: bool = False) -> str:
    s = result.stats
    n = len(result.gating)
    if result.source == "git":
        # History is read as what each commit added: the bytes are added text, not whole files.
        blobs = f", {s.blobs} blobs" if s.blobs else ""
        scope = f"{s.commits} commit{'s' if s.commits != 1 else ''}{blobs}, {s.bytes / 1e6:.1f} MB added"
    else:
        scope = f"{s.files} files, {s.bytes / 1e6:.1f} MB"
    parts = [f"{n} finding{'s' if n != 1 else ''}", f"{scope} in {s.seconds:.2f} s"]
    notes = len(result.notes)
    if notes:
        parts.append(f"{notes} note{'s' if notes != 1 else ''} (public by design, never failing)")
    if result.baselined:
        parts.append(f"{result.baselined} in baseline")
    if result.allowed:
        parts.append(f"{result.allowed} allowed inline")
    if result.notices and not verbose:
        parts.append(f"{len(result.notices)} skipped or partly read (-v lists them)")
    return "; ".join(parts)


def to_report(result: ScanResult, root: Path | None = None, *, verbose: bool = False) -> Report:
    """`root`: the folder finding paths are relative to (see `scan.command`); default the cwd."""
    return Report(
        tool="scan",
        root=(root or Path.cwd()).resolve(),
        findings=result.findings,
        rules=rule_infos(),
        summary=summary(result, verbose),
        notices=result.notices,
        details={
            "source": result.source,
            "stats": {
                "files": result.stats.files,
                "blobs": result.stats.blobs,
                "commits": result.stats.commits,
                "bytes": result.stats.bytes,
                "seconds": round(result.stats.seconds, 3),
                "baselined": result.baselined,
                "allowed_inline": result.allowed,
                "notes": len(result.notes),
            },
        },
        failed=not result.clean,
    )
