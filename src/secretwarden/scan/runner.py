"""Run a scan: pick the source, spread the work over processes, apply
allowlists and the baseline, and return a `ScanResult`.

Workers are forked processes; each compiles its own hyperscan database once
(milliseconds) and receives only paths or blob ids, returning only findings.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import multiprocessing
import operator
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from secretwarden.errors import InputError, UsageError
from secretwarden.scan import baseline as baseline_mod
from secretwarden.scan.config import ScanOptions
from secretwarden.scan.model import Finding, Notice, ScanResult
from secretwarden.scan.sources import files as files_src
from secretwarden.scan.sources import git as git_src
from secretwarden.scan.sources import git_changes, git_diff

_BATCH_BYTES = 2 * 1024 * 1024
_BATCH_FILES = 256
_PARALLEL_MIN_BYTES = 4 * 1024 * 1024

# per-process state of a worker
_DISABLED: frozenset[str] = frozenset()


def _worker_init(disabled: frozenset[str]) -> None:
    global _DISABLED
    _DISABLED = disabled


def _engine() -> Any:
    from secretwarden.scan.engine import get_engine

    return get_engine(_DISABLED)


BINARY_NOTICE = "binary content (NUL bytes): skipped"
UNDECODABLE_NOTICE = "not valid UTF-8: scanned with undecodable bytes replaced"
_SNIFF = 8192


def is_binary(head: bytes) -> bool:
    """git's own test: a NUL byte in the first 8 KB (tree, history and staged agree)."""
    return head.find(b"\0", 0, _SNIFF) >= 0  # no copy of the head


def encoding_notes(buf: bytes, findings: list[Finding]) -> list[str]:
    """The undecodable-bytes notice, given the same way by every source: when a
    reported finding comes from bytes that are not valid UTF-8."""
    if not findings or buf.isascii():
        return []
    try:
        buf.decode("utf-8")
    except UnicodeDecodeError:
        return [UNDECODABLE_NOTICE]
    return []


def scan_bytes(buf: bytes, path: str) -> tuple[list[Finding], list[str], int]:
    """Scan one whole buffer: (findings, notices, allowed count). Binary content is skipped."""
    found, notes, allowed = _scan_buffer(buf, path)
    return found, [*notes, *encoding_notes(buf, found)], allowed


def _scan_buffer(buf: bytes, path: str) -> tuple[list[Finding], list[str], int]:
    """`scan_bytes` without the undecodable-bytes notice: callers that keep only
    some findings (staged, history) add it from `encoding_notes` for the ones kept."""
    if is_binary(buf):
        return [], [BINARY_NOTICE], 0
    out = _engine().scan(buf, path)
    return out.findings, list(out.notices), out.allowed


FileResult = tuple[list[Finding], list[Notice], int, int, int]  # findings, notices, files, bytes, allowed


def _scan_file_batch(batch: list[tuple[str, str]]) -> FileResult:
    findings: list[Finding] = []
    notices: list[Notice] = []
    nbytes = allowed = 0
    for rel, abspath in batch:
        try:
            with open(abspath, "rb") as fh:
                if os.path.splitext(rel)[1].lower() in files_src.BINARY_EXTS:
                    # Usually binary: look at the head before reading the rest,
                    # but judge by content, never by the name alone.
                    head = fh.read(_SNIFF)
                    if is_binary(head):
                        notices.append(Notice(rel, BINARY_NOTICE))
                        nbytes += len(head)
                        continue
                    buf = head + fh.read()
                else:
                    buf = fh.read()
        except OSError as exc:
            notices.append(Notice(rel, f"unreadable: {exc.strerror or type(exc).__name__}"))
            continue
        nbytes += len(buf)
        try:
            found, notes, n_allowed = _scan_buffer(buf, rel)
        except Exception as exc:  # one bad file must never stop the scan
            notices.append(Notice(rel, f"scan error: {type(exc).__name__}"))
            continue
        findings.extend(found)
        notices.extend(Notice(rel, n) for n in [*notes, *encoding_notes(buf, found)])
        allowed += n_allowed
    return findings, notices, len(batch), nbytes, allowed


def _batches(items: Iterable[files_src.FileItem]) -> Iterator[list[tuple[str, str]]]:
    batch: list[tuple[str, str]] = []
    size = 0
    for item in items:
        batch.append((item.path, item.abspath))
        size += item.size
        if size >= _BATCH_BYTES or len(batch) >= _BATCH_FILES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _jobs(options: ScanOptions) -> int:
    if options.jobs > 0:
        return options.jobs
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


def _pool(options: ScanOptions, jobs: int) -> Any:
    method = "fork" if sys.platform.startswith("linux") else "spawn"
    if method == "fork":
        from secretwarden.scan.engine import warm

        warm(options.disabled_rules)  # built once here; the forked workers inherit it
    return multiprocessing.get_context(method).Pool(jobs, initializer=_worker_init,
                                                    initargs=(options.disabled_rules,))


def _map(options: ScanOptions, fn: Callable[[Any], Any], work: list[Any], total_bytes: int,
         progress_of: Callable[[Any], int], done: int = 0, pool: Any = None) -> Iterator[Any]:
    """`fn` over `work` in worker processes (in this one when small); `done` is
    where progress starts (a scan in phases counts on from the first). A scan
    in phases passes one `pool` forked before the first phase: workers forked
    later would start with a copy of everything the parent gathered."""
    jobs = _jobs(options)
    progress = options.progress
    if pool is not None and len(work) >= 2:
        for out in pool.imap_unordered(fn, work):
            done += progress_of(out)
            if progress:
                progress(done, total_bytes)
            yield out
        return
    if jobs == 1 or total_bytes < _PARALLEL_MIN_BYTES or len(work) < 2:
        _worker_init(options.disabled_rules)
        for unit in work:
            out = fn(unit)
            done += progress_of(out)
            if progress:
                progress(done, total_bytes)
            yield out
        return
    with _pool(options, jobs) as pool:
        for out in pool.imap_unordered(fn, work):
            done += progress_of(out)
            if progress:
                progress(done, total_bytes)
            yield out


def _allow_spec(patterns: tuple[str, ...]) -> Any | None:
    if not patterns:
        return None
    import pathspec

    return pathspec.GitIgnoreSpec.from_lines(patterns)


