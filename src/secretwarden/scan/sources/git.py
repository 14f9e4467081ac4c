"""Git history: every blob that any commit added, scanned once, and attributed.

`git log --raw` lists, per commit, each file whose content changed, with the
old and new blob ids. Each distinct new blob is read once through
`git cat-file --batch` and scanned. A finding in a blob is reported for each
commit that introduced that blob at a path *unless* the blob it replaced at
that path already held the same secret: so a secret is reported where it was
added, not again in every later edit of the file.
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from secretwarden.errors import InputError, UsageError

ZERO = "0" * 40


@dataclass(frozen=True)
class Introduction:
    commit: str
    author_date: str
    path: str
    old_blob: str


@dataclass
class History:
    blobs: dict[str, list[Introduction]]
    commits: int


def _git(repo: Path, *args: str) -> subprocess.Popen[bytes]:
    try:
        return subprocess.Popen(["git", "-C", str(repo), "-c", "core.quotepath=off", *args],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except OSError as exc:
        raise UsageError(f"cannot run git: {exc.strerror}") from None


def check_repo(repo: Path) -> None:
    proc = subprocess.run(["git", "-C", str(repo), "rev-parse", "--git-dir"], capture_output=True, check=False)
    if proc.returncode != 0:
        raise UsageError(f"{repo} is not inside a git repository", hint="--git scans the history of a git repository")


def read_history(repo: Path, *, since: str | None = None, branch: str | None = None) -> History:
    check_repo(repo)
    revs: list[str]
    if since and branch:
        revs = [f"{since}..{branch}"]
    elif since:
        revs = [f"{since}..HEAD"]
    elif branch:
        revs = [branch]
    else:
        revs = ["--all"]
    proc = _git(repo, "log", "--raw", "--no-abbrev", "--no-renames", "--no-color", "--no-merges",
                "--format=commit %H %aI", *revs, "--")
    assert proc.stdout is not None
    blobs: dict[str, list[Introduction]] = {}
    commits = 0
    commit = date = ""
    for raw in proc.stdout:
        line = raw.decode("utf-8", "surrogateescape").rstrip("\n")
        if line.startswith("commit "):
            _, commit, date = line.split(" ", 2)
            commits += 1
        elif line.startswith(":"):
            meta, _, path = line.partition("\t")
            fields = meta[1:].split(" ")
            if len(fields) < 5:
                continue
            _old_mode, new_mode, old_blob, new_blob, status = fields[:5]
            if status[:1] not in {"A", "M", "T"} or not new_mode.startswith("100"):
                continue  # deletions, submodules (160000), symlinks (120000)
            if path.startswith('"') and path.endswith('"'):
                path = path[1:-1]
            blobs.setdefault(new_blob, []).append(Introduction(commit, date, path, old_blob))
    err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
    if proc.wait() != 0:
        first = err.strip().splitlines()[0] if err.strip() else "git log failed"
        raise UsageError(f"cannot read history: {first}")
    return History(blobs, commits)


def read_blobs(repo: Path, shas: Iterable[str], max_size: int) -> Iterator[tuple[str, bytes | None, str | None]]:
    """(sha, content or None, reason when None) for each blob, streamed from one cat-file."""
    proc = subprocess.Popen(["git", "-C", str(repo), "cat-file", "--batch"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdin is not None and proc.stdout is not None
    wanted = list(shas)
    stdin = proc.stdin

    def feed() -> None:
        try:
            for sha in wanted:
                stdin.write(sha.encode() + b"\n")
            stdin.close()
        except (BrokenPipeError, OSError):
            pass

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    out = proc.stdout
    try:
        for sha in wanted:
            header = out.readline()
            if not header:
                yield sha, None, "git cat-file stopped early"
                break
            parts = header.split()
            if len(parts) < 3 or parts[1] != b"blob":
                yield sha, None, "broken or missing git object"
                continue
            size = int(parts[2])
            if size > max_size:
                remaining = size + 1
                while remaining:
                    chunk = out.read(min(remaining, 1 << 20))
                    if not chunk:
                        break
                    remaining -= len(chunk)
                yield sha, None, f"larger than {max_size} bytes: skipped"
                continue
            data = out.read(size)
            out.read(1)  # the newline after the content
            yield sha, data, None
    finally:
        writer.join(timeout=5)
        proc.kill()
        proc.wait()


def blob_at(repo: Path, spec: str) -> bytes:
    proc = subprocess.run(["git", "-C", str(repo), "cat-file", "blob", spec], capture_output=True, check=False)
    if proc.returncode != 0:
        raise InputError(f"cannot read {spec} from git")
    return proc.stdout
