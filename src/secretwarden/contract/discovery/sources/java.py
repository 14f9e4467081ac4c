"""Java and the other JVM languages: `System.getenv("X")`."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import PurePosixPath

from secretwarden.contract.discovery.model import Hit
from secretwarden.contract.discovery.sources.base import (
    ENV_NAME,
    SLASHES,
    regex_hits,
    suffix_in,
)

KIND = "java"
_READ = re.compile(rf"\bSystem\s*\.\s*getenv\s*\(\s*\"(?P<name>{ENV_NAME})\"\s*\)")


def wants(path: PurePosixPath) -> bool:
    return suffix_in(path, {".java", ".kt", ".kts", ".groovy", ".scala"})


def scan(text: str, path: PurePosixPath) -> Iterable[Hit]:
    if "getenv" not in text:
        return ()
    return regex_hits(text, [_READ], comments=SLASHES)
