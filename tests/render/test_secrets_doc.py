"""The generated Secrets architecture section: content, in-place update, idempotence."""

from __future__ import annotations

from pathlib import Path

from secretwarden.contract.loader import load_contract
from secretwarden.render.secrets_doc import (
    find_block,
    render_section,
    updated_readme,
    write_sections,
)
from tests.conftest import MINIMAL_CONTRACT


def _contract(tmp_path: Path) -> object:
    path = tmp_path / "warden.yaml"
    path.write_text(MINIMAL_CONTRACT.replace("    owner: team-api\n", "    owner: team-api\n    source: api\n", 1))
    return load_contract(path, use_cache=False)


def test_section_names_paths_keys_refs_and_instances(tmp_path: Path) -> None:
    contract = _contract(tmp_path).contract  # type: ignore[attr-defined]
    api = render_section(contract, "api")
    assert "Kubernetes Secret `api-secrets`" in api
    assert "`/services/api` (namespace `api`), `/shared` (namespace `shared`)" in api
    assert "| `DATABASE_URL` | yes | `/shared/DATABASE_URL` |" in api
    assert "| `OPTIONAL_HOOK` | no |" in api and "`TOKEN_TTL` (config)" in api
    shop = render_section(contract, "shop")
    assert "`/services/shop/{instance}/SHOP_KEY`" in shop


def test_update_keeps_the_rest_of_the_readme_and_is_idempotent(tmp_path: Path) -> None:
    loaded = _contract(tmp_path)
    contract = loaded.contract  # type: ignore[attr-defined]
    readme = tmp_path / "api" / "README.md"
    readme.parent.mkdir()
    readme.write_text("# API\n\nIntro.\n\n## Secrets architecture\n\n<!-- warden:secrets-doc service=api -->\nold\n"
                      "<!-- /warden:secrets-doc -->\n\n## Running\n\nmake run\n")
    assert write_sections(contract, tmp_path, ["api"]) == [readme]
    text = readme.read_text()
    assert text.startswith("# API\n\nIntro.\n\n## Secrets architecture\n") and text.endswith("## Running\n\nmake run\n")
    assert text.count("## Secrets architecture") == 1 and "\nold\n" not in text
    assert write_sections(contract, tmp_path, ["api"]) == []
    assert find_block(text, "api") is not None and find_block(text, "shop") is None
    assert updated_readme(text, contract, "api") == text
