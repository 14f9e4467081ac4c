"""Library first: docs/cli.md names the function behind every command, and each one exists.

The table is the map from a command to the call the dashboard, `warden ci` and
the tests make; a renamed or removed function, or a command without a row,
fails here.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

from secretwarden.cli.main import COMMANDS

ROOT = Path(__file__).resolve().parents[2]


def _table() -> dict[str, str]:
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    section = text[text.index("## Library first") : text.index("## The contract")]
    return dict(re.findall(r"^\| `([\w-]+)` \| (.+) \|$", section, re.M))


def _dotted_names(cell: str) -> list[str]:
    """Each `a.b.c` in the cell; `a.b.c` / `d` means `a.b.d` too."""
    names: list[str] = []
    for token in re.findall(r"`([\w.]+)`", cell):
        if "." in token:
            names.append(token)
        elif names:  # a bare name after ` / `: same module as the name before it
            names.append(names[-1].rsplit(".", 1)[0] + "." + token)
    return names


def test_every_command_has_a_row() -> None:
    assert set(_table()) == set(COMMANDS)


def test_every_named_function_exists() -> None:
    for command, cell in _table().items():
        names = _dotted_names(cell)
        assert names, command
        for dotted in names:
            module_name, _, attr = dotted.rpartition(".")
            try:
                target = getattr(importlib.import_module(f"secretwarden.{module_name}"), attr)
            except (ImportError, AttributeError):
                # a package named whole, such as the `run` fast path's module
                target = importlib.import_module(f"secretwarden.{dotted}")
            assert callable(target) or hasattr(target, "__file__"), f"{command}: {dotted}"
