"""Commits already scanned clean, per repository, so a CI re-scan reads only new ones.

A commit id names its content, so "commit C added nothing the rules report"
stays true for as long as the rules, the options that change what is read and
this code stay the same; the cache is keyed by all of them (`scope`). Commits
that produced no finding and no notice are recorded as clean and skipped. For a
commit with findings the cache records only *which paths* had them (never a
value): it is read again each time, but only at those paths, so a cached
re-scan reports exactly what a full scan reports without storing any secret.

Whoever can write the cache directory must not be able to make a scan skip a
commit. Each cache file carries an HMAC over its whole body with a key kept in
the config directory (mode 0600, never in the cache directory or the
repository); a file that fails the check, names another scope or cannot be read
is a miss: the scan reads every commit again and rewrites the file.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Iterable, Mapping
from pathlib import Path

from secretwarden.paths import cache_dir, config_dir, write_atomic

_MAGIC = b"warden-scan-history-cache v2\n"
_KEY_FILE = "scan-cache.key"
_SCOPES_KEPT = 4  # cache files kept per repository (paths, rule selections, rule versions)
_SOURCES = ("engine.py", "decode.py", "filters.py", "../findings/value_shapes.py", "runner.py", "sources/git_diff.py",
            "sources/git_changes.py")


def _key() -> bytes | None:
    """The local MAC key, created on first use; None when it cannot be had (then no cache)."""
    path = config_dir() / _KEY_FILE
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raw = path.read_bytes().strip()
        else:
            raw = secrets.token_hex(32).encode()
            with os.fdopen(fd, "wb") as fh:
                fh.write(raw)
        key = bytes.fromhex(raw.decode("ascii"))
    except (OSError, ValueError):
        return None
    return key if len(key) == 32 else None


def code_digest() -> str:
    """A digest of the detection code and rules: a rule change invalidates every cache."""
    base = Path(__file__).resolve().parent.parent
    h = hashlib.sha256()
    files = sorted((base / "rules").glob("*.py")) + [base / name for name in _SOURCES]
    for path in files:
        try:
            h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
        except OSError:
            h.update(path.name.encode() + b"\0missing\0")
    return h.hexdigest()


class CommitCache:
    def __init__(self, repo_id: Path, scope: str):
        self._key = _key()
        self._scope = scope.encode()
        self.path: Path | None = None
        self._repo_prefix = ""
        if self._key is not None:
            # One file per repository and scope, so scans of different paths or
            # rule selections of one repository do not evict each other.
            repo = hmac.new(self._key, str(repo_id).encode("utf-8", "surrogateescape"), hashlib.sha256).hexdigest()
            both = hmac.new(self._key, repo.encode() + b"\0" + self._scope, hashlib.sha256).hexdigest()
            self._repo_prefix = repo[:24]
            self.path = cache_dir() / "scan-history" / f"{repo[:24]}-{both[:24]}.commits"
        self.rejected = False  # True when a file existed but failed verification
        self.dirty: dict[str, list[str]] = {}
        self.known: set[str] = self._load()

    def _mac(self, body: bytes) -> bytes:
        assert self._key is not None
        return hmac.new(self._key, _MAGIC + body, hashlib.sha256).hexdigest().encode()

    def _load(self) -> set[str]:
        if self.path is None:
            return set()
        try:
            raw = self.path.read_bytes()
        except OSError:
            return set()
        head, _, rest = raw.partition(b"\n")
        mac, _, body = rest.partition(b"\n")
        scope, _, listing = body.partition(b"\n")
        if (head + b"\n" != _MAGIC or not hmac.compare_digest(mac, self._mac(body))
                or scope != self._scope):
            self.rejected = True
            return set()
        try:
            data = json.loads(listing)
            self.dirty = {str(k): [str(p) for p in v] for k, v in data["dirty"].items()}
            return {str(c) for c in data["clean"]}
        except (ValueError, KeyError, TypeError, AttributeError):
            self.rejected = True
            self.dirty = {}
            return set()

    @property
    def empty(self) -> bool:
        """Nothing recorded yet (a first scan, or a file that failed verification)."""
        return not self.known and not self.dirty

    def __contains__(self, commit: str) -> bool:
        return commit in self.known

    def dirty_paths(self, commit: str) -> list[str]:
        """The paths where `commit` had findings last time ([] when unknown: read it whole)."""
        return self.dirty.get(commit, [])

    def save(self, clean: Iterable[str], dirty: Mapping[str, Iterable[str]]) -> None:
        if self.path is None:
            return
        self.known.update(clean)
        for commit, paths in dirty.items():
            self.dirty[commit] = sorted(paths)
        for commit in self.known:
            self.dirty.pop(commit, None)
        listing = json.dumps({"clean": sorted(self.known), "dirty": self.dirty}, sort_keys=True,
                             ensure_ascii=True, separators=(",", ":"))
        body = self._scope + b"\n" + listing.encode("ascii")
        with contextlib.suppress(OSError):  # a cache that cannot be written only costs time
            write_atomic(self.path, _MAGIC + self._mac(body) + b"\n" + body, mode=0o600)
            self._prune()

    def _prune(self) -> None:
        """Keep the newest few scopes per repository: old rule versions' files go."""
        assert self.path is not None
        siblings = sorted(self.path.parent.glob(f"{self._repo_prefix}-*.commits"),
                          key=lambda p: p.stat().st_mtime, reverse=True)
        for old in siblings[_SCOPES_KEPT:]:
            with contextlib.suppress(OSError):
                old.unlink()


def scope_of(*parts: object) -> str:
    h = hashlib.sha256(code_digest().encode())
    for part in parts:
        h.update(b"\0" + repr(part).encode("utf-8", "surrogateescape"))
    return h.hexdigest()
