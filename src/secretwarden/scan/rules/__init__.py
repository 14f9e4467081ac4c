"""The rule registry: one module per provider family, each exporting `RULES`.

Adding a rule is adding a `Rule(...)` to the right module (or a new module
named in `_modules`). Rule ids never change meaning once released.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Protocol

from secretwarden.findings.model import unique_rules
from secretwarden.scan.rules.base import Rule


class RuleModule(Protocol):
    """A rule family: a module whose `RULES` mypy checks against this."""

    @property
    def RULES(self) -> Sequence[Rule]: ...  # read-only, so a module's list or tuple fits


def _modules() -> tuple[RuleModule, ...]:
    """Every family, in priority order. A new family: one module, its name here (twice)."""
    from secretwarden.scan.rules import (
        ai,
        cloud,
        crypto,
        dotfiles,
        generic,
        infra,
        messaging,
        payments,
        public,
        shell,
        urls,
        vcs,
    )

    return (cloud, vcs, messaging, payments, ai, infra, crypto, urls, shell, dotfiles, generic, public)


@lru_cache(maxsize=1)
def all_rules() -> tuple[Rule, ...]:
    return unique_rules((module.RULES for module in _modules()), "rule")


def rule_ids() -> list[str]:
    return [r.id for r in all_rules()]


__all__ = ["Rule", "all_rules", "rule_ids"]
