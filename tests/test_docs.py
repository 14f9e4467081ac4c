"""Docs stay in step with the code: every command is documented, every doc page linked exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from secretwarden.cli.main import COMMANDS

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_is_in_the_reference(name: str) -> None:
    text = (ROOT / "docs" / "cli.md").read_text()
    assert f"### `warden {name}`" in text, f"docs/cli.md lacks a section for `warden {name}`"


def test_readme_opens_with_the_two_commands() -> None:
    text = (ROOT / "README.md").read_text()
    assert "python3 tasks.py demo" in text and "python3 tasks.py test" in text
    assert "python3 tasks.py test" in (ROOT / "tasks.py").read_text()
    assert "python3 tasks.py test" in (ROOT / ".ci" / "run").read_text()


def test_relative_links_resolve() -> None:
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", page.read_text()):
            assert (page.parent / target).exists(), f"{page.name} links to missing {target}"


def test_readme_links_every_docs_page() -> None:
    """A page per capability, and each reachable from the README."""
    readme = (ROOT / "README.md").read_text()
    for page in sorted((ROOT / "docs").glob("*.md")):
        assert f"(docs/{page.name})" in readme, f"README.md does not link docs/{page.name}"
