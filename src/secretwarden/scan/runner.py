"""Run a scan: pick the source, spread the work over processes, apply
allowlists and the baseline, and return a `ScanResult`.

Workers are forked processes; each compiles its own hyperscan database once
(milliseconds) and receives only paths or blob ids, returning only findings.
"""

from __future__ import annotations

import multiprocessing
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


def _note_encoding(buf: bytes) -> str | None:
    if buf.isascii():
        return None
    try:
        buf.decode("utf-8")
    except UnicodeDecodeError:
        return "not valid UTF-8: scanned with undecodable bytes replaced"
    return None


def scan_bytes(buf: bytes, path: str) -> tuple[list[Finding], list[str], int]:
    """Scan one buffer: (findings, notices, allowed count). Binary content is skipped."""
    if b"\0" in buf[:8192]:
        return [], ["binary content (NUL bytes): skipped"], 0
    out = _engine().scan(buf, path)
    notices = list(out.notices)
    if out.findings:
        note = _note_encoding(buf)
        if note:
            notices.append(note)
    return out.findings, notices, out.allowed


FileResult = tuple[list[Finding], list[Notice], int, int, int]  # findings, notices, files, bytes, allowed


def _scan_file_batch(batch: list[tuple[str, str]]) -> FileResult:
    findings: list[Finding] = []
    notices: list[Notice] = []
    nbytes = allowed = 0
    for rel, abspath in batch:
        try:
            with open(abspath, "rb") as fh:
                buf = fh.read()
        except OSError as exc:
            notices.append(Notice(rel, f"unreadable: {exc.strerror or type(exc).__name__}"))
            continue
        nbytes += len(buf)
        try:
            found, notes, n_allowed = scan_bytes(buf, rel)
        except Exception as exc:  # one bad file must never stop the scan
            notices.append(Notice(rel, f"scan error: {type(exc).__name__}"))
            continue
        findings.extend(found)
        notices.extend(Notice(rel, n) for n in notes)
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
    return multiprocessing.get_context(method).Pool(jobs, initializer=_worker_init,
                                                    initargs=(options.disabled_rules,))


def _map(options: ScanOptions, fn: Callable[[Any], Any], work: list[Any], total_bytes: int,
         progress_of: Callable[[Any], int]) -> Iterator[Any]:
    jobs = _jobs(options)
    progress = options.progress
    done = 0
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
    items = list(files_src.iter_files(root, honour_ignore=options.honour_ignore,
                                      max_size=options.max_file_size,
                                      allow_spec=_allow_spec(options.allow_paths),
                                      notices=result.notices))
    total = sum(i.size for i in items)
    for findings, notices, nfiles, nbytes, allowed in _map(
        options, _scan_file_batch, list(_batches(items)), total, lambda out: int(out[3])
    ):
        result.findings.extend(findings)
        result.notices.extend(notices)
        result.stats.files += nfiles
        result.stats.bytes += nbytes
        result.allowed += allowed


BlobResult = tuple[dict[str, list[Finding]], list[Notice], int, int, int]


def _scan_blob_chunk(unit: tuple[str, list[tuple[str, str]], int]) -> BlobResult:
    repo, blobs, max_size = unit
    paths = dict(blobs)
    found: dict[str, list[Finding]] = {}
    notices: list[Notice] = []
    nbytes = allowed = 0
    for sha, data, reason in git_src.read_blobs(Path(repo), [s for s, _ in blobs], max_size):
        if data is None:
            notices.append(Notice(paths.get(sha, sha), reason or "unreadable", commit=sha))
            continue
        nbytes += len(data)
        try:
            findings, _notes, n_allowed = scan_bytes(data, paths[sha])
        except Exception as exc:
            notices.append(Notice(paths[sha], f"scan error: {type(exc).__name__}", commit=sha))
            continue
        allowed += n_allowed
        if findings:
            found[sha] = findings
    return found, notices, len(blobs), nbytes, allowed


def _scan_history(options: ScanOptions, result: ScanResult) -> None:
    repo = Path(options.target)
    history = git_src.read_history(repo, since=options.since, branch=options.branch)
    result.stats.commits = history.commits
    allow = _allow_spec(options.allow_paths)
    todo: list[tuple[str, str]] = []
    for sha, intros in history.blobs.items():
        paths = [i.path for i in intros if allow is None or not allow.match_file(i.path)]
        if paths and os.path.splitext(paths[0])[1].lower() not in files_src.BINARY_EXTS:
            todo.append((sha, paths[0]))
    jobs = _jobs(options)
    n_chunks = max(1, min(len(todo), jobs * 4))
    chunks = [todo[i::n_chunks] for i in range(n_chunks)] if todo else []
    work = [(str(repo), chunk, options.max_file_size) for chunk in chunks]
    options_for_map = options
    blob_findings: dict[str, list[Finding]] = {}
    # history sizes are unknown up front: progress counts blobs
    for found, notices, nblobs, nbytes, allowed in _map(
        options_for_map, _scan_blob_chunk, work, len(todo) * 4096 + _PARALLEL_MIN_BYTES * (len(todo) > 200),
        lambda out: int(out[2]) * 4096,
    ):
        blob_findings.update(found)
        result.notices.extend(notices)
        result.stats.blobs += nblobs
        result.stats.bytes += nbytes
        result.allowed += allowed
    # Old blobs outside the scanned range whose secrets decide attribution.
    needed = {
        i.old_blob for sha in blob_findings for i in history.blobs[sha]
        if i.old_blob != git_src.ZERO and i.old_blob not in history.blobs
    }
    if needed:
        _worker_init(options.disabled_rules)
        extra, _, _, _, _ = _scan_blob_chunk((str(repo), [(s, "old") for s in sorted(needed)], options.max_file_size))
        old_findings = extra
    else:
        old_findings = {}
    for sha, findings in blob_findings.items():
        for intro in history.blobs[sha]:
            if allow is not None and allow.match_file(intro.path):
                continue
            before = blob_findings.get(intro.old_blob) or old_findings.get(intro.old_blob) or []
            known = {(f.rule_id, f.secret) for f in before}
            for f in findings:
                if (f.rule_id, f.secret) in known:
                    continue
                result.findings.append(f.at(path=intro.path, commit=intro.commit, author_date=intro.author_date))


def _scan_staged(options: ScanOptions, result: ScanResult) -> None:
    from secretwarden.scan.sources.staged import staged_files

    repo = files_src.git_toplevel(Path(options.target)) or Path(options.target)
    staged = staged_files(repo)  # paths in the index are relative to the top level
    allow = _allow_spec(options.allow_paths)
    staged = [s for s in staged if allow is None or not allow.match_file(s.path)]
    by_blob = {s.blob: s for s in staged}
    _worker_init(options.disabled_rules)
    for sha, data, reason in git_src.read_blobs(repo, list(by_blob), options.max_file_size):
        item = by_blob[sha]
        if data is None:
            result.notices.append(Notice(item.path, reason or "unreadable"))
            continue
        result.stats.files += 1
        result.stats.bytes += len(data)
        findings, notes, allowed = scan_bytes(data, item.path)
        result.allowed += allowed
        result.notices.extend(Notice(item.path, n) for n in notes)
        for f in findings:
            span = range(f.line, (f.end_line or f.line) + 1)
            if any(line in item.added_lines for line in span):
                result.findings.append(f)


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