# --- sources -----------------------------------------------------------------


def _scan_tree(options: ScanOptions, result: ScanResult) -> None:
    root = Path(options.target)
    if not root.exists():
        raise InputError(f"{root}: no such file or directory")
    listing = files_src.iter_files(root, honour_ignore=options.honour_ignore,
                                   max_size=options.max_file_size,
                                   allow_spec=_allow_spec(options.allow_paths),
                                   notices=result.notices)
    # The first few MB decide whether workers are worth forking. Past that, without a progress
    # bar (which needs the total first), the listing goes on in the pool's feeder thread while
    # the workers scan what it has found, instead of finishing before the first byte is read
    # (29,647 files: a third of a second of lstat calls that no longer delay the scan).
    head: list[files_src.FileItem] = []
    head_bytes = 0
    for item in listing:
        head.append(item)
        head_bytes += item.size
        if head_bytes >= _PARALLEL_MIN_BYTES:
            break
    jobs = _jobs(options)
    if options.progress is None and jobs > 1 and head_bytes >= _PARALLEL_MIN_BYTES:
        with _pool(options, jobs) as pool:
            outs: Iterable[Any] = pool.imap_unordered(_scan_file_batch, _batches(itertools.chain(head, listing)))
            _add_file_results(result, outs)
        return
    items = head + list(listing)
    total = sum(i.size for i in items)
    _add_file_results(result, _map(options, _scan_file_batch, list(_batches(items)), total, lambda out: int(out[3])))


def _add_file_results(result: ScanResult, outs: Iterable[Any]) -> None:
    for findings, notices, nfiles, nbytes, allowed in outs:
        result.findings.extend(findings)
        result.notices.extend(notices)
        result.stats.files += nfiles
        result.stats.bytes += nbytes
        result.allowed += allowed


# --- history -----------------------------------------------------------------

# Per worker process: what each distinct added text (keyed with its path) gave,
# so a change seen again (cherry-pick, branch copy, revert) is not scanned twice.
_SEEN: dict[bytes, tuple[tuple[Finding, ...], tuple[str, ...], int]] = {}
_SEEN_LIMIT = 200_000
# Merges with findings are re-read through a pathspec of those paths while the
# paths are few; git matches every path of a long pathspec against every tree
# entry, so past this many it is cheaper to read those merges whole (ansible:
# 1,410 paths: 12.1 s CPU restricted against 7.0 s whole). Ordinary commits
# need no pathspec: their changes are filtered per commit in-process.
_RECHECK_PATHS_MAX = 64
_SALTS: dict[frozenset[str], bytes] = {}


def _seen_salt() -> bytes:
    """What else decides a text's findings in this process: the rule selection
    (asked for every file change: computed once per selection)."""
    salt = _SALTS.get(_DISABLED)
    if salt is None:
        salt = hashlib.blake2b(",".join(sorted(_DISABLED)).encode(), digest_size=16).digest()
        _SALTS[_DISABLED] = salt
    return salt


# repository, commits, paths, allow patterns, size cap, merges (True: the commits are merges),
# and for a re-check the paths to read again per commit (None: every path)
HistoryUnit = tuple[str, list[str], tuple[str, ...], tuple[str, ...], int, bool, dict[str, tuple[str, ...]] | None]
# dirty: commit -> paths with a finding or notice ("" when the commit could not be read)
Dirty = dict[str, set[str]]
HistoryResult = tuple[list[Finding], list[Notice], Dirty, int, int, int, tuple[int, int, int]]


def _scan_added(section: git_diff.Section, max_size: int) -> tuple[list[Finding], list[str], int]:
    """Scan what one file change added; findings carry the file's own line numbers."""
    text = section.added_text()
    if len(text) > max_size:
        return [], [f"added text larger than {max_size} bytes: skipped (see --max-file-size)"], 0
    key = hashlib.blake2b(section.path.encode("utf-8", "surrogateescape") + b"\0" + text, digest_size=16,
                          person=_seen_salt()).digest()
    seen = _SEEN.get(key)
    if seen is None:
        found, notes, n_allowed = _scan_buffer(text, section.path)
        if len(_SEEN) >= _SEEN_LIMIT:
            _SEEN.clear()  # bounded memory: a long history only loses some reuse
        seen = (tuple(found), tuple(notes), n_allowed)
        _SEEN[key] = seen
    found_t, notes_t, n_allowed = seen
    removed = b"\n".join(section.removed).decode("utf-8", "replace") if section.removed else ""
    kept: list[Finding] = []
    for f in found_t:
        if removed and f.secret in removed:
            continue  # the change edited a line that already held this secret
        line = section.line_numbers[min(f.line, len(section.line_numbers)) - 1]
        end = section.line_numbers[min(f.end_line, len(section.line_numbers)) - 1] if f.end_line else None
        kept.append(f.at(line=line, end_line=end, commit=section.commit))
    return kept, [*notes_t, *encoding_notes(text, kept)], n_allowed


def _scan_binary_changes(repo: Path, changes: list[git_diff.BinaryChange], max_size: int,
                         out: list[Finding], notices: list[Notice], dirty: Dirty) -> None:
    """git calls these binary (by content or by a .gitattributes line): we judge by content."""
    wanted = {c.new_blob for c in changes} | {c.old_blob for c in changes if c.old_blob}
    contents = {sha: (data, reason) for sha, data, reason in git_src.read_blobs(repo, sorted(wanted), max_size)}
    for change in changes:
        data, reason = contents.get(change.new_blob, (None, "missing git object"))
        note: list[str] = []
        found: list[Finding] = []
        if data is None:
            note = [reason or "unreadable"]
        elif is_binary(data):
            note = [BINARY_NOTICE]
        else:
            old = contents.get(change.old_blob or "", (None, None))[0] or b""
            raw, note, _allowed = _scan_buffer(data, change.path)
            found = [f.at(commit=change.commit) for f in raw if f.secret.encode("utf-8", "surrogateescape") not in old]
            note = [*note, *encoding_notes(data, found)]
        out.extend(found)
        notices.extend(Notice(change.path, n, commit=change.commit) for n in note)
        if found or note:
            dirty.setdefault(change.commit, set()).add(change.path)


