"""The one `warden:allow` grammar, for secrets and policy findings alike.

    warden:allow                      every rule on this line (scan only: lint needs an id)
    warden:allow RULE[,RULE...]       these rules
    warden:allow RULE[,RULE...] WHY   these rules, with the reason recorded

The marker sits in any comment on the finding's line (`#`, `//`, `--`, `<!-- -->`,
`/* */`); `lint` also honours it on the line above, and requires a reason
there, because a policy exception is something a reviewer must be able to read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MARKER = "warden:allow"
_ID_LIST = r"[a-z0-9][a-z0-9-]*(?:[ \t]*,[ \t]*[a-z0-9][a-z0-9-]*)*"
_PATTERN = re.compile(
    r"warden:allow(?:[ \t:=]+(?P<ids>" + _ID_LIST + r"))?(?:[ \t]+(?P<reason>.*?))?[ \t]*(?:-->|\*/)?[ \t]*$"
)


@dataclass(frozen=True)
class Allow:
    """One parsed marker: the rule ids it names (empty: all) and its reason ("" when none)."""

    rule_ids: frozenset[str]
    reason: str

    def covers(self, rule_id: str) -> bool:
        return not self.rule_ids or rule_id in self.rule_ids


def parse(line: str) -> Allow | None:
    """The marker on `line`, or None when it has none (or only a malformed one)."""
    at = line.find(MARKER)
    if at < 0:
        return None
    m = _PATTERN.match(line, at)
    if m is None:
        return None
    ids = frozenset(part.strip() for part in (m.group("ids") or "").split(",") if part.strip())
    return Allow(ids, (m.group("reason") or "").strip())
