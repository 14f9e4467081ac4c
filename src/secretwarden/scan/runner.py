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


BINARY_NOTICE = "binary content (NUL bytes): skipped"
UNDECODABLE_NOTICE = "not valid UTF-8: scanned with undecodable bytes replaced"
_SNIFF = 8192


def is_binary(head: bytes) -> bool:
    """git's own test: a NUL byte in the first 8 KB (tree, history and staged agree)."""
    return b"\0" in head[:_SNIFF]


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
        from secretwarden.scan.history import scan_history

        scan_history(options, result)
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
