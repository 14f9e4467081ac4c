"""Plain data produced by a scan. No secret value leaves the engine except in
`Finding.secret`, which reporters print only when asked to (`--show-secrets`).

`Finding` is the shared `secretwarden.findings.Finding` plus what only a
secret has (the value, its confidence, where in history it came from)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

from secretwarden.findings.model import Finding as BaseFinding
from secretwarden.findings.model import Notice

# `note`: a key that is public by design (a Firebase web apiKey, a Mapbox `pk.`
# token): listed so a reviewer can see it, never failing a run.
SEVERITIES = ("critical", "high", "medium", "low", "note")

__all__ = ["SEVERITIES", "Finding", "Notice", "ScanResult", "ScanStats", "redact", "secret_digest"]


def secret_digest(secret: str) -> str:
    """The secret's hash as stored in fingerprints (never the secret itself)."""
    return hashlib.sha256(b"secretwarden:v1:" + secret.encode("utf-8", "surrogateescape")).hexdigest()


def redact(secret: str, show: int = 4) -> str:
    """First `show` characters then a fixed-width mask, so the length leaks nothing."""
    head = secret[:show] if len(secret) > show * 2 else secret[: max(1, len(secret) // 4)]
    return head + "*" * 8


@dataclass(frozen=True, kw_only=True)
class Finding(BaseFinding):
    tool: ClassVar[str] = "scan"

    description: str = ""
    secret: str = field(default="", repr=False)  # never in a repr: a traceback must not print it
    confidence: float = 0.0
    tags: tuple[str, ...] = ()
    commit: str | None = None
    author_date: str | None = None
    decoded: str | None = None  # "base64" / "percent" when found inside an encoded value

    def __post_init__(self) -> None:
        if not self.message:
            object.__setattr__(self, "message", self.description)

    @property
    def preview(self) -> str:
        return redact(self.secret)

    @property
    def fingerprint(self) -> str:
        raw = f"{self.rule_id}\0{self.path}\0{secret_digest(self.secret)}"
        return hashlib.sha256(raw.encode("utf-8", "surrogateescape")).hexdigest()[:40]

    @property
    def confidence_label(self) -> str:
        if self.confidence >= 0.8:
            return "high"
        if self.confidence >= 0.5:
            return "medium"
        return "low"

    def at(self, **changes: Any) -> Finding:
        return replace(self, **changes)

    def evidence(self, show_secrets: bool) -> str | None:
        return self.secret if show_secrets else self.preview

    def details(self) -> list[str]:
        out = [f"confidence {self.confidence_label}"]
        if self.commit:
            out.append(f"commit {self.commit[:12]} {self.author_date or ''}".rstrip())
        if self.decoded:
            out.append(f"decoded from {self.decoded}")
        return out

    def json_fields(self, show_secrets: bool) -> dict[str, Any]:
        d = super().json_fields(show_secrets)
        d.update({
            "description": self.description,
            "confidence": self.confidence,
            "commit": self.commit,
            "author_date": self.author_date,
            "preview": self.preview,
            "decoded": self.decoded,
            "tags": list(self.tags),
        })
        if show_secrets:
            d["secret"] = self.secret
        return d

    def sarif_properties(self) -> dict[str, Any]:
        props: dict[str, Any] = {"confidence": self.confidence, "severity": self.severity}
        if self.commit:
            props["commit"] = self.commit
            props["authorDate"] = self.author_date
        if self.decoded:
            props["decoded"] = self.decoded
        return props


@dataclass
class ScanStats:
    files: int = 0
    bytes: int = 0
    blobs: int = 0
    commits: int = 0
    seconds: float = 0.0


@dataclass
class ScanResult:
    findings: list[Finding] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    stats: ScanStats = field(default_factory=ScanStats)
    baselined: int = 0
    allowed: int = 0
    source: str = "files"
    root: str = "."

    @property
    def gating(self) -> list[Finding]:
        """The findings that fail the scan: every one but the notes."""
        return [f for f in self.findings if f.gating]

    @property
    def notes(self) -> list[Finding]:
        return [f for f in self.findings if f.note]

    @property
    def clean(self) -> bool:
        return not self.gating
