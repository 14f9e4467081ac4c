"""Benchmark the application side (issue 7): redaction throughput, logging-filter overhead,
`load_settings` for a 50-key service, and the import cost of `secretwarden.runtime`.

Run: .venv/bin/python bench/redact.py [--mb 64]
Prints a markdown table for docs/benchmarks.md. Single process, one core; times are
CPU time (`time.process_time`), which a busy shared machine disturbs far less than
wall time.
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path


def _best(fn, runs: int) -> float:  # type: ignore[no-untyped-def]
    """Fastest of `runs`: the machine is shared, so slower runs measure the neighbours."""
    return min(_samples(fn, runs))


def _median(fn, runs: int) -> float:  # type: ignore[no-untyped-def]
    return statistics.median(_samples(fn, runs))


def _samples(fn, runs: int) -> list[float]:  # type: ignore[no-untyped-def]
    """CPU seconds per run: on a shared machine wall time mostly measures the neighbours."""
    samples = []
    for _ in range(runs):
        t = time.process_time()
        fn()
        samples.append(time.process_time() - t)
    return samples


def log_data(size: int, values: list[str], every: int) -> bytes:
    """Log-like lines; one line in `every` carries a secret (0: none)."""
    lines = []
    total, i = 0, 0
    while total < size:
        line = f"2026-11-25T13:00:{i % 60:02d}Z INFO req={i} path=/api/v1/orders/{i * 7} status=200 took={i % 97}ms user=u{i % 1000}@example.com"
        if every and i % every == 0:
            line += f" token={values[i % len(values)]}"
        line += "\n"
        lines.append(line)
        total += len(line)
        i += 1
    return "".join(lines).encode()[:size]


def bench_throughput(mb: int) -> list[tuple[str, str]]:
    from secretwarden.redact import Redactor

    values = [secrets.token_urlsafe(24) for _ in range(1000)]
    t = time.process_time()
    redactor = Redactor({f"KEY_{i}": v for i, v in enumerate(values)})
    build = time.process_time() - t
    rows = [("build a redactor for 1,000 values", f"{build * 1000:.0f} ms ({len(redactor._patterns)} patterns: raw + encodings)")]
    for label, every in (("no secrets in the text", 0), ("a secret in 1 line of 100", 100)):
        data = log_data(mb * 1024 * 1024, values, every)
        chunk = 65536

        def run(data: bytes = data, chunk: int = chunk) -> None:
            stream = redactor.stream()
            for off in range(0, len(data), chunk):
                stream.feed(data[off : off + chunk])
            stream.finish()

        secs = _median(run, 3)
        rows.append((f"stream, 64 KiB chunks, {label}", f"{len(data) / secs / 1e6:.0f} MB/s"))
    data = log_data(16 * 1024 * 1024, values, 100)
    lines = data.split(b"\n")

    def by_line() -> None:
        stream = redactor.stream()
        for line in lines:
            stream.feed(line + b"\n")

    secs = _median(by_line, 3)
    rows.append(("stream, one line per feed (~110 B), 1 in 100 with a secret", f"{len(data) / secs / 1e6:.0f} MB/s"))
    return rows


def bench_logging(n: int = 2000) -> list[tuple[str, str]]:
    from secretwarden.redact import RedactingFilter, Redactor

    values = {f"KEY_{i}": secrets.token_urlsafe(24) for i in range(1000)}
    secret = next(iter(values.values()))
    redactor = Redactor(values)

    def make(with_filter: bool) -> logging.Logger:
        logger = logging.getLogger(f"bench.{with_filter}.{time.perf_counter_ns()}")
        logger.propagate = False
        logger.setLevel(logging.INFO)
        handler = logging.StreamHandler(io.StringIO())
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        if with_filter:
            handler.addFilter(RedactingFilter(redactor))
        logger.addHandler(handler)
        return logger

    def one_run(logger: logging.Logger, msg: str, exc: bool) -> float:
        t = time.process_time()
        for i in range(n):
            if exc:
                try:
                    raise ValueError(msg)
                except ValueError:
                    logger.exception("failed %d", i)
            else:
                logger.info("request %d done: %s", i, msg)
        return (time.process_time() - t) / n * 1e6

    rows = []
    for label, msg, exc in (
        ("plain record, no secret", "ok", False),
        ("record whose argument holds a secret", f"token={secret}", False),
        ("record with an exception (traceback)", f"key {secret}", True),
    ):
        plain, filtered = make(False), make(True)
        # Interleaved, fastest of many short runs: the other runs measure the neighbours.
        base = min(one_run(plain, msg, exc) for _ in range(15))
        filt = min(one_run(filtered, msg, exc) for _ in range(15))
        for _ in range(10):
            base = min(base, one_run(plain, msg, exc))
            filt = min(filt, one_run(filtered, msg, exc))
        rows.append((f"logging: {label}", f"{base:.1f} µs -> {filt:.1f} µs (+{filt - base:.1f} µs per record)"))
    return rows


CONTRACT_HEAD = """\
version: 1
project: bench
environments: {dev: {}, prod: {}}
namespaces:
  big: {path: /services/big}
