"""A damaged store file is a store error (exit 3) or a finding, never "this is a bug" (exit 4).

Issue 21.7: byte flips in the SQLite file made commands, and `store verify
--deep` itself, fail with exit 4. Here a byte is flipped at several offsets of
every page of a real store, and every command that reads it must answer with
a documented exit code. The commands run through the real CLI entry point in
one driver process per test, so the whole sweep stays fast.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import make_canary, run_warden

DRIVER = r"""
import contextlib, io, json, os, shutil, sys
from secretwarden.cli.main import main

contract, db, pristine, offsets = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
commands = [
    ["get", "api/API_TOKEN", "--env", "dev"],
    ["status", "--env", "dev"],
    ["store", "verify", "--deep"],
    ["store", "verify"],
    ["check", "--service", "api", "--env", "dev", "--verify-values"],
    ["history", "api/API_TOKEN", "--env", "dev"],
]
results = []
for offset in offsets:
    data = bytearray(open(pristine, "rb").read())
    data[offset] ^= 0xFF
    for suffix in ("-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(db + suffix)
    with open(db, "wb") as fh:
        fh.write(data)
    for args in commands:
        out, err = io.TextIOWrapper(io.BytesIO()), io.StringIO()  # `get` writes bytes to stdout.buffer
        code = 0
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main(["-c", contract, *args])
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 0
        results.append({"offset": offset, "args": args, "code": code, "stderr": err.getvalue()[-300:]})
print(json.dumps(results))
"""


@pytest.fixture
def pristine(project: Path, tmp_path: Path) -> tuple[Path, Path]:
    assert run_warden("-c", project, "bootstrap", "--env", "dev").returncode == 0
    db_url = "postgres://app:" + make_canary("db") + "@db/app"
    assert run_warden("-c", project, "set", "shared/DATABASE_URL", "--env", "dev", input=db_url).returncode == 0
    db = project.parent / ".warden" / "local.db"
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    copy = tmp_path / "pristine.db"
    copy.write_bytes(db.read_bytes())
    return db, copy


@pytest.mark.slow
def test_a_flipped_byte_in_any_page_is_never_an_internal_error(project: Path, pristine: tuple[Path, Path]) -> None:
    db, copy = pristine
    size = copy.stat().st_size
    page = 4096
    offsets = sorted({o for start in range(0, size, page) for o in (start, start + 20, start + 100, start + 2048, start + page - 1) if o < size})
    proc = subprocess.run(
        [sys.executable, "-c", DRIVER, str(project), str(db), str(copy), json.dumps(offsets)],
        capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = json.loads(proc.stdout.splitlines()[-1])
    bad = [r for r in results if r["code"] not in (0, 1, 2, 3) or "internal error" in r["stderr"]]
    assert not bad, bad[:5]
    assert len(results) == len(offsets) * 6


def test_store_verify_reports_a_garbage_file_without_crashing(project: Path, pristine: tuple[Path, Path]) -> None:
    db, _ = pristine
    db.write_bytes(b"\x00garbage" * 600)
    for args in (("store", "verify", "--deep"), ("store", "verify"), ("status",)):
        r = run_warden("-c", project, *args)
        assert r.returncode in (1, 3) and "internal error" not in r.stderr, (args, r.output)


@pytest.fixture(scope="module")
def small_store(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The bytes of a small real store (checkpointed), built once for the property test."""
    import os

    from secretwarden.crypto.fingerprint import Fingerprinter
    from secretwarden.slots import SlotRef
    from secretwarden.stores.base import SecretValue, WriteRequest
    from secretwarden.stores.embedded.store import EmbeddedStore

    folder = tmp_path_factory.mktemp("fuzzstore")
    os.environ["WARDEN_MASTER_KEY"] = "A" * 43  # the store's root key for this module only
    try:
        with EmbeddedStore("fz", folder / "s.db", access="secrets", create=True, fingerprinter=Fingerprinter(b"f" * 32)) as st:
            st.write_many([WriteRequest(SlotRef("dev", "api", f"K{i}"), SecretValue(f"value-{i}-" + "x" * 20)) for i in range(6)])
            st.mark_compromised(SlotRef("dev", "api", "K0"), st._clock(), "test")
        conn = sqlite3.connect(folder / "s.db")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
        return (folder / "s.db").read_bytes()
    finally:
        del os.environ["WARDEN_MASTER_KEY"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(offset=st.integers(min_value=0), mask=st.integers(min_value=1, max_value=255))
def test_any_flipped_byte_gives_a_store_error_or_an_answer(
    small_store: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, offset: int, mask: int
) -> None:
    from secretwarden.errors import WardenError
    from secretwarden.slots import SlotRef
    from secretwarden.stores.embedded.store import EmbeddedStore

    monkeypatch.setenv("WARDEN_MASTER_KEY", "A" * 43)
    data = bytearray(small_store)
    data[offset % len(data)] ^= mask
    path = tmp_path / f"{offset}-{mask}.db"
    path.write_bytes(bytes(data))
    for access in ("metadata", "secrets"):
        try:
            with EmbeddedStore("fz", path, access=access) as store:
                list(store.list_meta())
                store.key_summaries("dev")
                store.denied_fingerprints()
                if access == "secrets":
                    store.read(SlotRef("dev", "api", "K3"))
                assert isinstance(store.verify(deep=access == "secrets"), list)
        except WardenError as exc:
            assert exc.exit_code in (1, 2, 3)
