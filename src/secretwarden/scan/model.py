"""Plain data produced by a scan. No secret value leaves the engine except in
`Finding.secret`, which reporters print only when asked to (`--show-secrets`)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace

SEVERITIES = ("critical", "high", "medium", "low")


def secret_digest(secret: str) -> str:
    """The secret's hash as stored in fingerprints (never the secret itself)."""
    return hashlib.sha256(b"secretwarden:v1:" + secret.encode("utf-8", "surrogateescape")).hexdigest()


def redact(secret: str, show: int = 4) -> str:
    """First `show` characters then a fixed-width mask, so the length leaks nothing."""
    head = secret[:show] if len(secret) > show * 2 else secret[: max(1, len(secret) // 4)]
    return head + "*" * 8


@dataclass(frozen=True)
class Finding:
    rule_id: str
    description: str
    severity: str
    path: str
    line: int
    column: int
    secret: str
    confidence: float
    tags: tuple[str, ...] = ()
    commit: str | None = None
    author_date: str | None = None
    decoded: str | None = None  # "base64" / "percent" when found inside an encoded value
    end_line: int | None = None

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

    def at(self, **changes: object) -> Finding:
        return replace(self, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Notice:
    """Something the scan skipped or could only partly read; never fatal."""

    path: str
    reason: str
    commit: str | None = None


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
    def clean(self) -> bool:
        return not self.findings
