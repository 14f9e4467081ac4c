"""Attacks on the embedded store from issue 21, run through the real `warden` command.

Each test is an attack that worked before the fix: editing the SQLite file to
lift a compromise block (21.4), losing the fingerprint key (21.3), deleting the
audit log (21.5), a write killed before its audit entry (21.11), symlinks
(21.10), the key folder inside the repository (21.13), folder modes (21.14).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import make_canary, run_warden, run_warden_obeying_file_modes


def w(project: Path, *args: str, **kwargs: object) -> object:
    return run_warden("-c", project, *args, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def ready(project: Path) -> Path:
    """A project whose `api` service can run in dev."""
    r = run_warden("-c", project, "bootstrap", "--env", "dev")
    assert r.returncode == 0, r.output
    db_url = "postgres://app:" + make_canary("db") + "@db/app"
    r = run_warden("-c", project, "set", "shared/DATABASE_URL", "--env", "dev", input=db_url)
    assert r.returncode == 0, r.output
    return project


def store_db(project: Path) -> Path:
    return project.parent / ".warden" / "local.db"


def sql(project: Path, statement: str) -> None:
    conn = sqlite3.connect(store_db(project))
    with conn:
        conn.execute(statement)
    conn.close()


RUN = ("run", "--service", "api", "--env", "dev", "--", sys.executable, "-c", "print('child ran')")


def test_lifting_a_compromise_mark_in_the_file_is_tampering(ready: Path) -> None:
    r = run_warden("-c", ready, "incident", "open", "api/API_TOKEN", "--env", "dev", "--reason", "leaked in a log")
    assert r.returncode == 0, r.output
    assert run_warden("-c", ready, *RUN).returncode == 1  # blocked, as it should be
    sql(ready, "UPDATE keys SET compromised_at = NULL, compromise_reason = NULL")
    for args in (RUN, ("get", "api/API_TOKEN", "--env", "dev"), ("check", "--service", "api", "--env", "dev", "--verify-values")):
        r = run_warden("-c", ready, *args)
        assert r.returncode == 3, (args, r.output)
        assert "tampering" in r.stderr and "child ran" not in r.stdout
    for fast in ("0", "1"):  # the fast path and the full path refuse alike
        r = run_warden("-c", ready, *RUN, env={"WARDEN_NO_FAST_RUN": fast})
        assert r.returncode == 3 and "child ran" not in r.stdout
    r = run_warden("-c", ready, "store", "verify", "--deep")
    assert r.returncode == 1 and "tampering" in r.stdout
    assert "incident" in r.stdout and "INC-0001" in r.stdout  # the register disagrees with the store


def test_undeleting_a_version_in_the_file_is_tampering(ready: Path) -> None:
    assert run_warden("-c", ready, "set", "api/API_TOKEN", "--env", "dev", input="n" * 20 + "-second").returncode == 0
    assert run_warden("-c", ready, "rm", "api/API_TOKEN", "--env", "dev").returncode == 0
    sql(ready, "UPDATE versions SET deleted_at = NULL WHERE key = 'API_TOKEN'")
    r = run_warden("-c", ready, "get", "api/API_TOKEN", "--env", "dev")
    assert r.returncode == 3 and "tampering" in r.stderr


def test_hiding_the_newest_version_is_tampering(ready: Path) -> None:
    assert run_warden("-c", ready, "set", "api/API_TOKEN", "--env", "dev", input="n" * 20 + "-second").returncode == 0
    sql(ready, "DELETE FROM versions WHERE key = 'API_TOKEN' AND version = 2")
    r = run_warden("-c", ready, "get", "api/API_TOKEN", "--env", "dev")
    assert r.returncode == 3 and "tampering" in r.stderr


def fingerprint_key(home: Path) -> Path:
    return home / "config" / "keys" / "demo.fingerprint.key"


def test_lost_fingerprint_key_is_refused_not_replaced(ready: Path, isolated_home: Path) -> None:
    old = run_warden("-c", ready, "get", "api/API_TOKEN", "--env", "dev").stdout.rstrip("\n")
    assert run_warden("-c", ready, "incident", "open", "api/API_TOKEN", "--env", "dev", "--reason", "leak").returncode == 0
    key = fingerprint_key(isolated_home)
    key.rename(key.with_name("moved-away"))
    r = run_warden("-c", ready, "set", "api/API_TOKEN", "--env", "dev", input=old)
    assert r.returncode == 3 and "fingerprint key" in r.stderr and "hint:" in r.stderr
    assert not key.exists()  # no new key was minted
    # A different key (someone "fixes" it by making a new one) is refused too.
    key.write_text("A" * 43)
    key.chmod(0o600)
    r = run_warden("-c", ready, "set", "api/API_TOKEN", "--env", "dev", input=old)
    assert r.returncode == 3 and "not the one" in r.stderr
    # Reads do not need the fingerprint key.
    key.unlink()
    assert run_warden("-c", ready, "get", "shared/DATABASE_URL", "--env", "dev").returncode == 0


def test_store_from_before_macs_migrates_and_proves_its_fingerprint_key(ready: Path, isolated_home: Path) -> None:
    # Make the store look like a schema-1 store: no MACs, no recorded fingerprint key.
    sql(ready, "UPDATE keys SET mac = NULL")
    sql(ready, "UPDATE versions SET mac = NULL")
    sql(ready, "UPDATE denied_fingerprints SET mac = NULL")
    sql(ready, "DELETE FROM meta WHERE k IN ('fingerprint_key_id', 'fingerprint_key_mac')")
    sql(ready, "UPDATE meta SET v = '1' WHERE k = 'schema_version'")
    key = fingerprint_key(isolated_home)
    saved = key.read_text()
    key.write_text("B" * 43)  # a wrong key must not be adopted
    r = run_warden("-c", ready, "set", "api/API_TOKEN", "--env", "dev", input="m" * 24)
    assert r.returncode == 3 and "not the one" in r.stderr
    key.write_text(saved)
    r = run_warden("-c", ready, "set", "api/API_TOKEN", "--env", "dev", input="m" * 24)
    assert r.returncode == 0, r.output
    assert run_warden("-c", ready, "store", "verify", "--deep").returncode == 0


def test_deleted_audit_log_is_tampering(ready: Path) -> None:
    folder = ready.parent / ".warden"
    (folder / "audit.jsonl").unlink()
    (folder / "audit.jsonl.head").unlink(missing_ok=True)
    r = run_warden("-c", ready, "audit", "verify")
    assert r.returncode == 1 and "TAMPERED" in r.stdout and "deleted" in r.stdout
    # Also with the key folder's anchor gone: the store remembers the log.
    shutil.rmtree(Path(os.environ["WARDEN_CONFIG_DIR"]) / "anchors")
    r = run_warden("-c", ready, "audit", "verify")
    assert r.returncode == 1 and "store `local`" in r.stdout


KILLED_WRITER = """
import os, sys
from secretwarden.ops.workspace import Workspace
from secretwarden.slots import SlotRef
from secretwarden.stores.base import SecretValue, WriteRequest
ws = Workspace.load(sys.argv[1])
ws.secrets("dev").write_many([WriteRequest(SlotRef("dev", "api", "API_TOKEN"), SecretValue("k" * 30))])
os._exit(9)  # killed after the commit, before the audit entry
"""


def test_write_killed_before_its_audit_entry_is_detected_then_recorded(ready: Path) -> None:
    proc = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(ready)], capture_output=True, text=True)
    assert proc.returncode == 9, proc.stderr
    r = run_warden("-c", ready, "audit", "verify")
    assert r.returncode == 1 and "have no audit entry" in r.stdout
    assert run_warden("-c", ready, "set", "api/TOKEN_TTL", "--env", "dev", input="20m").returncode == 0
    entries = [json.loads(x) for x in (ready.parent / ".warden" / "audit.jsonl").read_text().splitlines()]
    assert any(e["command"] == "unaudited-write" for e in entries)
    r = run_warden("-c", ready, "audit", "verify")
    assert r.returncode == 0, r.output
    assert "TAMPERED" not in r.stdout and "chain intact" in r.stdout  # an intact log is not also called tampered


def test_symlinked_store_and_key_file_are_refused(ready: Path, tmp_path: Path, isolated_home: Path) -> None:
    db = store_db(ready)
    real = tmp_path / "real.db"
    db.rename(real)
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    db.symlink_to(real)
    r = run_warden("-c", ready, "get", "api/API_TOKEN", "--env", "dev")
    assert r.returncode == 3 and "symlink" in r.stderr
    db.unlink()
    real.rename(db)
    key = fingerprint_key(isolated_home)
    moved = key.with_name("elsewhere")
    key.rename(moved)
    key.symlink_to(moved)
    r = run_warden("-c", ready, "set", "api/API_TOKEN", "--env", "dev", input="s" * 24)
    assert r.returncode == 3 and "symlink" in r.stderr


def test_config_dir_inside_repository_writes_nothing(project: Path) -> None:
    inside = project.parent / "cfg"
    r = run_warden("-c", project, "set", "api/API_TOKEN", "--env", "dev", input="x" * 24, env={"WARDEN_CONFIG_DIR": str(inside)})
    assert r.returncode == 3 and "inside the repository" in r.stderr and "hint:" in r.stderr
    assert not inside.exists()


def test_private_folders_are_0700_whatever_the_umask(project: Path, isolated_home: Path) -> None:
    folder = project.parent / ".warden"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    code = (
        "import os, sys; os.umask(0); from secretwarden.cli.main import main; "
        "sys.argv = ['warden', '-c', sys.argv[1], 'check', '--service', 'api', '--env', 'dev']; main()"
    )
    subprocess.run([sys.executable, "-c", code, str(project)], capture_output=True)
    subprocess.run(
        [sys.executable, "-c", code.replace("'check', '--service', 'api', '--env', 'dev'", "'set', 'api/API_TOKEN', '--env', 'dev'"), str(project)],
        input=b"y" * 24, capture_output=True,
    )
    assert folder.stat().st_mode & 0o777 == 0o700
    for base in (isolated_home / "cache", isolated_home / "config"):
        for path in [base, *(p for p in base.rglob("*") if p.is_dir())]:
            assert path.stat().st_mode & 0o777 == 0o700, path


def test_deleted_working_directory_is_a_clear_error(project: Path, tmp_path: Path) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    code = (
        "import os, sys; os.chdir(sys.argv[1]); os.rmdir(sys.argv[1]); "
        "from secretwarden.cli.main import main; sys.argv = ['warden', 'status']; main()"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(gone)], capture_output=True, text=True)
    assert proc.returncode in (2, 3) and "warden: error:" in proc.stderr, proc.stderr


def test_dangling_config_dir_symlink_is_a_clear_error(project: Path, tmp_path: Path) -> None:
    link = tmp_path / "cfg-link"
    link.symlink_to(tmp_path / "missing-target")
    r = run_warden("-c", project, "set", "api/API_TOKEN", "--env", "dev", input="z" * 24, env={"WARDEN_CONFIG_DIR": str(link)})
    assert r.returncode in (2, 3) and "warden: error:" in r.stderr and "internal error" not in r.stderr, r.output


@pytest.mark.parametrize(
    ("target", "mode"),
    [(".warden", 0o000), (".warden", 0o500), (".warden/audit.jsonl", 0o400), (".warden/local.db", 0o000), (".warden/local.db", 0o400), (".", 0o555)],
)
def test_unreadable_or_read_only_state_is_a_store_error(ready: Path, target: str, mode: int) -> None:
    path = ready.parent / target
    if target == ".":
        shutil.rmtree(ready.parent / ".warden")  # a read-only project folder where the store must be created
    old = path.stat().st_mode & 0o777
    path.chmod(mode)
    try:
        for args in (("get", "api/API_TOKEN", "--env", "dev"), ("set", "api/API_TOKEN", "--env", "dev"), ("audit", "verify"), ("status",), ("ls", "--env", "dev")):
            r = run_warden_obeying_file_modes("-c", ready, *args, input="p" * 26)
            code, err = r.returncode, r.stderr
            assert code in (0, 1, 2, 3) and "internal error" not in err, (args, err)
            if code in (2, 3):
                assert err.startswith("warden: error:") and len(err.splitlines()) <= 2, err
    finally:
        path.chmod(old)


def test_no_value_in_tampering_and_damage_reports(ready: Path, isolated_home: Path) -> None:
    """Canary rule for the new refusals: tampering, unaudited writes, damage, key refusals."""
    token = make_canary("tamper") + "abcdefgh"
    assert run_warden("-c", ready, "set", "api/API_TOKEN", "--env", "dev", input=token).returncode == 0
    canaries = [token, run_warden("-c", ready, "get", "shared/DATABASE_URL", "--env", "dev").stdout.strip()]
    assert run_warden("-c", ready, "incident", "open", "api/API_TOKEN", "--env", "dev", "--reason", "leak").returncode == 0
    proc = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(ready)], capture_output=True, text=True)
    outputs = [proc.stdout + proc.stderr]
    sql(ready, "UPDATE keys SET compromised_at = NULL")
    for args in (RUN, ("get", "api/API_TOKEN", "--env", "dev"), ("store", "verify", "--deep"), ("audit", "verify"),
                 ("audit", "log", "--format", "json"), ("check", "--service", "api", "--env", "dev", "--verify-values"),
                 ("--debug", "get", "api/API_TOKEN", "--env", "dev")):
        outputs.append(run_warden("-c", ready, *args).output)
    fingerprint_key(isolated_home).unlink()
    outputs.append(run_warden("-c", ready, "--debug", "set", "api/API_TOKEN", "--env", "dev", input=token).output)
    files = [p for base in (ready.parent / ".warden", isolated_home) for p in base.rglob("*") if p.is_file() and not p.name.endswith(".db")]
    for canary in canaries:
        assert all(canary not in out for out in outputs)
        assert all(canary.encode() not in f.read_bytes() for f in files), [f for f in files if canary.encode() in f.read_bytes()]
