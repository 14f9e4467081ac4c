"""The contract's fast YAML reader gives exactly libyaml's data, or steps aside."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from secretwarden.contract import plain_yaml
from secretwarden.contract.loader import compose_with_marks
from tests.conftest import EXAMPLE, MINIMAL_CONTRACT


def libyaml(text: str) -> object:
    """What the loader's libyaml path gives (keys as strings, as the loader makes them)."""
    return compose_with_marks(text, "warden.yaml")[0]


def test_the_example_contracts_take_the_fast_path_and_agree() -> None:
    for text in (MINIMAL_CONTRACT, EXAMPLE.read_text()):
        fast = plain_yaml.load(text)
        assert fast is not plain_yaml.NOT_PLAIN
        assert fast == libyaml(text)


def test_what_it_does_not_read_it_leaves_to_libyaml() -> None:
    for text in (
        "a: &x 1\nb: *x\n",
        "a: !!str 1\n",
        "a: |\n  block\n",
        "a: 1.5\n",
        "a: 2026-02-30\n",
        "a: 0x1F\n",
        "a: 1\na: 2\n",
        "a: {b: 1,\n  c: 2}\n",
        "a: 'it''s'\n",
        'a: "tab\\t"\n',
        "a: x\n  continued\n",
        "---\na: 1\n",
        "a:\n\t- 1\n",
        "<<: {a: 1}\n",
        "a: [1, {b: c}, ]\n",
    ):
        assert plain_yaml.load(text) is plain_yaml.NOT_PLAIN, text


def test_scalars_resolve_as_the_safe_loader_does() -> None:
    text = (
        "s: plain words\nyes_: yes\nno_: Off\nnull_: ~\nempty:\nint: -12\nurl: http://h:8200/x\n"
        "hash: a#b\nquoted: '1'\ndq: \"yes\"\nflow: {a: [x, 2, true], b: {}, c: [], d: null}\n"
        "seq:\n- one\n- {k: v}\nsame_indent:\n  - 1\n  - 2\n1: int key\ntrue: bool key\nafter: # comment\n  x: 1\n"
    )
    fast = plain_yaml.load(text)
    assert fast is not plain_yaml.NOT_PLAIN
    assert fast == libyaml(text)
    assert fast["1"] == "int key" and fast["true"] == "bool key"  # a key is the text written


_WORDS = st.sampled_from(
    ["a", "KEY_01", "yes", "No", "on", "null", "~", "1", "-3", "+4", "007", "0x1F", "1.5", ".inf", "2026-01-01",
     "12:30", "2026-02-30", "2026-01-01x", "1e5", "15m", ".warden/x", ".5", "a b", "a#b", "a #b", "x:y", "http://h:1", "'q'", '"d"', "'it''s'", "-", "- x", "?", "@x", "`x`",
     "%x", "=", "<<", "", "[]", "{}", "[a, b]", "{k: v}", "{k: [1, 2]}", "{k:v}", "[a,]", "{a: 1, a: 2}", "é"]
)


@st.composite
def documents(draw: st.DrawFn) -> str:
    lines = []
    for _ in range(draw(st.integers(1, 12))):
        indent = " " * draw(st.sampled_from([0, 0, 2, 4]))
        kind = draw(st.sampled_from(["pair", "pair", "open", "item", "item-pair", "item-open", "comment"]))
        if kind == "pair":
            lines.append(f"{indent}{draw(_WORDS)}: {draw(_WORDS)}")
        elif kind == "open":
            lines.append(f"{indent}{draw(_WORDS)}:")
        elif kind == "item":
            lines.append(f"{indent}- {draw(_WORDS)}")
        elif kind == "item-pair":
            lines.append(f"{indent}- {draw(_WORDS)}: {draw(_WORDS)}")
        elif kind == "item-open":
            lines.append(f"{indent}- {draw(_WORDS)}:")
        else:
            lines.append(f"{indent}# note {draw(_WORDS)}")
    return "\n".join(lines) + "\n"


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_fast_result_equals_libyaml_or_steps_aside(text: str) -> None:
    fast = plain_yaml.load(text)
    if fast is plain_yaml.NOT_PLAIN:
        return
    try:
        expected = libyaml(text)
    except Exception as exc:  # libyaml refuses a text the fast reader accepted: a bug
        raise AssertionError(f"fast reader accepted what libyaml refuses: {text!r}") from exc
    assert fast == expected, text
    assert yaml.safe_load(text) is not None or fast is None


def _render(node: object, indent: int, draw: Callable[[st.SearchStrategy[Any]], Any]) -> list[str]:
    pad = " " * indent
    lines: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, dict | list) and value:
                lines.append(f"{pad}{key}:")
                lines += _render(value, indent + draw(st.sampled_from([2, 4])), draw)
            else:
                lines.append(f"{pad}{key}: {value if isinstance(value, str) else '{}'}")
    else:
        assert isinstance(node, list)
        for item in node:
            if isinstance(item, dict) and item:
                first, *rest = _render(item, indent + 2, draw)
                lines.append(f"{pad}- {first.lstrip()}")
                lines += rest
            else:
                lines.append(f"{pad}- {item if isinstance(item, str) else '[]'}")
    return lines


_TREES = st.recursive(
    _WORDS,
    lambda children: st.dictionaries(_WORDS.filter(lambda w: w and w[0] not in "[{-?'\""), children, min_size=1, max_size=4)
    | st.lists(children, min_size=1, max_size=3),
    max_leaves=12,
)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(st.data())
def test_well_formed_trees_read_the_same_both_ways(data: st.DataObject) -> None:
    tree = data.draw(st.dictionaries(_WORDS.filter(lambda w: w and w[0].isalpha()), _TREES, min_size=1, max_size=4))
    text = "\n".join(_render(tree, 0, data.draw)) + "\n"
    fast = plain_yaml.load(text)
    if fast is plain_yaml.NOT_PLAIN:
        return
    try:
        expected = libyaml(text)
    except Exception as exc:
        raise AssertionError(f"fast reader accepted what libyaml refuses: {text!r}") from exc
    assert fast == expected, text
