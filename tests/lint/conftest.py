"""Fixture repositories for lint tests: real files in a real `git init` repo."""

from __future__ import annotations

import subprocess
from pathlib import Path

from secretwarden.lint.model import Example

GIT = ["git", "-c", "user.name=warden-test", "-c", "user.email=test@example.invalid", "-c", "init.defaultBranch=main",
       "-c", "commit.gpgsign=false"]


def git(repo: Path, *args: str) -> None:
    subprocess.run([*GIT, *args], cwd=repo, check=True, capture_output=True)


def make_repo(root: Path, files: dict[str, str], *, contract: str | None = None, commit: bool = True) -> Path:
    """Write `files` (and warden.yaml) under root, `git init` it and commit everything."""
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q")
    if contract is not None:
        (root / "warden.yaml").write_text(contract)
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    if commit:
        git(root, "add", "-A")
        git(root, "commit", "-q", "--allow-empty", "-m", "fixture")
    return root


def materialise(root: Path, example: Example) -> Path:
    """An example repository on disk. A file whose text is `@render:<service>` gets
    that service's generated Secrets architecture section (examples cannot hold it
    verbatim without repeating the renderer)."""
    files = dict(example.files)
    rendered = {k: v for k, v in files.items() if v.startswith("@render:")}
    for rel in [*rendered, *(k for k, v in files.items() if v.startswith("@schema:"))]:
        files[rel] = ""
    make_repo(root, files, contract=example.contract, commit=False)
    if rendered:
        from secretwarden.contract.loader import load_contract
        from secretwarden.render.secrets_doc import updated_readme

        contract = load_contract(root / "warden.yaml", use_cache=False).contract
        for rel, marker in rendered.items():
            service = marker.split(":", 1)[1]
            (root / rel).write_text(updated_readme(f"# {service}\n", contract, service))
    schemas = {k: v for k, v in example.files.items() if v.startswith("@schema:")}
    if schemas:  # `@schema:<service>:<lang>`: the module `warden render schema` writes there
        from secretwarden.contract.loader import load_contract
        from secretwarden.render.schema import write_schema

        contract = load_contract(root / "warden.yaml", use_cache=False).contract
        for rel, marker in schemas.items():
            _, service, lang = marker.split(":")
            write_schema(contract, root, service, lang, root / rel)
    if example.tracked:
        git(root, "add", "-A")
        git(root, "commit", "-q", "--allow-empty", "-m", "fixture")
    return root
