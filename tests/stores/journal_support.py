"""Helpers for the shared-journal tests: a chained writer, and parallel writers in real processes."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from typing import Any

from secretwarden.ops.journal import INCIDENTS, ChainWriter, fold_for
from secretwarden.stores.base import JournalHead, SharedJournal

KEY = b"j" * 32  # the chain key of these tests (the project's key is derived from its fingerprint key)


def writer(entry: dict[str, Any], name: str = INCIDENTS) -> ChainWriter:
    return ChainWriter(lambda _head: entry, KEY, fold_for(name))


def incident(n: int, who: str = "t") -> dict[str, Any]:
    return {
        "event": "open",
        "id": f"{who}-{n}",
        "time": f"2026-01-01T00:00:{n % 60:02d}+00:00",
        "env": "dev",
        "namespace": "api",
        "key": f"K_{who}_{n}".upper().replace("-", "_"),
        "instance": None,
        "store": "s",
    }


def numbered(journal: SharedJournal, who: str) -> dict[str, Any]:
    """An incident whose number is decided on the head it follows (as `incident open` does)."""

    def make(head: JournalHead) -> dict[str, Any]:
        return {**incident(int(head.index.get("last") or 0) + 1, who), "id": f"INC-{int(head.index.get('last') or 0) + 1:04d}"}

    return journal.append(INCIDENTS, ChainWriter(make, KEY, fold_for(INCIDENTS)))


# A writer process: opens its own store (own connection or client) and appends `count` entries.
WRITER_SCRIPT = textwrap.dedent(
    """
    import os, sys
    sys.path.insert(0, os.environ["JOURNAL_TEST_ROOT"])
    from tests.stores.journal_support import incident, numbered, open_for_writer, writer
    who, count = sys.argv[1], int(sys.argv[2])
    store = open_for_writer()
    journal = store.shared_journal()
    for n in range(count):
        if os.environ.get("JOURNAL_TEST_NUMBERED"):
            numbered(journal, who)  # the number is decided on the head the entry follows
        else:
            journal.append("incidents", writer(incident(n, who)))
    store.close()
    """
)


def open_for_writer() -> Any:
    """The store a writer process appends to, described by its environment."""
    from pathlib import Path

    kind = os.environ["JOURNAL_TEST_BACKEND"]
    if kind == "embedded":
        from secretwarden.stores.embedded.store import EmbeddedStore

        return EmbeddedStore("s", Path(os.environ["JOURNAL_TEST_PATH"]), access="metadata")
    from secretwarden.stores.vault.auth import Connection
    from secretwarden.stores.vault.layout import VaultLayout
    from secretwarden.stores.vault.store import VaultStore

    conn = Connection(os.environ["JOURNAL_TEST_ADDR"], auth={"method": "token", "token_env": "JOURNAL_TEST_TOKEN"})
    return VaultStore("s", VaultLayout(prefix=os.environ["JOURNAL_TEST_PATH"]), conn, access="metadata")


def run_writers(env: dict[str, str], writers: int, count: int) -> None:
    """`writers` real processes appending `count` entries each, all at once."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    full = {**os.environ, **env, "JOURNAL_TEST_ROOT": root}
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER_SCRIPT, f"w{i}", str(count)], env=full, stderr=subprocess.PIPE)
        for i in range(writers)
    ]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err.decode(errors="replace")[-2000:]
