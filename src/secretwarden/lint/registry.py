"""Every lint rule family, by module. A new family is one module and its name in `rule_modules`.

A rule module exposes `RULES: tuple[Rule, ...]`. It may also expose
`REQUIRED_IGNORES: tuple[str, ...]`, paths its family needs ignored by git,
which the `required-ignore` rule adds to its default list.
"""

from __future__ import annotations

from functools import cache
from typing import Protocol

from secretwarden.findings.model import unique_rules
from secretwarden.lint.model import Rule


class RuleModule(Protocol):
    """A lint rule family: a module whose `RULES` mypy checks against this."""

    @property
    def RULES(self) -> tuple[Rule, ...]: ...  # read-only: a module's fixed-length tuple fits


@cache
def rule_modules() -> tuple[RuleModule, ...]:
    """Every rule family, in report order. A new family: one module, one name here (twice)."""
    from secretwarden.lint.rules import (
        consistency,
        direct_vault,
        env_files,
        fallback_defaults,
        helm_values,
        ignore_patterns,
        inline_secrets,
        log_leaks,
        malformed,
        plain_env,
        schema_files,
        secrets_doc,
        sops_files,
        startup_validation,
        vault_access,
    )

    return (
        malformed,
        fallback_defaults,
        env_files,
        ignore_patterns,
        inline_secrets,
        plain_env,
        direct_vault,
        consistency,
        helm_values,
        log_leaks,
        startup_validation,
        secrets_doc,
        schema_files,
        sops_files,
        vault_access,
    )


@cache
def all_rules() -> tuple[Rule, ...]:
    return unique_rules((module.RULES for module in rule_modules()), "lint rule")


def rule_ids() -> list[str]:
    return [r.id for r in all_rules()]


def extra_required_ignores() -> tuple[str, ...]:
    out: list[str] = []
    for module in rule_modules():
        out.extend(getattr(module, "REQUIRED_IGNORES", ()))
    return tuple(out)
