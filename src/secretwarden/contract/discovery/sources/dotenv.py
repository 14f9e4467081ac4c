"""Env files: names only.

Example env files (`.env.example`, `.env.sample`, `config/app.env.template`,
...) name keys in assignments and in commented-out assignments
(`# SENTRY_DSN=`): an optional key is often shipped commented. Real env files
(`.env.production`, `config/app.env`; not a developer's bare `.env`) are read for names too, and
`discover` says so in its output: the pattern stops at the `=`, so the rest of
the line (a value) is never captured.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import PurePosixPath

from secretwarden.contract.discovery.model import Hit
from secretwarden.contract.discovery.sources.base import ENV_NAME, HASH, CommentStyle, regex_hits

KIND = "dotenv"
_EXAMPLE_FILE = re.compile(r"(?:.*\.)?env(?:\.[\w-]+)*\.(?:example|sample|template|dist|tmpl|tpl|defaults?)", re.I)
# `.env.production`, `config/app.env`, `prod.env`: files a deployment reads. A bare `.env`
# is a developer's own file (and usually ignored): it is left alone.
_REAL_FILE = re.compile(r"\.env\.[\w-]+|[\w.-]+\.env", re.I)
_ASSIGNMENT = re.compile(rf"^[ \t]*(?:export[ \t]+)?(?P<name>{ENV_NAME})[ \t]*=", re.M)
# `# KEY=` / `#KEY=value`: upper-case names only, so prose (`# see: a=b`) is not read as a key.
_COMMENTED = re.compile(r"^[ \t]*#+[ \t]*(?:export[ \t]+)?(?P<name>[A-Z][A-Z0-9_]*)[ \t]*=", re.M)
_NO_COMMENTS = CommentStyle(leading=(), inline=())


def is_real_env_file(path: PurePosixPath) -> bool:
    return not _EXAMPLE_FILE.fullmatch(path.name) and _REAL_FILE.fullmatch(path.name) is not None


def wants(path: PurePosixPath) -> bool:
    return bool(_EXAMPLE_FILE.fullmatch(path.name)) or is_real_env_file(path)


def scan(text: str, path: PurePosixPath) -> Iterable[Hit]:
    real = is_real_env_file(path)
    detail = "names only: real env file" if real else None
    for hit in regex_hits(text, [_ASSIGNMENT], comments=HASH):
        yield Hit(hit.name, hit.line, detail=detail)
    if not real:
        for hit in regex_hits(text, [_COMMENTED], comments=_NO_COMMENTS):
            yield Hit(hit.name, hit.line, detail="commented example")