def _history_first_phase(unit: HistoryUnit) -> tuple[HistoryResult | None, ListResult | None]:
    """Merges are read whole here; ordinary commits only have their file changes listed."""
    return (_scan_merge_chunk(unit), None) if unit[5] else (None, _list_change_chunk(unit))


def _scan_merge_chunk(unit: HistoryUnit) -> HistoryResult:
    """Merges: what a merge adds is what is in none of its parents, which only
    git's combined diff (`--cc`) tells; its own `git diff-tree`, one prefilter pass per block."""
    repo_s, commits, paths, allow_patterns, max_size, _merges, _only = unit
    repo = Path(repo_s)
    engine = _engine()
    allow = _allow_spec(allow_patterns)
    findings: list[Finding] = []
    notices: list[Notice] = []
    dirty: Dirty = {}
    errors: list[str] = []
    binaries: list[git_diff.BinaryChange] = []
    nbytes = allowed = confirmed = 0
    oversized: list[tuple[str, str]] = []
    for part in git_diff.read_parts(repo, commits, paths, errors, oversized, max(64 << 20, 2 * max_size)):
        data = part.data
        nbytes += len(data)
        stop = -1
        for end in engine.candidate_ends(data):
            if end <= stop:
                continue  # inside the section just handled
            line_start = data.rfind(b"\n", 0, max(0, end - 1)) + 1
            if data[line_start:line_start + 1] != b"+" or data.startswith(b"+++ ", line_start):
                continue  # a removed line, a header: nothing this commit added
            start, stop = part.section_bounds(line_start)
            section = git_diff.parse_section(part.commit_of(start), data[start:stop])
            if section is None or not section.added or (allow is not None and allow.match_file(section.path)):
                continue
            confirmed += 1
            found, notes, n_allowed = _scan_added(section, max_size)
            # A file moved or split (renames are read as delete + add) re-adds its
            # secrets: they are reported where they first appeared, not again here.
            found = [f for f in found if f.decoded or not part.removed_in_commit(
                start, f.secret.encode("utf-8", "surrogateescape"))]
            allowed += n_allowed
            findings.extend(f.at(path=section.path) for f in found)
            notices.extend(Notice(section.path, n, commit=section.commit) for n in notes)
            if found or notes:
                dirty.setdefault(section.commit, set()).add(section.path)
        binaries.extend(b for b in part.binaries() if allow is None or not allow.match_file(b.path))
    for commit, path in oversized:
        if allow is None or not allow.match_file(path):
            notices.append(Notice(path, f"change larger than {max(64 << 20, 2 * max_size)} bytes: skipped",
                                  commit=commit))
            dirty.setdefault(commit, set()).add(path)
    if binaries:
        _scan_binary_changes(repo, binaries, max_size, findings, notices, dirty)
    if errors:
        return _split_on_error(unit, errors, _scan_merge_chunk)
    return findings, notices, dirty, len(commits), nbytes, allowed, (os.getpid(), _dedupe_size(), confirmed)


_CLEAN_PAIRS: set[bytes] = set()
_CLEAN_PAIRS_LIMIT = 300_000
# The prefilter runs over the changed runs of many file changes at once (one
# hyperscan call per database and batch instead of two per change: the calls'
# fixed cost was a third of the prefilter's time on ansible). A batch is cut at
# this many changes, this much run text, or this much blob text held for it.
_BATCH_CHANGES = 128
_BATCH_RUN_BYTES = 1 << 20
_BATCH_BLOB_BYTES = 8 << 20


def _dedupe_size() -> int:
    return len(_SEEN) + len(_CLEAN_PAIRS)


def _gate_key(change: git_changes.Change) -> bytes:
    """A change's blob pair at any path: whether a prefilter candidate falls on a
    line the parent did not have depends on the two texts only (see `_keeps_runs`).
    The ids themselves, not a digest (asked for every change); the set is emptied
    when a scan starts."""
    new = bytes.fromhex(change.new or "")
    return new + bytes.fromhex(change.old) if change.old else new


def _keeps_runs(path: str, joined: bytes) -> bool:
    """Whether every base64 run must be kept as a candidate: where a format
    rewrite decodes on its own (notebooks, Kubernetes Secrets; see `formats`)."""
    return path.endswith(".ipynb") or b"Secret" in joined


def _moved_blobs(changes: list[git_changes.Change]) -> dict[str, set[str]]:
    """Per commit, the blobs it deleted somewhere: a new file with one of them is a move."""
    out: dict[str, set[str]] = {}
    for c in changes:
        if c.new is None and c.old is not None:
            out.setdefault(c.commit, set()).add(c.old)
    return out


class _Pending:
    """A text change whose changed runs wait for the batch prefilter."""

    __slots__ = ("change", "ends", "gate", "hunks", "joined", "new", "offsets", "old")

    def __init__(self, change: git_changes.Change, old: bytes, new: bytes,
                 hunks: list[git_changes.Hunk], joined: bytes, offsets: list[int], gate: bytes = b"") -> None:
        self.change, self.old, self.new = change, old, new
        self.hunks, self.joined, self.offsets = hunks, joined, offsets
        self.gate = gate  # its `_gate_key` when the caller has it already
        self.ends: list[int] = []


def _prefilter_batch(engine: Any, batch: list[_Pending]) -> None:
    """One prefilter pass over the joined runs of `batch` (a newline between
    changes, so every anchor reads as at a line start); each candidate goes
    back to its change, clamped to the change's end when its match took the
    separator as its last character. A match running across the separator only
    adds a candidate (more work, never a missed finding)."""
    import bisect

    buf = b"\n".join(p.joined for p in batch)
    starts: list[int] = []
    at = 0
    for p in batch:
        starts.append(at)
        at += len(p.joined) + 1
    ends, runs = engine.prefilter(buf)
    for end in ends:
        k = bisect.bisect_right(starts, end - 1) - 1
        batch[k].ends.append(min(end - starts[k], len(batch[k].joined)))
    keeps: dict[int, bool] = {}
    for end in runs:
        k = bisect.bisect_right(starts, end - 1) - 1
        p = batch[k]
        keep = keeps.get(k)
        if keep is None:
            keep = keeps[k] = _keeps_runs(p.change.path, p.joined)
        if keep or engine.run_may_find(buf, end):
            p.ends.append(min(end - starts[k], len(p.joined)))


