#!/usr/bin/env python3
"""`warden lint` on a large generated repository.

    .venv/bin/python bench/lint_speed.py [--services 400] [--runs 5]

Generates (under bench/.work/lint-repo, a real git repository) a contract with
N services x 12 keys and, per service: an ExternalSecret, a Deployment, a Helm
chart (Chart.yaml, values.yaml, a templated Deployment), Python application
code with a settings schema, and a README with the generated Secrets
architecture section. Then times the whole `warden lint` process (contract
cached after the first run) and the library call, median of --runs, as wall
clock and as CPU time (the CPU figure is what a busy machine distorts least).

    .venv/bin/python bench/lint_speed.py --chart-repo /work/.mirror/bitnami+charts/repo --runs 3 \\
        [--compare-ref e39c206^]

Real charts: exports the HEAD of a (bare) git repository of Helm charts to a
temporary folder outside the project, then times, interleaved, `run_lint()`
without a contract against a floor that reads every YAML file and composes
it with libyaml (CSafeLoader), and prints the findings by rule. With
--compare-ref, the same count and time for warden's own source at that git
revision (exported beside it), for a before/after.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work" / "lint-repo"
KEYS = 12


def contract(n: int) -> str:
    lines = ["version: 1", "project: bench", "environments: {dev: {}, staging: {}, prod: {production: true}}",
             "namespaces:"]
    lines += [f"  svc{i}: {{path: /services/svc{i}}}" for i in range(n)]
    lines.append("services:")
    for i in range(n):
        lines += [f"  svc{i}:", f"    namespace: svc{i}", f"    source: services/svc{i}", "    secrets:"]
        lines += [f"      KEY_{k}_TOKEN: {{description: key {k}}}" for k in range(KEYS)]
    return "\n".join(lines) + "\n"


def write_service(root: Path, i: int) -> None:
    name = f"svc{i}"
    data = "\n".join(
        f"    - secretKey: KEY_{k}_TOKEN\n      remoteRef: {{key: services/{name}, property: KEY_{k}_TOKEN}}"
        for k in range(KEYS)
    )
    (root / "deploy" / name).mkdir(parents=True)
    (root / "deploy" / name / "externalsecret.yaml").write_text(
        f"apiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata: {{name: {name}}}\nspec:\n"
        f"  secretStoreRef: {{name: vault, kind: ClusterSecretStore}}\n  target: {{name: {name}-secrets}}\n  data:\n{data}\n"
    )
    (root / "deploy" / name / "deployment.yaml").write_text(
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}}}\nspec:\n  template:\n    spec:\n"
        f"      containers:\n        - name: {name}\n          envFrom:\n            - secretRef: {{name: {name}-secrets}}\n"
    )
    chart = root / "charts" / name
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text(f"name: {name}\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("replicas: 2\nauth:\n  existingSecret: \"\"\n  passwordKey: KEY_0_TOKEN\n")
    (chart / "templates" / "deployment.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n"
        "  replicas: {{ .Values.replicas }}\n  template:\n    spec:\n      containers:\n        - name: app\n"
        "          envFrom:\n            - secretRef:\n"
        "                name: {{ required \"auth.existingSecret\" .Values.auth.existingSecret }}\n"
    )
    src = root / "services" / name
    src.mkdir(parents=True)
    fields = "\n".join(f"    key_{k}_token: str" for k in range(KEYS))
    (src / "settings.py").write_text(f"from pydantic_settings import BaseSettings\n\n\nclass Settings(BaseSettings):\n{fields}\n")
    body = "\n".join(f"def handler_{j}(x):\n    logger.info('handled %s', x)\n    return x\n" for j in range(40))
    (src / "app.py").write_text("import logging\nlogger = logging.getLogger(__name__)\n\n" + body)


def build(n: int) -> Path:
    import shutil

    if WORK.exists():
        shutil.rmtree(WORK)
    WORK.mkdir(parents=True)
    (WORK / "warden.yaml").write_text(contract(n))
    (WORK / ".gitignore").write_text("*.pem\n*.key\n*.crt\n*.p12\n.env\n.env.*\ninstances/**/secrets*\n*.dec.*\n*.plain.*\n")
    for i in range(n):
        write_service(WORK, i)
    subprocess.run([sys.executable, "-m", "secretwarden", "render", "secrets-doc", "--write"], cwd=WORK,
                   check=True, capture_output=True)
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]
    subprocess.run([*git, "init", "-q"], cwd=WORK, check=True)
    subprocess.run([*git, "add", "-A"], cwd=WORK, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "bench"], cwd=WORK, check=True)
    return WORK


def export(git_dir: str, ref: str, dest: Path, *paths: str) -> Path:
    """`git archive` of `ref` unpacked into dest (never inside the project)."""
    dest.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", f"--git-dir={git_dir}", "archive", ref, *paths], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive.stdout, check=True)
    return dest


def libyaml_floor(root: Path, *, masked: bool = False) -> tuple[float, int]:
    """CPU seconds to read and compose every YAML file (errors swallowed), and the file count.

    Raw, libyaml stops at the first `{{` of most chart templates, so this floor
    skips most of their text; `masked` composes them whole after the template
    masking lint uses (the work any reader of the templates has to do).
    """
    import yaml

    from secretwarden.helm_template import mask

    start = time.process_time()
    count = 0
    for path in root.rglob("*"):
        if path.suffix not in (".yaml", ".yml") or not path.is_file():
            continue
        count += 1
        text = path.read_text(errors="replace")
        try:
            for _ in yaml.compose_all(mask(text) if masked else text, Loader=yaml.CSafeLoader):
                pass
        except yaml.YAMLError:
            pass
    return time.process_time() - start, count


COUNT_SCRIPT = """
import collections, json, sys, time
from secretwarden.lint.engine import run_lint
start = time.process_time()
result = run_lint(sys.argv[1], use_contract=False)
print(json.dumps({"cpu": time.process_time() - start,
                  "rules": collections.Counter(f.rule_id for f in result.active)}))
