"""What a backend's `open_store` receives (`StoreSpec`, `Access`) and what it is (`BackendModule`).

Backends import these from here, and the registry imports the backends, so
the two never import each other.
"""

from __future__ import annotations

from secretwarden.value_class import FrozenValue

# `typing` stays off `warden run`'s path (docs/benchmarks.md, run-speed); mypy takes any
# `TYPE_CHECKING` as true. Nothing checks a value against the two protocols below at run time,
# so there they are plain classes, and `Access` a plain name for the registry and backends.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Callable
    from pathlib import Path
    from typing import Any, Literal, Protocol

    from secretwarden.slots import SlotRef
    from secretwarden.stores.base import MetadataReader

    Access = Literal["metadata", "secrets"]
else:
    Protocol = object
    Access = str


class StoreSpec(FrozenValue):
    """Everything a backend needs to open one named store of the contract.

    Written out rather than a dataclass: `warden run`'s fast path builds one (value_class.py).
    """

    _fields = ("name", "backend", "options", "root", "project", "path_overrides", "flags", "envs")
    _unhashed = frozenset({"options", "path_overrides"})  # dicts
    name: str
    backend: str
    options: dict[str, Any]
    root: Path  # folder of the contract; relative paths in options are taken from here
    project: str
    path_overrides: dict[tuple[str, str], str]
    # Requests from the command line that a backend may honour or ignore,
    # e.g. "read-values-for-names" (`warden status --read-values-for-names`).
    flags: frozenset[str]
    # The environments the contract serves from this store (empty when the opener does not say):
    # a path template without {env} is sound only for one, and names it.
    envs: tuple[str, ...]

    def __init__(
        self,
        name: str,
        backend: str,
        options: dict[str, Any],
        root: Path,
        project: str,
        path_overrides: dict[tuple[str, str], str] | None = None,
        flags: frozenset[str] = frozenset(),
        envs: tuple[str, ...] = (),
    ) -> None:
        d = self.__dict__
        d["name"] = name
        d["backend"] = backend
        d["options"] = options
        d["root"] = root
        d["project"] = project
        d["path_overrides"] = {} if path_overrides is None else path_overrides
        d["flags"] = flags
        d["envs"] = envs


class OptionChecker(Protocol):
    """What a backend offers offline, without opening a store (no server, no file)."""

    def check_options(
        self, name: str, options: dict[str, Any], project: str, envs: list[str], instance_envs: list[str]
    ) -> list[str]: ...

    def locator(self, spec: StoreSpec) -> Callable[[SlotRef], tuple[str, str, str]]:
        """slot -> (the mount or root, where its value lives under it, the field)."""
        ...


class BackendModule(Protocol):
    def open_store(
        self,
        spec: StoreSpec,
        *,
        access: Access,
        fingerprinter: Callable[[str], str] | None,
        clock: Callable[[], dt.datetime] | None,
    ) -> MetadataReader: ...
