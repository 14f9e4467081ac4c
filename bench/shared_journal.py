#!/usr/bin/env python3
"""What the shared incident register costs the gates, against the floor of one read, interleaved.

`warden run` and `require()` read the open incidents from the head of the
store's register (stores/*/journal.py). Per round, interleaved:

  embedded: the head read (`shared_index`) on an open store file, against the
            floor `SELECT 1` on the same connection;
  vault:    the head read against the floor, one bare GET of a KV v2 metadata
            path on the same client (the test OpenBao server, tests/vault_server.py);
            an append (read head, create entry with cas=0, move head);
            reading a whole register of N entries (one list, N reads, concurrent).

    .venv/bin/python bench/shared_journal.py [--rounds 300] [--entries 100]
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def interleaved(rounds: int, a: Callable[[], object], b: Callable[[], object]) -> tuple[float, float]:
    xs, ys = [], []
    for _ in range(rounds):
        xs.append(timed(a))
        ys.append(timed(b))
    return statistics.median(xs), statistics.median(ys)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--entries", type=int, default=100)
    args = parser.parse_args()

    from tests.stores.journal_support import numbered

    from secretwarden.crypto.fingerprint import Fingerprinter
    from secretwarden.slots import SlotRef
    from secretwarden.stores.base import SecretValue, WriteRequest, shared_index
    from secretwarden.stores.embedded.store import EmbeddedStore

    folder = Path(tempfile.mkdtemp(prefix="bench-journal-"))
    os.environ["WARDEN_CONFIG_DIR"] = str(folder / "config")
    print(f"load average at start: {os.getloadavg()}")
    writer = EmbeddedStore("s", folder / "s.db", access="secrets", create=True, fingerprinter=Fingerprinter(b"f" * 32))
    writer.write_many([WriteRequest(SlotRef("dev", "api", "TOKEN"), SecretValue("x" * 24))])
    for _ in range(args.entries):
        numbered(writer.shared_journal(), "bench")
    reader = EmbeddedStore("s", folder / "s.db")
    reader.namespaces("dev")  # the file is open, as on the run path
    conn = reader._conn
    assert conn is not None
    head, floor = interleaved(args.rounds * 5, lambda: shared_index(reader, "incidents"), lambda: conn.execute("SELECT 1").fetchone())
    print(f"embedded head read: {head * 1e6:.1f} us, floor SELECT 1: {floor * 1e6:.1f} us, ratio {head / floor:.1f}")

    from tests.vault_server import shared_server, stop_shared

    try:
        server = shared_server()
        os.environ["BENCH_VAULT_TOKEN"] = server.root_token
        from secretwarden.stores.vault.auth import Connection
        from secretwarden.stores.vault.layout import VaultLayout
        from secretwarden.stores.vault.store import VaultStore

        prefix = "bench" + secrets.token_hex(4)
        conn_spec = Connection(server.address, auth={"method": "token", "token_env": "BENCH_VAULT_TOKEN"})
        store = VaultStore("s", VaultLayout(prefix=prefix), conn_spec, access="metadata")
        journal = store.shared_journal()
        for _ in range(args.entries):
            numbered(journal, "bench")
        bare = f"/v1/secret/metadata/{prefix}/_warden/journal/incidents/e/{1:010d}"
        head, floor = interleaved(
            args.rounds, lambda: shared_index(store, "incidents"), lambda: store.client.adapter.get(bare)
        )
        print(f"vault head read: {head * 1e3:.2f} ms, floor one metadata GET: {floor * 1e3:.2f} ms, ratio {head / floor:.2f}")
        append, floor = interleaved(args.rounds // 5, lambda: numbered(journal, "more"), lambda: store.client.adapter.get(bare))
        print(f"vault append: {append * 1e3:.2f} ms ({append / floor:.1f} x one GET; 3 requests)")
        whole = statistics.median(timed(lambda: journal.entries("incidents")) for _ in range(5))
        count = len(journal.entries("incidents"))
        print(f"vault read of all {count} entries: {whole * 1e3:.1f} ms ({whole / floor:.0f} x one GET; 1 list + {count} reads)")
    finally:
        stop_shared()
    print(f"load average at end: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
