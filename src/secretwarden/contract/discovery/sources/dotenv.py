"""Env files: names only.

Example env files (`.env.example`, `.env.sample`, `config/app.env.template`,
...) name keys in assignments and in commented-out assignments
(`# SENTRY_DSN=`): an optional key is often shipped commented. Real env files
(`.env.production`, `config/app.env`; not a developer's bare `.env`) are read for names too, and
`discover` says so in its output: the shared reader (secretwarden/dotenv_text.py)
parses past each value and only names leave this module.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import PurePosixPath

from secretwarden.contract.discovery.model import Hit
from secretwarden.contract.discovery.sources.base import ENV_NAME

KIND = "dotenv"
_EXAMPLE_FILE = re.compile(r"(?:.*\.)?env(?:\.[\w-]+)*\.(?:example|sample|template|dist|tmpl|tpl|defaults?)", re.I)
# `.env.production`, `config/app.env`, `prod.env`: files a deployment reads. A bare `.env`
# is a developer's own file (and usually ignored): it is left alone.
_REAL_FILE = re.compile(r"\.env\.[\w-]+|[\w.-]+\.env", re.I)
_NAME = re.compile(ENV_NAME)


def is_real_env_file(path: PurePosixPath) -> bool:
    return not _EXAMPLE_FILE.fullmatch(path.name) and _REAL_FILE.fullmatch(path.name) is not None


def wants(path: PurePosixPath) -> bool:
    return bool(_EXAMPLE_FILE.fullmatch(path.name)) or is_real_env_file(path)


def scan(text: str, path: PurePosixPath) -> Iterable[Hit]:
    from secretwarden.dotenv_text import parse

    real = is_real_env_file(path)
    detail = "names only: real env file" if real else None
    # The shared reader (secretwarden/dotenv_text.py): a `KEY=` inside a quoted multi-line value
    # is part of that value, not a name. Values are dropped here; only names leave.
    found = parse(text, commented=not real).assignments
    for item in found:
        if not item.commented and _NAME.fullmatch(item.name):
            yield Hit(item.name, item.line, detail=detail)
    for item in found:
        if item.commented:
            yield Hit(item.name, item.line, detail="commented example")
