"""The in-process line diff of the history engine (sources/git_changes.py), and
the history scan's attribution through it, against real git repositories."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from secretwarden.scan.config import ScanOptions
from secretwarden.scan.runner import run_scan
from secretwarden.scan.sources import git_changes
from tests.scan.scan_helpers import commit, fake, git

_LINES = st.lists(st.sampled_from([b"", b"x", b"alpha beta gamma delta epsilon", b"password: hunter",
                                   b"a longer line that repeats in many files of a repository"]), max_size=80)


def _edit(lines: list[bytes], edits: list[tuple[int, int, bytes]]) -> list[bytes]:
    out = list(lines)
    for kind, where, text in edits:
        at = where % (len(out) + 1)
        if kind == 0 and out:
            del out[min(at, len(out) - 1)]
        elif kind == 1:
            out.insert(at, text)
        elif out:
            out[min(at, len(out) - 1)] += b"z"
    return out


@settings(max_examples=300, deadline=None)
@given(_LINES, st.lists(st.tuples(st.integers(0, 2), st.integers(0, 200), st.sampled_from([b"new 1", b"x", b""])),
                        max_size=6), st.booleans(), st.booleans())
def test_changed_runs_cover_every_difference_on_line_boundaries(
        lines: list[bytes], edits: list[tuple[int, int, bytes]], old_eol: bool, new_eol: bool) -> None:
    old = b"\n".join(lines) + (b"\n" if old_eol else b"")
    new = b"\n".join(_edit(lines, edits)) + (b"\n" if new_eol else b"")
    o = n = 0
    for o0, o1, n0, n1 in git_changes.changed_hunks(old, new):
        assert old[o:o0] == new[n:n0]  # between runs the versions are equal
        assert o <= o0 <= o1 and n <= n0 <= n1
        assert all(x == 0 or text[x - 1] == 10 for x, text in ((o0, old), (n0, new)))
        o, n = o1, n1
    assert old[o:] == new[n:]


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 20_000), st.integers(0, 20_000), st.integers(0, 20_000), st.integers(0, 255))
def test_common_head_and_tail_lengths_are_exact(size: int, where: int, extra: int, byte: int) -> None:
    """The searches for the first and last difference (chunks, halving, then the last few
    hundred bytes as one XOR) give exactly the common prefix and suffix lengths."""
    old = bytes((i * 7 + 3) % 251 for i in range(size))
    cut = where % (size + 1)
    new = old[:cut] + bytes((byte,)) * (extra % 3) + old[cut + (extra % 2):]
    head = next((i for i in range(min(len(old), len(new))) if old[i] != new[i]), min(len(old), len(new)))
    tail = next((i for i in range(min(len(old), len(new))) if old[-1 - i] != new[-1 - i]), min(len(old), len(new)))
    assert git_changes._forward(old, 0, len(old), new, 0, len(new)) == head
    assert git_changes._backward(old, 0, len(old), new, 0, len(new)) == tail


def test_a_block_added_beside_a_similar_block_is_added_whole() -> None:
    old = [b"- name: first", b"  user:", b"    name: someone", b"    state: present", b"end"]
    new = [*old[:4], b"- name: second", b"  user:", b"    name: someone", b"    state: present", b"end"]
    added, removed = git_changes.changed_lines(old, new)
    assert [new[j] for j in added] == new[4:8] and removed == []
    # lines that only move are not added: their text was already at this path
    assert git_changes.changed_lines([b"a", b"b"], [b"b", b"a"]) == ([], [])


def test_runs_far_apart_in_a_long_file_are_cut_apart() -> None:
    body = b"".join(b"line %d of the file\n" % i for i in range(3000))
    new = b"top\n" + body[:30000] + b"middle\n" + body[30000:] + b"bottom\n"
    hunks = git_changes.changed_hunks(body, new)
    assert len(hunks) == 3 and sum(n1 - n0 for _o0, _o1, n0, n1 in hunks) < 100



def _found(repo: Path) -> list[tuple[str, str | None, int]]:
    result = run_scan(ScanOptions(target=str(repo), mode="git", use_cache=False))
    return sorted((f.path, f.commit, f.line) for f in result.findings)


def test_a_cherry_pick_is_reported_on_every_branch_that_received_it(repo: Path) -> None:
    """Both commits carry the same blob pair at the same path: the pair is read once, reported twice."""
    commit(repo, {"app.py": "a = 1\n"}, "start")
    git(repo, "branch", "stable")
    leak = commit(repo, {"app.py": f"a = 1\nTOKEN = '{fake('ghp_{alnum:36}', seed=20)}'\n"}, "leak")
    git(repo, "checkout", "-q", "stable")
    git(repo, "cherry-pick", "-x", leak)
    picked = git(repo, "rev-parse", "HEAD")
    assert picked != leak
    assert _found(repo) == sorted([("app.py", leak, 2), ("app.py", picked, 2)])


def test_edits_at_both_ends_of_a_long_file_report_the_right_line(repo: Path) -> None:
    body = "".join(f"value_{i} = {i}\n" for i in range(4000))
    commit(repo, {"settings.py": body}, "start")
    lines = body.splitlines(keepends=True)
    lines.insert(2500, f"TOKEN = '{fake('ghp_{alnum:36}', seed=21)}'\n")
    leak = commit(repo, {"settings.py": "# top\n" + "".join(lines) + "# bottom\n"}, "edit")
    assert _found(repo) == [("settings.py", leak, 2502)]


def test_a_secret_moved_between_files_is_reported_where_it_first_appeared(repo: Path) -> None:
    token = fake("ghp_{alnum:36}", seed=22)
    first = commit(repo, {"a/config.py": f"NAME = 'svc'\nTOKEN = '{token}'\n", "b/other.py": "x = 1\n"}, "add")
    # one commit moves the line to another file and edits files that keep the common word 'svc'
    commit(repo, {"a/config.py": "NAME = 'svc'\n", "b/other.py": f"x = 1\nTOKEN = '{token}'\n"}, "move")
    assert _found(repo) == [("a/config.py", first, 2)]
    # a cached re-scan re-reads only the paths with findings, and still sees the move
    for _ in range(2):
        cached = run_scan(ScanOptions(target=str(repo), mode="git"))
        assert [(f.path, f.commit) for f in cached.findings] == [("a/config.py", first)]


def test_a_submodule_pointer_is_not_read_as_a_file(repo: Path, tmp_path: Path) -> None:
    sub = tmp_path / "sub"
    sub.mkdir()
    git(sub, "init", "-q", "-b", "main")
    commit(sub, {"README": "sub\n"}, "sub")
    commit(repo, {"README": "top\n"}, "top")
    subprocess.run(["git", "-C", str(repo), "-c", "protocol.file.allow=always", "submodule", "add", "-q",
                    str(sub), "vendor/sub"], check=True, capture_output=True)
    git(repo, "commit", "-qm", "submodule")
    result = run_scan(ScanOptions(target=str(repo), mode="git", use_cache=False))
    assert result.findings == [] and result.notices == []


def test_the_same_change_on_two_branches_is_read_once_and_given_to_both(repo: Path) -> None:
    """Identical changes (path and both blobs) are dealt out once; each commit still gets its
    findings and notices, and a cached re-scan still reports both."""
    start = commit(repo, {"app.py": "a = 1\n", "logo.bin": b"\0old"}, "start")
    git(repo, "branch", "stable")
    leak = commit(repo, {"app.py": f"a = 1\nTOKEN = '{fake('ghp_{alnum:36}', seed=23)}'\n",
                         "logo.bin": b"\0new"}, "leak")
    git(repo, "checkout", "-q", "stable")
    git(repo, "cherry-pick", "-x", leak)
    picked = git(repo, "rev-parse", "HEAD")
    for use_cache in (False, True, True):
        result = run_scan(ScanOptions(target=str(repo), mode="git", use_cache=use_cache))
        assert sorted((f.path, f.commit) for f in result.findings) == sorted([("app.py", leak), ("app.py", picked)])
        assert sorted((n.path, n.commit) for n in result.notices) == sorted(
            [("logo.bin", start), ("logo.bin", leak), ("logo.bin", picked)])


def test_same_changes_once_keeps_the_first_row_of_each_change() -> None:
    from secretwarden.scan.runner import _same_changes_once

    rows: list[tuple[str, str, str | None, str | None]] = [
        ("c1", "a.py", "o", "n"), ("c2", "a.py", "o", "n"), ("c3", "a.py", None, "n"), ("c4", "b.py", "o", "n"),
        ("c5", "a.py", "o", "n")]
    kept, copies = _same_changes_once(rows)
    assert kept == [rows[0], rows[2], rows[3]] and copies == {0: ("c2", "c5")}


def test_one_log_lists_what_the_commit_list_and_tree_diffs_list(repo: Path) -> None:
    """A scan with nothing cached lists commits and changes with one `git log --raw`: the same
    commits (merges included, in the same order) and the same changes as the batched way, for
    paths that start with the commit marker, hold newlines or spaces, a root commit and a merge."""
    from secretwarden.scan.sources import git as git_src

    commit(repo, {"\x01odd": "a\n", "dir/with space.txt": "b\n", "line\nbreak.py": "c\n"}, "root")
    git(repo, "branch", "side")
    commit(repo, {"dir/with space.txt": "b2\n", "new.py": "d\n"}, "main edit")
    git(repo, "checkout", "-q", "side")
    commit(repo, {"\x01odd": "a2\n"}, "side edit")
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "--no-edit", "side")
    (repo / "new.py").unlink()
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "delete")
    for revs, paths in ((["--all"], []), (["--all"], ["dir"])):
        errors: list[str] = []
        listed: list[tuple[str, str, bool]] = []
        changes: list[git_changes.Change] = []
        for got, found in git_changes.log_changes(repo, revs, paths, errors):
            listed += got
            changes += found
        expected = git_src.list_commits(repo, revs, paths)
        ordinary = [sha for sha, _date, merge in expected if not merge]
        assert errors == [] and listed == expected and any(merge for _sha, _date, merge in listed)
        assert sorted(changes) == sorted(git_changes.tree_changes(repo, ordinary, paths, errors))
    assert {c.path for c in changes} == {"dir/with space.txt"}


def test_a_log_read_in_small_blocks_parses_the_same(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tokens and a change's meta and path cut apart by block ends are put back together."""
    for i in range(5):
        commit(repo, {f"f{i}.py": f"x = {i}\n", "\x01f.txt": f"{i}\n"}, f"c{i}")
    whole: list[git_changes.Change] = []
    for _listed, found in git_changes.log_changes(repo, ["--all"], [], []):
        whole += found
    monkeypatch.setattr(git_changes, "_LOG_BLOCK", 7)
    pieces: list[git_changes.Change] = []
    for _listed, found in git_changes.log_changes(repo, ["--all"], [], []):
        pieces += found
    assert pieces == whole and len(whole) == 10


