"""The environment `warden run` gives its child, and the exec that starts it.

By default the child inherits warden's environment minus the credentials that
open stores and keys (a service gets its own secrets, never the keys to every
environment's):

* every `WARDEN_*` variable except `WARDEN_ENV`, `WARDEN_INSTANCE` and
  `WARDEN_CONTRACT` (which the runtime's `require()` reads): the root key
  (`WARDEN_MASTER_KEY`), the fingerprint key, the dashboard token and any
  other warden setting;
* `VAULT_*` and `BAO_*` variables whose name contains TOKEN, SECRET, ROLE_ID,
  PASSWORD, UNSEAL or KEY (`VAULT_TOKEN`, `BAO_TOKEN`, AppRole ids...);
* `SOPS_*` variables whose name contains KEY (`SOPS_AGE_KEY`,
  `SOPS_AGE_KEY_FILE`, `SOPS_AGE_KEY_CMD`, `SOPS_AGE_SSH_PRIVATE_KEY_FILE`);
* every variable the contract's store options name with an `*_env` option
  (for example `auth.secret_id_env`).

`--pass-env NAME` keeps one of them for the rare child that needs it;
`--clean-env` starts the child with only the contract's keys plus PATH, HOME,
LANG, TZ and TERM (and any `--pass-env`). A key the contract grants always
reaches the child, even when its name matches a rule above.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping

from secretwarden.errors import UsageError
from secretwarden.stores.storable import MAX_ONE_VARIABLE  # the one limit (stores/storable.py)

TYPE_CHECKING = False  # `typing` stays off `warden run`'s path; mypy takes any `TYPE_CHECKING` as true
if TYPE_CHECKING:
    from typing import Any, NoReturn

KEPT_WARDEN_NAMES = frozenset({"WARDEN_ENV", "WARDEN_INSTANCE", "WARDEN_CONTRACT"})
STORE_CREDENTIAL_PREFIXES = ("VAULT_", "BAO_")
STORE_CREDENTIAL_WORDS = ("TOKEN", "SECRET", "ROLE_ID", "PASSWORD", "UNSEAL", "KEY")
CLEAN_ENV_NAMES = ("PATH", "HOME", "LANG", "TZ", "TERM")



def is_credential(name: str, extra: frozenset[str] = frozenset()) -> bool:
    """Whether warden keeps this variable from the child by default."""
    if name in extra:
        return True
    if name.startswith("WARDEN_"):
        return name not in KEPT_WARDEN_NAMES
    if name.startswith(STORE_CREDENTIAL_PREFIXES):
        return any(word in name for word in STORE_CREDENTIAL_WORDS)
    if name.startswith("SOPS_"):
        return "KEY" in name
    return False


def store_option_env_names(options: Mapping[str, Any]) -> frozenset[str]:
    """Names of variables a store's options point at (`token_env`, `secret_id_env`, ...)."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, Mapping):
            for key, value in node.items():
                if isinstance(key, str) and key.endswith("_env") and isinstance(value, str):
                    found.add(value)
                else:
                    walk(value)

    walk(options)
    return frozenset(found)


def child_environment(
    granted: Mapping[str, str],
    *,
    parent: Mapping[str, str] | None = None,
    pass_env: Iterable[str] = (),
    clean: bool = False,
    store_env_names: frozenset[str] = frozenset(),
) -> dict[str, str]:
    """The child's environment: the parent's (credentials stripped) or a clean one, plus the granted keys."""
    source = os.environ if parent is None else parent
    passed = set(pass_env)
    if clean:
        env = {name: source[name] for name in (*CLEAN_ENV_NAMES, *sorted(passed)) if name in source}
    else:
        env = {
            name: value
            for name, value in source.items()
            if name in passed or not is_credential(name, store_env_names)
        }
    env.update(granted)
    return env


def check_size(argv: list[str], env: Mapping[str, str], granted: Iterable[str]) -> None:
    """Refuse, naming the key, an environment the OS would refuse (never an OSError later)."""
    granted_names = set(granted)
    for name, value in env.items():
        if "\0" in value or "\0" in name:
            raise UsageError(f"environment variable `{name}` contains a NUL byte, which no environment can carry")
        size = len(name.encode()) + 1 + len(value.encode("utf-8", "surrogateescape")) + 1
        if size > MAX_ONE_VARIABLE:
            what = f"key `{name}`" if name in granted_names else f"environment variable `{name}`"
            raise UsageError(
                f"{what} is {size} bytes: Linux refuses an environment variable over {MAX_ONE_VARIABLE} bytes",
                hint="pass a value this large as a file (docs/runtime.md: size limits)",
            )
    total = sum(len(s.encode("utf-8", "surrogateescape")) + 1 + 8 for s in argv)
    total += sum(len(n.encode()) + len(v.encode("utf-8", "surrogateescape")) + 2 + 8 for n, v in env.items())
    limit = _arg_max()
    if total > limit:
        raise UsageError(
            f"the command line and environment are {total} bytes, over the system's limit of {limit}",
            hint="pass large values as files, or use --clean-env to drop the inherited environment",
        )


def _arg_max() -> int:
    try:
        value = os.sysconf("SC_ARG_MAX")
    except (ValueError, OSError):
        value = -1
    return value if value > 0 else 2 * 1024 * 1024


def exec_child(argv: list[str], env: dict[str, str]) -> NoReturn:
    """Replace this process with the command; its signals and exit code are the command's."""
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execvpe(argv[0], argv, env)
    except FileNotFoundError:
        raise UsageError(f"command not found: {argv[0]}") from None
    except PermissionError:
        raise UsageError(f"command not executable: {argv[0]}") from None
    except OSError as exc:  # E2BIG and friends: name the cause, never the environment's content
        raise UsageError(f"cannot start {argv[0]}: {os.strerror(exc.errno or 0)}") from None
