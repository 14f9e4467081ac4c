"""Shell scripts: `$VAR` and `${VAR...}`.

Every hit is weak: scripts read $HOME, $PATH and their own locals all the
time, so discovery keeps a shell name only when it looks secret or another
source found it too. Only upper-case names count (shell locals are lower case
by convention), and an upper-case name the script assigns, loops over or
`read`s itself is a local unless it is exported or read from the environment.
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


# Names the script gives a value itself: assignments, loop variables, `read` targets.
_ASSIGNED = re.compile(
    r"^[ \t]*(?:local[ \t]+|declare[ \t]+(?:-[a-zA-Z]+[ \t]+)*|readonly[ \t]+|typeset[ \t]+)?"
    r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)\+?=(?P<value>[^\n]*)",
    re.M,
)
_LOOP_OR_READ = re.compile(r"\b(?:for|select)[ \t]+(?P<name>[A-Za-z_]\w*)[ \t]+in\b|\bread[ \t]+(?:-\w+[ \t]+)*(?P<names>[A-Za-z_][\w \t]*)")
# `export AWS_SECRET_ACCESS_KEY`: hands a variable of the environment on to child processes.
_PASSED_ON = re.compile(r"^[ \t]*export[ \t]+(?P<name>[A-Z_][A-Z0-9_]*)[ \t]*(?:$|;|#)", re.M)
_EXPORTED = re.compile(r"\b(?:export|declare[ \t]+-\w*x\w*)[ \t]+(?P<names>[A-Za-z_][\w \t=]*)")


def shell_locals(text: str) -> set[str]:
    """Names a script sets for itself and never exports nor reads from the environment.

    `COUNT=0`, `for FILE in *`, `read -r LINE` make locals; `export X`,
    `X="${X:-default}"` (reads the environment first) and `: "${X:=y}"` do not.
    """
    assigned: set[str] = set()
    for m in _ASSIGNED.finditer(text):
        name, value = m.group("name"), m.group("value")
        if f"${{{name}" in value or f"${name}" in value:
            continue  # `X="${X:-d}"`: the environment's value comes first
        assigned.add(name)
    for m in _LOOP_OR_READ.finditer(text):
        if m.group("name"):
            assigned.add(m.group("name"))
        else:
            assigned.update(n for n in m.group("names").split() if re.fullmatch(r"[A-Za-z_]\w*", n))
    exported: set[str] = set()
    for m in _EXPORTED.finditer(text):
        exported.update(part.split("=", 1)[0] for part in m.group("names").split())
    return assigned - exported


def scan(text: str, path: PurePosixPath) -> Iterable[Hit]:
    if not suffix_in(path, _SUFFIXES) and not _SHEBANG.match(text):
        return
    local = shell_locals(text)
    for hit in regex_hits(text, [_REF, _PASSED_ON], comments=HASH, weak=True):
        if any(c.isalpha() for c in hit.name) and hit.name not in local:
            yield hit