def test_a_broken_tree_sends_a_first_scan_back_to_commit_batches(repo: Path) -> None:
    """One `git log --raw` stops at an unreadable tree: the scan lists again in batches,
    which read around the broken commit, so every other commit's findings are still reported."""
    first = commit(repo, {"a.env": f"TOKEN={fake('ghp_{alnum:36}', seed=24)}\n"}, "first")
    broken = commit(repo, {"sub/x.txt": "hello\n"}, "adds a folder")
    tree = git(repo, "rev-parse", "HEAD:sub")
    last = commit(repo, {"c.env": f"TOKEN={fake('ghp_{alnum:36}', seed=25)}\n"}, "last")
    obj = repo / ".git" / "objects" / tree[:2] / tree[2:]
    obj.chmod(0o644)
    obj.write_bytes(b"garbage")
    errors: list[str] = []
    for _listed, _changes in git_changes.log_changes(repo, ["--all"], [], errors):
        pass
    assert errors  # the one-pass listing fails here...
    for use_cache in (False, True):
        result = run_scan(ScanOptions(target=str(repo), mode="git", use_cache=use_cache))
        assert sorted((f.path, f.commit) for f in result.findings) == [("a.env", first), ("c.env", last)]
        assert [(n.commit, "cannot read" in n.reason) for n in result.notices] == [(broken, True)]