# Ordinary commits are read in two phases. First each worker lists the file
# changes of its share of commits (tree diffs only). Then the changes are dealt
# out again by path, each path's changes together and in history order: a blob
# is usually the new side of one change and the old side of the next change at
# its path, so it is inflated by `cat-file` once instead of once per commit
# batch it appears in (ansible: 154,672 distinct blob versions, 222,189 reads
# when batches were commits, 7.1 s of git CPU against 4.9 s).
# A `Change` as a plain tuple while it travels between processes (twice: listed, then dealt out
# by path): unpickling a NamedTuple calls its Python-level constructor per row (ansible's 188,900
# rows: 1.1 s of CPU per trip as NamedTuples, 0.4 s as tuples).
ChangeRow = tuple[str, str, str | None, str | None]  # commit, path, old blob (None: a new file), new blob
_SHARE_MIN_ROWS = 2000  # fewer changes are read in one share
_MERGES_PER_UNIT = 250  # merges sent to a worker at a time while a one-pass listing goes on
ListResult = tuple[list[ChangeRow], list[Notice], Dirty, int]
# repository, rows (a share of the changes sorted by path; the same change made by several
# commits is read once there, see `_same_changes_once`), size cap
ChangesUnit = tuple[str, list[ChangeRow], int]
# findings still to pass the move check (with their change), notices, dirty, changes, bytes, allowed, stats
ChangesResult = tuple[list[tuple[Finding, git_changes.Change]], list[Notice], Dirty, int, int, int,
                      tuple[int, int, int]]


def _list_change_chunk(unit: HistoryUnit) -> ListResult:
    """The file changes of a share of ordinary commits that the scan must read."""
    repo_s, commits, paths, allow_patterns, max_size, merges, only = unit
    errors: list[str] = []
    changes = git_changes.tree_changes(Path(repo_s), commits, paths, errors)
    if errors:  # git stops at the first unreadable object: halve until the broken commit stands alone
        if len(commits) == 1:
            return [], [Notice(".", f"cannot read this commit's changes: {errors[0]}", commit=commits[0])], \
                {commits[0]: {""}}, 1
        half = len(commits) // 2
        first = _list_change_chunk((repo_s, commits[:half], paths, allow_patterns, max_size, merges, only))
        second = _list_change_chunk((repo_s, commits[half:], paths, allow_patterns, max_size, merges, only))
        return first[0] + second[0], first[1] + second[1], {**first[2], **second[2]}, len(commits)
    return _rows_to_read(changes, _allow_spec(allow_patterns), only), [], {}, len(commits)


def _rows_to_read(changes: list[git_changes.Change], allow: Any | None,
                  only: dict[str, tuple[str, ...]] | None) -> list[ChangeRow]:
    """The file changes a scan must read: not deletions, allowed paths or whole-file moves,
    and on a re-check (`only`) just the paths where the last scan found something."""
    moved = _moved_blobs(changes)
    rows: list[ChangeRow] = []
    for change in changes:
        if change.new is None or (allow is not None and allow.match_file(change.path)):
            continue
        if only is not None and change.path not in only.get(change.commit, ()):
            continue  # a re-check reads only where the last scan found something
        if change.old is None and change.new in moved.get(change.commit, ()):
            continue  # a file moved whole: nothing in it is new to the history
        rows.append(tuple(change))  # type: ignore[arg-type]  # see ChangeRow
    return rows


def _scan_changes(unit: ChangesUnit) -> ChangesResult:
    """Read a share of file changes (grouped by path): blobs from one
    `cat-file --batch`, the changed region of each pair found in-process."""
    repo_s, rows, max_size = unit
    rows, copies = _same_changes_once(rows)  # here, in the workers: per row, in two processes at once
    repo = Path(repo_s)
    engine = _engine()
    also = {rows[i]: commits for i, commits in copies.items()}  # looked up only when a change settles
    notices: list[Notice] = []
    dirty: Dirty = {}
    nbytes = allowed = confirmed = 0
    limit = max(64 << 20, 2 * max_size)
    todo: list[tuple[git_changes.Change, bytes]] = []
    uses: dict[str, int] = {}
    clean = _CLEAN_PAIRS
    make = git_changes.Change._make
    for row in rows:
        _commit, path, old_sha, new_sha = row
        gate = bytes.fromhex(new_sha or "")
        if old_sha:
            gate += bytes.fromhex(old_sha)
        if gate in clean and not path.endswith(".ipynb"):
            continue
        # A pair found clean only at its own path (confirmed without a finding) is not
        # remembered: the same change is read once per share already (`_same_changes_once`),
        # and a key per change (a digest of pair and path) cost 1.5 us for ~166,000 changes.
        todo.append((make(row), gate))
        uses[new_sha or ""] = uses.get(new_sha or "", 0) + 1
        if old_sha:
            uses[old_sha] = uses.get(old_sha, 0) + 1
    kept: list[tuple[Finding, git_changes.Change]] = []

    def remember_clean(key: bytes) -> None:
        if len(_CLEAN_PAIRS) >= _CLEAN_PAIRS_LIMIT:
            _CLEAN_PAIRS.clear()
        _CLEAN_PAIRS.add(key)

    def settle(change: git_changes.Change, found: list[Finding], note: list[str]) -> None:
        for commit in (change.commit, *also.get(change, ())):
            same = change if commit == change.commit else change._replace(commit=commit)
            notices.extend(Notice(change.path, n, commit=commit) for n in note)
            if note:
                dirty.setdefault(commit, set()).add(change.path)
            kept.extend((f.at(path=change.path, commit=commit), same) for f in found)

    def confirm(batch: list[_Pending]) -> None:
        nonlocal confirmed, allowed
        _prefilter_batch(engine, batch)
        for p in batch:
            change = p.change
            section = git_changes.added_section(change.commit, change.path, p.old, p.new, p.hunks, p.joined,
                                                p.offsets, p.ends) if p.ends else None
            if section is None or not section.added:
                if not change.path.endswith(".ipynb"):
                    remember_clean(p.gate or _gate_key(change))  # clean at any path
                continue
            confirmed += 1
            found, note, n_allowed = _scan_added(section, max_size)
            allowed += n_allowed
            # a secret the file already held is not introduced here (an edited or moved line)
            found = [f for f in found if f.secret.encode("utf-8", "surrogateescape") not in p.old]
            if found or note:
                settle(change, found, note)

    # Blobs arrive in the order first needed; each is dropped after its last use.
    blobs: dict[str, tuple[bytes | None, str | None]] = {}
    reader = git_src.read_blobs(repo, list(uses), limit)
    batch: list[_Pending] = []
    run_bytes = blob_bytes = 0
    for change, gate in todo:
        for sha in (change.new, change.old):
            while sha and sha not in blobs:
                got, data, reason = next(reader, (sha, None, "git cat-file stopped early"))
                blobs[got] = (data, reason)
        assert change.new is not None
        new, reason = blobs[change.new]
        old = blobs[change.old][0] if change.old else b""
        for sha in (change.new, change.old):
            if sha:
                uses[sha] -= 1
                if not uses[sha]:
                    del blobs[sha]
        if new is None:
            settle(change, [], [f"cannot read this change: {reason}" if reason and "larger" not in reason
                                else f"change larger than {limit} bytes: skipped"])
        elif old is None:
            settle(change, [], ["cannot read this change: the parent's version is a broken or missing git object"])
        elif is_binary(new):
            settle(change, [], [BINARY_NOTICE])
        elif gate in clean and not change.path.endswith(".ipynb"):
            continue  # found clean at another path since the shares were listed (same test as above)
        else:
            hunks = git_changes.changed_hunks(old, new)
            if not hunks:
                continue
            joined, offsets = git_changes.hunk_text(new, hunks)
            nbytes += len(joined)
            batch.append(_Pending(change, old, new, hunks, joined, offsets, gate))
            run_bytes += len(joined)
            blob_bytes += len(old) + len(new)
            if len(batch) >= _BATCH_CHANGES or run_bytes >= _BATCH_RUN_BYTES or blob_bytes >= _BATCH_BLOB_BYTES:
                confirm(batch)
                batch, run_bytes, blob_bytes = [], 0, 0
    if batch:
        confirm(batch)
    return kept, notices, dirty, len(rows), nbytes, allowed, (os.getpid(), _dedupe_size(), confirmed)


