"""Shell scripts: `$VAR` and `${VAR...}`.

Every hit is weak: scripts read $HOME, $PATH and their own locals all the
time, so discovery keeps a shell name only when it looks secret or another
source found it too. Only upper-case names count (shell locals are lower case
by convention).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import PurePosixPath

from secretwarden.contract.discovery.model import Hit
from secretwarden.contract.discovery.sources.base import HASH, regex_hits, suffix_in

KIND = "shell"
_SUFFIXES = {".sh", ".bash", ".zsh", ".ksh"}
_SHEBANG = re.compile(r"#!\s*\S*(?:/|env\s+)(?:ba|z|k|da)?sh\b")
# `\$X` and `$$` are not references, nor are `${#X}`/`${!X}` (they start with # or !).
_REF = re.compile(r"(?<![\\$])\$\{?(?P<name>[A-Z_][A-Z0-9_]*)(?![a-z])")


def wants(path: PurePosixPath) -> bool:
    # Extension-less files are read, and kept only with a shell shebang.
    return suffix_in(path, _SUFFIXES) or (path.suffix == "" and not path.name.startswith("."))


def scan(text: str, path: PurePosixPath) -> Iterable[Hit]:
    if not suffix_in(path, _SUFFIXES) and not _SHEBANG.match(text):
        return
    for hit in regex_hits(text, [_REF], comments=HASH, weak=True):
        if any(c.isalpha() for c in hit.name):
            yield hit
