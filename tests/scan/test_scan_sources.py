"""Sources against real files and real git repositories in temporary directories."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from secretwarden.scan.config import ScanOptions
from secretwarden.scan.model import Notice
from secretwarden.scan.runner import run_scan
from secretwarden.scan.sources.files import iter_files
from tests.scan.scan_helpers import commit, fake, git, run_warden


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
    # image.png is listed: binary content is judged from its bytes by the scanner
    assert got == [".gitignore", "image.png", "sub/.gitignore", "sub/kept.txt"]
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
    (repo / "b.txt").unlink()  # else git reads the intact work-tree copy instead
    (repo / "c.env").write_text(f"TOKEN={fake('ghp_{alnum:36}', seed=3)}\n")
    git(repo, "add", "c.env")
    git(repo, "commit", "-qm", "later")
    result = run_scan(ScanOptions(target=str(repo), mode="git"))
    assert sorted(f.path for f in result.findings) == ["a.env", "c.env"]
    assert any("cannot read" in n.reason for n in result.notices)


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


# --- history engine: paths, refs, merges, cache ------------------------------------------------



def _git_scan(repo: Path, **kw: object) -> list[tuple[str, str | None, str]]:
    result = run_scan(ScanOptions(target=str(repo), mode="git", use_cache=False, **kw))  # type: ignore[arg-type]
    return sorted((f.path, f.commit, f.rule_id) for f in result.findings)


def test_history_finds_every_rule_example_like_the_tree_scan(repo: Path) -> None:
    """Only added lines are read from history, prefiltered in the raw patch:
    each rule's own examples must be found there exactly as in the files."""
    from secretwarden.scan.rules import all_rules

    files = {f"examples/{rule.id}.txt": "".join(fake(t, seed=4) + "\n" for t in rule.must_match)
             for rule in all_rules() if rule.must_match}
    commit(repo, {"README": "x\n"}, "start")
    commit(repo, files, "examples")
    tree = run_scan(ScanOptions(target=str(repo), honour_ignore=False))
    history = run_scan(ScanOptions(target=str(repo), mode="git", use_cache=False))
    assert tree.findings
    assert sorted((f.path, f.line, f.rule_id) for f in history.findings) == sorted(
        (f.path, f.line, f.rule_id) for f in tree.findings)


def test_git_paths_restrict_history(repo: Path) -> None:
    commit(repo, {"svc/a/app.env": f"TOKEN={fake('ghp_{alnum:36}', seed=1)}\n",
                   "svc/b/app.env": f"TOKEN={fake('ghp_{alnum:36}', seed=2)}\n",
                   "gone/old.env": f"TOKEN={fake('ghp_{alnum:36}', seed=3)}\n"}, "all")
    git(repo, "rm", "-rq", "gone")
    git(repo, "commit", "-qm", "drop gone")
    assert [p for p, _, _ in _git_scan(repo, paths=(str(repo / "svc" / "a"),))] == ["svc/a/app.env"]
    # a path that exists only in history, given relative to the current directory
    proc = run_warden("scan", "--git", "gone", "svc/b", "--format", "json", "--no-cache", cwd=repo)
    assert proc.returncode == 1, proc.stderr
    import json

    assert sorted(f["path"] for f in json.loads(proc.stdout)["findings"]) == ["gone/old.env", "svc/b/app.env"]
    outside = run_warden("scan", "--git", ".", str(repo.parent), cwd=repo)
    assert outside.returncode == 2 and b"outside the repository" in outside.stderr


def test_since_covers_every_ref_not_reachable_from_rev(repo: Path) -> None:
    commit(repo, {"a.txt": "a\n"}, "a")
    old = commit(repo, {"old.env": f"KEY={fake('sk_live_{alnum:24}', seed=1)}\n"}, "before")
    git(repo, "checkout", "-qb", "feature")
    side = commit(repo, {"side.env": f"KEY={fake('sk_live_{alnum:24}', seed=2)}\n"}, "side")
    git(repo, "checkout", "-q", "main")
    new = commit(repo, {"new.env": f"KEY={fake('sk_live_{alnum:24}', seed=3)}\n"}, "after")
    got = _git_scan(repo, since=old)
    assert [(p, c) for p, c, _ in got] == sorted([("new.env", new), ("side.env", side)])
    assert [p for p, _, _ in _git_scan(repo, since=old, branch="main")] == ["new.env"]
    bad = run_warden("scan", "--git", "--since", "no-such-rev", str(repo))
    assert bad.returncode == 2 and b"no such commit" in bad.stderr


