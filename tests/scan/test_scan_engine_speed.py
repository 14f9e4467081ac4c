"""What the engine's speed work must not change: cached databases, remembered lines,
long-line columns, base64 runs longer than the first look, one lstat per listed file."""

from __future__ import annotations

import base64
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from secretwarden.paths import cache_dir
from secretwarden.scan import decode
from secretwarden.scan.engine import MAX_LINE, Engine, _char_offsets
from secretwarden.scan.sources.files import iter_files
from tests.scan.scan_helpers import fake


def _cached_databases() -> list[Path]:
    return sorted((cache_dir() / "scan").glob("*.hsdb"))


def test_compiled_databases_are_cached_private_and_found_again() -> None:
    token = fake("ghp_{alnum:36}")
    first = Engine().scan(f"token = '{token}'\n".encode(), "a.py").findings
    files = _cached_databases()
    assert len(files) == 3  # the rules' databases (every kind of file; code) and the base64 runs' one
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in files)
    stamps = [p.stat().st_mtime_ns for p in files]
    again = Engine().scan(f"token = '{token}'\n".encode(), "a.py").findings
    assert [p.stat().st_mtime_ns for p in _cached_databases()] == stamps  # read, not rewritten
    assert [f.secret for f in again] == [f.secret for f in first] == [token]


def test_a_tampered_cached_database_is_compiled_again() -> None:
    Engine()
    for path in _cached_databases():
        data = bytearray(path.read_bytes())
        data[-40] ^= 0xFF  # a flipped byte inside the database: the MAC no longer verifies
        path.write_bytes(bytes(data))
    token = fake("ghp_{alnum:36}")
    [finding] = Engine().scan(f"token = '{token}'\n".encode(), "a.py").findings
    assert finding.secret == token


def test_remembered_lines_give_what_a_fresh_engine_gives() -> None:
    """The same line in files of different kinds, and again in a second file of one kind."""
    lines = [f'password = "{fake("{alnum:14}", 1)}"', f"SECRET_KEY={fake('{alnum:40}', 2)}",
             f"api_key: {fake('{alnum:32}', 3)}", "token = tokenizer.encode(text)"]
    body = ("\n".join(lines) + "\n").encode()
    shared = Engine()
    for name in ["a.py", "b.py", ".env", "c.md", "locales/de/app.json", "d.yaml", "a.py"]:
        remembered = shared.scan(body, name).findings
        fresh = Engine().scan(body, name).findings
        assert remembered == fresh, name


def test_long_non_ascii_line_keeps_exact_columns() -> None:
    token = fake("ghp_{alnum:36}")
    head = "é€" * 30000  # non-ASCII, and long enough to be read in windows
    line = f"{head} x = '{token}' " + "ü" * 10
    assert len(line.encode()) > MAX_LINE
    [finding] = Engine().scan(line.encode(), "bundle.js").findings
    assert finding.column == line.index(token) + 1


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300), st.data())
def test_character_offsets_match_a_prefix_decode(segment: bytes, data: st.DataObject) -> None:
    offsets = data.draw(st.sets(st.integers(0, len(segment)), max_size=8))
    got = _char_offsets(segment, offsets)
    assert got == {o: len(segment[:o].decode("utf-8", "replace")) for o in offsets}


def test_base64_runs_longer_than_the_first_look_are_whole() -> None:
    for size in (100, 190, 191, 192, 193, 400, 3000):
        text = (f"user=admin password={fake('{alnum:20}', size)} " + "word " * size)[:size].encode()
        token = base64.b64encode(text)
        buf = b'data: "' + token + b'"\n'
        end = buf.index(token) + len(token) + 1  # where the prefilter reports: after the closing quote
        found = decode.base64_at(buf, end)
        assert found is not None, size
        assert found == (buf.index(token), text), size


def test_listing_skips_links_and_special_files(tmp_path: Path) -> None:
    (tmp_path / "real.txt").write_text("x = 1\n")
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "link.txt").symlink_to(tmp_path / "real.txt")
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "inner.py").write_text("y = 2\n")
    (tmp_path / "dir-link").symlink_to(tmp_path / "dir")
    os.mkfifo(tmp_path / "pipe")
    listed = [i.path for i in iter_files(tmp_path, honour_ignore=False, max_size=1 << 20, allow_spec=None,
                                         notices=[])]
    assert sorted(listed) == ["dir/inner.py", "real.txt"]


_KEYISH = st.text(alphabet=st.sampled_from(list("apsswordtokenKEYSecret_.$@-=:\"'` ()[]<>é0")), max_size=80)


@settings(max_examples=300, deadline=None)
@given(_KEYISH)
def test_assignment_search_is_finditer(text: str) -> None:
    from secretwarden.scan.rules import generic

    def spans(matches: Iterator[re.Match[str]]) -> list[tuple[tuple[int, int], dict[str, str | None]]]:
        return [(m.span(), m.groupdict()) for m in matches]

    assert spans(generic._assignments(text)) == spans(generic._ASSIGN.finditer(text))


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("PASSWORDpasswordIdentifiedconvertTo-SecureString é")), max_size=60))
def test_folded_statement_gate_is_the_caseless_one(text: str) -> None:
    from secretwarden.scan.rules import generic

    folded = text.lower() if text.isascii() else None
    expected = generic._STATEMENT_WORDS.search(text) is not None
    assert generic._gate_holds(generic._STATEMENT_WORDS, text, folded) == expected
