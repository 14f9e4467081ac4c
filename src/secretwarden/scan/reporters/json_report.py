"""Kept for callers of `finding_dict`: a scan finding as the shared JSON reporter writes it."""

from __future__ import annotations

from typing import Any

from secretwarden.scan.model import Finding


def finding_dict(f: Finding, show_secrets: bool) -> dict[str, Any]:
    return f.json_fields(show_secrets)