def _long_history(repo: Path, n: int) -> None:
    """`n` commits on main (a few adding fake tokens) and a side branch merged back, through one
    `git fast-import` (a commit per `git commit` would take seconds)."""
    out: list[bytes] = []

    def data(text: str) -> None:
        raw = text.encode()
        out.append(b"data %d\n" % len(raw) + raw + b"\n")

    def one(mark: int, branch: str, parents: list[int], files: dict[str, str]) -> None:
        out.append(f"commit refs/heads/{branch}\nmark :{mark}\n"
                   f"committer T <t@example.org> {1_700_000_000 + mark * 60} +0000\n".encode())
        data(f"commit {mark}")
        for i, parent in enumerate(parents):
            out.append(f"{'from' if i == 0 else 'merge'} :{parent}\n".encode())
        for path, text in files.items():
            out.append(f"M 100644 inline {path}\n".encode())
            data(text)

    for mark in range(1, n + 1):
        token = f"TOKEN={fake('ghp_{alnum:36}', seed=300 + mark)}\n" if mark % 37 == 5 else ""
        one(mark, "main", [mark - 1] if mark > 1 else [], {f"f{mark % 7}.env": f"n = {mark}\n{token}"})
    one(n + 1, "side", [n // 2], {"side.env": f"TOKEN={fake('ghp_{alnum:36}', seed=299)}\n"})
    one(n + 2, "main", [n, n + 1], {"f0.env": "merged\n"})
    subprocess.run(["git", "-C", str(repo), "fast-import", "--quiet"], input=b"".join(out), check=True)


def _outcome(repo: Path, jobs: int) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    result = run_scan(ScanOptions(target=str(repo), mode="git", use_cache=False, jobs=jobs))
    return (sorted((f.path, f.line, f.rule_id, f.commit, f.fingerprint) for f in result.findings),
            sorted((n.path, n.reason, n.commit) for n in result.notices))


def test_a_long_history_listed_from_both_ends_scans_like_one_walk(repo: Path, monkeypatch: pytest.MonkeyPatch
                                                                   ) -> None:
    """A long history is listed by two walks at once (the newest commits here, the rest with
    `--skip` in a worker): the same commits, changes and findings as one walk in one process."""
    from secretwarden.scan import runner

    _long_history(repo, 160)
    one_walk = _outcome(repo, jobs=1)
    assert len(one_walk[0]) >= 5
    monkeypatch.setattr(runner, "_SPLIT_MIN_COMMITS", 40)  # split this short history
    monkeypatch.setattr(git_changes, "_LOG_BLOCK", 4096)  # several blocks: the cut falls inside one
    from secretwarden.scan.sources import git as git_src

    reads: list[bytes] = []
    real = git_src.refs_state

    def watched(path: Path) -> bytes:
        reads.append(real(path))
        return reads[-1]

    monkeypatch.setattr(git_src, "refs_state", watched)
    assert _outcome(repo, jobs=2) == one_walk
    assert len(reads) == 2  # read before and after the two walks: the listing was split
    errors: list[str] = []
    skipped = [sha for got, _changes in git_changes.log_changes(repo, ["--all"], [], errors, skip=48)
               for sha, _date, _merge in got]
    whole = git(repo, "log", "--all", "--full-history", "--format=%H").split()
    assert errors == [] and skipped == whole[48:]


def test_a_ref_moved_during_a_split_listing_is_listed_again(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two walks agree only on the same refs: when they moved in between, the listing is done
    the batched way instead (a push during the scan must not lose or double a commit)."""
    from secretwarden.scan import runner
    from secretwarden.scan.sources import git as git_src

    _long_history(repo, 160)
    one_walk = _outcome(repo, jobs=1)
    monkeypatch.setattr(runner, "_SPLIT_MIN_COMMITS", 40)
    monkeypatch.setattr(git_changes, "_LOG_BLOCK", 4096)
    calls: list[int] = []
    real = git_src.refs_state

    def moving(path: Path) -> bytes:  # a push between the two reads of the refs
        calls.append(1)
        return real(path) + (b"moved" if len(calls) > 1 else b"")

    monkeypatch.setattr(git_src, "refs_state", moving)
    assert _outcome(repo, jobs=2) == one_walk
    assert len(calls) == 2
