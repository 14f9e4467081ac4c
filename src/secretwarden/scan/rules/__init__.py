"""The rule registry: one module per provider family, each exporting `RULES`.

Adding a rule is adding a `Rule(...)` to the right module (or a new module
listed in `_MODULES`). Rule ids never change meaning once released.
"""

from __future__ import annotations

import importlib
from functools import lru_cache

from secretwarden.scan.rules.base import Rule

_MODULES = (
    "cloud",
    "vcs",
    "messaging",
    "payments",
    "ai",
    "infra",
    "crypto",
    "urls",
    "shell",
    "dotfiles",
    "generic",
)


@lru_cache(maxsize=1)
def all_rules() -> tuple[Rule, ...]:
    rules: list[Rule] = []
    for name in _MODULES:
        module = importlib.import_module(f"secretwarden.scan.rules.{name}")
        rules.extend(module.RULES)
    ids = [r.id for r in rules]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise RuntimeError(f"duplicate rule ids: {sorted(duplicates)}")
    return tuple(rules)


def rule_ids() -> list[str]:
    return [r.id for r in all_rules()]


__all__ = ["Rule", "all_rules", "rule_ids"]
