"""Modules that serve names on first use (lazy_names.LazyNames) serve exactly what mypy is told.

mypy reads only a module's `if TYPE_CHECKING:` imports (the `__getattr__` is bound
where it cannot see it), so those imports and the run-time table must agree: a name
served but not imported would pass at run time and fail mypy in every caller, a name
imported for mypy but not served would pass mypy and fail at run time.
"""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from secretwarden.lazy_names import LazyNames

MODULES = (
    "secretwarden.stores.base",
    "secretwarden.runtime",
    "secretwarden.redact",
    "secretwarden.stores.sops",
    "secretwarden.contract.plan",
)


def type_checking_imports(module: ModuleType) -> dict[str, str]:
    """Name bound -> module it comes from, for each `from X import Y` under the module's `if TYPE_CHECKING:`."""
    assert module.__file__ is not None
    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    found: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for stmt in node.body:
                if isinstance(stmt, ast.ImportFrom) and stmt.module:
                    found.update({alias.asname or alias.name: stmt.module for alias in stmt.names})
    return found


def lazy_table(module: ModuleType) -> LazyNames:
    table = vars(module)["__getattr__"]
    assert isinstance(table, LazyNames)
    return table


@pytest.mark.parametrize("name", MODULES)
def test_every_served_name_is_imported_for_mypy_from_the_same_module(name: str) -> None:
    module = importlib.import_module(name)
    imported = type_checking_imports(module)
    served = lazy_table(module).where
    assert {n: imported.get(n) for n in served} == served


@pytest.mark.parametrize("name", MODULES)
def test_every_served_name_is_the_defining_modules_object(name: str) -> None:
    module = importlib.import_module(name)
    for attr, home in lazy_table(module).where.items():
        assert getattr(module, attr) is getattr(importlib.import_module(home), attr), (name, attr)


@pytest.mark.parametrize("name", [m for m in MODULES if hasattr(importlib.import_module(m), "__all__")])
def test_every_public_name_resolves(name: str) -> None:
    module = importlib.import_module(name)
    for attr in module.__all__:
        assert getattr(module, attr) is not None, (name, attr)


def test_an_unknown_name_is_the_usual_attribute_error() -> None:
    table = LazyNames("some.module", {"json": ("dumps",)})
    with pytest.raises(AttributeError, match=r"module 'some\.module' has no attribute 'loads'"):
        table("loads")


def test_a_name_is_imported_only_when_asked_for_and_then_kept() -> None:
    code = (
        "import sys, secretwarden.redact as r\n"
        "before = 'secretwarden.redact.redactor' in sys.modules\n"
        "from secretwarden.redact import Redactor\n"
        "print(before, 'secretwarden.redact.redactor' in sys.modules, 'Redactor' in vars(r))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "True", "True"]
