"""What every source module provides, and helpers they share.

A source module has a `KIND` (a short name shown to users), `wants(path)`
(decided from the path alone, so unwanted files are never read) and
`scan(text, path) -> Iterable[Hit]`. A source never captures a value: its
patterns match the name and stop there.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Protocol

from secretwarden.contract.discovery.model import Hit

# An environment variable name as code writes it.
ENV_NAME = r"[A-Za-z_][A-Za-z0-9_]*"


class SourceError(Exception):
    """A file this source cannot read; the message is shown, so it never quotes the file."""


class Source(Protocol):
    KIND: str

    def wants(self, path: PurePosixPath) -> bool: ...

    def scan(self, text: str, path: PurePosixPath) -> Iterable[Hit]: ...


class Lines:
    """Offset -> 1-based line number, and the text of a line, for regex sources."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def number(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset)

    def line_at(self, number: int) -> str:
        """The text of 1-based line `number`, without its newline."""
        i = number - 1
        end = self.starts[i + 1] - 1 if i + 1 < len(self.starts) else len(self.text)
        return self.text[self.starts[i] : end]

    def line_text(self, offset: int) -> str:
        return self.line_at(self.number(offset))

    def in_comment(self, offset: int, style: CommentStyle) -> bool:
        """True when the match sits in a line comment (a cheap check that does not parse strings)."""
        before = self.line_text(offset)[: offset - self.starts[self.number(offset) - 1]]
        return before.lstrip().startswith(style.leading) or any(m in before for m in style.inline)


@dataclass(frozen=True)
class CommentStyle:
    leading: tuple[str, ...]  # a line starting with one of these is a comment
    inline: tuple[str, ...]  # a match after one of these on its line is in a comment


HASH = CommentStyle(leading=("#",), inline=(" #", "\t#"))
SLASHES = CommentStyle(leading=("//", "/*", "*"), inline=(" //", "\t//"))


def regex_hits(
    text: str,
    patterns: Iterable[re.Pattern[str]],
    *,
    comments: CommentStyle,
    group: str = "name",
    weak: bool = False,
    accept: Callable[[str, re.Match[str]], bool] | None = None,
) -> Iterable[Hit]:
    """Hits for every match of `patterns`, skipping matches inside line comments.

    A pattern may have a group named `default` that matches only the syntax
    of a fallback (`, ` or `??`, never the fallback itself): a hit is then
    marked `has_default`.

    `accept(text, match)` can refuse a match on context a pattern cannot test
    cheaply (a pattern that starts with a literal is much faster to search).
    """
    lines: Lines | None = None
    for pattern in patterns:
        for m in pattern.finditer(text):
            if m.group(group) is None:
                continue  # an alternative of the pattern without this group matched
            if accept is not None and not accept(text, m):
                continue
            lines = lines or Lines(text)
            start = m.start(group)
            if lines.in_comment(m.start(), comments):
                continue
            has_default = "default" in pattern.groupindex and m.group("default") is not None
            yield Hit(m.group(group), lines.number(start), weak=weak, has_default=has_default)


def suffix_in(path: PurePosixPath, suffixes: Iterable[str]) -> bool:
    return path.suffix.lower() in suffixes
