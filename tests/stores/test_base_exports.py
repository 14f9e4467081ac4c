"""stores/base.py re-exports the optional capability types it loads on first use."""

from __future__ import annotations

import subprocess
import sys

import pytest

from secretwarden.stores import base, capabilities, provisioning


def test_every_lazy_name_is_the_defining_modules_object() -> None:
    for name, home in vars(base)["__getattr__"].where.items():
        defining = {"secretwarden.stores.capabilities": capabilities, "secretwarden.stores.provisioning": provisioning}[home]
        assert getattr(base, name) is getattr(defining, name), name


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'NoSuchThing'"):
        _ = base.NoSuchThing  # type: ignore[attr-defined]  # mypy knows it is missing, as it should


def test_from_import_works_and_loads_the_module_only_then() -> None:
    code = (
        "import sys, secretwarden.stores.base as b\n"
        "before = 'secretwarden.stores.provisioning' in sys.modules\n"
        "from secretwarden.stores.base import AccessRequest, IntegrityChecker\n"
        "print(before, 'secretwarden.stores.provisioning' in sys.modules, AccessRequest.__module__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "True", "secretwarden.stores.provisioning"]
