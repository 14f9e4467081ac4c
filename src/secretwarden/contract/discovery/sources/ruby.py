"""Ruby: `ENV["X"]`, `ENV.fetch("X")`, `ENV.key?("X")`."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import PurePosixPath

from secretwarden.contract.discovery.model import Hit
from secretwarden.contract.discovery.sources.base import (
    ENV_NAME,
    HASH,
    regex_hits,
    suffix_in,
)

KIND = "ruby"
_NAME = rf"(?P<q>['\"])(?P<name>{ENV_NAME})(?P=q)"
_INDEX = re.compile(rf"(?<![\w.])(?:::)?ENV\s*\[\s*{_NAME}\s*\](?P<default>\s*\|\|)?")
_FETCH = re.compile(
    rf"(?<![\w.])(?:::)?ENV\s*\.\s*(?:fetch|key\?|has_key\?|include\?)[\s(]\s*{_NAME}"
    r"(?P<default>\s*,|\s*\)?\s*\{|\s*\)?\s+do\b)?"  # fetch("X", d), fetch("X") { d }, ... do
)
_FILES = {"Gemfile", "Rakefile", "Guardfile", "Capfile"}


def wants(path: PurePosixPath) -> bool:
    return suffix_in(path, {".rb", ".rake", ".ru", ".gemspec", ".erb"}) or path.name in _FILES


def scan(text: str, path: PurePosixPath) -> Iterable[Hit]:
    if "ENV" not in text:
        return ()
    return regex_hits(text, [_INDEX, _FETCH], comments=HASH)
