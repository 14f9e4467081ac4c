#!/usr/bin/env python3
"""Reading a whole OpenBao journal of N entries: one request per entry (before) against sealed
pages (stores/vault/journal.py), interleaved on the same journal of the test OpenBao server.

  before:  1 LIST, then one metadata GET per entry through hvac, concurrently — what
           `VaultJournal.entries` did before pages (the same requests, sent the same way);
  per-entry, lean: the same one GET per entry over the lean transport (fast_http.py);
  pages:   `VaultJournal.entries` — 1 LIST, one GET per page of 32 entries, one per entry
           after the last page, all concurrent.

Wall and CPU (this process) medians per round, their ratios, and the load average.

    .venv/bin/python bench/journal_read.py [--entries 1000] [--rounds 15]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
NAME = "rotation"
sys.path.insert(0, str(ROOT))


def timed(fn: Callable[[], object]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()

    from tests.stores.journal_support import incident, writer
    from tests.vault_server import shared_server, stop_shared

    from secretwarden.stores.vault.auth import Connection
    from secretwarden.stores.vault.journal import VaultJournal, _joined
    from secretwarden.stores.vault.layout import VaultLayout
    from secretwarden.stores.vault.store import VaultStore

    os.environ["WARDEN_CONFIG_DIR"] = tempfile.mkdtemp(prefix="bench-journal-read-")
    print(f"load average at start: {os.getloadavg()}")
    try:
        server = shared_server()
        os.environ["BENCH_VAULT_TOKEN"] = server.root_token
        prefix = "bench" + secrets.token_hex(4)

        def opened() -> VaultStore:
            conn = Connection(server.address, auth={"method": "token", "token_env": "BENCH_VAULT_TOKEN"})
            return VaultStore("s", VaultLayout(prefix=prefix), conn, access="metadata")

        store_w = opened()
        started = time.perf_counter()
        for n in range(args.entries):  # the rotation log: its head stays small however long it grows
            body = {**incident(n, "bench"), "event": "rotate", "version": 2, "reason": "quarterly rotation", "actor": "bench"}
            store_w.shared_journal().append(NAME, writer(body, NAME))
        print(f"wrote {args.entries} entries in {time.perf_counter() - started:.1f} s")
        store = opened()  # a reader: another machine's client
        journal: VaultJournal = store.shared_journal()

        def before() -> list[dict[str, Any]]:
            numbers, _pages = journal._listing(NAME)
            urls = [store._url("metadata", journal._entry_path(NAME, n)) for n in numbers]
            got = store._fan_out(lambda url: store.client.adapter.get(url), urls)
            return [json.loads(_joined(resp["data"]["custom_metadata"])) for resp, _err in got if resp is not None]

        def lean() -> list[dict[str, Any]]:
            return journal._entries_one_by_one(NAME)

        def pages() -> list[dict[str, Any]]:
            return journal.entries(NAME)

        assert before() == lean() == pages() and len(pages()) == args.entries
        runs: dict[str, list[tuple[float, float]]] = {"before": [], "lean": [], "pages": []}
        for _ in range(args.rounds):
            for name, fn in (("before", before), ("lean", lean), ("pages", pages)):
                runs[name].append(timed(fn))
        wall = {k: statistics.median(w for w, _c in v) for k, v in runs.items()}
        cpu = {k: statistics.median(c for _w, c in v) for k, v in runs.items()}
        mark = server.audit_mark()
        pages()
        requests = len([p for _op, p in server.requests_since(mark) if "_warden/journal/rotation" in p])
        for k, label in (("before", "one GET per entry (hvac)"), ("lean", "one GET per entry (lean)"), ("pages", "pages")):
            print(f"{label:<26} wall {wall[k] * 1e3:8.1f} ms  cpu {cpu[k] * 1e3:8.1f} ms")
        print(f"pages: {requests} requests for {args.entries} entries (before: {args.entries + 1})")
        print(f"ratio before/pages: wall {wall['before'] / wall['pages']:.1f}x, cpu {cpu['before'] / cpu['pages']:.1f}x")
        print(f"ratio lean/pages:   wall {wall['lean'] / wall['pages']:.1f}x, cpu {cpu['lean'] / cpu['pages']:.1f}x")
    finally:
        stop_shared()
    print(f"load average at end: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
