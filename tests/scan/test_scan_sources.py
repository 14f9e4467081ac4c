"""Sources against real files and real git repositories in temporary directories."""

from __future__ import annotations

import os
from pathlib import Path

from scan_helpers import fake, git

from secretwarden.scan.config import ScanOptions
from secretwarden.scan.model import Notice
from secretwarden.scan.runner import run_scan
from secretwarden.scan.sources.files import iter_files


def _rules(result: object) -> list[tuple[str, str]]:
    return sorted((f.path, f.rule_id) for f in result.findings)  # type: ignore[attr-defined]


def test_walker_honours_gitignore_outside_git(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("ignored/\n*.log\n")
    (tmp_path / "ignored").mkdir()
    (tmp_path / "ignored" / "a.py").write_text("x = 1\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / ".gitignore").write_text("local.txt\n")
    (tmp_path / "sub" / "local.txt").write_text("x\n")
    (tmp_path / "sub" / "kept.txt").write_text("x\n")
    (tmp_path / "run.log").write_text("x\n")
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    notices: list[Notice] = []
    got = sorted(i.path for i in iter_files(tmp_path, honour_ignore=True, max_size=10**6,
                                            allow_spec=None, notices=notices))
    assert got == [".gitignore", "sub/.gitignore", "sub/kept.txt"]
    everything = sorted(i.path for i in iter_files(tmp_path, honour_ignore=False, max_size=10**6,
                                                   allow_spec=None, notices=notices))
    assert "ignored/a.py" in everything and "run.log" in everything


def test_symlinks_are_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "creds.txt").write_text(f"token = {fake('ghp_{alnum:36}')}\n")
    tree = tmp_path / "tree"
    tree.mkdir()
    os.symlink(outside, tree / "link")
    os.symlink(outside / "creds.txt", tree / "creds.txt")
    result = run_scan(ScanOptions(target=str(tree), honour_ignore=False))
    assert result.findings == []


def test_size_cap_and_binaries_are_reported(tmp_path: Path) -> None:
    (tmp_path / "big.txt").write_text("a" * 5000)
    (tmp_path / "blob.dat2").write_bytes(b"\0\0" + fake("ghp_{alnum:36}").encode())
    result = run_scan(ScanOptions(target=str(tmp_path), honour_ignore=False, max_file_size=1000))
    reasons = " ".join(n.reason for n in result.notices)
    assert "larger than 1000" in reasons and "binary" in reasons
    assert result.findings == []


def test_unreadable_file_is_reported_not_fatal(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("x\n")
    secret.chmod(0)
    (tmp_path / "ok.env").write_text(f"GITHUB_TOKEN={fake('ghp_{alnum:36}')}\n")
    try:
        result = run_scan(ScanOptions(target=str(tmp_path), honour_ignore=False))
    finally:
        secret.chmod(0o600)
    assert _rules(result) == [("ok.env", "github-token")]
    if os.geteuid() != 0:  # root reads anything
        assert any("unreadable" in n.reason for n in result.notices)


def test_git_work_tree_uses_git_ignore_rules(repo: Path) -> None:
    (repo / ".gitignore").write_text("secrets/\n")
    (repo / "secrets").mkdir()
    (repo / "secrets" / "prod.env").write_text(f"TOKEN={fake('ghp_{alnum:36}')}\n")
    (repo / "app.env").write_text(f"SLACK={fake('xoxb-{digits:12}-{digits:13}-{alnum:24}')}\n")
    result = run_scan(ScanOptions(target=str(repo)))
    assert _rules(result) == [("app.env", "slack-token")]
    result = run_scan(ScanOptions(target=str(repo), honour_ignore=False))
    assert len(result.findings) == 2


def test_history_reports_each_secret_once_where_it_was_added(repo: Path) -> None:
    token = fake("ghp_{alnum:36}")
    (repo / "config.py").write_text("DEBUG = True\n")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "start", date="2024-01-01T10:00:00+00:00")
    (repo / "config.py").write_text(f"DEBUG = True\nTOKEN = '{token}'\n")
    git(repo, "commit", "-qam", "oops", date="2024-01-02T10:00:00+00:00")
    added = git(repo, "rev-parse", "HEAD")
    (repo / "config.py").write_text(f"DEBUG = False\nTOKEN = '{token}'\n")
    git(repo, "commit", "-qam", "edit another line", date="2024-01-03T10:00:00+00:00")
    (repo / "config.py").write_text("DEBUG = False\n")
    git(repo, "commit", "-qam", "remove", date="2024-01-04T10:00:00+00:00")
    # the tree is clean now; the history is not
    assert run_scan(ScanOptions(target=str(repo))).findings == []
    result = run_scan(ScanOptions(target=str(repo), mode="git"))
    assert [(f.rule_id, f.commit, f.path, f.line) for f in result.findings] == [
        ("github-token", added, "config.py", 2)
    ]
    assert result.findings[0].author_date and result.findings[0].author_date.startswith("2024-01-02")
    assert result.stats.commits == 4


def test_history_all_branches_and_since(repo: Path) -> None:
    (repo / "a.txt").write_text("a\n")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "a")
    base = git(repo, "rev-parse", "HEAD")
    git(repo, "checkout", "-qb", "feature")
    (repo / "b.env").write_text(f"KEY={fake('sk_live_{alnum:24}')}\n")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "b")
    git(repo, "checkout", "-q", "main")
    assert [f.rule_id for f in run_scan(ScanOptions(target=str(repo), mode="git")).findings] == ["stripe-secret-key"]
    assert run_scan(ScanOptions(target=str(repo), mode="git", branch="main")).findings == []
    since = run_scan(ScanOptions(target=str(repo), mode="git", since=base, branch="feature"))
    assert [f.path for f in since.findings] == ["b.env"]


def test_history_survives_a_broken_object(repo: Path) -> None:
    (repo / "a.env").write_text(f"TOKEN={fake('ghp_{alnum:36}')}\n")
    (repo / "b.txt").write_text("hello\n")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "x")
    blob = git(repo, "rev-parse", "HEAD:b.txt")
    obj = repo / ".git" / "objects" / blob[:2] / blob[2:]
    obj.chmod(0o644)
    obj.write_bytes(b"garbage")
    result = run_scan(ScanOptions(target=str(repo), mode="git"))
    assert [f.rule_id for f in result.findings] == ["github-token"]
    assert any("broken" in n.reason or "missing" in n.reason for n in result.notices)


def test_staged_reports_only_added_lines(repo: Path) -> None:
    old = fake("ghp_{alnum:36}", seed=1)
    new = fake("ghp_{alnum:36}", seed=2)
    (repo / "app.py").write_text(f"OLD = '{old}'\n")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "legacy")
    (repo / "app.py").write_text(f"OLD = '{old}'\nNEW = '{new}'\n")
    (repo / "unstaged.py").write_text(f"X = '{new}'\n")
    git(repo, "add", "app.py")
    result = run_scan(ScanOptions(target=str(repo), mode="staged"))
    assert [(f.path, f.line, f.secret) for f in result.findings] == [("app.py", 2, new)]
    (repo / "sub").mkdir()
    result = run_scan(ScanOptions(target=str(repo / "sub"), mode="staged"))
    assert [(f.path, f.line) for f in result.findings] == [("app.py", 2)]
