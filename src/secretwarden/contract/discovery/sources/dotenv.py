"""Example env files (`.env.example`, `.env.sample`, `.env.template`, ...): names only.

The pattern stops at the `=`: the rest of the line (an example value, maybe a
real one pasted by mistake) is never captured. Real `.env` files are not read
at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import PurePosixPath

from secretwarden.contract.discovery.model import Hit
from secretwarden.contract.discovery.sources.base import ENV_NAME, HASH, regex_hits

KIND = "dotenv"
_EXAMPLE_FILE = re.compile(r"(?:.*\.)?env(?:\.[\w-]+)*\.(?:example|sample|template|dist|tmpl|tpl)", re.I)
_ASSIGNMENT = re.compile(rf"^[ \t]*(?:export[ \t]+)?(?P<name>{ENV_NAME})[ \t]*=", re.M)


def wants(path: PurePosixPath) -> bool:
    return bool(_EXAMPLE_FILE.fullmatch(path.name))


def scan(text: str, path: PurePosixPath) -> Iterable[Hit]:
    return regex_hits(text, [_ASSIGNMENT], comments=HASH)
