"""Immutable value objects written out by hand, for modules on `warden run`'s fast path.

`@dataclass` generates and compiles each class's methods when the module is
imported (about 0.5 ms a class), and its module brings `inspect`, `ast`,
`dis` and `tokenize` with it: a cost every `warden run` pays before it
reads a single value. A class on that path instead writes its `__init__`
(setting the instance dictionary directly, which also builds instances
faster than a frozen dataclass's `object.__setattr__`) and derives from
`FrozenValue`, which adds what `@dataclass(frozen=True)` gave: comparison
and hashing by value over `_fields` (less `_unhashed`), a readable repr,
immutability, and copying and pickling by value.
"""

from __future__ import annotations

# `typing` is for the type checker only: the run path can then do without it (docs/benchmarks.md,
# run-speed). mypy takes any `TYPE_CHECKING` name as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, ClassVar, dataclass_transform
else:

    def dataclass_transform(**_options: object) -> object:
        return lambda cls: cls


# For mypy only: it then reads each subclass's annotated fields as those of a frozen dataclass,
# so assigning to a field is a type error (at run time `__setattr__` below refuses it); each
# subclass keeps its hand-written `__init__`. Two tests assign to a field under
# `type: ignore[misc]`: were the check lost, mypy would call those comments unused and
# `tasks.py check` would fail.
@dataclass_transform(frozen_default=True)
class FrozenValue:
    _fields: ClassVar[tuple[str, ...]] = ()
    _unhashed: ClassVar[frozenset[str]] = frozenset()  # fields left out of the hash (dicts)

    def _values(self) -> tuple[Any, ...]:
        d = self.__dict__
        return tuple(d[f] for f in self._fields)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        d = self.__dict__
        return hash(tuple(d[f] for f in self._fields if f not in self._unhashed))

    def __repr__(self) -> str:
        d = self.__dict__
        return f"{type(self).__name__}(" + ", ".join(f"{f}={d[f]!r}" for f in self._fields) + ")"

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"cannot assign to field {name!r}: {type(self).__name__} is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r}: {type(self).__name__} is immutable")

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return (type(self), self._values())
