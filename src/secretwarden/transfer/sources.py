"""Where `warden import` reads values from, each as a list of `Offered` values with their origin.

Kinds: `dotenv` (also Compose env files and `export` scripts), `json` / `yaml`
(a key-value export of another manager: a flat mapping, or `namespace: {KEY:
value}`), `vault` (a KV v2 path of an existing Vault/OpenBao layout, read with
the same connection settings as the vault store) and `sops` (a SOPS-encrypted
dotenv, JSON or YAML file, decrypted with the `sops` binary). The origin names
the file and line or the Vault path: it goes into the audit log as provenance.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from secretwarden.errors import ContractError, UsageError
from secretwarden.stores.base import SecretValue

Kind = Literal["dotenv", "json", "yaml", "vault", "sops"]
KINDS: tuple[Kind, ...] = ("dotenv", "json", "yaml", "vault", "sops")
MAX_FILE = 16 << 20  # bound what a hostile source can cost


@dataclass(frozen=True)
class Offered:
    name: str  # the name in the source
    value: SecretValue
    origin: str  # file:line or vault path: provenance, never the value
    address: tuple[str, str] | None = None  # (namespace, KEY) when the source says where it goes


def source_files(sources: Iterable[str], kind: Kind | None = None) -> list[Path]:
    """The sources that are files, which `--delete-source` may delete: all but KV paths."""
    return [Path(s) for s in sources if (kind or guess_kind(s)) != "vault"]


def guess_kind(source: str) -> Kind:
    lower = source.lower()
    if lower.startswith(("vault:", "bao:")):
        return "vault"
    if ".sops." in lower or lower.endswith((".enc.yaml", ".enc.json", ".enc.env")):
        return "sops"
    if lower.endswith(".json"):
        return "json"
    if lower.endswith((".yaml", ".yml")):
        return "yaml"
    return "dotenv"


def _read_file(path: Path) -> str:
    try:
        if path.is_symlink() or not path.is_file():
            raise UsageError(f"{path}: not a regular file", hint="give the path of the file to import")
        if path.stat().st_size > MAX_FILE:
            raise UsageError(f"{path}: larger than {MAX_FILE >> 20} MiB; not an export of secrets")
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {path} ({exc.strerror or type(exc).__name__})") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not UTF-8 text", hint="export the values as UTF-8 text") from None


def _from_dotenv(text: str, label: str) -> tuple[list[Offered], list[str]]:
    from secretwarden.transfer.dotenv import parse

    parsed = parse(text)
    offered = [Offered(a.name, SecretValue(a.value), f"{label}:{a.line}") for a in parsed.assignments]
    notes = [f"{label}:{n}: not a KEY=value line; skipped" for n in parsed.skipped_lines]
    return offered, notes


def _from_mapping(data: Any, label: str) -> tuple[list[Offered], list[str]]:
    if not isinstance(data, dict):
        raise ContractError(f"{label}: expected a mapping of names to values (or of namespaces to such mappings)")
    offered: list[Offered] = []
    notes: list[str] = []
    for name, value in data.items():
        if isinstance(value, dict):
            for key, inner in value.items():
                if isinstance(inner, str | int | float) and not isinstance(inner, bool):
                    offered.append(Offered(str(key), SecretValue(str(inner)), f"{label}#{name}.{key}", (str(name), str(key))))
                else:
                    notes.append(f"{label}#{name}.{key}: not a text or number value; skipped")
        elif isinstance(value, str | int | float) and not isinstance(value, bool):
            offered.append(Offered(str(name), SecretValue(str(value)), f"{label}#{name}"))
        else:
            notes.append(f"{label}#{name}: not a text or number value; skipped")
    return offered, notes


def _structured(text: str, kind: Literal["json", "yaml"], label: str) -> tuple[list[Offered], list[str]]:
    if kind == "json":
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ContractError(f"{label}: not valid JSON (line {getattr(exc, 'lineno', '?')})") from None
        except RecursionError:  # `[[[[...` thousands deep
            raise ContractError(
                f"{label}: JSON nested too deeply; not an export of secrets", hint="import a flat object of names to text"
            ) from None
    else:
        data = load_yaml_input(text, label)
    return _from_mapping(data, label)


def load_yaml_input(text: str, label: str) -> Any:
    """A YAML file the user hands to import: any parse failure is one line and exit 2.

    The parser's own message is left out: it quotes the offending text, which may be a value.
    """
    import yaml

    from secretwarden import safe_yaml

    try:
        return safe_yaml.load(text, name=label)
    except safe_yaml.YamlLimitExceeded:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise ContractError(f"{label}: not valid YAML{where}", hint="plain mappings of names to text only; no tags") from None
    except (yaml.YAMLError, RecursionError):
        raise ContractError(f"{label}: not valid YAML", hint="plain mappings of names to text only; no tags") from None


def _from_vault(source: str, root: Path) -> tuple[list[Offered], list[str]]:
    """`vault:MOUNT/PATH` — every field of the newest version of one KV v2 secret."""
    from secretwarden.stores.vault.auth import connection_from, make_client
    from secretwarden.stores.vault.errors import NotFound, RetryPolicy, call

    path = source.split(":", 1)[1].strip("/")
    mount, _, rest = path.partition("/")
    if not mount or not rest:
        raise UsageError(f"`{source}`: give a KV v2 path as vault:MOUNT/PATH, e.g. vault:secret/legacy/app")
    conn = connection_from({}, root, "import")
    client = make_client(conn, root)
    try:
        answer = call(
            lambda: client.secrets.kv.v2.read_secret_version(path=rest, mount_point=mount, raise_on_deleted_version=True),
            address=conn.address,
            what=f"{mount}/data/{rest}",
            capability="read",
            retry=RetryPolicy(deadline=conn.timeout),
        )
    except NotFound:
        # Like a file that is not there: the source named is the user's to fix.
        raise UsageError(
            f"`{source}`: no secret at {mount}/data/{rest} on {conn.address} (or its newest version is deleted)",
            hint="check the mount and path (`bao kv get MOUNT/PATH`); give it as vault:MOUNT/PATH",
        ) from None
    fields = (answer or {}).get("data", {}).get("data") or {}
    offered = [Offered(str(k), SecretValue(str(v)), f"vault:{mount}/{rest}#{k}") for k, v in sorted(fields.items())
               if isinstance(v, str | int | float) and not isinstance(v, bool)]
    return offered, []


def _from_sops(path: Path) -> tuple[list[Offered], list[str]]:
    from secretwarden.stores.sops.tool import run_sops

    _read_file(path)  # the same checks as a plain file (regular, bounded, text)
    lower = path.name.lower()
    fmt: Literal["json", "yaml"] | None = (
        "json" if lower.endswith(".json") else "yaml" if lower.endswith((".yaml", ".yml")) else None
    )
    plain = run_sops(["decrypt", "--output-type", fmt or "dotenv", str(path)], what=str(path)).decode("utf-8", "replace")
    label = str(path)
    if fmt is None:
        return _from_dotenv(plain, label)
    offered, notes = _structured(plain, fmt, label)
    # sops keeps its own metadata beside the values in JSON/YAML files.
    return [o for o in offered if o.name != "sops"], notes


def read_source(source: str, kind: Kind | None, root: Path) -> tuple[list[Offered], list[str]]:
    """The values a source offers, and notes about what was skipped (never a value)."""
    kind = kind or guess_kind(source)
    if kind == "vault":
        return _from_vault(source if ":" in source else f"vault:{source}", root)
    path = Path(source)
    if kind == "sops":
        return _from_sops(path)
    text = _read_file(path)
    if kind == "dotenv":
        return _from_dotenv(text, str(path))
    return _structured(text, kind, str(path))
