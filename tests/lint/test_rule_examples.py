"""Every rule's documented failing example fails with exactly the expected
findings, and its passing example passes."""

from __future__ import annotations

from pathlib import Path

import pytest

from secretwarden.lint.engine import run_lint
from secretwarden.lint.model import Rule
from secretwarden.lint.registry import all_rules
from tests.lint.conftest import materialise

RULES = all_rules()


def _found(root: Path, rule: Rule, has_contract: bool) -> list[tuple[str, str, int]]:
    result = run_lint(root, use_contract=has_contract, only=[rule.id])
    return sorted((f.rule_id, f.file, f.line) for f in result.active)


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_failing_example(tmp_path: Path, rule: Rule) -> None:
    assert rule.failing.expect, "a failing example must expect findings"
    repo = materialise(tmp_path / "repo", rule.failing)
    assert _found(repo, rule, rule.failing.contract is not None) == sorted(rule.failing.expect)


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_passing_example(tmp_path: Path, rule: Rule) -> None:
    assert not rule.passing.expect
    repo = materialise(tmp_path / "repo", rule.passing)
    assert _found(repo, rule, rule.passing.contract is not None) == []


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_rule_is_documented(rule: Rule) -> None:
    assert rule.id == rule.id.lower() and " " not in rule.id
    assert rule.rationale and rule.fix and rule.title
    docs = (Path(__file__).resolve().parents[2] / "docs" / "lint.md").read_text()
    assert f"### `{rule.id}`" in docs, f"docs/lint.md does not document {rule.id}"


def test_docs_rule_reference_is_current() -> None:
    from secretwarden.lint.docs import replace_block

    docs = (Path(__file__).resolve().parents[2] / "docs" / "lint.md").read_text()
    assert replace_block(docs) == docs, "regenerate: python -m secretwarden.lint.docs docs/lint.md"
