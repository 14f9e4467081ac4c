#!/usr/bin/env python3
"""Interleaved A/B of `warden scan` between an older commit and the working tree: did a rule
change cost scan time?

    .venv/bin/python bench/scan_ab.py --before c804e22 --rounds 7 bench/.work/tree /path/to/charts

The older commit's `src/` is unpacked with `git archive` into a temp folder and run with
PYTHONPATH pointing at it; the working tree runs the same way. Each round runs both, in
alternating order, on every target with one worker (`-j 1`, so CPU is not split across
processes the scheduler places differently). Each side gets its own bytecode prefix and
warden cache, both warmed by a first unrecorded run. Prints the load average and, per
target, the median CPU (user + sys of the child) and wall of each side and their ratios:
on a loaded machine the CPU ratio is the figure to trust.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def unpack_src(rev: str, into: Path) -> Path:
    archive = subprocess.run(["git", "archive", rev, "src"], cwd=ROOT, check=True, capture_output=True).stdout
    with tempfile.TemporaryFile() as fh:
        fh.write(archive)
        fh.seek(0)
        with tarfile.open(fileobj=fh) as tar:
            tar.extractall(into, filter="data")
    return into / "src"


def run_once(src: Path, side: str, target: str, work: Path) -> tuple[float, float]:
    env = dict(os.environ, PYTHONPATH=str(src), WARDEN_CACHE_DIR=str(work / f"cache-{side}"),
               PYTHONPYCACHEPREFIX=str(work / f"pyc-{side}"))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "secretwarden", "scan", target, "--no-progress", "--no-ignore",
                    "--no-baseline", "-j", "1", "--format", "json", "-o", str(work / f"{side}.json")],
                   env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", required=True, help="the older commit (any git revision)")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("targets", nargs="+", help="trees to scan")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        sides = {"before": unpack_src(args.before, work / "old"), "after": ROOT / "src"}
        cpu: dict[tuple[str, str], list[float]] = {}
        wall: dict[tuple[str, str], list[float]] = {}
        for target in args.targets:
            for side, src in sides.items():
                run_once(src, side, target, work)  # warm bytecode and the compiled databases
        for rnd in range(args.rounds):
            for target in args.targets:
                order = ("before", "after") if rnd % 2 == 0 else ("after", "before")
                for side in order:
                    c, w = run_once(sides[side], side, target, work)
                    cpu.setdefault((target, side), []).append(c)
                    wall.setdefault((target, side), []).append(w)
        print("load average:", " ".join(f"{x:.1f}" for x in os.getloadavg()))
        for target in args.targets:
            cb, ca = (statistics.median(cpu[(target, s)]) for s in ("before", "after"))
            wb, wa = (statistics.median(wall[(target, s)]) for s in ("before", "after"))
            print(f"{target}: CPU {cb:.2f} s -> {ca:.2f} s (after/before {ca / cb:.3f}); "
                  f"wall {wb:.2f} s -> {wa:.2f} s ({wa / wb:.3f})")


if __name__ == "__main__":
    main()
