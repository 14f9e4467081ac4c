"""What each ordinary commit changed, as blob pairs, and the lines a change
added, found in-process instead of by `git diff`.

Most of what `git log -p` costs is diffing: reading both versions of every
changed file and aligning their lines, for every file change of a history. A
scanner needs far less: the added text only where it could hold a secret. So
the runs where two versions differ are found with memory compares and
substring searches (`changed_hunks`), their new side is prefiltered in one
hyperscan call by the caller, and only a run with a candidate on a line the
parent did not have is split into lines and aligned (`added_section`).

An added line is a line of a run's new side that a diff would mark `+`, minus
lines that only moved within the run: text that was already at this path in
the parent is not newly introduced.

Merges are not read here (their "added" lines are those in no parent: see
`git_diff`, which asks git for combined diffs of just the merge commits).
"""

from __future__ import annotations

import bisect
from collections.abc import Generator, Sequence
from pathlib import Path
from typing import NamedTuple

from secretwarden.scan.sources.git_diff import FedGit, Section

_ZEROS = frozenset({b"0" * 40, b"0" * 64})
_GITLINK = b"160000"
_CHUNK = 4096
_FINE = 256  # bytes: where the search for a first difference stops halving (ansible's pairs: -15 % CPU)
_ALIGN_MAX_LINES = 600
_SPLIT_MIN = 512  # bytes: smaller regions are not worth cutting
_SPLIT_DEPTH = 48
_PROBE = 48  # bytes at least: a probe of a line or two


class Change(NamedTuple):
    """One path changed by one commit; `old` is None for a new file, `new` for a deletion.
    A tuple: ~200,000 of them are made, sent between processes and compared per scan."""

    commit: str
    path: str
    old: str | None
    new: str | None


def tree_changes(repo: Path, commits: Sequence[str], paths: Sequence[str], errors: list[str]) -> list[Change]:
    """Every file change of `commits` (ordinary commits: one parent or none), from tree diffs only."""
    cmd = ["git", "--literal-pathspecs", "-C", str(repo), "diff-tree", "--stdin", "-r", "-z", "--root",
           "--no-renames", "--no-abbrev", "--no-ext-diff", "--format=%H"]
    if paths:
        cmd += ["--", *paths]
    git = FedGit(cmd, commits)
    raw = git.stdout.read()
    git.finish(errors)
    return parse_raw(raw)


_LOG_BLOCK = 4 << 20


def log_changes(repo: Path, revs: Sequence[str], paths: Sequence[str], errors: list[str], *, skip: int = 0
                ) -> Generator[tuple[list[tuple[str, str, bool]], list[Change]], None, None]:
    """The commits in range, as `git.list_commits` gives them, and the file changes of
    the ordinary ones, from one `git log --raw` (merges list no changes: see `git_diff`).

    For a scan with nothing cached: one walk of the history lists the commits and diffs
    their trees (ansible: 3.2 s of git CPU against 4.1 s for `git log` then `diff-tree
    --stdin`). Yields whole commits a block at a time, so a caller can start work (and
    fork workers) before the end; a failure goes to `errors` (git stops at a broken object).
    The changes of a block's last commit come with the next block: a caller that closes
    the generator early has every change of all but the last commit listed (git is
    stopped, no error). `skip`: the walk's first commits are passed over (not diffed),
    so two processes can list the two ends of one history at once (see the runner)."""
    # log.showRoot: a root commit's files are changes too; no config may turn it off (nor add
    # signature text to the stream with log.showSignature). Pack
    # windows: one walk touches trees all over the pack, and git keeps every window it mapped
    # (ansible's 490 MB pack: 481 MiB resident by default, 247 MiB with these, +0.1 s of system time).
    cmd = ["git", "--literal-pathspecs", "-C", str(repo), "-c", "log.showRoot=true", "-c", "log.showSignature=false",
           "-c", "core.packedGitWindowSize=32m", "-c", "core.packedGitLimit=256m", "log", "--raw", "-z",
           "--no-renames", "--no-abbrev", "--full-history", "--format=%x01%H %aI %P",
           *([f"--skip={skip}"] if skip else []), *revs, "--", *paths]
    git = FedGit(cmd, [])
    parser = _LogParser()
    closed = False
    try:
        while True:
            block = git.stdout.read(_LOG_BLOCK)
            yield parser.feed(block)
            if not block:
                break
    except GeneratorExit:
        closed = True
        raise
    finally:
        if closed:
            git.stop()
        else:
            git.finish(errors)


