"""Check a value against its contract spec; results name problems, never the value."""

from __future__ import annotations

import functools
import re

from secretwarden import json_codec
from secretwarden.contract.formats import FORMATS
from secretwarden.crypto.derive import sha256_hex

TYPE_CHECKING = False  # `typing` stays off `warden run`'s path; mypy takes any `TYPE_CHECKING` as true
if TYPE_CHECKING:
    from typing import Any


@functools.lru_cache(maxsize=4096)
def spec_digest(fmt: str | None, regex: str | None, min_length: int | None) -> str:
    """Identifies the checks a value was validated against, so a report can reuse the verdict."""
    blob = json_codec.dumps([fmt, regex, min_length], separators=(",", ":"))
    return sha256_hex(blob.encode())[:16]


def value_problems(value: str, fmt: str | None, regex: str | None, min_length: int | None) -> list[str]:
    problems: list[str] = []
    if min_length is not None and len(value) < min_length:
        problems.append(f"shorter than min_length {min_length}")
    if fmt is not None:
        known = FORMATS.get(fmt)
        if known is not None and not known.matches(value):
            problems.append(f"does not match format `{fmt}` ({known.description})")
    if regex is not None and re.fullmatch(regex, value, flags=re.DOTALL) is None:
        problems.append("does not match the contract's regex")
    if value == "":
        problems.append("is empty")
    return problems


def spec_fields(spec: Any) -> tuple[str | None, str | None, int | None]:
    """(named format, regex, min_length) of a contract `Secret`."""
    fmt = spec.format if isinstance(spec.format, str) else None
    regex = None if spec.format is None or isinstance(spec.format, str) else spec.format.regex
    return fmt, regex, spec.min_length
