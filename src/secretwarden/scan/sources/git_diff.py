"""What each commit added, read from `git diff-tree --stdin --cc -U0` output.

The history scan never formats a log: worker processes each feed a batch of
commit ids to their own `git diff-tree` and read its patch stream in large
blocks. The detection prefilter runs over a whole block in one hyperscan call;
only the file sections where a candidate falls on an added line are parsed in
Python. So the Python cost follows the candidates, not the size of the history.

`--cc` makes a merge show only what it adds relative to *all* its parents: a
line typed while resolving a merge (an "evil merge") is marked `+` in every
parent column, a line taken from one side is not.
"""

from __future__ import annotations

import bisect
import re
import subprocess
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from secretwarden.scan.sources.git import widen_pipe

BLOCK = 8 << 20
# Each commit starts with a NUL and its id (`--format=%x00%H`): a literal
# first byte lets the regex engine skip ahead instead of trying every line.
_COMMIT_LINE = re.compile(rb"\x00([0-9a-f]{40}|[0-9a-f]{64})\n")
_SECTION = b"\ndiff --"
_HUNK_NEW_START = re.compile(rb"^@@+ (?:-\S+ )+\+(\d+)")
_BINARY = re.compile(rb"\nBinary files [^\n]* and (b/[^\n]*|/dev/null) differ\n")
_INDEX = re.compile(rb"^index ([0-9a-f,]+)\.\.([0-9a-f]+)", re.MULTILINE)
ZERO_IDS = frozenset({"0" * 40, "0" * 64})


def diff_command(repo: Path, paths: Sequence[str]) -> list[str]:
    # Explicit prefixes and no external/textconv drivers: a user's git config
    # (diff.noprefix, diff.external, textconv filters) must not change what we parse.
    cmd = ["git", "--literal-pathspecs", "-C", str(repo), "-c", "core.quotepath=off", "diff-tree", "--stdin", "--cc", "-U0",
           "-r", "--root", "--no-renames", "--no-color", "--full-index", "--no-ext-diff", "--no-textconv",
           "--src-prefix=a/", "--dst-prefix=b/", "--format=%x00%H"]
    return [*cmd, "--", *paths] if paths else cmd


@dataclass
class Section:
    """One file's change in one commit: the lines it added and the lines it removed."""

    commit: str
    path: str
    added: list[bytes] = field(default_factory=list)
    line_numbers: list[int] = field(default_factory=list)
    removed: list[bytes] = field(default_factory=list)

    def added_text(self) -> bytes:
        return b"\n".join(self.added) + b"\n" if self.added else b""


@dataclass(frozen=True)
class BinaryChange:
    commit: str
    path: str
    new_blob: str
    old_blob: str | None


