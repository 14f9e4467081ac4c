"""Spring configuration: `${NAME}` / `${NAME:default}` placeholders in application*.properties/yml.

Only upper-case placeholders count: lower-case ones (`${server.port}`) refer
to other properties, not to the environment.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import PurePosixPath

from secretwarden.contract.discovery.model import Hit
from secretwarden.contract.discovery.sources.base import HASH, regex_hits

KIND = "spring"
_FILE = re.compile(r"(?:application|bootstrap)(?:-[\w.-]+)?\.(?:properties|ya?ml)")
_PLACEHOLDER = re.compile(r"\$\{(?P<name>[A-Z_][A-Z0-9_]*)(?:(?P<default>:)|(?=\}))")


def wants(path: PurePosixPath) -> bool:
    return bool(_FILE.fullmatch(path.name))


def scan(text: str, path: PurePosixPath) -> Iterable[Hit]:
    if "${" not in text:
        return ()
    return regex_hits(text, [_PLACEHOLDER], comments=HASH)
