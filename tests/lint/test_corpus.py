"""The labelled corpus (tests/lint/corpus.py) holds lint's accuracy goals."""

from __future__ import annotations

from tests.lint.corpus import score


def test_lint_corpus_goals() -> None:
    result = score()
    assert result.found_pct >= 90.0, f"found {result.found_pct:.1f} %; missed: {result.missed}"
    assert result.ok_flagged_pct <= 3.0, f"must-not-flag lines flagged: {result.wrongly_flagged}"