class _LogParser:
    """`git log --raw -z --format=%x01...` read block by block: tokens end with NUL, a commit
    line starts with \x01, a change is `:meta` then its path (a path may hold any byte but
    NUL, so it is known by its place after a meta token, never by what it starts with)."""

    def __init__(self) -> None:
        self.carry = b""
        self.meta: bytes | None = None
        self.commit = ""
        self.commit_changes: list[Change] = []

    def feed(self, block: bytes) -> tuple[list[tuple[str, str, bool]], list[Change]]:
        """The commits completed by `block` (an empty block ends the stream) and their changes."""
        tokens = (self.carry + block).split(b"\0")
        self.carry = tokens.pop() if block else b""
        listed: list[tuple[str, str, bool]] = []
        changes: list[Change] = []
        for tok in tokens:
            if self.meta is not None:
                change = _raw_change(self.commit, self.meta, tok)
                if change is not None:
                    self.commit_changes.append(change)
                self.meta = None
                continue
            tok = tok.lstrip(b"\n")
            if tok[:1] == b":":
                self.meta = tok
            elif tok[:1] == b"\x01":
                changes += self.commit_changes
                self.commit_changes = []
                fields = tok[1:].decode("ascii", "replace").split(" ")
                self.commit = fields[0]
                listed.append((fields[0], fields[1] if len(fields) > 1 else "", len(fields) > 3))
        if not block:
            changes += self.commit_changes
            self.commit_changes = []
        return listed, changes


def _raw_change(commit: str, meta: bytes, raw_path: bytes) -> Change | None:
    """One `:old_mode new_mode old new status` entry; None for a submodule pointer or a bad line."""
    fields = meta[1:].split(b" ")
    if len(fields) < 5 or fields[1] == _GITLINK:
        return None  # a submodule pointer: another repository's history
    old_mode, old, new = fields[0], fields[2], fields[3]
    return Change(commit, raw_path.decode("utf-8", "surrogateescape"),
                  None if old in _ZEROS or old_mode == _GITLINK else old.decode("ascii"),
                  None if new in _ZEROS else new.decode("ascii"))


def parse_raw(raw: bytes) -> list[Change]:
    """Parse `diff-tree -r -z --format=%H` output: a commit id, then `:meta NUL path NUL` per change."""
    out: list[Change] = []
    tokens = raw.split(b"\0")
    commit = ""
    i = 0
    n = len(tokens)
    while i < n:
        tok = tokens[i].lstrip(b"\n")
        i += 1
        if not tok:
            continue
        if tok[:1] != b":":
            commit = tok.decode("ascii", "replace")
            continue
        path = tokens[i].decode("utf-8", "surrogateescape") if i < n else ""
        i += 1
        fields = tok[1:].split(b" ")
        if len(fields) < 5:
            continue
        old_mode, new_mode, old, new = fields[0], fields[1], fields[2], fields[3]
        if new_mode == _GITLINK:
            continue  # a submodule pointer: another repository's history
        out.append(Change(commit, path,
                          None if old in _ZEROS or old_mode == _GITLINK else old.decode("ascii"),
                          None if new in _ZEROS else new.decode("ascii")))
    return out


# --- the changed runs of lines ----------------------------------------------------

Hunk = tuple[int, int, int, int]  # start and end in the old version, start and end in the new one


def _forward(a: bytes, ai: int, a_end: int, b: bytes, bi: int, b_end: int) -> int:
    """Length of the common prefix of a[ai:a_end] and b[bi:b_end], by memory compares."""
    limit = min(a_end - ai, b_end - bi)
    lo = 0
    step = _CHUNK
    while lo < limit:  # whole chunks first, growing: most files differ in a small part
        hi = min(limit, lo + step)
        if not a.startswith(b[bi + lo:bi + hi], ai + lo):
            break
        lo = hi
        step *= 2
    else:
        return limit
    while hi - lo > _FINE:  # equal up to lo, different somewhere before hi
        mid = (lo + hi) // 2
        if a.startswith(b[bi + lo:bi + mid], ai + lo):
            lo = mid
        else:
            hi = mid
    # The last few hundred bytes at once: the highest differing bit of the two windows read
    # as big-endian numbers is in the first differing byte (8 halvings less per search).
    x = int.from_bytes(a[ai + lo:ai + hi], "big") ^ int.from_bytes(b[bi + lo:bi + hi], "big")
    return hi - 1 - (x.bit_length() - 1) // 8


def _backward(a: bytes, a_start: int, ai: int, b: bytes, b_start: int, bi: int) -> int:
    """Length of the common suffix of a[a_start:ai] and b[b_start:bi]."""
    limit = min(ai - a_start, bi - b_start)
    lo = 0
    step = _CHUNK
    while lo < limit:
        hi = min(limit, lo + step)
        if not a.endswith(b[bi - hi:bi - lo], 0, ai - lo):
            break
        lo = hi
        step *= 2
    else:
        return limit
    while hi - lo > _FINE:
        mid = (lo + hi) // 2
        if a.endswith(b[bi - mid:bi - lo], 0, ai - lo):
            lo = mid
        else:
            hi = mid
    # little-endian: the windows' last bytes are the highest, so the highest differing bit is
    # in the differing byte nearest the common tail
    x = int.from_bytes(a[ai - hi:ai - lo], "little") ^ int.from_bytes(b[bi - hi:bi - lo], "little")
    return hi - 1 - (x.bit_length() - 1) // 8