def test_evil_merge_is_found_and_clean_merges_report_nothing_twice(repo: Path) -> None:
    commit(repo, {"app.py": "a = 1\nb = 2\n"}, "start")
    git(repo, "checkout", "-qb", "side")
    side = commit(repo, {"app.py": f"a = 1\nb = 2\nSIDE = '{fake('ghp_{alnum:36}', seed=1)}'\n"}, "side")
    git(repo, "checkout", "-q", "main")
    commit(repo, {"app.py": "z = 0\na = 1\nb = 2\n"}, "main edit")
    subprocess_env_merge = ["merge", "-q", "--no-ff", "--no-commit", "side"]
    git(repo, *subprocess_env_merge)
    evil = fake("xoxb-{digits:12}-{digits:13}-{alnum:24}", seed=2)
    merged = (repo / "app.py").read_text() + f"EVIL = '{evil}'\n"
    merge = commit(repo, {"app.py": merged}, "merge side")
    assert _git_scan(repo) == sorted([("app.py", side, "github-token"), ("app.py", merge, "slack-token")])


def test_cached_rescan_reads_only_new_commits_and_reports_the_same(repo: Path) -> None:
    for i in range(5):
        commit(repo, {f"f{i}.txt": f"line {i}\n"}, f"c{i}")
    token = fake("ghp_{alnum:36}", seed=5)
    leak = commit(repo, {"leak.env": f"TOKEN={token}\n"}, "leak")
    env = {"WARDEN_SCAN_DEBUG": "1"}
    first = run_warden("scan", "--git", str(repo), "--format", "json", env=env)
    assert b"6 commits in range, 0 from the cache" in first.stderr
    for i in range(3):
        commit(repo, {f"g{i}.txt": f"more {i}\n"}, f"d{i}")
    second = run_warden("scan", "--git", str(repo), "--format", "json", env=env)
    # the 5 clean commits are skipped; the leak (a commit with a finding) is read again, at its path only
    assert b"9 commits in range, 5 from the cache, 3 read, 1 read again at 1 paths" in second.stderr
    import json

    assert [f["commit"] for f in json.loads(second.stdout)["findings"]] == [leak]
    assert json.loads(second.stdout)["findings"] == json.loads(first.stdout)["findings"]
    for proc in (first, second):  # the canary: the value appears in no output and no cache file
        assert token.encode() not in proc.stdout + proc.stderr
    cache = Path(os.environ["WARDEN_CACHE_DIR"])
    assert all(token.encode() not in f.read_bytes() for f in cache.rglob("*") if f.is_file())


def test_tampered_cache_is_a_miss_never_a_skip(repo: Path) -> None:
    import os

    commit(repo, {"a.txt": "a\n"}, "a")
    leak = commit(repo, {"leak.env": f"TOKEN={fake('ghp_{alnum:36}', seed=6)}\n"}, "leak")
    run_scan(ScanOptions(target=str(repo), mode="git"))
    cache_files = list((Path(os.environ["WARDEN_CACHE_DIR"]) / "scan-history").glob("*.commits"))
    assert len(cache_files) == 1
    raw = cache_files[0].read_bytes()
    assert b'"clean":["' + leak.encode() not in raw  # a commit with a finding is never recorded clean
    # an attacker marks the leak clean, or points its re-check at another path
    for forged in (raw.replace(b'"clean":["', b'"clean":["' + leak.encode() + b'","'),
                   raw.replace(b'["leak.env"]', b'["a.txt"]')):
        assert forged != raw
        cache_files[0].write_bytes(forged)
        result = run_scan(ScanOptions(target=str(repo), mode="git"))
        assert [f.commit for f in result.findings] == [leak]
    cache_files[0].write_bytes(b"garbage")
    assert [f.commit for f in run_scan(ScanOptions(target=str(repo), mode="git")).findings] == [leak]


# --- the same notices from every source ---------------------------------------------------


def test_undecodable_bytes_are_reported_the_same_way_in_every_mode(repo: Path) -> None:
    data = b"caf\xe9 = 1\ntoken = " + fake("ghp_{alnum:36}", seed=7).encode() + b"\n"
    commit(repo, {"README": "x\n"}, "start")
    (repo / "latin1.txt").write_bytes(data)
    git(repo, "add", "latin1.txt")
    staged = run_scan(ScanOptions(target=str(repo), mode="staged"))
    git(repo, "commit", "-qm", "latin1")
    tree = run_scan(ScanOptions(target=str(repo)))
    history = run_scan(ScanOptions(target=str(repo), mode="git", use_cache=False))
    stdin = run_scan(ScanOptions(mode="stdin", stdin_name="latin1.txt"), stdin_data=data)
    for result in (tree, history, staged, stdin):
        assert [f.rule_id for f in result.findings] == ["github-token"]
        assert [(n.path, n.reason) for n in result.notices] == [
            ("latin1.txt", "not valid UTF-8: scanned with undecodable bytes replaced")]


