"""What discovery finds: names and the places they were seen, never values.

A source module yields `Hit`s for one file; `discover` turns them into
`Finding`s (a hit plus its service and path) and gathers them in an
`Inventory`, which the CLI prints and `render_contract` turns into YAML.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Names the contract accepts as keys: the same shape as `contract.model.KEY_RE`
# (dots and dashes are allowed because Kubernetes Secret keys use them).
KEY_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,255}")


@dataclass(frozen=True)
class Hit:
    """One name seen by one source in one file.

    `weak` hits (shell `$VAR`) are kept only for secret-like names or names
    another source also found: shells read $HOME and $PATH all day.
    `secret_object` marks a Kubernetes Secret's name rather than a key name.
    `has_default` marks a read that falls back to a default when the variable
    is unset (`os.getenv("X", "d")`, `${X:-d}`); the default itself is never kept.
    """

    name: str
    line: int
    detail: str | None = None
    weak: bool = False
    secret_object: bool = False
    has_default: bool = False
    # what the manifest deploys (workload name, container names, image names): lets a
    # manifest kept in `k8s/` give its names to the service it deploys
    deploys: tuple[str, ...] = ()


@dataclass(frozen=True, order=True)
class Place:
    path: str  # relative to the scanned root, POSIX separators
    line: int  # 1-based
    source: str  # the source kind that saw it, e.g. "python", "compose"
    detail: str | None = None
    has_default: bool = False  # the read there falls back to a default

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "line": self.line, "source": self.source}
        if self.detail:
            out["detail"] = self.detail
        if self.has_default:
            out["has_default"] = True
        return out


@dataclass(frozen=True)
class Finding:
    service: str
    name: str
    place: Place
    weak: bool = False
    secret_object: bool = False
    deploys: tuple[str, ...] = ()


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str


@dataclass
class Inventory:
    """Every name found under `root`, grouped by service."""

    root: Path
    repo_service: str
    findings: list[Finding] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    files_scanned: int = 0
    notes: list[str] = field(default_factory=list)  # what the user should know about how files were read
    # service -> folders its files came from (e.g. services/auth), for `source:`
    service_dirs: dict[str, set[str]] = field(default_factory=dict)
    _cache: dict[tuple[int, int, bool], dict[str, dict[str, list[Place]]]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def _grouped(self, *, secret_objects: bool) -> dict[str, dict[str, list[Place]]]:
        # Cached: the CLI and the renderer ask many times; recomputed if findings change.
        stamp = (id(self.findings), len(self.findings), secret_objects)
        cached = self._cache.get(stamp)
        if cached is None:
            cached = self._cache[stamp] = self._group(secret_objects=secret_objects)
        return cached

    def _group(self, *, secret_objects: bool) -> dict[str, dict[str, list[Place]]]:
        grouped: dict[str, dict[str, list[Place]]] = {}
        for f in self.findings:
            if f.secret_object != secret_objects:
                continue
            grouped.setdefault(f.service, {}).setdefault(f.name, []).append(f.place)
        return {
            svc: {name: _one_per_line(places) for name, places in sorted(names.items())}
            for svc, names in sorted(grouped.items())
        }

    def by_service(self) -> dict[str, dict[str, list[Place]]]:
        """service -> key name -> places, sorted for stable output."""
        return self._grouped(secret_objects=False)

    def kubernetes_secrets(self) -> dict[str, dict[str, list[Place]]]:
        """service -> Kubernetes Secret name -> places (envFrom, Helm existingSecret)."""
        return self._grouped(secret_objects=True)

    @property
    def count(self) -> int:
        """Distinct (service, name) pairs."""
        return sum(len(names) for names in self.by_service().values())

    def to_json(self) -> dict[str, Any]:
        k8s = self.kubernetes_secrets()
        by_service = self.by_service()
        services: dict[str, Any] = {}
        for svc in sorted(set(by_service) | set(k8s)):
            names = by_service.get(svc, {})
            services[svc] = {
                "names": {n: [p.to_json() for p in places] for n, places in names.items()},
                "kubernetes_secrets": {
                    n: [p.to_json() for p in places] for n, places in k8s.get(svc, {}).items()
                },
            }
        return {
            "root": str(self.root),
            "count": self.count,
            "files_scanned": self.files_scanned,
            "services": services,
            "skipped": [{"path": s.path, "reason": s.reason} for s in self.skipped],
            "notes": list(self.notes),
        }


def _one_per_line(places: list[Place]) -> list[Place]:
    """One place per file line, sorted.

    Two sources (or two reads of one source) often see a name on the same line:
    compose's `KEY: ${KEY}` is both an `environment:` key and an interpolation.
    Listing `docker-compose.yml:5` twice tells the reader nothing. The line's
    read falls back to a default if any of its reads does (`KEY: ${KEY:-x}`:
    the key is always set, the interpolation is what may be left unset).
    """
    merged: dict[tuple[str, int], Place] = {}
    for place in sorted(set(places)):
        spot = (place.path, place.line)
        first = merged.get(spot)
        if first is None:
            merged[spot] = place
        elif place.has_default and not first.has_default:
            merged[spot] = Place(first.path, first.line, first.source, first.detail, True)
    return list(merged.values())
