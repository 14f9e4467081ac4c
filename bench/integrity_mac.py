#!/usr/bin/env python3
"""What authenticating the embedded store's metadata costs `warden run` (issue 21.4).

    .venv/bin/python bench/integrity_mac.py [--keys 5] [--rounds 2000]

`warden run` reads each key's metadata (compromise mark, versions) and then its
value. With the root key loaded, the embedded store verifies an HMAC over every
row it relied on. This measures, interleaved round by round on one store:

  * verified: key_meta + read of every key, MACs checked (what `run` does now);
  * floor:    the same calls with the MAC key removed (what `run` did before);
  * open:     opening the store for secrets (root key check + HKDF derivation).

It prints the medians, the added cost per service and the ratio, with the load.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--keys", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["WARDEN_CONFIG_DIR"] = str(Path(tmp) / "config")
        os.environ["WARDEN_NO_KEYRING"] = "1"
        from secretwarden.crypto.fingerprint import Fingerprinter
        from secretwarden.slots import SlotRef
        from secretwarden.stores.base import SecretValue, WriteRequest
        from secretwarden.stores.embedded.store import EmbeddedStore

        path = Path(tmp) / "bench.db"
        slots = [SlotRef("dev", "api", f"KEY_{i}") for i in range(args.keys)]
        with EmbeddedStore("b", path, access="secrets", create=True, fingerprinter=Fingerprinter(os.urandom(32))) as st:
            st.write_many([WriteRequest(s, SecretValue(os.urandom(16).hex())) for s in slots])
            for s in slots[:2]:  # some history, as a real store has
                st.write_many([WriteRequest(s, SecretValue(os.urandom(16).hex()))])
        store = EmbeddedStore("b", path, access="secrets")
        mac_key = store._mac_key

        def resolve() -> float:
            t0 = time.perf_counter()
            for s in slots:
                meta = store.key_meta(s)
                assert meta is not None and not meta.compromised
                store.read(s)
            return time.perf_counter() - t0

        verified, floor, opens = [], [], []
        for _ in range(args.rounds):
            store._mac_key = mac_key
            store._verified.clear()  # as in a fresh `warden run` process: nothing verified yet
            verified.append(resolve())
            store._mac_key = None
            floor.append(resolve())
        store._mac_key = mac_key
        store.close()
        for _ in range(min(args.rounds, 200)):
            t0 = time.perf_counter()
            EmbeddedStore("b", path, access="secrets").close()
            opens.append(time.perf_counter() - t0)
    v, f = statistics.median(verified) * 1e6, statistics.median(floor) * 1e6
    print(f"keys per service: {args.keys}, rounds: {args.rounds}, load average: {os.getloadavg()[0]:.2f}")
    print(f"resolve with MAC checks (median): {v:8.1f} us")
    print(f"resolve without (floor, median):  {f:8.1f} us")
    print(f"added per service: {v - f:8.1f} us   ratio verified/floor: {v / f:.3f}")
    print(f"open for secrets incl. HKDF (median): {statistics.median(opens) * 1e6:8.1f} us")


if __name__ == "__main__":
    main()
