"""The contract cannot reach another instance's secrets, and instances never fall back to shared keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from secretwarden.contract.loader import load_contract
from secretwarden.errors import ContractError
from tests.conftest import run_warden

BASE = """\
version: 1
project: iso
environments: {dev: {}}
instances: [tenant-a, tenant-b]
namespaces:
  shop: {path: /services/shop}
  shared: {path: /shared}
  web: {path: /services/web}
services:
  shared:
    namespace: shared
    secrets:
      DATABASE_URL: {}
  shop:
    namespace: shop
    per_instance: true
    secrets:
      SHOP_KEY: {}
"""


def write(tmp_path: Path, extra: str) -> Path:
    path = tmp_path / "warden.yaml"
    path.write_text(BASE + extra)
    return path


def problems(path: Path) -> str:
    with pytest.raises(ContractError) as err:
        load_contract(path)
    return "\n".join([err.value.message, *err.value.problems])


def test_per_instance_service_cannot_fall_back_to_a_shared_key(tmp_path: Path) -> None:
    path = write(tmp_path, """\
  worker:
    namespace: shop
    per_instance: true
    secrets:
      DATABASE_URL: {ref: shared/DATABASE_URL}
""")
    text = problems(path)
    assert "never fall back to shared credentials" in text and "warden.yaml:" in text


def test_shared_service_cannot_pick_an_instance_key(tmp_path: Path) -> None:
    path = write(tmp_path, """\
  web:
    namespace: web
    secrets:
      SHOP_KEY: {ref: shop/SHOP_KEY}
""")
    assert "exists once per instance" in problems(path)


@pytest.mark.parametrize("ref", ["shop/SHOP_KEY@tenant-b", "tenant-b/shop/SHOP_KEY", "shop@tenant-b/SHOP_KEY"])
def test_a_reference_cannot_name_another_instance(tmp_path: Path, ref: str) -> None:
    path = write(tmp_path, f"""\
  other:
    namespace: shop
    per_instance: true
    secrets:
      STOLEN: {{ref: '{ref}'}}
""")
    assert "a reference is `<namespace>/<KEY>`" in problems(path)


def test_per_instance_ref_to_a_per_instance_key_stays_in_its_instance(tmp_path: Path) -> None:
    from secretwarden.contract.plan import requirements

    path = write(tmp_path, """\
  worker:
    namespace: web
    per_instance: true
    secrets:
      SHOP_KEY: {ref: shop/SHOP_KEY}
""")
    contract = load_contract(path).contract
    slots = {(r.service, r.slot.instance): r.slot for r in requirements(contract, "dev", service="worker")}
    assert {inst: slot.instance for (_svc, inst), slot in slots.items()} == {"tenant-a": "tenant-a", "tenant-b": "tenant-b"}


def test_validate_reports_it_in_one_line_without_traceback(tmp_path: Path) -> None:
    path = write(tmp_path, """\
  worker:
    namespace: shop
    per_instance: true
    secrets:
      DATABASE_URL: {ref: shared/DATABASE_URL}
""")
    res = run_warden("-c", path, "validate")
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert "never fall back to shared credentials" in res.stderr
