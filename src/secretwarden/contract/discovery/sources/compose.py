"""docker-compose: `environment:` (list and map form), `${VAR}` interpolation, `secrets.*.environment`.

From `environment:` only the names are taken: the map form's values and the
list form's text after `=` are dropped on the spot.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import PurePosixPath

from secretwarden.contract.discovery.model import Hit
from secretwarden.contract.discovery.sources import yamldocs as y
from secretwarden.contract.discovery.sources.base import ENV_NAME, HASH, regex_hits

KIND = "compose"
_FILE = re.compile(r"(?:docker-)?compose(?:[.-][\w.-]+)?\.ya?ml|.+\.compose\.ya?ml", re.I)
# `$$` escapes a dollar in compose files; `${X:-default}` and friends keep only X.
_BRACED = re.compile(rf"(?<!\$)\$\{{(?P<name>{ENV_NAME})(?:(?P<default>:?-)|(?=[}}:?+]))")
_BARE = re.compile(rf"(?<!\$)\$(?P<name>{ENV_NAME})")


def wants(path: PurePosixPath) -> bool:
    return bool(_FILE.fullmatch(path.name))


def scan(text: str, path: PurePosixPath) -> Iterable[Hit]:
    for h in regex_hits(text, [_BRACED, _BARE], comments=HASH):
        yield Hit(h.name, h.line, detail="interpolation", has_default=h.has_default)
    for doc in y.documents(text):
        yield from _environment(doc)
        for _, _, spec in y.items(y.get(doc, "secrets")):
            env = y.get(spec, "environment")
            if y.scalar(env):
                yield Hit(str(y.scalar(env)), y.line(env), detail="top-level secrets")


def _environment(doc: y.Node) -> Iterator[Hit]:
    for service, _, spec in y.items(y.get(doc, "services")):
        env = y.get(spec, "environment")
        detail = f"service {service}"
        if y.is_mapping(env):
            for name, key_node, _value in y.items(env):
                yield Hit(name, y.line(key_node), detail=detail)
        for item in y.elements(env):
            entry = y.scalar(item)
            if entry:
                yield Hit(entry.split("=", 1)[0].strip(), y.line(item), detail=detail)
