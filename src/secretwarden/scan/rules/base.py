"""What a rule is: data (id, description, severity, tags, patterns, examples)
plus an optional `check` that scores or rejects one candidate value.

A rule has two patterns. `prefilter` is a hyperscan expression that the engine
runs, together with every other rule's, in one pass over the whole buffer; it
must be cheap and should end at a fixed point after the distinctive part of the
match (hyperscan reports every end offset, so a trailing `{8,}` would report
one match per character). `pattern` is a Python regular expression run only on
the lines the prefilter pointed at; its group `secret` (or the whole match)
is the secret value.

Examples are templates so that no secret-shaped literal lives in the source:
`{alnum:36}` expands to 36 random letters and digits at test time (see
`secretwarden.scan.rules.examples`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from secretwarden.scan import filters

# Confidence levels rules use; the generic rules compute theirs from the value.
HIGH = 0.95
MEDIUM = 0.7
LOW = 0.4


@dataclass(frozen=True)
class LineContext:
    """Where a candidate line sits: its file, kind of file and neighbours."""

    path: str
    kind: str  # "code", "config", "doc", "data" (see filters.file_kind)
    line: str
    buffer: bytes = b""
    line_start: int = 0  # byte offset of `line` in `buffer`


@dataclass(frozen=True)
class Hit:
    """One confirmed secret inside a line (or a multi-line window)."""

    secret: str
    start: int  # character offset in the line
    end: int
    confidence: float
    lines: int = 1  # how many lines the secret spans (PEM blocks)
    key: str | None = None


CheckFn = Callable[[str, "re.Match[str]", LineContext], float | None]


@dataclass(frozen=True)
class Rule:
    id: str
    description: str
    severity: str
    tags: tuple[str, ...]
    prefilter: str | tuple[str, ...]
    pattern: str
    must_match: tuple[str, ...]
    must_not_match: tuple[str, ...] = ()
    confidence: float = HIGH
    caseless_prefilter: bool = False
    flags: int = 0
    check: CheckFn | None = None
    # drop values that are placeholders, references or documented examples
    standard_filters: bool = True
    multiline: bool = False
    priority: int = 50  # higher wins when two rules report the same characters
    example_path: str | None = None  # the file name examples are scanned as, for rules that need one
    # In files of kind `code` these replace `prefilter` (an unquoted identifier is never a value
    # there, so a rule may ask hyperscan for more); each must narrow `prefilter`, never widen it.
    code_prefilter: str | tuple[str, ...] | None = None
    compiled: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "compiled", re.compile(self.pattern, self.flags))

    @property
    def prefilters(self) -> tuple[str, ...]:
        return (self.prefilter,) if isinstance(self.prefilter, str) else self.prefilter

    @property
    def code_prefilters(self) -> tuple[str, ...]:
        """The prefilters for files of kind `code`."""
        if self.code_prefilter is None:
            return self.prefilters
        return (self.code_prefilter,) if isinstance(self.code_prefilter, str) else self.code_prefilter

    def find(self, ctx: LineContext) -> Iterator[Hit]:
        text = ctx.line
        groups: list[str | int] = [g for g in self.compiled.groupindex if g.startswith("secret")] or [0]
        for m in self.compiled.finditer(text):
            group: str | int = next((g for g in groups if m.group(g)), 0)
            secret = m.group(group)
            if not secret:
                continue
            if self.standard_filters and filters.drop_reason(secret) is not None:
                continue
            confidence = self.confidence
            if self.check is not None:
                checked = self.check(secret, m, ctx)
                if checked is None:
                    continue
                confidence = checked
            start, end = m.span(group)
            yield Hit(secret=secret, start=start, end=end, confidence=confidence)


def min_randomness(threshold: float, confidence: float = HIGH) -> CheckFn:
    """A check that drops values that look typed rather than generated."""
    from secretwarden.findings.value_shapes import randomness

    def check(secret: str, m: re.Match[str], ctx: LineContext) -> float | None:
        return confidence if randomness(secret) >= threshold else None

    check.__name__ = f"min_randomness_{threshold}"
    return check