def _shares_by_path(repo: str, rows: list[ChangeRow], listed: list[tuple[str, str, bool]] | None, jobs: int,
                    max_size: int) -> list[ChangesUnit]:
    """The second phase's work: the changes sorted by path, each path's in history order
    (see `ChangeRow`), cut into shares of equal count: a path's chain is split at most
    where a share ends (one blob read twice), and the few files with thousands of large
    versions (a changelog, a bot's metadata) do not all land in one share. Sorts `rows`.
    `listed` is the history order of the rows' commits; None when `rows` are in it already
    (newest first, as one walk lists them): then a stable sort by path of the reversed rows
    is the same order, for a quarter of the cost (ansible: 0.08 s against 0.34 s, in this
    process while the workers wait)."""
    if listed is None:
        rows.reverse()
        rows.sort(key=operator.itemgetter(1))
    else:
        order = {sha: i for i, (sha, _date, _merge) in enumerate(listed)}
        rows.sort(key=lambda r: (r[1], -order.get(r[0], 0)))
    share = len(rows) // (jobs * 8) + 1 if len(rows) > _SHARE_MIN_ROWS else len(rows) or 1
    work: list[ChangesUnit] = [(repo, rows[i:i + share], max_size) for i in range(0, len(rows), share)]
    work.sort(key=_chain_weight, reverse=True)  # the heaviest first: no long share left for the end
    return work


def _same_changes_once(rows: list[ChangeRow]) -> tuple[list[ChangeRow], dict[int, tuple[str, ...]]]:
    """The rows with each change (path, old blob, new blob) once, and per kept row (its index)
    the other commits that made it. The same change gives the same findings and notices, so it
    is read once and its result is given to every such commit (ansible: 188,900 file changes,
    166,009 distinct; a clean pair seen in an earlier share is skipped anyway, see `_CLEAN_PAIRS`)."""
    first: dict[tuple[str, str | None, str | None], int] = {}
    kept: list[ChangeRow] = []
    copies: dict[int, list[str]] = {}
    for row in rows:
        change = (row[1], row[2], row[3])
        at = first.get(change)
        if at is None:
            first[change] = len(kept)
            kept.append(row)
        else:
            copies.setdefault(at, []).append(row[0])
    return kept, {i: tuple(commits) for i, commits in copies.items()}


def _chain_weight(unit: ChangesUnit) -> int:
    """A guess at a share's cost without reading a blob: files changed in many
    commits tend to be large (changelogs, metadata), so a long chain counts
    squared (on ansible this ranks the shares close to their blob bytes)."""
    lengths: dict[str, int] = {}
    for row in unit[1]:
        lengths[row[1]] = lengths.get(row[1], 0) + 1
    return sum(n * n for n in lengths.values())


def _moves_dropped(repo: Path, paths: list[str], kept: list[tuple[Finding, git_changes.Change]], max_size: int,
                   dirty: Dirty) -> list[Finding]:
    """The findings of ordinary commits that pass the move check (see `_drop_moved`):
    the commits that had one are listed again whole, a few hundred at most."""
    by_commit: dict[str, list[tuple[Finding, git_changes.Change]]] = {}
    for f, row in kept:
        by_commit.setdefault(row.commit, []).append((f, row))
    errors: list[str] = []
    changes = git_changes.tree_changes(repo, sorted(by_commit), paths, errors)
    out: list[Finding] = []
    _drop_moved(repo, changes, by_commit, max(64 << 20, 2 * max_size), out, dirty)
    return out


def _drop_moved(repo: Path, changes: list[git_changes.Change],
                found: dict[str, list[tuple[Finding, git_changes.Change]]], limit: int,
                out: list[Finding], dirty: Dirty) -> None:
    """A file moved or split (renames are read as delete + add) re-adds its secrets:
    they are reported where they first appeared. A finding is dropped when another
    change of the same commit takes its secret out of a file."""
    others = [c for c in changes if c.commit in found and c.old]
    wanted = list(dict.fromkeys(sha for c in others for sha in (c.old, c.new) if sha))
    contents = {sha: data for sha, data, _reason in git_src.read_blobs(repo, wanted, limit)}
    by_commit: dict[str, list[git_changes.Change]] = {}
    for c in others:
        by_commit.setdefault(c.commit, []).append(c)
    for commit, items in found.items():
        for f, own in items:
            needle = f.secret.encode("utf-8", "surrogateescape")
            moved = not f.decoded and any(
                c != own and needle in (contents.get(c.old or "") or b"")
                and needle not in (contents.get(c.new or "") or b"")
                for c in by_commit.get(commit, ()))
            if not moved:
                out.append(f)
                dirty.setdefault(commit, set()).add(f.path)


