"""The import directions of docs/architecture.md hold (import-linter contracts in .importlinter)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    proc = subprocess.run([str(lint_imports)], cwd=ROOT, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "0 broken" in proc.stdout


def test_architecture_names_every_contract() -> None:
    """docs/architecture.md lists the contracts by id, and only those `.importlinter` has."""
    config = (ROOT / ".importlinter").read_text(encoding="utf-8")
    ids = set(re.findall(r"^\[importlinter:contract:([\w-]+)\]", config, re.M))
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    listed = doc[doc.index("More contracts in the same file"):doc.index("## One findings layer")]
    named = set(re.findall(r"^- `([\w-]+)`:", listed, re.M))
    assert named | {"layers"} == ids
    assert "## Layers (checked)" in doc  # the `layers` contract is the table


def test_layer_table_names_every_layered_package() -> None:
    config = (ROOT / ".importlinter").read_text(encoding="utf-8")
    layers = config[config.index("layers =") : config.index("[importlinter:contract:ops-without-checkers]")]
    packages = set(re.findall(r"secretwarden\.(\w+)", layers))
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    table = doc[doc.index("## Layers (checked)") : doc.index("More contracts in the same file")]
    rows = [re.split(r"(?<!\\)\|", line)[2] for line in table.splitlines() if line.startswith("| ") and "---" not in line]
    in_table = set(re.findall(r"`(\w+)(?:/|\.py)`", " ".join(rows)))
    assert packages == in_table