def _unquote(raw: bytes) -> str:
    """A path as git prints it: C-quoted when it holds special characters."""
    text = raw.decode("utf-8", "surrogateescape")
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        body = text[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape")
        return body.encode("latin-1", "surrogateescape").decode("utf-8", "surrogateescape")
    return text


_SUBMODULE = re.compile(rb"\n(?:new file mode|index [0-9a-f.,]+) 160000(?:\n|$)")


def parse_section(commit: str, text: bytes) -> Section | None:
    """Parse one `diff --git`/`diff --cc` section; None for deletions, submodules and binary files."""
    hunks_at = text.find(b"\n@@")
    if hunks_at < 0:
        return None
    header = text[:hunks_at]
    plus = header.rfind(b"\n+++ ")
    if plus < 0 or _SUBMODULE.search(header):
        return None
    target = header[plus + 5:].split(b"\n", 1)[0]
    if target == b"/dev/null":
        return None
    path = _unquote(target)
    section = Section(commit, path[2:] if path.startswith("b/") else path)
    body = text[hunks_at + 1:]
    if text.startswith(b"diff --cc "):
        _parse_combined(section, body)
    else:
        _parse_unified(section, body)
    return section


def _parse_unified(section: Section, body: bytes) -> None:
    # Without context lines a hunk is one block: its removed lines, then its
    # added lines, which are consecutive in the new file from the header's +start.
    for hunk in body.split(b"\n@@"):
        header, _, rest = hunk.partition(b"\n")
        m = _HUNK_NEW_START.match(header if header.startswith(b"@@") else b"@@" + header)
        start = int(m.group(1)) if m else 0
        lines = rest.split(b"\n")
        added = [line[1:] for line in lines if line[:1] == b"+"]
        section.added.extend(added)
        section.line_numbers.extend(range(start, start + len(added)))
        section.removed.extend(line[1:] for line in lines if line[:1] == b"-")


def _parse_combined(section: Section, body: bytes) -> None:
    """A merge: a line is added when every parent column says `+` (in no parent)."""
    parents = 0
    line_no = 0
    for line in body.split(b"\n"):
        if line.startswith(b"@@"):
            parents = len(line) - len(line.lstrip(b"@")) - 1
            m = _HUNK_NEW_START.match(line)
            line_no = int(m.group(1)) if m else 0
            continue
        if not parents or not line or line[:1] == b"\\":
            continue
        prefix = line[:parents]
        if b"-" in prefix:
            section.removed.append(line[parents:])
            continue
        if prefix.count(b"+") == parents:
            section.added.append(line[parents:])
            section.line_numbers.append(line_no)
        line_no += 1


@dataclass
class Part:
    """A run of whole sections from the stream, with the commit each section belongs to."""

    data: bytes
    commit_at: list[tuple[int, str]]  # (offset of the commit line, commit id), ascending
    commit_before: str  # the commit of sections before the first commit line in `data`

    def __post_init__(self) -> None:
        self._commit_offsets = [pos for pos, _sha in self.commit_at]

    def commit_of(self, offset: int) -> str:
        i = bisect.bisect_right(self._commit_offsets, offset)
        return self.commit_at[i - 1][1] if i else self.commit_before

    def section_bounds(self, offset: int) -> tuple[int, int]:
        """Start and end of the section holding `offset` (ends at the next section or commit line)."""
        start = self.data.rfind(_SECTION, 0, offset) + 1
        end = self.data.find(_SECTION, offset)
        end = len(self.data) if end < 0 else end + 1
        i = bisect.bisect_right(self._commit_offsets, start)
        if i < len(self._commit_offsets) and self._commit_offsets[i] < end:
            end = self._commit_offsets[i]
        return start, end

    def removed_in_commit(self, offset: int, needle: bytes) -> bool:
        """Whether the commit holding `offset` removes a line containing `needle`
        anywhere (a file moved or split: the secret was there before)."""
        i = bisect.bisect_right(self._commit_offsets, offset)
        start = self._commit_offsets[i - 1] if i else 0
        end = self._commit_offsets[i] if i < len(self._commit_offsets) else len(self.data)
        pos = self.data.find(needle, start, end)
        while pos >= 0:
            line_start = self.data.rfind(b"\n", start, pos) + 1
            if self.data[line_start:line_start + 1] == b"-" and not self.data.startswith(b"--- ", line_start):
                return True
            pos = self.data.find(needle, pos + 1, end)
        return False

    def binaries(self) -> Iterator[BinaryChange]:
        for m in _BINARY.finditer(self.data):
            if m.group(1) == b"/dev/null":
                continue  # deleted
            start, _end = self.section_bounds(m.start() + 1)
            index = _INDEX.search(self.data, start, m.start())
            if index is None:
                continue
            olds = [o for o in index.group(1).decode().split(",") if o not in ZERO_IDS]
            yield BinaryChange(self.commit_of(m.start()), _unquote(m.group(1))[2:],
                               index.group(2).decode(), olds[0] if olds else None)



class FedGit:
    """A git command that reads commit ids on its stdin (`diff-tree --stdin`).

    One thread writes the ids and another drains stderr, so neither pipe fills
    up and blocks git while the caller reads stdout; `finish` waits for git and
    turns a failure into one line of `errors`."""

    def __init__(self, cmd: list[str], commits: Sequence[str]) -> None:
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert self.proc.stdin is not None and self.proc.stdout is not None and self.proc.stderr is not None
        widen_pipe(self.proc.stdout.fileno())
        self.stdout = self.proc.stdout
        stdin, stderr = self.proc.stdin, self.proc.stderr
        self._err: list[bytes] = []

        def feed() -> None:
            try:
                stdin.write(b"".join(c.encode() + b"\n" for c in commits))
                stdin.close()
            except OSError:
                pass  # git stopped reading (it failed): its exit code says why

        self._writer = threading.Thread(target=feed, daemon=True)
        self._drain = threading.Thread(target=lambda: self._err.append(stderr.read()), daemon=True)
        self._writer.start()
        self._drain.start()

    def finish(self, errors: list[str]) -> None:
        self._writer.join(timeout=5)
        self.stdout.close()
        code = self.proc.wait()
        self._drain.join(timeout=5)
        if code != 0:
            text = b"".join(self._err).decode("utf-8", "replace").strip()
            errors.append(text.splitlines()[0] if text else f"git diff-tree exited with {code}")

    def stop(self) -> None:
        """End git before its output is read to the end (the caller has what it wanted)."""
        self.proc.kill()
        self.stdout.close()
        self.proc.wait()
        self._writer.join(timeout=5)
        self._drain.join(timeout=5)

def read_parts(repo: Path, commits: Sequence[str], paths: Sequence[str], errors: list[str],
               oversized: list[tuple[str, str]] | None = None, limit: int = 64 << 20) -> Iterator[Part]:
    """Stream the patches of `commits` as Parts cut at section boundaries.

    A single file change whose patch text exceeds `limit` bytes is dropped
    (its (commit, path) goes to `oversized`) so memory stays bounded."""
    git = FedGit(diff_command(repo, paths), commits)
    stdout = git.stdout
    commit = ""
    carry = b""
    skipping = False
    try:
        while True:
            block = stdout.read(BLOCK)
            if skipping:  # inside an oversized section: resume at the next section or commit
                ends = [i for i in (block.find(_SECTION), block.find(b"\n\x00")) if i >= 0]
                if block and not ends:
                    continue
                skipping = False
                block = block[min(ends) + 1:] if ends else block
            data = carry + block if carry else block
            if not block:
                if data:
                    yield _part(data, commit)
                break
            cut = data.rfind(_SECTION)
            if cut <= 0:
                if len(data) > limit:
                    if oversized is not None:
                        oversized.append((commit, _section_path(data)))
                    carry, skipping = b"", True
                    continue
                carry = data  # one section longer than a block: keep reading
                continue
            part = _part(data[:cut + 1], commit)
            if part.commit_at:
                commit = part.commit_at[-1][1]
            carry = data[cut + 1:]
            yield part
    finally:
        git.finish(errors)


def _section_path(data: bytes) -> str:
    plus = data.find(b"\n+++ ", 0, 1 << 16)
    if plus >= 0:
        path = _unquote(data[plus + 5:].split(b"\n", 1)[0])
        return path[2:] if path.startswith("b/") else path
    return _unquote(data[:200].split(b"\n", 1)[0].rsplit(b" b/", 1)[-1])


def _part(data: bytes, commit: str) -> Part:
    return Part(data, [(m.start(), m.group(1).decode()) for m in _COMMIT_LINE.finditer(data)], commit)
