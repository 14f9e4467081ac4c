"""Hostile contracts: anchors, aliases, merge keys and nesting never crash the loader (no exit 4)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from secretwarden.contract.loader import parse_contract
from secretwarden.errors import EXIT_USAGE, WardenError
from tests.conftest import MINIMAL_CONTRACT

_LINES = MINIMAL_CONTRACT.splitlines()

# Pieces an attacker would splice into a contract: anchors, aliases (also undefined and
# self-referencing ones), merge keys, deep flow nesting, tags, documents, odd scalars.
_PIECES = st.sampled_from(
    [
        "&a ", "*a", "&b [*a, *a, *a, *a]", "*b", "<<: *a", "<<: [*a, *b]", "&a {x: *a}",
        "[" * 40, "]" * 40, "{", "}", "!!python/object:os.system", "!!binary aGk=", "---", "...",
        "? ", ": ", "- ", "~", "2026-01-01", "0x1F", ".inf", "\t", "'", '"', "\\", "#", "%YAML 1.1",
    ]
)


@st.composite
def spliced_contracts(draw: st.DrawFn) -> str:
    lines = list(_LINES)
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        at = draw(st.integers(min_value=0, max_value=len(lines)))
        where = draw(st.sampled_from(["line", "append", "indent"]))
        piece = draw(_PIECES)
        if where == "line" or at == len(lines):
            lines.insert(at, piece)
        elif where == "append":
            lines[at] = lines[at] + " " + piece
        else:
            lines[at] = "  " + piece + lines[at]
    return "\n".join(lines) + "\n"


def _parse(text: str) -> None:
    try:
        parse_contract(text.encode("utf-8", "surrogatepass"), "warden.yaml")
    except WardenError as exc:
        # Exit 2 with one line: anything else (an internal error) is exit 4.
        assert exc.exit_code == EXIT_USAGE
        assert "\n" not in exc.message


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spliced_contracts())
def test_spliced_contracts_are_loaded_or_refused(text: str) -> None:
    _parse(text)


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=1, max_value=12), st.integers(min_value=1, max_value=12))
def test_alias_fans_of_any_size_are_refused_or_loaded(levels: int, width: int) -> None:
    bomb = ["x0: &x0 [" + ", ".join(["v"] * width) + "]"]
    bomb += [f"x{n}: &x{n} [" + ", ".join([f"*x{n - 1}"] * width) + "]" for n in range(1, levels)]
    _parse(MINIMAL_CONTRACT + "\n".join(bomb) + "\n")
    _parse("\n".join(bomb) + "\n")
