"""The history engine's batched prefilter and what it skips (runner.py):
many file changes share one hyperscan pass, base64 runs that cannot decode to
a finding are not candidates, and a file moved whole is not read again."""

from __future__ import annotations

import base64
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from pytest import MonkeyPatch

from secretwarden.scan import runner
from secretwarden.scan.config import ScanOptions
from secretwarden.scan.engine import get_engine
from secretwarden.scan.runner import run_scan
from secretwarden.scan.sources import git_changes
from tests.scan.scan_helpers import commit, fake, git


def _encoded_token(seed: int) -> str:
    """Base64 of a line holding a fake token: found only once decoded."""
    return base64.b64encode(f"export TOKEN={fake('ghp_{alnum:36}', seed=seed)}".encode()).decode()


def _pieces() -> st.SearchStrategy[bytes]:
    words = [b"password = 'x'", b"name: value", b"x" * 30, _encoded_token(40).encode(), b"%2Fa%2Fb",
             b"id_" + b"a1B2" * 8, b"\n", b" ", b"\"", b"=", b"", fake("ghp_{alnum:36}", seed=41).encode()]
    return st.lists(st.sampled_from(words), max_size=12).map(b"".join)


def _lines(text: bytes, ends: set[int] | list[int]) -> set[int]:
    """The lines candidates fall on, the way `added_section` reads them (a match may
    end after the newline it took: it still belongs to the line before)."""
    return {text.rfind(b"\n", 0, max(0, e - 1)) + 1 for e in ends}


def _expected(text: bytes, path: str) -> set[int]:
    """The lines one prefilter call on this change alone points at (the unbatched reading)."""
    engine = get_engine()
    ends, runs = engine.prefilter(text)
    keep = runner._keeps_runs(path, text)
    return _lines(text, set(ends) | {e for e in runs if keep or engine.run_may_find(text, e)})


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_pieces(), st.sampled_from(["a.py", "b.ipynb", "c.yaml"])), min_size=1, max_size=8))
def test_one_pass_over_a_batch_keeps_every_candidate_of_each_change(items: list[tuple[bytes, str]]) -> None:
    batch = [runner._Pending(git_changes.Change("c", path, None, "n"), b"", text, [], text, [0])
             for text, path in items]
    runner._prefilter_batch(get_engine(), batch)
    for (text, path), pending in zip(items, batch, strict=True):
        # `$` holds only at the end of the whole batch: a match may end one byte later, on the same
        # line; a match running across two changes may only add a candidate
        assert _expected(text, path) <= _lines(text, pending.ends)
        assert all(0 <= e <= len(text) for e in pending.ends)


def test_a_run_is_a_candidate_only_when_its_decoded_text_could_hold_a_finding() -> None:
    engine = get_engine()
    identifier = b"x = call(a_rather_long_function_name_v2)\n"
    plain = b"note = '" + base64.b64encode(b"nothing but plain words here, 42 of them") + b"'\n"
    encoded = f"blob = '{_encoded_token(42)}'\n".encode()
    for text in (identifier, plain):
        _ends, runs = engine.prefilter(text)
        assert runs and not any(engine.run_may_find(text, e) for e in runs)
    _ends, runs = engine.prefilter(encoded)
    assert any(engine.run_may_find(encoded, e) for e in runs)


def test_a_secret_at_the_end_of_a_file_without_newline_is_found_inside_a_batch(repo: Path) -> None:
    """The last run of a change ends without a newline: its candidate must stay with it, not
    slide to the next change of the batch."""
    files: dict[str, str | bytes] = {f"m{i}.py": f"value = {i}\n" for i in range(6)}
    commit(repo, files, "start")
    edited: dict[str, str | bytes] = {f"m{i}.py": f"value = {i}\nblob = {_encoded_token(43 + i)}" for i in range(6)}
    leak = commit(repo, edited, "edit")
    found = run_scan(ScanOptions(target=str(repo), mode="git", use_cache=False)).findings
    assert sorted((f.path, f.commit, f.line, f.decoded) for f in found) == [
        (f"m{i}.py", leak, 2, "base64") for i in range(6)]


def test_a_file_moved_whole_is_not_read_again(repo: Path) -> None:
    """A move is a delete and an add of the same blob in one commit: nothing in it is new.
    Decoded values (which a substring test of the old file cannot recognise) and binary
    files included: they are reported and noted where they first appeared."""
    first = commit(repo, {"a/config.py": f"NAME = 'svc'\nBLOB = '{_encoded_token(50)}'\n",
                           "a/logo.bin": b"\x00\x01binary" * 10}, "add")
    git(repo, "mv", "a", "b")
    git(repo, "commit", "-qm", "move")
    result = run_scan(ScanOptions(target=str(repo), mode="git", use_cache=False))
    assert [(f.path, f.commit, f.decoded) for f in result.findings] == [("a/config.py", first, "base64")]
    assert [(n.path, n.commit) for n in result.notices] == [("a/logo.bin", first)]


def test_findings_do_not_depend_on_how_the_changes_are_shared_out(repo: Path, monkeypatch: MonkeyPatch) -> None:
    """Two worker processes, each file's chain of versions cut across shares: the
    same findings, notices and attribution as one process reading everything."""
    for i in range(40):
        text = "".join(f"v{j} = {j}\n" for j in range(i + 1))
        if i % 9 == 4:
            text += f"TOKEN = '{fake('ghp_{alnum:36}', seed=60 + i)}'\n"
        files: dict[str, str | bytes] = {f"f{i % 7}.py": text}
        if i % 13 == 5:
            files[f"bin{i}.dat"] = b"\x00" * 20
        commit(repo, files, f"c{i}")
    git(repo, "mv", "f1.py", "g1.py")
    git(repo, "commit", "-qm", "move")

    def scan(jobs: int) -> tuple[list[tuple[str, str | None, int]], list[tuple[str, str | None, str]]]:
        result = run_scan(ScanOptions(target=str(repo), mode="git", use_cache=False, jobs=jobs))
        return (sorted((f.path, f.commit, f.line) for f in result.findings),
                sorted((n.path, n.commit, n.reason) for n in result.notices))

    alone = scan(1)
    monkeypatch.setattr(runner, "_SHARE_MIN_ROWS", 1)
    monkeypatch.setattr(runner, "_PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(runner, "_BATCH_CHANGES", 3)
    assert scan(2) == alone
    assert len(alone[0]) == 4 and len(alone[1]) == 3
