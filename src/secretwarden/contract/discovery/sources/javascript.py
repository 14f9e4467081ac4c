"""JavaScript/TypeScript: `process.env.X`, `process.env["X"]`, `import.meta.env.X`, destructuring."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import PurePosixPath

from secretwarden.contract.discovery.model import Hit
from secretwarden.contract.discovery.sources.base import (
    ENV_NAME,
    SLASHES,
    Lines,
    regex_hits,
    suffix_in,
)

KIND = "javascript"
SUFFIXES = {".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx", ".mts", ".cts", ".vue", ".svelte", ".astro"}
# Set by Vite itself, not by the project.
VITE_BUILTINS = frozenset({"MODE", "BASE_URL", "PROD", "DEV", "SSR"})

_ENV = r"(?<![\w$.])(?:process\??\.env|import\.meta\.env)"
_FALLBACK = r"(?P<default>\s*(?:\?\?|\|\|))?"
_DOT = re.compile(rf"{_ENV}\??\.(?P<name>{ENV_NAME})(?![\w$]){_FALLBACK}")
_BRACKET = re.compile(rf"{_ENV}\??\.?\[\s*(?P<q>['\"`])(?P<name>{ENV_NAME})(?P=q)\s*\]{_FALLBACK}")
_DESTRUCTURE = re.compile(rf"\b(?:const|let|var)\s*\{{(?P<body>[^{{}}]*)\}}\s*=\s*{_ENV}(?![\w$.\[])")
_MEMBER = re.compile(rf"^\s*(?P<name>{ENV_NAME})\s*(?:$|:|(?P<default>=))")


def wants(path: PurePosixPath) -> bool:
    return suffix_in(path, SUFFIXES) and not path.name.endswith((".min.js", ".map"))


def scan(text: str, path: PurePosixPath) -> Iterable[Hit]:
    if ".env" not in text:
        return  # cheap pre-check: most files read no env at all
    lines = Lines(text)
    for hit in regex_hits(text, [_DOT, _BRACKET], comments=SLASHES):
        if hit.name in VITE_BUILTINS and "import.meta.env" in lines.line_at(hit.line):
            continue
        yield hit
    for m in _DESTRUCTURE.finditer(text):
        if lines.in_comment(m.start(), SLASHES):
            continue
        offset = m.start("body")
        for member in m.group("body").split(","):
            found = _MEMBER.match(member)
            if found and not member.lstrip().startswith("..."):
                line = lines.number(offset + found.start("name"))
                yield Hit(found.group("name"), line, has_default=found.group("default") is not None)
            offset += len(member) + 1

