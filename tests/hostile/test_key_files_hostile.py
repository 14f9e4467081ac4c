"""Key files replaced by something that is not a key: an oversized or malformed file.

A 50 MB file of `A`s where the audit key was read as its first 4096 bytes: a
valid 3 KB all-zero key. Every command then wrote audit entries under a key
nobody made, and `audit verify` reported the log TAMPERED for good, even after
the real key came back.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import run_warden
from tests.hostile.support import assert_clear_error, assert_store_intact, ready_project

WRITE_AND_READ = [
    ["get", "shared/DATABASE_URL", "--env", "dev"],
    ["run", "--service", "api", "--env", "dev", "--", "true"],
    ["set", "api/OPTIONAL_HOOK", "--env", "dev"],
]


def keys_dir(home: Path) -> Path:
    return home / "config" / "keys"


@pytest.mark.parametrize(("name", "commands"), [
    ("demo.audit.key", WRITE_AND_READ),
    ("demo.fingerprint.key", WRITE_AND_READ[2:]),  # only a write needs the fingerprint key
])
def test_an_oversized_key_file_is_refused_and_nothing_is_written_under_it(
    project: Path, isolated_home: Path, name: str, commands: list[list[str]]
) -> None:
    canary = ready_project(project)
    key = keys_dir(isolated_home) / name
    kept = project.parent / "kept.key"
    shutil.copy2(key, kept)
    log = project.parent / ".warden" / "audit.jsonl"
    entries = log.read_bytes()
    key.write_bytes(b"A" * 50_000)  # in place: mode 0600 stays
    for command in commands:
        r = run_warden("-c", project, *command, input="https://hooks.example.com/x")
        first = assert_clear_error(r, 3, canary=canary)
        assert str(key) in first and "larger than any key" in first
    if name == "demo.audit.key":
        assert log.read_bytes() == entries  # nothing logged under a key nobody made
    shutil.copy2(kept, key)
    assert_store_intact(project, canary)


def test_a_malformed_audit_key_hint_names_the_audit_key_not_the_root_key(project: Path, isolated_home: Path) -> None:
    canary = ready_project(project)
    key = keys_dir(isolated_home) / "demo.audit.key"
    key.write_bytes(b"c2hvcnQ=\n")  # valid base64 of 5 bytes
    r = run_warden("-c", project, "get", "shared/DATABASE_URL", "--env", "dev")
    assert_clear_error(r, 3, canary=canary)
    assert "audit key" in r.stderr and "WARDEN_MASTER_KEY" not in r.stderr