def changed_region(old: bytes, new: bytes) -> tuple[int, int, int]:
    """(start, end in new, end in old): the whole lines between the versions' common head and tail."""
    head = _forward(old, 0, len(old), new, 0, len(new))
    tail = _backward(old, head, len(old), new, head, len(new))
    start = new.rfind(b"\n", 0, head) + 1  # the head is common: the same offset in both
    end = len(new) - tail
    shift = len(old) - len(new)
    # Both ends must fall on a line boundary in *both* versions; past `end` the
    # versions are equal, so the next newline of one is the next of the other.
    if (end > start and new[end - 1:end] != b"\n") or (0 < end + shift < len(old)
                                                      and old[end + shift - 1:end + shift] != b"\n"):
        nl = new.find(b"\n", end)
        end = len(new) if nl < 0 else nl + 1
    return start, end, end + shift


def changed_hunks(old: bytes, new: bytes) -> list[Hunk]:
    """The runs of whole lines where the versions differ, found with substring
    searches and memory compares only (no line is split or hashed in Python).

    Between the common head and tail, an edit at the top and one at the bottom
    of a long file would leave the whole file to read; so the region is cut
    where a probe (a few lines from its middle) occurs once in the old region:
    the equal text around the probe is dropped and each side is cut again. A
    probe that is missing or not unique leaves that region whole: the result
    is always a correct (if not minimal) set of runs."""
    start, new_end, old_end = changed_region(old, new)
    out: list[Hunk] = []
    if new_end > start or old_end > start:
        _split(old, new, start, old_end, start, new_end, out, 0)
    return out