"""


def charts(args: argparse.Namespace) -> int:
    import json
    import os
    import tempfile

    work = Path(tempfile.mkdtemp(prefix="warden-lint-charts-"))
    root = export(args.chart_repo, "HEAD", work / "charts")
    env = dict(os.environ)
    versions = {"current": str(HERE.parent / "src")}
    if args.compare_ref:
        old = export(str(HERE.parent / ".git"), args.compare_ref, work / "old", "src")
        versions = {f"at {args.compare_ref}": str(old / "src"), **versions}
    floors: list[float] = []
    masked_floors: list[float] = []
    cpu: dict[str, list[float]] = {name: [] for name in versions}
    rules: dict[str, dict[str, int]] = {}
    files = 0
    for _ in range(args.runs):
        floor, files = libyaml_floor(root)
        floors.append(floor)
        masked_floors.append(libyaml_floor(root, masked=True)[0])
        for name, src in versions.items():
            env["PYTHONPATH"] = src
            proc = subprocess.run([sys.executable, "-c", COUNT_SCRIPT, str(root)], capture_output=True, text=True,
                                  env=env, check=True)
            data = json.loads(proc.stdout)
            cpu[name].append(data["cpu"])
            rules[name] = data["rules"]
    floor = statistics.median(floors)
    masked_floor = statistics.median(masked_floors)
    print(f"chart repository: {files} YAML files; libyaml read+compose floor: {floor:.2f} s CPU; "
          f"read+mask+compose floor: {masked_floor:.2f} s CPU (medians of {args.runs})")
    for name in versions:
        took = statistics.median(cpu[name])
        total = sum(rules[name].values())
        print(f"warden {name}: run_lint() {took:.2f} s CPU = {took / floor:.2f}x the raw floor, "
              f"{took / masked_floor:.2f}x the masked floor; {total} findings")
        for rule, n in sorted(rules[name].items(), key=lambda kv: -kv[1]):
            print(f"    {rule:32} {n}")
    print(f"load average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    import shutil

    shutil.rmtree(work, ignore_errors=True)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--services", type=int, default=400)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--chart-repo", help="git directory of a Helm chart collection (e.g. a bare mirror)")
    parser.add_argument("--compare-ref", help="with --chart-repo: also run warden's source at this git revision")
    args = parser.parse_args()
    if args.chart_repo:
        return charts(args)
    root = build(args.services)
    files = int(subprocess.run(["git", "ls-files"], cwd=root, capture_output=True, text=True).stdout.count("\n"))
    size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and ".git" not in p.parts)
    import resource

    cli: list[float] = []
    cli_cpu: list[float] = []
    lib: list[float] = []
    lib_cpu: list[float] = []
    findings = -1
    for _ in range(args.runs):
        start = time.perf_counter()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        proc = subprocess.run([sys.executable, "-m", "secretwarden", "lint", str(root)], capture_output=True, text=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cli.append(time.perf_counter() - start)
        cli_cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        if proc.returncode not in (0, 1):
            print(proc.stdout, proc.stderr)
            return 1
    from secretwarden.lint.engine import run_lint

    for _ in range(args.runs):
        start, cpu = time.perf_counter(), time.process_time()
        result = run_lint(root)
        lib.append(time.perf_counter() - start)
        lib_cpu.append(time.process_time() - cpu)
        findings = len(result.active)
    print(f"repository: {args.services} services x {KEYS} keys, {files} files, {size / 1e6:.1f} MB")
    print(f"warden lint (whole process), median of {args.runs}: {statistics.median(cli):.2f} s wall, "
          f"{statistics.median(cli_cpu):.2f} s CPU (incl. git)")
    print(f"run_lint() (library, warm imports), median of {args.runs}: {statistics.median(lib):.2f} s wall, "
          f"{statistics.median(lib_cpu):.2f} s CPU (excl. git)")
    print(f"load average at the end: {', '.join(f'{x:.1f}' for x in __import__('os').getloadavg())}")
    print(f"findings: {findings}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
