#!/usr/bin/env python3
"""`warden --help` against its floor, `python -c "import click"`. A script, not a test.

    .venv/bin/python bench/help_startup.py [--runs 21]

`--help` lists every command with its one-line help, so it imports every command
module; what it costs above importing click is what those modules load when they
are imported. Rounds interleave the two commands; the figure is CPU time (user +
system) of the child, median over the rounds, and their ratio, with the load average.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
from pathlib import Path

_bin = Path(sys.executable).with_name("warden")
WARDEN = [str(_bin)] if _bin.exists() else [sys.executable, "-m", "secretwarden"]
FLOOR = [sys.executable, "-c", "import click"]


def cpu_seconds(argv: list[str]) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(argv, stdout=subprocess.DEVNULL, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    help_cpu: list[float] = []
    floor_cpu: list[float] = []
    cpu_seconds([*WARDEN, "--help"])  # warm the page cache and the sealed code cache
    for _ in range(args.runs):
        help_cpu.append(cpu_seconds([*WARDEN, "--help"]))
        floor_cpu.append(cpu_seconds(FLOOR))
    h, f = statistics.median(help_cpu), statistics.median(floor_cpu)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"PYTHONDONTWRITEBYTECODE={os.environ.get('PYTHONDONTWRITEBYTECODE', '')!r}  load {load}  runs {args.runs}")
    print(f"warden --help      {h * 1000:7.1f} ms CPU (median)")
    print(f"python -c 'import click' {f * 1000:7.1f} ms CPU (median)")
    print(f"ratio {h / f:.2f}x the floor; added {1000 * (h - f):.1f} ms")


if __name__ == "__main__":
    main()