services:
  big:
    namespace: big
    secrets:
"""


def bench_settings() -> list[tuple[str, str]]:
    folder = Path(tempfile.mkdtemp(prefix="warden-bench-"))
    kinds: list[tuple[str, Callable[[], str]]] = [
        ("{min_length: 16}", lambda: secrets.token_urlsafe(24)),
        ("{format: hex}", lambda: secrets.token_hex(16)),
        ("{sensitive: false, format: duration}", lambda: "15m"),
        ("{sensitive: false, format: integer}", lambda: "42"),
        ("{format: database-url}", lambda: "postgres://u:" + secrets.token_hex(8) + "@h/db"),
    ]
    lines, environ = [], {}
    for i in range(50):
        spec, make = kinds[i % len(kinds)]
        lines.append(f"      KEY_{i:02d}: {spec}\n")
        environ[f"KEY_{i:02d}"] = make()
    contract = folder / "warden.yaml"
    contract.write_text(CONTRACT_HEAD + "".join(lines))
    env = {**os.environ, **environ, "WARDEN_CACHE_DIR": str(folder / "cache")}
    script = (
        "import time; t=time.process_time(); from secretwarden.runtime import load_settings; "
        f"load_settings('big', 'dev', contract_path={str(contract)!r}); print(time.process_time()-t)"
    )

    def fresh_process(cache: str) -> float:
        run_env = {**env, "WARDEN_CACHE_DIR": cache}
        return float(subprocess.run([sys.executable, "-c", script], env=run_env, capture_output=True, text=True, check=True).stdout)

    nothing_cached = [fresh_process(str(folder / f"empty-cache-{i}")) for i in range(5)]
    cold = [fresh_process(str(folder / "cache")) for _ in range(9)]
    pydantic_only = [
        float(subprocess.run([sys.executable, "-c", "import time; t=time.process_time(); from pydantic import create_model, SecretStr; "
                              "create_model('X', a=(SecretStr, ...)); print(time.process_time()-t)"],
                             capture_output=True, text=True, check=True).stdout)
        for _ in range(5)
    ]

    from secretwarden.runtime import load_settings

    os.environ["WARDEN_CACHE_DIR"] = str(folder / "cache")
    load_settings("big", "dev", contract_path=contract, environ=environ)
    warm = _median(lambda: load_settings("big", "dev", contract_path=contract, environ=environ), 50)
    import shutil

    shutil.rmtree(folder, ignore_errors=True)
    return [
        ("load_settings, 50 keys, first call in a fresh process, nothing cached (YAML parse, contract model), median of 5", f"{statistics.median(nothing_cached) * 1000:.0f} ms"),
        ("load_settings, 50 keys, first call in a fresh process, plan cached, median of 9", f"{statistics.median(cold) * 1000:.0f} ms"),
        ("for scale: importing pydantic and building a one-field model, median of 5", f"{statistics.median(pydantic_only) * 1000:.0f} ms"),
        ("load_settings, 50 keys, later calls", f"{warm * 1000:.2f} ms"),
    ]


def _importtime(mod: str) -> int:
    err = subprocess.run([sys.executable, "-X", "importtime", "-c", f"import {mod}"], capture_output=True, text=True, check=True).stderr
    last = [line for line in err.splitlines() if line.rstrip().endswith(f"| {mod}")][-1]
    return int(last.split("|")[1])


def bench_import() -> list[tuple[str, str]]:
    rows = []
    for mod in ("secretwarden.runtime", "secretwarden.redact"):
        rows.append((f"`import {mod}`, `python -X importtime` cumulative, fastest of 15", f"{min(_importtime(mod) for _ in range(15)) / 1000:.1f} ms"))
    return rows


# The floor of a redaction process: Python, Hyperscan, a database of the same values (each
# literally and as base64 in its three alignments), an empty stdin scanned, exit.
_FLOOR = """
import base64, os, sys, hyperscan
values = [v.encode() for v in os.environ["FLOOR_VALUES"].split(",")]
pats = []
for v in values:
    pats.append(v)
    for shift in range(3):
        enc = base64.b64encode(b"x" * shift + v)[4 * ((shift + 2) // 3):-4]
        pats.append(enc)
db = hyperscan.Database(mode=hyperscan.HS_MODE_STREAM)
db.compile(expressions=[hyperscan.escape(p) if hasattr(hyperscan, "escape") else p for p in pats],
           ids=list(range(len(pats))), elements=len(pats), flags=[0] * len(pats))
with db.stream(match_event_handler=lambda *a: None) as stream:
    for chunk in iter(lambda: sys.stdin.buffer.read(65536), b""):
        stream.scan(chunk)
"""


def _child_cpu(cmd: list[str], env: dict[str, str]) -> float:
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(os.devnull, "rb") as empty:
        subprocess.run(cmd, stdin=empty, capture_output=True, env=env, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def bench_startup(rounds: int = 9) -> list[tuple[str, str]]:
    """`warden redact` on empty input against the Hyperscan floor, interleaved, CPU time."""
    import re

    root = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(root))
    from tests.conftest import MINIMAL_CONTRACT
    from tests.runtime.stock import write_values

    work = Path(tempfile.mkdtemp(prefix="warden-bench-redact-"))
    env = {**os.environ, "WARDEN_CONFIG_DIR": str(work / "config"), "WARDEN_CACHE_DIR": str(work / "cache"), "WARDEN_NO_KEYRING": "1"}
    values = {
        "api/API_TOKEN": "t" + secrets.token_hex(16),
        "shared/DATABASE_URL": "postgres://u:" + secrets.token_hex(12) + "@h/db",
        "shop/SHOP_KEY@tenant-a": secrets.token_hex(16),
        "shop/SHOP_KEY@tenant-b": secrets.token_hex(16),
    }
    contract = work / "repo" / "warden.yaml"
    contract.parent.mkdir()
    contract.write_text(MINIMAL_CONTRACT)
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        write_values(contract, "dev", values)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    floor_env = {**env, "FLOOR_VALUES": ",".join(re.escape(v) for v in values.values())}
    warden = [sys.executable, "-m", "secretwarden", "--contract", str(contract), "redact", "--env", "dev", "-q"]
    floor = [sys.executable, "-c", _FLOOR]
    w, f = [], []
    for _ in range(rounds):
        w.append(_child_cpu(warden, env))
        f.append(_child_cpu(floor, floor_env))
    wm, fm = statistics.median(w), statistics.median(f)
    bytecode = "no bytecode cache (PYTHONDONTWRITEBYTECODE=1)" if os.environ.get("PYTHONDONTWRITEBYTECODE") else "bytecode cached"
    return [
        (f"`warden redact --env dev` start-up, empty input, {len(values)} values, median of {rounds} ({bytecode})", f"{wm:.3f} s CPU"),
        ("Hyperscan floor process (same values and base64 variants, empty input), same rounds", f"{fm:.3f} s CPU"),
        ("start-up ratio warden / floor", f"{wm / fm:.2f}x"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=64, help="size of the text for the throughput runs")
    parser.add_argument("--startup-only", action="store_true", help="only the start-up comparison")
    args = parser.parse_args()
    if args.startup_only:
        rows = bench_startup()
    else:
        rows = bench_startup() + bench_throughput(args.mb) + bench_logging() + bench_settings() + bench_import()
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; times are CPU time\n")
    print("| measurement | result |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
