"""Go: `os.Getenv("X")`, `os.LookupEnv("X")`."""

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

KIND = "go"
_READ = re.compile(
    rf"\b(?:os|syscall)\s*\.\s*(?:Getenv|Lookup(?P<default>)Env)\s*\(\s*(?P<q>[\"`])(?P<name>{ENV_NAME})(?P=q)\s*\)"
)


def wants(path: PurePosixPath) -> bool:
    return suffix_in(path, {".go"})


def scan(text: str, path: PurePosixPath) -> Iterable[Hit]:
    if "Getenv" not in text and "LookupEnv" not in text:
        return ()
    return regex_hits(text, [_READ], comments=SLASHES)
