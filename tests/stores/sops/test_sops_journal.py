"""The sops store keeps the shared journals as committed files beside its encrypted ones (real git)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from secretwarden.ops.journal import INCIDENTS, verify_part
from secretwarden.stores.sops.journal import SopsJournal
from tests.stores.journal_support import KEY, incident, numbered, writer


def git(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.invalid", "HOME": str(cwd), "PATH": "/usr/bin:/bin"}
    return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=check)


@pytest.fixture
def clones(tmp_path: Path) -> tuple[Path, Path]:
    """Two clones of one repository (two machines), sharing a bare remote."""
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    a, b = tmp_path / "a", tmp_path / "b"
    git(tmp_path, "clone", "-q", str(remote), str(a))
    (a / "secrets").mkdir()
    (a / "secrets" / "README").write_text("sops files live here\n")
    git(a, "add", ".")
    git(a, "commit", "-q", "-m", "init")
    git(a, "push", "-q", "origin", "HEAD:main")
    git(tmp_path, "clone", "-q", str(remote), str(b))
    return a, b


def publish(clone: Path, message: str) -> None:
    git(clone, "add", "secrets/_warden")
    git(clone, "commit", "-q", "-m", message)
    git(clone, "push", "-q", "origin", "HEAD:main")


def test_two_clones_share_one_register_through_git(clones: tuple[Path, Path]) -> None:
    a, b = clones
    ja, jb = SopsJournal(a / "secrets"), SopsJournal(b / "secrets")
    numbered(ja, "a")
    publish(a, "incident opened")
    git(b, "pull", "-q", "origin", "main")
    assert [e["id"] for e in jb.entries(INCIDENTS)] == ["INC-0001"]
    assert numbered(jb, "b")["id"] == "INC-0002"
    publish(b, "incident opened")
    git(a, "pull", "-q", "origin", "main")
    assert [e["id"] for e in ja.entries(INCIDENTS)] == ["INC-0001", "INC-0002"]
    assert set(ja.head(INCIDENTS).index["open"]) == {"INC-0001", "INC-0002"}
    assert verify_part(ja, INCIDENTS, KEY) == [] and verify_part(jb, INCIDENTS, KEY) == []
    tracked = git(a, "ls-files", "secrets/_warden").stdout.split()
    assert tracked == ["secrets/_warden/incidents.head.json", "secrets/_warden/incidents.jsonl"]


def test_an_edit_in_a_commit_is_detected(clones: tuple[Path, Path]) -> None:
    a, b = clones
    ja = SopsJournal(a / "secrets")
    for n in range(3):
        ja.append(INCIDENTS, writer({**incident(n), "reason": f"reason {n}"}))
    publish(a, "incidents")
    git(b, "pull", "-q", "origin", "main")
    path = b / "secrets" / "_warden" / "incidents.jsonl"
    path.write_text(path.read_text().replace("reason 1", "nothing happened"))
    jb = SopsJournal(b / "secrets")
    assert any("edited" in p for p in verify_part(jb, INCIDENTS, KEY))
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:2]) + "\n")  # the edited line and the last one dropped
    assert any("cut off" in p for p in verify_part(jb, INCIDENTS, KEY))


def test_concurrent_appends_in_two_clones_stop_at_a_merge_conflict(clones: tuple[Path, Path]) -> None:
    a, b = clones
    SopsJournal(a / "secrets").append(INCIDENTS, writer(incident(1, "a")))
    publish(a, "from a")
    SopsJournal(b / "secrets").append(INCIDENTS, writer(incident(1, "b")))
    git(b, "add", "secrets/_warden")
    git(b, "commit", "-q", "-m", "from b")
    assert git(b, "push", "-q", "origin", "HEAD:main", check=False).returncode != 0  # not a fast-forward
    merged = git(b, "pull", "-q", "--no-rebase", "origin", "main", check=False)
    assert merged.returncode != 0 and "CONFLICT" in merged.stdout + merged.stderr  # no entry silently lost


def test_a_writer_killed_before_the_head_file_is_accepted_and_caught_up(tmp_path: Path) -> None:
    journal = SopsJournal(tmp_path / "secrets")
    for n in range(2):
        journal.append(INCIDENTS, writer(incident(n)))
    head_file = tmp_path / "secrets" / "_warden" / "incidents.head.json"
    before = head_file.read_bytes()
    journal.append(INCIDENTS, writer(incident(2)))
    head_file.write_bytes(before)  # the line was written, the head file not (the writer was killed)
    assert journal.head(INCIDENTS).seq == 2 and len(journal.entries(INCIDENTS)) == 3
    assert verify_part(journal, INCIDENTS, KEY) == []
    assert journal.append(INCIDENTS, writer(incident(3)))["seq"] == 4  # the next append rebuilds the head
    assert journal.head(INCIDENTS).seq == 4 and verify_part(journal, INCIDENTS, KEY) == []


def test_a_merge_that_kept_both_clones_lines_is_named(clones: tuple[Path, Path]) -> None:
    a, b = clones
    SopsJournal(a / "secrets").append(INCIDENTS, writer(incident(1, "a")))
    publish(a, "from a")
    jb = SopsJournal(b / "secrets")
    theirs = (a / "secrets" / "_warden" / "incidents.jsonl").read_text()
    jb.append(INCIDENTS, writer(incident(1, "b")))
    path = b / "secrets" / "_warden" / "incidents.jsonl"
    path.write_text(theirs + path.read_text())  # both lines kept (a union merge, or by hand)
    (b / "secrets" / "_warden" / "incidents.head.json").write_bytes((a / "secrets" / "_warden" / "incidents.head.json").read_bytes())
    [problem] = verify_part(jb, INCIDENTS, KEY)
    assert "two entries with this number follow the same entry" in problem and "keep the line pushed first" in problem
    path.write_text(theirs)  # resolved as docs/team.md says: the remote's line only
    assert verify_part(jb, INCIDENTS, KEY) == []