def _split(old: bytes, new: bytes, o0: int, o1: int, n0: int, n1: int, out: list[Hunk], depth: int) -> None:
    if o1 - o0 < _SPLIT_MIN or n1 - n0 < _SPLIT_MIN or depth > _SPLIT_DEPTH:
        out.append((o0, o1, n0, n1))
        return
    ps = max(n0, new.rfind(b"\n", n0, (n0 + n1) // 2) + 1)
    pe = new.find(b"\n", min(ps + _PROBE, n1 - 1), n1) + 1
    p = old.find(new[ps:pe], o0, o1) if pe > ps else -1
    if p < 0 or (p > o0 and old[p - 1] != 10) or old.find(new[ps:pe], p + 1, o1) >= 0:
        out.append((o0, o1, n0, n1))
        return
    back = _backward(old, o0, p, new, n0, ps)
    ahead = _forward(old, p + pe - ps, o1, new, pe, n1)
    bs_new, bs_old = ps - back, p - back
    if not ((bs_new == n0 or new[bs_new - 1] == 10) and (bs_old == o0 or old[bs_old - 1] == 10)):
        cut = new.find(b"\n", bs_new, ps) + 1
        if cut:
            bs_old += cut - bs_new
            bs_new = cut
        else:  # no newline in the equal text before the probe: cut at the probe itself
            bs_new, bs_old = ps, p
    be_new, be_old = pe + ahead, p + (pe - ps) + ahead
    if not ((be_new == n1 and be_old == o1) or new[be_new - 1] == 10):
        cut = new.rfind(b"\n", pe - 1, be_new) + 1  # new[pe - 1] is a newline
        be_old -= be_new - cut
        be_new = cut
    if bs_new > n0 or bs_old > o0:
        _split(old, new, o0, bs_old, n0, bs_new, out, depth + 1)
    if be_new < n1 or be_old < o1:
        _split(old, new, be_old, o1, be_new, n1, out, depth + 1)


def hunk_text(new: bytes, hunks: Sequence[Hunk]) -> tuple[bytes, list[int]]:
    """The new side of every run, joined, and where each run starts in the joined text."""
    if len(hunks) == 1:
        return new[hunks[0][2]:hunks[0][3]], [0]
    offsets: list[int] = []
    at = 0
    for _o0, _o1, n0, n1 in hunks:
        offsets.append(at)
        at += n1 - n0
    return b"".join(new[n0:n1] for _o0, _o1, n0, n1 in hunks), offsets


def _holds_line(text: bytes, line: bytes, start: int, end: int) -> bool:
    """Whether text[start:end] has `line` as one of its whole lines (C substring search, no split)."""
    pos = text.find(line, start, end)
    while pos >= 0:
        stop = pos + len(line)
        if (pos == start or text[pos - 1] == 10) and (stop == end or text[stop] == 10):
            return True
        pos = text.find(line, pos + 1, end)
    return False


def _lines(text: bytes) -> list[bytes]:
    lines = text.split(b"\n")
    if lines and not lines[-1]:
        lines.pop()
    return lines


def added_section(commit: str, path: str, old: bytes, new: bytes, hunks: Sequence[Hunk], joined: bytes,
                  offsets: Sequence[int], candidates: Sequence[int]) -> Section | None:
    """The lines added by the runs where a candidate (an offset into `joined`,
    see `hunk_text`) is on a line the parent did not have; None when there is none.

    Each run is judged on its own, as a reviewer reads a hunk: the runs without
    such a candidate cannot hold a finding and are not read. `removed` is left
    empty: whether a secret was already in the file is asked of the parent's
    whole version (see the runner)."""
    wanted: list[int] = []
    checked = -1
    for end in sorted(candidates):
        line_start = joined.rfind(b"\n", 0, max(0, end - 1)) + 1
        if line_start == checked:
            continue
        checked = line_start
        k = bisect.bisect_right(offsets, line_start) - 1
        if wanted and wanted[-1] == k:
            continue
        o0, o1, n0, n1 = hunks[k]
        line_end = joined.find(b"\n", line_start, offsets[k] + n1 - n0)
        line = joined[line_start:line_end if line_end >= 0 else offsets[k] + n1 - n0]
        if not _holds_line(old, line, o0, o1):
            wanted.append(k)
    if not wanted:
        return None  # every candidate is on a line the parent already had
    section = Section(commit, path)
    line_no = 1
    last = 0
    for k in wanted:
        o0, o1, n0, n1 = hunks[k]
        line_no += new.count(b"\n", last, n0)
        last = n0
        new_lines = _lines(new[n0:n1])
        if o0 == o1:  # lines inserted: all added
            section.added.extend(new_lines)
            section.line_numbers.extend(range(line_no, line_no + len(new_lines)))
            continue
        added, _removed = changed_lines(_lines(old[o0:o1]), new_lines)
        section.added.extend(new_lines[j] for j in added)
        section.line_numbers.extend(line_no + j for j in added)
    return section


def changed_lines(old: list[bytes], new: list[bytes]) -> tuple[list[int], list[int]]:
    """Indexes of the added lines of `new` and the removed lines of `old`, as a diff would mark them.

    Mostly a set difference suffices: a line the old region does not hold is
    added, and one it holds is at most moved (its secret was already at this
    path). When the new region holds *more copies* of a line than the old one
    (a block added beside a similar block) the regions are aligned, so that
    the new block is added whole and rules reading a line's neighbours see what
    the author wrote: lines found once on each side anchor the alignment and
    only the runs between anchors are matched line by line."""
    from collections import Counter

    counts_old, counts_new = Counter(old), Counter(new)
    had = counts_old.get
    if not any(0 < had(line, 0) < n for line, n in counts_new.items()):
        return ([j for j, line in enumerate(new) if line not in counts_old],
                [i for i, line in enumerate(old) if line not in counts_new])
    where = {line: i for i, line in enumerate(old) if counts_old[line] == 1}
    anchors: list[tuple[int, int]] = []
    last = -1
    for j, line in enumerate(new):
        if counts_new[line] == 1:  # every line of `new` is counted: no missing-key call
            i = where.get(line, -1)
            if i > last:
                anchors.append((i, j))
                last = i
    anchors.append((len(old), len(new)))
    added: list[int] = []
    removed: list[int] = []
    i0 = j0 = 0
    for i, j in anchors:
        if i - i0 != j - j0 or old[i0:i] != new[j0:j]:
            _match_run(old, new, i0, i, j0, j, added, removed)
        i0, j0 = i + 1, j + 1
    return added, removed


def _match_run(old: list[bytes], new: list[bytes], i0: int, i1: int, j0: int, j1: int,
               added: list[int], removed: list[int]) -> None:
    if i0 == i1 or j0 == j1:
        added.extend(range(j0, j1))
        removed.extend(range(i0, i1))
        return
    if (i1 - i0) + (j1 - j0) > _ALIGN_MAX_LINES:  # alignment cost grows faster than size
        olds, news = set(old[i0:i1]), set(new[j0:j1])
        added.extend(j for j in range(j0, j1) if new[j] not in olds)
        removed.extend(i for i in range(i0, i1) if old[i] not in news)
        return
    import difflib

    matcher = difflib.SequenceMatcher(None, old[i0:i1], new[j0:j1], autojunk=False)
    for tag, a, b, c, d in matcher.get_opcodes():
        if tag != "equal":
            added.extend(range(j0 + c, j0 + d))
            removed.extend(range(i0 + a, i0 + b))
