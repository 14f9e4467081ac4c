"""Where the contract is and what its bytes are: the part of loading that `warden run`'s fast path needs.

Kept apart from the loader (YAML, pydantic, error positions) so that finding
the contract costs the fast path nothing it does not use; the loader
re-exports these names.
"""

from __future__ import annotations

import os
from pathlib import Path

from secretwarden.crypto.derive import sha256_hex
from secretwarden.errors import ContractError
from secretwarden.paths import FileTooLarge, NotRegularFile, open_for_reading, read_bounded

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
    # Opened without blocking and checked on the open descriptor: a FIFO or a device named as
    # the contract (`-c /dev/zero`) would otherwise hang or read without end, and a stat taken
    # before the open could describe another file than the one read.
    try:
        fd = open_for_reading(path)
    except PermissionError:
        raise ContractError(f"{path}: permission denied", hint="check the file's permissions") from None
    except IsADirectoryError:
        raise ContractError(f"{path} is a directory, not a contract file") from None
    except FileNotFoundError:
        raise ContractError(f"contract file not found: {path}") from None
    except OSError as exc:  # a symlink loop, a name too long, an I/O error
        raise ContractError(f"{path}: cannot be opened ({exc.strerror})") from None
    try:
        raw = read_bounded(fd, MAX_CONTRACT_BYTES)
    except NotRegularFile:
        raise ContractError(
            f"{path} is not a regular file (a device, a pipe or a socket)",
            hint="point --contract at a warden.yaml file",
        ) from None
    except FileTooLarge as exc:
        if exc.size is not None:
            raise ContractError(f"{path}: {exc.size} bytes is larger than the {MAX_CONTRACT_BYTES}-byte limit") from None
        raise ContractError(f"{path}: larger than the {MAX_CONTRACT_BYTES}-byte limit") from None
    except OSError as exc:
        raise ContractError(f"{path}: cannot be read ({exc.strerror})") from None
    return raw


def contract_digest(raw: bytes) -> str:
    return sha256_hex(raw)
