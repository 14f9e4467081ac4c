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


def test_vault_environments_show_the_real_kv_path_and_field(tmp_path: Path) -> None:
    stores = (
        "stores:\n"
        "  local: {backend: embedded}\n"
        '  vault: {backend: vault, options: {path: "k3s/{instance}/{namespace}"}}\n'
    )
    text = MINIMAL_CONTRACT.replace("namespaces:\n", stores + "namespaces:\n", 1)
    text = text.replace("  dev: {}\n  prod: {production: true}\n", "  dev: {store: local}\n  prod: {store: vault, production: true}\n")
    (tmp_path / "warden.yaml").write_text(text)
    contract = load_contract(tmp_path / "warden.yaml", use_cache=False).contract
    api = render_section(contract, "api")
    # prod's value lives in the k3s secret of the namespace, as a field; dev keeps the contract path
    assert "| `API_TOKEN` | yes | `/services/api/API_TOKEN` (dev); `secret/k3s/api` field `API_TOKEN` (prod) |" in api
    assert "`secret/k3s/shared` field `DATABASE_URL` (prod)" in api
    assert "- Store paths: `secret/k3s/api`, `secret/k3s/shared`, `/services/api` (namespace `api`)" in api
    shop = render_section(contract, "shop")
    assert "`secret/k3s/@{instance}/shop` field `SHOP_KEY` (prod)" in shop


def test_one_vault_store_for_every_environment_writes_env_as_a_placeholder(tmp_path: Path) -> None:
    store = "stores:\n  vault: {backend: vault, options: {layout: per-key, path_prefix: shop}}\n"
    (tmp_path / "warden.yaml").write_text(MINIMAL_CONTRACT.replace("namespaces:\n", store + "namespaces:\n", 1))
    contract = load_contract(tmp_path / "warden.yaml", use_cache=False).contract
    api = render_section(contract, "api")
    assert "| `API_TOKEN` | yes | `secret/shop/{env}/api/API_TOKEN` field `API_TOKEN` | dev, prod |" in api
    assert "(namespace `api`)" not in api
