"""docs/security.md: key files are created 0600 and refused, with a hint, when others can read
them: the root key, the project's fingerprint key and its audit key, through the real command
(nothing is read or written with a key someone else may have copied)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from tests.conftest import make_canary, run_warden


@pytest.fixture
def keys(project: Path, isolated_home: Path) -> dict[str, Path]:
    assert run_warden("-c", project, "bootstrap", "--env", "dev").returncode == 0
    folder = isolated_home / "config" / "keys"
    found = {
        "fingerprint key": folder / "demo.fingerprint.key",
        "audit key": folder / "demo.audit.key",
        "root key": next(p for p in folder.glob("*.key") if p.stem.count("-") == 4),  # <store id>.key
    }
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in found.values())
    return found


@pytest.mark.parametrize("which", ["root key", "fingerprint key", "audit key"])
@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_a_key_file_others_can_read_is_refused(project: Path, keys: dict[str, Path], which: str, mode: int) -> None:
    key = keys[which]
    key.chmod(mode)
    before = (project.parent / ".warden" / "local.db").stat().st_mtime_ns
    value = make_canary("new")
    res = run_warden("-c", project, "set", "api/API_TOKEN", "--env", "dev", input=value)
    assert res.returncode == 3, res.output
    assert f"{key}: the {which}" in res.stderr and "is readable by other users" in res.stderr, res.stderr
    assert f"hint: chmod 600 {key}" in res.stderr
    assert value not in res.output
    assert (project.parent / ".warden" / "local.db").stat().st_mtime_ns == before  # nothing written
    assert stat.S_IMODE(key.stat().st_mode) == mode  # reported, never changed behind the user's back