def _split_on_error(unit: HistoryUnit, errors: list[str], again: Callable[[HistoryUnit], HistoryResult]
                    ) -> HistoryResult:
    """git stops at the first unreadable object: halve the batch until the
    broken commit stands alone, so every other commit is still read."""
    repo_s, commits, paths, allow_patterns, max_size, merges, only = unit
    if len(commits) > 1:
        half = len(commits) // 2
        first = again((repo_s, commits[:half], paths, allow_patterns, max_size, merges, only))
        second = again((repo_s, commits[half:], paths, allow_patterns, max_size, merges, only))
        return (first[0] + second[0], first[1] + second[1], {**first[2], **second[2]}, len(commits),
                first[4] + second[4], first[5] + second[5], (os.getpid(), _dedupe_size(), first[6][2] + second[6][2]))
    notices = [Notice(".", f"cannot read this commit's changes: {errors[0]}", commit=commits[0])]
    return [], notices, {c: {""} for c in commits}, len(commits), 0, 0, (os.getpid(), _dedupe_size(), 0)


def _history_scope(options: ScanOptions) -> tuple[Path, list[str]]:
    """The repository and the paths (relative to its top level) a history scan covers."""
    target = Path(options.target)
    anchor = target if target.exists() else Path.cwd()
    top = files_src.git_toplevel(anchor if anchor.is_dir() else anchor.parent)
    if top is None:  # a bare repository, or not a repository (check_repo says which)
        if options.paths and tuple(options.paths) != (options.target,):
            git_src.check_repo(anchor)
            raise UsageError("path arguments need a repository with a work tree",
                             hint="run from a clone, or scan the whole history without paths")
        return anchor, []
    paths: list[str] = []
    for raw in options.paths:
        rel = os.path.relpath(Path(raw).resolve(), top.resolve())
        if rel.startswith(".."):
            raise UsageError(f"{raw}: outside the repository {top}", hint="all paths must be in one repository")
        paths.append(rel.replace(os.sep, "/"))
    return top, [] if "." in paths else sorted(set(paths))


def _one_pass_listing(options: ScanOptions, repo: Path, paths: list[str], revs: list[str],
                      stack: contextlib.ExitStack, jobs: int, unit_bytes: int
                      ) -> tuple[list[tuple[str, str, bool]] | None, list[ChangeRow], Any, list[Any]]:
    """With nothing cached to consult, the commit list and the file changes of every
    ordinary commit come from one `git log --raw` (see `git_changes.log_changes`)
    instead of a commit list and then `diff-tree` batches in the workers. The pool is
    forked as soon as the history proves long enough, while this process is small,
    and reads the merges already listed while git walks on (their results pending).

    One walk is one process on one core: a long history (counted by `rev-list
    --count` while the walk starts) is listed from both ends at once. This process
    keeps the newest commits and stops its walk there; a worker runs the same walk
    with `--skip` for the older ones. Both walks are the same only if no ref moved
    meanwhile: the refs are compared before and after, and a change (or a git
    failure) gives None, like a broken object: the batched way reads around it
    (with the pool already forked, if any)."""
    errors: list[str] = []
    allow = _allow_spec(options.allow_paths)
    listed: list[tuple[str, str, bool]] = []
    rows: list[ChangeRow] = []
    pool: Any = None
    merges: list[str] = []
    pending: list[Any] = []
    refs = git_src.refs_state(repo) if jobs > 1 else b""
    counter = git_src.start_count(repo, revs, paths) if jobs > 1 else None
    cut: int | None = None  # commits this process lists; the worker lists the rest
    older: Any = None

    def send(commits: list[str]) -> None:
        unit: HistoryUnit = (str(repo), commits, tuple(paths), options.allow_paths, options.max_file_size, True, None)
        pending.append(pool.apply_async(_history_first_phase, (unit,)))

    try:
        walk = git_changes.log_changes(repo, revs, paths, errors)
        for commits, changes in walk:
            # Waited for once the walk has passed where a cut could fall (so a long history is
            # always split); on ansible the count (0.5 s) is in before the walk's first block.
            if counter is not None and (counter.poll() is not None
                                        or len(listed) >= _SPLIT_MIN_COMMITS * _NEWER_SHARE):
                total = _count_of(counter)
                counter = None
                if total >= _SPLIT_MIN_COMMITS:
                    cut = max(len(listed), int(total * _NEWER_SHARE))
                    pool = pool or stack.enter_context(_pool(options, jobs))
                    older = pool.apply_async(_list_older, ((str(repo), revs, paths, cut, options.allow_paths),))
            last = cut is not None and len(listed) + len(commits) > cut
            if last:  # past the cut: the worker lists these (the changes of earlier commits are all here)
                assert cut is not None
                theirs = {sha for sha, _date, _merge in commits[cut - len(listed):]}
                commits = commits[:cut - len(listed)]
                changes = [c for c in changes if c.commit not in theirs]
            listed += commits
            rows += _rows_to_read(changes, allow, None)
            merges += [sha for sha, _date, merge in commits if merge]
            if pool is None and jobs > 1 and len(listed) * unit_bytes >= _PARALLEL_MIN_BYTES:
                pool = stack.enter_context(_pool(options, jobs))
            while pool is not None and len(merges) >= _MERGES_PER_UNIT:
                send(merges[:_MERGES_PER_UNIT])
                del merges[:_MERGES_PER_UNIT]
            if last:
                walk.close()
                break
    finally:
        if counter is not None:
            counter.kill()
            _count_of(counter)
    if older is not None:
        their_listed, their_rows, their_errors = older.get()
        errors += their_errors
        listed += their_listed
        rows += their_rows
        merges += [sha for sha, _date, merge in their_listed if merge]
        if git_src.refs_state(repo) != refs:
            errors.append("a ref moved while the history was listed")
    if errors:
        _debug(f"one-pass listing abandoned: {errors[0]}")
        return None, [], pool, []
    if pool is not None and merges:
        for i in range(0, len(merges), _MERGES_PER_UNIT):
            send(merges[i:i + _MERGES_PER_UNIT])
    return listed, rows, pool, pending


