"""Names a module serves from other modules, imported the first time they are asked for.

A package whose import must stay cheap (`warden run` loads `stores/base.py` and
`runtime/`; an application imports `redact/`) lists where each such name lives
and binds the result as its module `__getattr__` (PEP 562):

    if TYPE_CHECKING:
        from secretwarden.stores.capabilities import Capabilities as Capabilities
    else:
        __getattr__ = LazyNames(__name__, {"secretwarden.stores.capabilities": ("Capabilities",)})

The `else` branch matters: a module `__getattr__` that mypy can see makes every
name of the module valid to it, typos included. Hidden from mypy, the
`TYPE_CHECKING` imports are all it knows, so a missing name is still an error;
tests/test_lazy_names.py checks that those imports and the `LazyNames` table
name the same things.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # `typing` stays off the run path; mypy takes any `TYPE_CHECKING` as true
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from typing import Any


class LazyNames:
    """A module `__getattr__`: `homes` maps a module's full name to the names it defines."""

    __slots__ = ("module", "where")

    def __init__(self, module: str, homes: Mapping[str, Iterable[str]]) -> None:
        self.module = module
        self.where = {name: home for home, names in homes.items() for name in names}

    def __call__(self, name: str) -> Any:
        home = self.where.get(name)
        if home is None:
            raise AttributeError(f"module {self.module!r} has no attribute {name!r}")
        # Here, not at the top: the modules that use this class are imported by code that never
        # asks for a lazy name (`warden run` among them), and importlib would cost each of them.
        import importlib

        value = getattr(importlib.import_module(home), name)
        # Later look-ups find the name in the module itself and skip this call.
        setattr(sys.modules[self.module], name, value)
        return value
