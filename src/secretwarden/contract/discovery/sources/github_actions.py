"""GitHub Actions workflows: `${{ secrets.X }}` (and `secrets['X']`).

These are the secrets CI needs; `GITHUB_TOKEN` is minted by GitHub per run
and is left out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import PurePosixPath

from secretwarden.contract.discovery.model import Hit
from secretwarden.contract.discovery.sources.base import ENV_NAME, HASH, regex_hits

KIND = "github-actions"
BUILTIN = frozenset({"GITHUB_TOKEN"})
_REF = re.compile(rf"\bsecrets\s*(?:\.\s*(?P<name>{ENV_NAME})|\[\s*'(?P<quoted>{ENV_NAME})'\s*\])")


def wants(path: PurePosixPath) -> bool:
    parts = path.parts
    in_workflows = len(parts) >= 3 and parts[-3:-1] == (".github", "workflows")
    return (in_workflows and path.suffix in {".yml", ".yaml"}) or path.name in {"action.yml", "action.yaml"}


def scan(text: str, path: PurePosixPath) -> Iterable[Hit]:
    for pattern_group in ("name", "quoted"):
        for hit in regex_hits(text, [_REF], comments=HASH, group=pattern_group):
            if hit.name not in BUILTIN:
                yield Hit(hit.name, hit.line, detail="workflow secret")
