"""docker-compose: `environment:` (list and map form), `${VAR}` interpolation, `secrets.*.environment`.

A Compose file is recognised by its content, wherever it lives and whatever
it is called (`ci/stack.yml`, `dev-compose.yml`, `docker-compose.yml.example`):
a top-level `services:` mapping whose entries have `image`, `build` or
`environment`. YAML merge keys (`<<: *common-env`) are followed, so names
shared through an anchor count for every service that merges them.

From `environment:` only the names are taken: the map form's values and the
list form's text after `=` are dropped on the spot.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import PurePosixPath

from secretwarden.contract.discovery.model import Hit
from secretwarden.contract.discovery.sources import yamldocs as y
from secretwarden.contract.discovery.sources.base import ENV_NAME, HASH, SourceError, regex_hits

KIND = "compose"
_FILE = re.compile(r"[\w.-]*\.ya?ml(?:\.(?:example|sample|template|dist|tmpl|tpl))?", re.I)
_NAMED = re.compile(r"(?:[\w.-]*[.-])?(?:docker-)?compose(?:[.-][\w.-]+)?\.ya?ml(?:\.\w+)?|.+\.compose\.ya?ml", re.I)
_SERVICE_FIELDS = ("image", "build", "environment", "env_file")
_TOP_SERVICES = re.compile(r"^services:", re.M)
# `$$` escapes a dollar in compose files; `${X:-default}` and friends keep only X.
_BRACED = re.compile(rf"(?<!\$)\$\{{(?P<name>{ENV_NAME})(?:(?P<default>:?-)|(?=[}}:?+]))")
_BARE = re.compile(rf"(?<!\$)\$(?P<name>{ENV_NAME})")


def wants(path: PurePosixPath) -> bool:
    return bool(_FILE.fullmatch(path.name))


def _is_compose(doc: y.Node) -> bool:
    services = y.get(doc, "services")
    return any(
        any(_merged_get(spec, field) is not None for field in _SERVICE_FIELDS)
        for _, _, spec in y.items(services)
    )


def _merged_get(node: y.Node, key: str) -> y.Node | None:
    """`get` that also looks through YAML merge keys (`<<: *base` or `<<: [*a, *b]`)."""
    found = y.get(node, key)
    if found is not None:
        return found
    merged = y.get(node, "<<")
    for base in [merged, *y.elements(merged)] if merged is not None else []:
        if y.is_mapping(base):
            found = _merged_get(base, key)
            if found is not None:
                return found
    return None


def _env_pairs(env: y.Node, seen: set[int] | None = None) -> Iterator[tuple[str, y.Node]]:
    """(name, node) of an environment mapping, merge keys included."""
    seen = set() if seen is None else seen
    if id(env) in seen:
        return
    seen.add(id(env))
    for name, key_node, _value in y.items(env):
        if name != "<<":
            yield name, key_node
    merged = y.get(env, "<<")
    for base in [merged, *y.elements(merged)] if merged is not None else []:
        if y.is_mapping(base):
            yield from _env_pairs(base, seen)


def scan(text: str, path: PurePosixPath) -> Iterable[Hit]:
    named = _NAMED.fullmatch(path.name) is not None
    if not named and _TOP_SERVICES.search(text) is None:
        return  # cheap pre-check: neither named nor shaped like a Compose file
    if named:
        docs = list(y.documents(text))
    else:
        try:
            docs = [d for d in y.documents(text) if _is_compose(d)]
        except SourceError:
            return  # not YAML at all: the sources that want this file report it
        if not docs:
            return
    for h in regex_hits(text, [_BRACED, _BARE], comments=HASH):
        yield Hit(h.name, h.line, detail="interpolation", has_default=h.has_default)
    for doc in docs:
        yield from _environment(doc)
        for _, _, spec in y.items(y.get(doc, "secrets")):
            env = y.get(spec, "environment")
            if y.scalar(env):
                yield Hit(str(y.scalar(env)), y.line(env), detail="top-level secrets")


def _environment(doc: y.Node) -> Iterator[Hit]:
    for service, _, spec in y.items(y.get(doc, "services")):
        env = _merged_get(spec, "environment")
        detail = f"service {service}"
        if y.is_mapping(env):
            for name, key_node in _env_pairs(env):
                yield Hit(name, y.line(key_node), detail=detail)
        for item in y.elements(env):
            entry = y.scalar(item)
            if entry:
                yield Hit(entry.split("=", 1)[0].strip(), y.line(item), detail=detail)
