"""Which service a file belongs to: its folder under services/, apps/, packages/
or cmd/, else its first folder; files at the root belong to the repository."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

GROUP_DIRS = frozenset({"services", "apps", "packages", "cmd"})
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def safe_name(raw: str) -> str:
    """A name the contract accepts (`contract.model.NAME_RE`), or "" if none is left."""
    return _UNSAFE.sub("-", raw).lstrip("._-")[:128].rstrip("._-")


def service_dir(rel: PurePosixPath) -> PurePosixPath | None:
    """The folder that makes up the service of `rel`, or None for the repository itself."""
    parts = rel.parts[:-1]
    if not parts:
        return None
    if parts[0] in GROUP_DIRS:
        return PurePosixPath(*parts[:2]) if len(parts) >= 2 else None
    return PurePosixPath(parts[0])


def service_for(rel: PurePosixPath, repo_service: str) -> str:
    folder = service_dir(rel)
    if folder is None:
        return repo_service
    return safe_name(folder.name) or repo_service
