"""`warden render schema`: application settings schemas generated from the contract.

One module per language, each with `SUFFIX` and `render(spec, header)`; a new
language is one module and one entry in `LANGUAGES` (mypy checks each entry
against the `Language` protocol).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from secretwarden.errors import UsageError
from secretwarden.render.schema import envconfig, json_schema, pydantic_model, ts_types, zod
from secretwarden.render.schema.spec import SchemaSpec, schema_spec

if TYPE_CHECKING:
    from secretwarden.contract.model import Contract


class Language(Protocol):
    SUFFIX: str

    def render(self, spec: SchemaSpec, header: list[str]) -> str: ...


LANGUAGES: dict[str, Language] = {
    "zod": zod,
    "pydantic": pydantic_model,
    "envconfig": envconfig,
    "ts-types": ts_types,
    "json-schema": json_schema,
}


def language(name: str) -> Language:
    found = LANGUAGES.get(name)
    if found is None:
        raise UsageError(f"unknown schema language `{name}`", hint="languages: " + ", ".join(LANGUAGES))
    return found


def render_schema(contract: Contract, service: str, lang: str, *, env: str | None = None,
                  out: str | None = None) -> str:
    """The generated module's text: deterministic, so a re-run is byte-identical."""
    chosen = language(lang)
    spec = schema_spec(contract, service, env)
    return chosen.render(spec, spec.header(lang, out))


def header_path(root: Path, out: Path) -> str:
    """How the header names the output file: relative to the contract's folder when inside it."""
    try:
        return out.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return out.as_posix()


def write_schema(contract: Contract, root: Path, service: str, lang: str, out: Path, *,
                 env: str | None = None) -> bool:
    """Write the generated module to `out` (atomically); False when it was already up to date."""
    from secretwarden.paths import write_output

    text = render_schema(contract, service, lang, env=env, out=header_path(root, out))
    try:
        # Only a regular file is compared: opening a FIFO here to read it would wait for a writer.
        if out.is_file() and out.read_text(encoding="utf-8") == text:
            return False
    except (OSError, UnicodeDecodeError):
        pass
    write_output(out, text, what="schema")  # an unwritable --out is the user's error (exit 2)
    return True
