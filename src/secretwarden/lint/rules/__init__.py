"""Lint rule families, one module each; `secretwarden.lint.registry` lists them.

Example values in these modules contain the word "example" so that neither
`warden scan` nor a reader mistakes them for working credentials.
"""

from __future__ import annotations


def line_col(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a character offset."""
    line = text.count("\n", 0, offset) + 1
    start = text.rfind("\n", 0, offset) + 1
    return line, offset - start + 1