def test_directory_and_single_file_treat_binary_and_skipped_files_the_same(tmp_path: Path) -> None:
    token = fake("ghp_{alnum:36}", seed=8)
    (tmp_path / "image.png").write_bytes(b"\x89PNG\0\0" + token.encode())
    (tmp_path / "export.dat").write_text(f"token = {token}\n")  # a "binary" extension holding text
    (tmp_path / "big.txt").write_text(f"token = {token}\n" + "a" * 5000)
    whole = run_scan(ScanOptions(target=str(tmp_path), honour_ignore=False, max_file_size=1000))
    assert [f.path for f in whole.findings] == ["export.dat"]
    assert sorted((n.path, n.reason.split(":")[0]) for n in whole.notices) == [
        ("big.txt", "larger than 1000 bytes"), ("image.png", "binary content (NUL bytes)")]
    for name in ("image.png", "export.dat", "big.txt"):
        single = run_scan(ScanOptions(target=str(tmp_path / name), honour_ignore=False, max_file_size=1000))
        expect_f = [f.rule_id for f in whole.findings if f.path == name]
        expect_n = [n.reason for n in whole.notices if n.path == name]
        assert [f.rule_id for f in single.findings] == expect_f
        assert [n.reason for n in single.notices] == expect_n


def test_history_judges_binary_by_content_not_by_attributes(repo: Path) -> None:
    token = fake("ghp_{alnum:36}", seed=9)
    commit(repo, {".gitattributes": "*.env -diff\n", "blob.bin": b"\0\x01binary\n"}, "attrs")
    leak = commit(repo, {"prod.env": f"TOKEN={token}\n"}, "leak behind -diff")
    result = run_scan(ScanOptions(target=str(repo), mode="git", use_cache=False))
    assert [(f.path, f.commit) for f in result.findings] == [("prod.env", leak)]
    assert [(n.path, n.reason) for n in result.notices] == [("blob.bin", "binary content (NUL bytes): skipped")]


def test_a_moved_file_does_not_report_its_secrets_again(repo: Path) -> None:
    token = fake("ghp_{alnum:36}", seed=10)
    added = commit(repo, {"old/settings.py": f"DEBUG = 1\nTOKEN = '{token}'\n"}, "add")
    git(repo, "mv", "old", "new")
    git(repo, "commit", "-qm", "move")
    (repo / "new" / "copy.py").write_text(f"TOKEN = '{token}'\n")
    copied = commit(repo, {}, "copy without removing")
    assert _git_scan(repo) == sorted([("new/copy.py", copied, "github-token"),
                                      ("old/settings.py", added, "github-token")])


def test_an_oversized_change_is_skipped_with_a_notice_and_memory_stays_bounded(
        repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import re

    from secretwarden.scan.sources import git_diff

    first = commit(repo, {"big.txt": "".join(f"line {i} of filler text\n" for i in range(5000)),
                           "small.env": f"TOKEN={fake('ghp_{alnum:36}', seed=11)}\n"}, "big")
    second = commit(repo, {"other.env": f"TOKEN={fake('ghp_{alnum:36}', seed=12)}\n"}, "later")
    monkeypatch.setattr(git_diff, "BLOCK", 4096)
    oversized: list[tuple[str, str]] = []
    errors: list[str] = []
    seen = []
    for part in git_diff.read_parts(repo, [second, first], [], errors, oversized, limit=20_000):
        assert len(part.data) < 20_000 + 4096
        seen += [(part.commit_of(m.start()), m.group(1).decode()) for m in re.finditer(rb"\n\+\+\+ b/(\S+)", part.data)]
    assert errors == [] and oversized == [(first, "big.txt")]
    assert sorted(seen) == sorted([(second, "other.env"), (first, "small.env")])


def test_history_reuse_never_crosses_rule_selections(repo: Path) -> None:
    commit(repo, {"app.env": f"TOKEN={fake('ghp_{alnum:36}', seed=13)}\n"}, "leak")
    assert [r for _, _, r in _git_scan(repo)] == ["github-token"]
    assert "github-token" not in [r for _, _, r in _git_scan(repo, disabled_rules=frozenset({"github-token"}))]
    assert [r for _, _, r in _git_scan(repo)] == ["github-token"]


def test_scans_of_different_paths_keep_their_own_cache(repo: Path) -> None:
    commit(repo, {"a/x.txt": "x\n", "b/y.txt": "y\n"}, "one")
    commit(repo, {"a/x.txt": "x2\n"}, "two")
    env = {"WARDEN_SCAN_DEBUG": "1"}
    for _ in range(2):
        run_warden("scan", "--git", str(repo), env=env)
        run_warden("scan", "--git", str(repo / "a"), env=env)
    whole = run_warden("scan", "--git", str(repo), env=env)
    part = run_warden("scan", "--git", str(repo / "a"), env=env)
    assert b"2 commits in range, 2 from the cache" in whole.stderr
    assert b"2 commits in range, 2 from the cache" in part.stderr
