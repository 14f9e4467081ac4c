"""Where the contract is and what its bytes are: the part of loading that `warden run`'s fast path needs.

Kept apart from the loader (YAML, pydantic, error positions) so that finding
the contract costs the fast path nothing it does not use; the loader
re-exports these names.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from secretwarden.errors import ContractError

CONTRACT_NAMES = ("warden.yaml", "warden.yml")
MAX_CONTRACT_BYTES = 32 * 1024 * 1024


def find_contract(start: Path | None = None) -> Path | None:
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        for name in CONTRACT_NAMES:
            candidate = folder / name
            if candidate.is_file():
                return candidate
    return None


def resolve_contract_path(explicit: str | os.PathLike[str] | None) -> Path:
    if explicit:
        path = Path(explicit)
        if not path.exists():
            raise ContractError(f"contract file not found: {path}", hint="check the path given to --contract")
        return path
    found = find_contract()
    if found is None:
        raise ContractError(
            "no warden.yaml found in this directory or any parent",
            hint="run `warden init` to scaffold one, or pass --contract PATH",
        )
    return found


def read_contract_bytes(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_CONTRACT_BYTES:
            raise ContractError(f"{path}: {size} bytes is larger than the {MAX_CONTRACT_BYTES}-byte limit")
        return path.read_bytes()
    except PermissionError:
        raise ContractError(f"{path}: permission denied", hint="check the file's permissions") from None
    except IsADirectoryError:
        raise ContractError(f"{path} is a directory, not a contract file") from None
    except FileNotFoundError:
        raise ContractError(f"contract file not found: {path}") from None


def contract_digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()
