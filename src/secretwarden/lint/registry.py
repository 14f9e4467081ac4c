"""Every lint rule family, by module. A new family is one module and one line here.

A rule module exposes `RULES: tuple[Rule, ...]`. It may also expose
`REQUIRED_IGNORES: tuple[str, ...]`, paths its family needs ignored by git,
which the `required-ignore` rule adds to its default list.
"""

from __future__ import annotations

import importlib
from functools import cache
from types import ModuleType

from secretwarden.lint.model import Rule

RULE_MODULES: tuple[str, ...] = (
    "secretwarden.lint.rules.malformed",
    "secretwarden.lint.rules.fallback_defaults",
    "secretwarden.lint.rules.env_files",
    "secretwarden.lint.rules.ignore_patterns",
    "secretwarden.lint.rules.inline_secrets",
    "secretwarden.lint.rules.plain_env",
    "secretwarden.lint.rules.direct_vault",
    "secretwarden.lint.rules.consistency",
    "secretwarden.lint.rules.log_leaks",
    "secretwarden.lint.rules.startup_validation",
    "secretwarden.lint.rules.secrets_doc",
    "secretwarden.lint.rules.schema_files",
    "secretwarden.lint.rules.sops_files",
)


@cache
def rule_modules() -> tuple[ModuleType, ...]:
    return tuple(importlib.import_module(name) for name in RULE_MODULES)


@cache
def all_rules() -> tuple[Rule, ...]:
    rules: list[Rule] = []
    for module in rule_modules():
        rules.extend(module.RULES)
    ids = [r.id for r in rules]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise RuntimeError(f"duplicate lint rule ids: {sorted(dupes)}")
    return tuple(rules)


def rule_ids() -> list[str]:
    return [r.id for r in all_rules()]


def extra_required_ignores() -> tuple[str, ...]:
    out: list[str] = []
    for module in rule_modules():
        out.extend(getattr(module, "REQUIRED_IGNORES", ()))
    return tuple(out)
