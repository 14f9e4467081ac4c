#!/usr/bin/env python3
"""Benchmark of the governance dashboard (issue 11). A script, not a test: it prints figures.

    .venv/bin/python bench/dashboard.py [--services 200 --keys 50 --runs 7]

On a generated contract (bench/foundation.py's generator: services x keys x 3
environments; dev and staging filled by `warden bootstrap`, prod left empty so
the matrix has both verdicts), measures from metadata alone:
  1. the coverage matrix page: model (gap report) + HTML, in-process;
  2. the same page over HTTP from a real `warden serve` (GET /coverage);
  3. one key list page (GET /coverage/<cell>);
  4. the whole self-contained report (every section, every key list) and its JSON;
and shows that no value was read while they ran (the store layer counts reads).
"""

from __future__ import annotations

import argparse
import functools
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from foundation import WARDEN, generate_contract

print = functools.partial(print, flush=True)  # figures appear as they are measured


CPU: list[float] = []  # process CPU ms of the last med_ms() call (in-process figures only)


def med_ms(fn: object, runs: int) -> tuple[float, object]:
    """Median wall-clock ms of `runs` calls; CPU[0] gets the median CPU ms of this process.

    The CPU figure is the work done whatever else the machine runs; on a loaded
    machine the wall clock also counts waiting for a core.
    """
    out, cpu = [], []
    result = None
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = fn()  # type: ignore[operator]
        out.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    CPU[:] = [statistics.median(cpu)]
    return statistics.median(out), result


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--services", type=int, default=200)
    parser.add_argument("--keys", type=int, default=50)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="warden-dash-bench-"))
    os.environ.update(
        WARDEN_CONFIG_DIR=str(work / "config"),
        WARDEN_CACHE_DIR=str(work / "cache"),
        WARDEN_NO_KEYRING="1",
    )
    repo = work / "repo"
    repo.mkdir()
    contract = repo / "warden.yaml"
    contract.write_text(generate_contract(args.services, args.keys))
    c = ["--contract", str(contract)]
    t0 = time.perf_counter()
    for env in ("dev", "staging"):
        subprocess.run([*WARDEN, *c, "bootstrap", "--env", env], check=True, capture_output=True)
    fill = time.perf_counter() - t0
    slots = args.services * args.keys * 3

    from secretwarden.dashboard.model import build_dashboard
    from secretwarden.dashboard.render import render_page, render_report
    from secretwarden.ops.workspace import Workspace

    print(f"## dashboard: {args.services} services x {args.keys} keys x 3 environments = {slots} slots"
          f" (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    print(f"fill (bootstrap dev + staging):               {fill:.1f} s")
    with Workspace.load(contract) as ws:
        build_dashboard(ws, parts=frozenset({"coverage"}))  # warm the contract cache once

        def matrix() -> str:
            d = build_dashboard(ws, parts=frozenset({"coverage"}))
            return render_page(d, "coverage")

        ms, html = med_ms(matrix, args.runs)
        cells = html.count('class="cell"')  # type: ignore[attr-defined]
        print(f"matrix page, in-process (model + HTML):       {ms:7.0f} ms  CPU {CPU[0]:5.0f} ms  ({cells} cells; target < 1000 ms)")
        ms_model, _ = med_ms(lambda: build_dashboard(ws, parts=frozenset({"coverage"})), args.runs)
        print(f"  of which the model (gap report):            {ms_model:7.0f} ms  CPU {CPU[0]:5.0f} ms")

        ms_full, d = med_ms(lambda: build_dashboard(ws), max(3, args.runs // 2))
        ms_html, report = med_ms(lambda: render_report(d), max(3, args.runs // 2))  # type: ignore[arg-type]
        ms_json, doc = med_ms(lambda: d.dumps(), max(3, args.runs // 2))  # type: ignore[attr-defined]
        print(f"whole model (all sections):                   {ms_full:7.0f} ms")
        print(f"whole report HTML (every key list):           {ms_html:7.0f} ms  ({len(report) / 1e6:.1f} MB)")  # type: ignore[arg-type]
        print(f"JSON of the whole model:                      {ms_json:7.0f} ms  ({len(doc) / 1e6:.1f} MB)")  # type: ignore[arg-type]
        reads = sum(s.stats.values_read for s in ws.metadata_by_store().values())
        opened_for_values = len(ws._secrets)
        print(f"values read while measuring: {reads}; stores opened for values: {opened_for_values}")

    port = free_port()
    proc = subprocess.Popen([*WARDEN, *c, "serve", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(600):
            try:
                with urllib.request.urlopen(base + "/coverage/dev--svc000") as r:
                    r.read()
                break
            except OSError:
                time.sleep(0.05)

        def get(path: str) -> bytes:
            with urllib.request.urlopen(base + path) as r:
                return bytes(r.read())

        ms_http, _ = med_ms(lambda: get("/coverage"), args.runs)
        ms_cell, _ = med_ms(lambda: get("/coverage/staging--svc123"), args.runs)
        ms_over, _ = med_ms(lambda: get("/"), max(3, args.runs // 2))
        print(f"GET /coverage from `warden serve`:            {ms_http:7.0f} ms  (target < 1000 ms)")
        print(f"GET /coverage/<cell> (one key list):          {ms_cell:7.0f} ms")
        print(f"GET / (overview: every section's model):      {ms_over:7.0f} ms")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    main()