# A history is listed from both ends once it has this many commits; the newest commits
# cost most to diff (larger trees): ansible's newest 30 % cost as much as the rest.
_SPLIT_MIN_COMMITS = 4000
_NEWER_SHARE = 0.3


def _count_of(counter: Any) -> int:
    with counter:  # closes the pipe, waits
        out = counter.stdout.read() if counter.stdout is not None else b""
    try:
        return int(out.strip() or b"0")
    except ValueError:
        return 0


ListedPart = tuple[list[tuple[str, str, bool]], list[ChangeRow], list[str]]


def _list_older(unit: tuple[str, list[str], list[str], int, tuple[str, ...]]) -> ListedPart:
    """In a worker: the commits past the first `skip` of the walk and their changes to read."""
    repo_s, revs, paths, skip, allow_patterns = unit
    errors: list[str] = []
    allow = _allow_spec(allow_patterns)
    listed: list[tuple[str, str, bool]] = []
    rows: list[ChangeRow] = []
    for commits, changes in git_changes.log_changes(Path(repo_s), revs, paths, errors, skip=skip):
        listed += commits
        rows += _rows_to_read(changes, allow, None)
    return listed, rows, errors


def _debug(message: str) -> None:
    if os.environ.get("WARDEN_SCAN_DEBUG"):
        sys.stderr.write(f"warden scan: {message}\n")


def _scan_history(options: ScanOptions, result: ScanResult) -> None:
    from secretwarden.scan.sources.git_cache import CommitCache, scope_of

    repo, paths = _history_scope(options)
    git_src.check_repo(repo)
    _SEEN.clear()  # nothing from an earlier scan in this process (rules may have changed)
    _CLEAN_PAIRS.clear()
    revs = git_src.rev_range(repo, since=options.since, branch=options.branch)
    cache = None
    if options.use_cache:
        scope = scope_of(sorted(options.disabled_rules), options.allow_paths, paths, options.max_file_size)
        cache = CommitCache(git_src.git_common_dir(repo), scope)
    with contextlib.ExitStack() as stack:  # the worker pool, when one is forked
        _scan_history_listed(options, result, repo, paths, revs, cache, stack)


