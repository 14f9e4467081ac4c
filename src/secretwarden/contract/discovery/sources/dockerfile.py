"""Dockerfiles: `RUN --mount=type=secret,id=X`, and `ARG`/`ENV` names.

Build secrets mounted with `--mount=type=secret` are strong evidence. `ARG`
and `ENV` mostly set plain build settings (versions, paths), so they are weak
like shell names: kept only when the name looks secret or another source
found it. From `ENV X=value` / `ENV X value` only the name is taken.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import PurePosixPath

from secretwarden.contract.discovery.model import Hit
from secretwarden.contract.discovery.sources.base import ENV_NAME, HASH, regex_hits

KIND = "dockerfile"
_FILE = re.compile(r"(?:[\w.-]+\.)?Dockerfile(?:\.[\w.-]+)?|Containerfile", re.I)
# A secret id is kept whole (`npm-token`, `pip.conf`): it is the key `docker build --secret id=...` passes.
_SECRET_ID = r"[A-Za-z_][A-Za-z0-9_.-]*"
_MOUNT = re.compile(rf"--mount=[^\s]*\btype=secret\b[^\s]*?(?<![\w-])(?:id|env)=(?P<name>{_SECRET_ID})")
_MOUNT_ID_FIRST = re.compile(rf"--mount=[^\s]*?(?<![\w-])(?:id|env)=(?P<name>{_SECRET_ID})[^\s]*\btype=secret\b")
_ARG = re.compile(rf"^[ \t]*(?:ARG|ENV)[ \t]+(?P<name>{ENV_NAME})(?=[ \t=]|$)", re.M | re.I)
# `ENV A=1 B=2`: the names after the first one.
_MORE = re.compile(rf"[ \t](?P<name>{ENV_NAME})=")


def wants(path: PurePosixPath) -> bool:
    return bool(_FILE.fullmatch(path.name))


def scan(text: str, path: PurePosixPath) -> Iterable[Hit]:
    for hit in regex_hits(text, [_MOUNT, _MOUNT_ID_FIRST], comments=HASH):
        yield Hit(hit.name, hit.line, detail="build secret")
    for hit in regex_hits(text, [_ARG], comments=HASH, weak=True):
        yield hit
        line = text.split("\n")[hit.line - 1]
        if "=" in line:
            for m in _MORE.finditer(line):
                if m.group("name") != hit.name:
                    yield Hit(m.group("name"), hit.line, weak=True)
