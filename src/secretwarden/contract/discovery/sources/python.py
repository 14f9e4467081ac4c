"""Python: `os.environ[...]`, `os.environ.get(...)`, `os.getenv(...)`, pydantic-settings fields."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from pathlib import PurePosixPath

from secretwarden.contract.discovery.model import Hit
from secretwarden.contract.discovery.sources.base import (
    ENV_NAME,
    HASH,
    regex_hits,
    suffix_in,
)

KIND = "python"

# The pattern starts with a literal so the regex engine can skip ahead fast;
# `_owner_ok` then checks what stands before it.
_READ = re.compile(
    r"(?:environ\s*\[|environ\s*\.\s*(?:get|setdefault|pop)\s*\(|getenv\s*\()"
    rf"\s*[rRuU]?(?P<q>['\"])(?P<name>{ENV_NAME})(?P=q)"
    r"(?P<default>\s*,)?"  # only `.get`/`getenv`/... take a second argument: the default
)
# `os.` is optional for `from os import environ, getenv`; any other owner is
# refused, so `request.environ["HTTP_HOST"]` (WSGI) does not count.
_OWNER = re.compile(r"(?:^|[^\w.])(?:os\s*\.\s*)?$")


def _owner_ok(text: str, m: re.Match[str]) -> bool:
    return _OWNER.search(text, max(0, m.start() - 32), m.start()) is not None


def wants(path: PurePosixPath) -> bool:
    return suffix_in(path, {".py", ".pyi"})


def scan(text: str, path: PurePosixPath) -> Iterable[Hit]:
    # A substring test is ~100x cheaper than the pattern: most files read no env at all.
    if "environ" in text or "getenv" in text:
        yield from regex_hits(text, [_READ], comments=HASH, accept=_owner_ok)
    if "BaseSettings" in text:
        yield from _settings_fields(text)


def _string_kw(call: ast.expr, names: set[str]) -> str | None:
    if isinstance(call, ast.Call):
        for kw in call.keywords:
            if kw.arg in names and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
                return kw.value.value
    return None


def _env_prefix(cls: ast.ClassDef) -> str:
    for stmt in cls.body:
        # model_config = SettingsConfigDict(env_prefix="APP_")
        if isinstance(stmt, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "model_config" for t in stmt.targets
        ):
            found = _string_kw(stmt.value, {"env_prefix"})
            if found is not None:
                return found
        # pydantic v1: class Config: env_prefix = "APP_"
        if isinstance(stmt, ast.ClassDef) and stmt.name == "Config":
            for inner in stmt.body:
                if (
                    isinstance(inner, ast.Assign)
                    and any(isinstance(t, ast.Name) and t.id == "env_prefix" for t in inner.targets)
                    and isinstance(inner.value, ast.Constant)
                    and isinstance(inner.value.value, str)
                ):
                    return inner.value.value
    return ""


def _field_has_default(value: ast.expr | None) -> bool:
    """`x: str = "d"` and `Field("d")` have one; `Field(alias=...)` alone does not."""
    if value is None:
        return False
    if isinstance(value, ast.Call) and getattr(value.func, "id", getattr(value.func, "attr", "")) == "Field":
        given = [a for a in value.args if not (isinstance(a, ast.Constant) and a.value is Ellipsis)]
        return bool(given) or any(kw.arg in {"default", "default_factory"} for kw in value.keywords)
    return True


def _settings_fields(text: str) -> Iterator[Hit]:
    """Fields of classes deriving from `BaseSettings`: pydantic-settings reads FIELD_NAME (plus prefix)."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return
    for cls in ast.walk(tree):
        if not isinstance(cls, ast.ClassDef):
            continue
        bases = {b.id if isinstance(b, ast.Name) else b.attr if isinstance(b, ast.Attribute) else "" for b in cls.bases}
        if "BaseSettings" not in bases:
            continue
        prefix = _env_prefix(cls)
        for stmt in cls.body:
            if not isinstance(stmt, ast.AnnAssign) or not isinstance(stmt.target, ast.Name):
                continue
            field = stmt.target.id
            if field.startswith("_") or field == "model_config":
                continue
            alias = _string_kw(stmt.value, {"alias", "validation_alias"}) if stmt.value else None
            name = alias or (prefix + field).upper()
            detail = f"pydantic-settings field {cls.name}.{field}"
            yield Hit(name, stmt.lineno, detail=detail, has_default=_field_has_default(stmt.value))
