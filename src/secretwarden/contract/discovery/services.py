"""Which service a file belongs to: the chart's name inside a Helm chart, else its
folder under services/, apps/, packages/ or cmd/, else its first folder; files
at the root belong to the repository."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

GROUP_DIRS = frozenset({"services", "apps", "packages", "cmd"})
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
_VERSION_DIR = re.compile(r"^v?\d+(?:\.\d+)*$")


def safe_name(raw: str) -> str:
    """A name the contract accepts (`contract.model.NAME_RE`), or "" if none is left."""
    return _UNSAFE.sub("-", raw).lstrip("._-")[:128].rstrip("._-")


def service_dir(rel: PurePosixPath) -> PurePosixPath | None:
    """The folder that makes up the service of `rel`, or None for the repository itself."""
    parts = rel.parts[:-1]
    if not parts or _VERSION_DIR.match(parts[0]):
        return None  # `32/apache/Dockerfile`: one image built per release, the repository's own service
    if parts[0] in GROUP_DIRS:
        return PurePosixPath(*parts[:2]) if len(parts) >= 2 else None
    return PurePosixPath(parts[0])


def chart_of(rel: PurePosixPath, charts: dict[str, str]) -> str | None:
    """The name of the innermost Helm chart (folder -> chart name) holding `rel`."""
    for depth in range(len(rel.parts) - 1, -1, -1):
        name = charts.get(PurePosixPath(*rel.parts[:depth]).as_posix() if depth else ".")
        if name is not None:
            return name
    return None


def service_for(rel: PurePosixPath, repo_service: str, charts: dict[str, str] | None = None) -> str:
    """A file of a Helm chart belongs to the chart's service (its name), not to `charts/`."""
    chart = chart_of(rel, charts) if charts else None
    if chart is not None:
        return safe_name(chart) or repo_service
    folder = service_dir(rel)
    if folder is None:
        return repo_service
    return safe_name(folder.name) or repo_service
