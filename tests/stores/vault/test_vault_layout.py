"""Vault path templates (stores/vault/layout.py): slot -> path and back, presets, and the checks
that refuse a template mapping two slots (or two environments, or an instance and the shared
copy) to one place. Pure: no server."""

from __future__ import annotations

from pathlib import Path

import pytest

from secretwarden.errors import ContractError
from secretwarden.slots import SlotRef
from secretwarden.stores.vault.backend import build_layout, check_options
from secretwarden.stores.vault.layout import Location, VaultLayout
from tests.conftest import MINIMAL_CONTRACT, run_warden


def test_presets_keep_their_paths() -> None:
    ns = VaultLayout(prefix="shop")
    key = VaultLayout(prefix="shop", layout="per-key")
    slot = SlotRef("dev", "payment", "STRIPE_KEY")
    inst = SlotRef("dev", "payment", "STRIPE_KEY", "tenant-a")
    assert ns.locate(slot) == Location("shop/dev/payment", "STRIPE_KEY")
    assert ns.locate(inst) == Location("shop/dev/@tenant-a/payment", "STRIPE_KEY")
    assert key.locate(slot) == Location("shop/dev/payment/STRIPE_KEY", "STRIPE_KEY")
    assert key.locate(inst) == Location("shop/dev/@tenant-a/payment/STRIPE_KEY", "STRIPE_KEY")
    assert ns.warden_base == "shop/_warden" and ns.list_root("dev") == "shop/dev"
    assert VaultLayout(prefix="").warden_base == "_warden"


def test_k3s_style_template_puts_keys_as_fields_of_one_secret_per_app() -> None:
    layout = build_layout("v", {"path": "k3s/{namespace}"}, "shop")
    assert layout.locate(SlotRef("prod", "checkout", "DB_URL")) == Location("k3s/checkout", "DB_URL")
    assert layout.warden_base == "k3s/_warden" and layout.list_root("prod") == "k3s"
    assert layout.parse_namespace("prod", "k3s/checkout") == ("checkout", None)
    assert layout.parse_foreign("prod", "k3s/checkout") is None
    assert not layout.owns("prod", "k3s/_warden/denied") and not layout.owns("prod", "k3s/a/b")


def test_per_key_template_with_a_fixed_field_reads_paths_back_into_slots() -> None:
    layout = build_layout("v", {"path": "apps/{env}/{instance}/{namespace}/{key}", "field": "value"}, "shop")
    slot = SlotRef("dev", "auth", "JWT_SECRET", "eu")
    assert layout.locate(slot) == Location("apps/dev/@eu/auth/JWT_SECRET", "value")
    assert layout.parse_foreign("dev", "apps/dev/@eu/auth/JWT_SECRET") == slot
    assert layout.parse_foreign("dev", "apps/dev/auth/JWT_SECRET") == SlotRef("dev", "auth", "JWT_SECRET")
    assert layout.parse_foreign("prod", "apps/dev/auth/JWT_SECRET") is None  # another environment
    assert layout.match("dev", "apps/dev/auth") is not None  # the namespace's marker
    assert layout.env_listing() == "apps"


def test_overrides_go_under_the_part_before_the_namespace() -> None:
    layout = build_layout("v", {"path": "{env}/svc-{namespace}"}, "shop", overrides={("auth", "K"): "legacy/x#k"})
    assert layout.locate(SlotRef("dev", "auth", "K")) == Location("dev/legacy/x", "k")
    assert layout.locate(SlotRef("dev", "auth", "J")) == Location("dev/svc-auth", "J")
    assert layout.owns("dev", "dev/legacy/x") and layout.owns("dev", "dev/svc-auth")
    assert not layout.owns("dev", "dev/other")


@pytest.mark.parametrize(
    ("options", "needle"),
    [
        ({"path": "k3s/{app}"}, "unknown placeholder `{app}`"),
        ({"path": "k3s/{env}"}, "has no `{namespace}`"),
        ({"path": "{env}-{namespace}"}, "more than one placeholder"),
        ({"path": "{namespace}/{namespace}"}, "names `{namespace}` twice"),
        ({"path": "{key}/{namespace}"}, "`{key}` must come after `{namespace}`"),
        ({"path": "{namespace}/{env}"}, "`{env}` must come before `{namespace}`"),
        ({"path": "x{instance}/{namespace}"}, "whole segment"),
        ({"path": "_meta/{namespace}"}, "cannot start with `_` or `@`"),
        ({"path": "{namespace}", "field": "value"}, "every key would share it"),
        ({"path": "{namespace}", "field": "{namespace}"}, "only `{key}` may appear"),
        ({"path": "a//{namespace}"}, "empty segment"),
        ({"path": "{namespace}", "layout": "per-key"}, "replaces `layout`"),
        ({"layout": "flat"}, "`layout` is one of"),
    ],
)
def test_unsound_templates_are_refused_with_a_hint(options: dict[str, str], needle: str) -> None:
    with pytest.raises(ContractError) as err:
        build_layout("vault", options, "shop")
    assert needle in err.value.message and err.value.hint


def test_a_template_without_env_or_instance_is_refused_where_slots_would_collide() -> None:
    two = check_options("vault", {"path": "k3s/{namespace}"}, "shop", ["staging", "prod"], [])
    assert len(two) == 1 and "would share every path" in two[0] and "one Vault per environment" in two[0]
    assert check_options("vault", {"path": "k3s/{namespace}"}, "shop", ["prod"], []) == []
    inst = check_options("vault", {"path": "{env}/{namespace}"}, "shop", ["dev"], ["dev"])
    assert len(inst) == 1 and "{instance}" in inst[0]


def test_contract_load_refuses_a_shared_path_across_environments(tmp_path: Path) -> None:
    store = 'stores:\n  vault:\n    backend: vault\n    options: {path: "k3s/{namespace}"}\n'
    contract = tmp_path / "warden.yaml"
    contract.write_text(MINIMAL_CONTRACT.replace("namespaces:\n", store + "namespaces:\n", 1))
    result = run_warden("-c", contract, "validate")
    assert result.returncode == 2, result.output
    assert "would share every path" in result.output and "Traceback" not in result.output


def test_rendered_external_secrets_of_a_fixed_field_template_pass_lint(tmp_path: Path) -> None:
    import json

    store = 'stores:\n  vault:\n    backend: vault\n    options: {path: "apps/{env}/{instance}/{namespace}/{key}", field: value}\n'
    (tmp_path / "warden.yaml").write_text(MINIMAL_CONTRACT.replace("namespaces:\n", store + "namespaces:\n", 1))
    rendered = run_warden("render", "external-secrets", "--env", "dev", "--out", "deploy", cwd=tmp_path)
    assert rendered.returncode == 0, rendered.output
    text = "\n".join(p.read_text() for p in sorted((tmp_path / "deploy").rglob("*.yaml")))
    assert "key: apps/dev/api/API_TOKEN" in text and "property: value" in text
    assert "key: apps/dev/@tenant-a/shop/SHOP_KEY" in text
    lint = run_warden("lint", "--rule", "undeclared-remote-key", "--format", "json", cwd=tmp_path)
    assert json.loads(lint.stdout)["findings"] == [], lint.output
