"""The dotenv reader: the quoting rules, line numbers, and no input that makes it fail."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from secretwarden.transfer.dotenv import parse

SAMPLE = """\
# a comment
export A=1
B = "two words" # trailing comment
C='kept $AS \\n is'
D=plain value # comment
E="multi
line"
not an assignment
F=
G=x#part-of-the-value
H="tab\\there \\"quoted\\""
"""


def test_quoting_comments_export_and_multiline() -> None:
    parsed = parse(SAMPLE)
    got = {a.name: (a.value, a.line) for a in parsed.assignments}
    assert got == {
        "A": ("1", 2),
        "B": ("two words", 3),
        "C": ("kept $AS \\n is", 4),
        "D": ("plain value", 5),
        "E": ("multi\nline", 6),
        "F": ("", 9),
        "G": ("x#part-of-the-value", 10),
        "H": ('tab\there "quoted"', 11),
    }
    assert parsed.skipped_lines == (8,)


def test_an_unclosed_quote_skips_only_its_line() -> None:
    parsed = parse('A="never closed\nB=2\n')
    assert [a.name for a in parsed.assignments] == ["B"] and parsed.skipped_lines == (1,)


NAMES = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True)
VALUES = st.text(alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), max_size=40)


def _quote(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return '"' + escaped.replace("\r", "\\r").replace("$", "\\$") + '"'


@given(st.lists(st.tuples(NAMES, VALUES), max_size=8))
def test_double_quoted_values_round_trip(pairs: list[tuple[str, str]]) -> None:
    text = "".join(f"{name}={_quote(value)}\n" for name, value in pairs)
    parsed = parse(text)
    assert [(a.name, a.value) for a in parsed.assignments] == pairs
    assert [a.line for a in parsed.assignments] == list(range(1, len(pairs) + 1))


@given(st.text(max_size=400))
def test_any_text_parses_without_raising(text: str) -> None:
    parsed = parse(text)
    lines = text.count("\n") + 1
    assert all(1 <= a.line <= lines for a in parsed.assignments)