def _scan_history_listed(options: ScanOptions, result: ScanResult, repo: Path, paths: list[str], revs: list[str],
                         cache: Any, stack: contextlib.ExitStack) -> None:
    jobs = _jobs(options)
    unit_bytes = 1 << 15  # history sizes are unknown up front: progress counts commits
    pool = None
    logged = None
    rows: list[ChangeRow] = []
    pending: list[Any] = []  # merges read while the listing went on
    if cache is None or cache.empty:
        logged, rows, pool, pending = _one_pass_listing(options, repo, paths, revs, stack, jobs, unit_bytes)
    one_pass = logged is not None
    listed = logged if logged is not None else git_src.list_commits(repo, revs, paths)
    del logged
    dates = {sha: date for sha, date, _merge in listed}
    merges = {sha for sha, _date, merge in listed if merge}
    result.stats.commits = len(listed)
    todo = [sha for sha, _date, _merge in listed if cache is None or sha not in cache]
    # Commits that had findings are read again, but only at the paths that had them.
    # Ordinary commits filter their changes per commit in-process; merges need
    # a pathspec, which git matches against every tree entry: capped.
    recheck = [sha for sha in todo if cache is not None and cache.dirty_paths(sha)]
    only = {sha: tuple(cache.dirty_paths(sha)) for sha in recheck} if cache is not None else {}
    merge_paths = sorted({p for sha in recheck if sha in merges for p in only[sha]})
    if len(merge_paths) > _RECHECK_PATHS_MAX:
        recheck, merge_paths = [sha for sha in recheck if sha not in merges], []
    recheck_paths = {p for sha in recheck for p in only[sha]}
    rechecked = set(recheck)
    full = [sha for sha in todo if sha not in rechecked]
    size = max(20, min(1000, len(full) // (jobs * 6) + 1))
    work: list[HistoryUnit] = []
    for commits, again in ((full, False), (recheck, True)):
        for kind in (False, True):
            if one_pass and (not kind or pending):
                continue  # listed already, or read already
            mine = [sha for sha in commits if (sha in merges) == kind]
            where = tuple(merge_paths) if again and kind else tuple(paths)
            per_commit = {sha: only[sha] for sha in mine} if again and not kind else None
            step = 1000 if again else size
            work += [(str(repo), mine[i:i + step], where, options.allow_paths, options.max_file_size, kind,
                      per_commit) for i in range(0, len(mine), step)]
    dirty: Dirty = {}
    seen_sizes: dict[int, int] = {}
    confirmed = 0
    total = len(todo) * unit_bytes
    listed_commits = len(todo) - len(merges) if one_pass else 0

    def take(found: list[Finding], notices: list[Notice], bad: Dirty, nbytes: int, allowed: int,
             stats: tuple[int, int, int]) -> None:
        nonlocal confirmed
        result.findings.extend(f.at(author_date=dates.get(f.commit or "")) for f in found)
        result.notices.extend(notices)
        for sha, where in bad.items():
            dirty.setdefault(sha, set()).update(where)
        result.stats.bytes += nbytes
        result.allowed += allowed
        seen_sizes[stats[0]] = max(seen_sizes.get(stats[0], 0), stats[1])
        confirmed += stats[2]

    kept: list[tuple[Finding, git_changes.Change]] = []
    # One pool for both phases, forked while this process is still small (see `_map`).
    if pool is None and jobs > 1 and total >= _PARALLEL_MIN_BYTES and len(work) >= 2:
        pool = stack.enter_context(_pool(options, jobs))
    done = len(merges) * unit_bytes if pending else 0  # read first: queued before the second phase
    work2: list[ChangesUnit] = []
    if one_pass:  # dealt out now, while the workers read the merges
        work2 = _shares_by_path(str(repo), rows, None, jobs, options.max_file_size)
        rows = []
    for merged, listing in _map(options, _history_first_phase, work, total,
                                lambda out: int(out[0][3]) * unit_bytes if out[0] else 0, pool=pool):
        if merged is not None:
            found, notices, bad, ncommits, nbytes, allowed, stats = merged
            take(found, notices, bad, nbytes, allowed, stats)
            done += ncommits * unit_bytes
        elif listing is not None:
            rows.extend(listing[0])
            take([], listing[1], listing[2], 0, 0, (0, 0, 0))
            listed_commits += listing[3]
    if not one_pass:
        work2 = _shares_by_path(str(repo), rows, listed, jobs, options.max_file_size)
        rows = []
    per_change = listed_commits * unit_bytes / max(1, sum(len(unit[1]) for unit in work2))
    for found2, notices, bad, _nchanges, nbytes, allowed, stats in _map(
        options, _scan_changes, work2, total, lambda out: int(out[3] * per_change), done=done, pool=pool,
    ):
        kept.extend(found2)
        take([], notices, bad, nbytes, allowed, stats)
    # Merges read while the listing went on: their results are taken last, so that the
    # second phase's shares were queued behind them (no worker waits for this process).
    for waiting in pending:
        found, notices, bad, _ncommits, nbytes, allowed, stats = waiting.get()[0]
        take(found, notices, bad, nbytes, allowed, stats)
    if kept:
        take(_moves_dropped(repo, paths, kept, options.max_file_size, dirty), [], {}, 0, 0, (0, 0, 0))
    if cache is not None:
        cache.save(clean=[sha for sha in todo if sha not in dirty],
                   dirty={sha: where for sha, where in dirty.items() if "" not in where})
    _debug(f"history: {len(listed)} commits in range, {len(listed) - len(todo)} from the cache"
           f"{' (cache file rejected)' if cache is not None and cache.rejected else ''}, "
           f"{len(full)} read, {len(recheck)} read again at {len(recheck_paths)} paths with findings, "
           f"{confirmed} file changes confirmed, "
           f"dedupe entries {sum(seen_sizes.values())}, changed text bytes {result.stats.bytes}")


# --- staged ------------------------------------------------------------------

StagedUnit = tuple[str, list[tuple[str, str, frozenset[int]]], int]


def _scan_staged_chunk(unit: StagedUnit) -> FileResult:
    repo, items, max_size = unit
    by_blob: dict[str, list[tuple[str, frozenset[int]]]] = {}
    for path, blob, lines in items:
        by_blob.setdefault(blob, []).append((path, lines))
    findings: list[Finding] = []
    notices: list[Notice] = []
    nfiles = nbytes = allowed = 0
    for sha, data, reason in git_src.read_blobs(Path(repo), list(by_blob), max_size):
        for path, added in by_blob[sha]:
            if data is None:
                notices.append(Notice(path, reason or "unreadable"))
                continue
            nfiles += 1
            nbytes += len(data)
            found, notes, n_allowed = _scan_buffer(data, path)
            allowed += n_allowed
            kept = [f.at(path=path) for f in found
                    if any(line in added for line in range(f.line, (f.end_line or f.line) + 1))]
            findings.extend(kept)
            notices.extend(Notice(path, n) for n in [*notes, *encoding_notes(data, kept)])
    return findings, notices, nfiles, nbytes, allowed


def _scan_staged(options: ScanOptions, result: ScanResult) -> None:
    from secretwarden.scan.sources.staged import staged_files

    repo = files_src.git_toplevel(Path(options.target)) or Path(options.target)
    staged = staged_files(repo)  # paths in the index are relative to the top level
    allow = _allow_spec(options.allow_paths)
    items = [(s.path, s.blob, s.added_lines) for s in staged if allow is None or not allow.match_file(s.path)]
    jobs = _jobs(options)
    size = max(16, len(items) // (jobs * 4) + 1)
    work = [(str(repo), items[i:i + size], options.max_file_size) for i in range(0, len(items), size)]
    # staged blob sizes are not known without reading them: estimate from the count
    for findings, notices, nfiles, nbytes, allowed in _map(
        options, _scan_staged_chunk, work, len(items) * 16384, lambda out: int(out[2]) * 16384,
    ):
        result.findings.extend(findings)
        result.notices.extend(notices)
        result.stats.files += nfiles
        result.stats.bytes += nbytes
        result.allowed += allowed

def _scan_stdin(options: ScanOptions, result: ScanResult, data: bytes) -> None:
    _worker_init(options.disabled_rules)
    result.stats.files = 1
    result.stats.bytes = len(data)
    findings, notes, allowed = scan_bytes(data, options.stdin_name)
    result.findings.extend(findings)
    result.notices.extend(Notice(options.stdin_name, n) for n in notes)
    result.allowed += allowed


# --- entry point -----------------------------------------------------------------


def run_scan(options: ScanOptions, *, stdin_data: bytes | None = None) -> ScanResult:
    started = time.perf_counter()
    result = ScanResult(source=options.mode, root=options.target)
    if options.only_rules:
        from secretwarden.scan.rules import rule_ids

        unknown = options.only_rules - set(rule_ids())
        if unknown:
            raise UsageError(f"unknown rule id(s): {', '.join(sorted(unknown))}",
                             hint="`warden scan --list-rules` prints the rule ids")
        options.disabled_rules = options.disabled_rules | (frozenset(rule_ids()) - options.only_rules)
    if options.mode == "files":
        _scan_tree(options, result)
    elif options.mode == "git":
        _scan_history(options, result)
    elif options.mode == "staged":
        _scan_staged(options, result)
    elif options.mode == "stdin":
        _scan_stdin(options, result, stdin_data or b"")
    else:
        raise UsageError(f"unknown scan mode {options.mode}")
    if options.min_confidence > 0:
        result.findings = [f for f in result.findings if f.confidence >= options.min_confidence]
    if options.baseline and options.use_baseline:
        known = baseline_mod.load(Path(options.baseline))
        if known:
            kept = [f for f in result.findings if f.fingerprint not in known]
            result.baselined = len(result.findings) - len(kept)
            result.findings = kept
    result.findings.sort(key=lambda f: (f.path, f.line, f.column, f.rule_id, f.commit or ""))
    result.notices.sort(key=lambda n: (n.path, n.reason))
    result.stats.seconds = time.perf_counter() - started
    return result
