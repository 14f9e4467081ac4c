"""JavaScript/TypeScript: `process.env.X`, `process.env["X"]`, `import.meta.env.X`, destructuring,
and the keys of env schemas: zod (`z.object({ DATABASE_URL: z.string() })`), envalid
(`cleanEnv(process.env, { API_KEY: str() })`) and t3-env (`createEnv({ server: {...} })`)."""

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


# A schema file: one of the env-schema libraries is called in it.
_SCHEMA_FILE = re.compile(r"\bz\.object\s*\(|\bcleanEnv\s*\(|\bcreateEnv\s*\(|\benvsafe\s*\(")
# `NAME: z.string()`, `NAME: str({...})`, `"NAME": z.coerce.number()`: an upper-case key whose value is a validator.
_SCHEMA_KEY = re.compile(
    r"(?:^|[{,])[ \t]*(?P<q>['\"]?)(?P<name>[A-Z][A-Z0-9_]*)(?P=q)[ \t]*:[ \t]*"
    r"(?:z\.|zod\.|str\(|num\(|bool\(|port\(|url\(|email\(|host\(|json\(|envalid\.|makeValidator|"
    r"v\.|t\.|Joi\.|yup\.)",
    re.M,
)


def _schema_hits(text: str) -> Iterable[Hit]:
    if _SCHEMA_FILE.search(text) is None:
        return
    for hit in regex_hits(text, [_SCHEMA_KEY], comments=SLASHES):
        yield Hit(hit.name, hit.line, detail="env schema")


def wants(path: PurePosixPath) -> bool:
    return suffix_in(path, SUFFIXES) and not path.name.endswith((".min.js", ".map"))


def scan(text: str, path: PurePosixPath) -> Iterable[Hit]:
    yield from _schema_hits(text)
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

