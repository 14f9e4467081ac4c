"""The labelled corpus (tests/contract/init_corpus.py) holds init's recall goals."""

from __future__ import annotations

from tests.contract.init_corpus import score


def test_init_corpus_goals() -> None:
    result = score()
    assert result.micro >= 0.90 and result.macro >= 0.90, f"missed: {result.missed}"
    assert result.junk == [], f"junk names: {result.junk}"
    assert not result.value_leaked
