"""Claims docs/security.md makes about the embedded store that no other test held it to, each
through the real store file and, where a user would meet it, the real `warden` command:

* a value's ciphertext is bound to its version (moved to another version of the same key, it
  fails to authenticate), not only to its slot (tests/stores/embedded/test_embedded.py);
* deleting a denied-fingerprint row does not let the compromised value back into the same key
  (its versions' fingerprints are authenticated);
* a whole-file rollback of `.warden/local.db` to before `incident open` takes the register back
  with the marks (both live in that file), so `store verify --deep` cannot see it; the register's
  anchor in the key folder can: `audit verify` names the incident entry that is gone.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from secretwarden.errors import IntegrityError
from tests.conftest import make_canary, run_warden
from tests.stores.embedded.test_embedded import A, open_store, put


def test_a_ciphertext_moved_to_another_version_fails_to_authenticate(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    with open_store(path) as store:
        put(store, A, make_canary("v1"))
        put(store, A, make_canary("v2"))
    conn = sqlite3.connect(path)
    with conn:
        nonce, ct = conn.execute("SELECT nonce, ciphertext FROM versions WHERE key='TOKEN' AND version=1").fetchone()
        conn.execute("UPDATE versions SET nonce=?, ciphertext=? WHERE key='TOKEN' AND version=2", (nonce, ct))
    conn.close()
    with open_store(path) as store, pytest.raises(IntegrityError):
        store.read(A)  # version 2, holding version 1's ciphertext


@pytest.fixture
def ready(project: Path) -> Path:
    assert run_warden("-c", project, "bootstrap", "--env", "dev").returncode == 0
    db_url = "postgres://app:" + make_canary("db") + "@db/app"
    assert run_warden("-c", project, "set", "shared/DATABASE_URL", "--env", "dev", input=db_url).returncode == 0
    return project


def store_file(project: Path) -> Path:
    return project.parent / ".warden" / "local.db"


def test_a_deleted_denied_row_does_not_let_a_compromised_value_back_into_its_key(ready: Path) -> None:
    old = run_warden("-c", ready, "get", "api/API_TOKEN", "--env", "dev").stdout.rstrip("\n")
    assert run_warden("-c", ready, "incident", "open", "api/API_TOKEN", "--env", "dev", "--reason", "leak").returncode == 0
    assert run_warden("-c", ready, "rotate", "api/API_TOKEN", "--env", "dev", "--generate", "--yes").returncode == 0
    conn = sqlite3.connect(store_file(ready))
    with conn:
        assert conn.execute("DELETE FROM denied_fingerprints").rowcount >= 1
    conn.close()
    res = run_warden("-c", ready, "set", "api/API_TOKEN", "--env", "dev", input=old)
    assert res.returncode == 1 and "already used by an earlier version" in res.stderr, res.output
    assert old not in res.output


def test_a_whole_file_rollback_past_an_incident_is_named_by_audit_verify(ready: Path, tmp_path: Path) -> None:
    db = store_file(ready)
    before = tmp_path / "before-incident.db"
    shutil.copy2(db, before)
    assert run_warden("-c", ready, "incident", "open", "api/API_TOKEN", "--env", "dev", "--reason", "leak").returncode == 0
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    shutil.copy2(before, db)  # the marks and the register go back together, MACs valid

    # Nothing inside the file disagrees (the residual risk docs/security.md names); the anchor does.
    audit = run_warden("-c", ready, "audit", "verify")
    assert audit.returncode == 1, audit.output
    assert "TAMPERED" in audit.stdout and "open INC-0001 of dev:api/API_TOKEN" in audit.stdout
    assert "rolled back" in audit.stdout
