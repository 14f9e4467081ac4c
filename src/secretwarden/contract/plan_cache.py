"""The one cache of compiled service plans, keyed by everything that decides them and sealed.

`warden run`'s fast path and the runtime's `load_settings` start from a
`ServicePlan` without parsing the contract. A plan is only as trustworthy as
the inputs it was compiled from, so a cached plan is used only when all of
these are what they were:

* the contract's resolved path and its bytes (SHA-256);
* the request (service, environment, instance, whether any instance will do);
* the configuration and cache folders, and every environment variable that
  can select a store, a key or a folder (`WARDEN_*`, `VAULT_*`, `BAO_*`,
  `SOPS_*`, `HOME`, `XDG_CONFIG_HOME`, `XDG_CACHE_HOME`; their values enter
  the key hashed, never stored);
* this version of Secret Warden and of the plan format.

The file name of a plan is an HMAC of those inputs under the local cache key
(contract/sealed_cache.py: `<config dir>/keys/cache.key`, 0600, never inside
the project), and the file carries a MAC of its content bound to the same
inputs. On use the key is
recomputed from the current inputs, the content's MAC is checked, and cheap
facts are re-checked (the contract file and its folder are the same inodes).
Anything that does not verify is a miss: the caller compiles the plan from the
contract again, never trusts the file. Someone who can write the cache folder
(a CI cache restored from another branch, a second checkout) cannot make a
plan that verifies without the local key.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Mapping
from pathlib import Path

from secretwarden import json_codec
from secretwarden.contract import sealed_cache
from secretwarden.contract.plan import Requirement, ServicePlan, StoreRef
from secretwarden.crypto.derive import sha256_hex
from secretwarden.paths import cache_dir, config_dir
from secretwarden.slots import SlotRef

TYPE_CHECKING = False  # `typing` stays off `warden run`'s path; mypy takes any `TYPE_CHECKING` as true
if TYPE_CHECKING:
    from typing import Any

PLAN_FORMAT = "plan-v3"  # v3: plans of contracts whose key names the parser now keeps as written
# Variables that can change which store, key or folder a plan leads to.
SELECTING_PREFIXES = ("WARDEN_", "VAULT_", "BAO_", "SOPS_")
SELECTING_NAMES = ("HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME")
# Variables that only switch the cache itself on or off.
_NOT_SELECTING = frozenset({"WARDEN_NO_FAST_RUN"})


def selecting_environment(environ: Mapping[str, str]) -> list[tuple[str, str]]:
    """(name, SHA-256 of the value) of every variable that can select a store, key or folder."""
    return sorted(
        (name, sha256_hex(value.encode("utf-8", "surrogateescape")))
        for name, value in environ.items()
        if (name.startswith(SELECTING_PREFIXES) or name in SELECTING_NAMES) and name not in _NOT_SELECTING
    )


def _version() -> str:
    from secretwarden import __version__

    return __version__


def cache_inputs(
    contract_path: Path,
    digest: str,
    request: tuple[str, str | None, str | None, bool],
    environ: Mapping[str, str],
) -> bytes:
    """Canonical bytes of everything that decides a plan."""
    service, env, instance, any_instance = request
    doc = {
        "format": PLAN_FORMAT,
        "version": _version(),
        "contract": str(contract_path),
        "digest": digest,
        "request": [service, env, instance, any_instance],
        "config_dir": str(config_dir()),
        "cache_dir": str(cache_dir()),
        "environ": selecting_environment(environ),
    }
    return json_codec.dumps(doc, sort_keys=True, separators=(",", ":")).encode()


# --- cheap facts -------------------------------------------------------------------------


def _facts(contract_path: Path) -> list[int]:
    """Identity of the contract file and its folder: a copy or a swapped folder is another plan."""
    f = os.stat(contract_path)
    d = os.stat(contract_path.parent)
    return [f.st_dev, f.st_ino, d.st_dev, d.st_ino]


# --- (de)serialising a plan ----------------------------------------------------------------


def _entry_doc(r: Requirement) -> list[Any]:
    return [
        r.service, r.var, [r.slot.env, r.slot.namespace, r.slot.key, r.slot.instance], r.store, r.required,
        r.sensitive, r.fmt, r.regex, r.min_length, r.generate,
        r.rotate_every.total_seconds() if r.rotate_every is not None else None,
        r.owner, r.description, r.via_ref, r.deprecated,
        r.deprecated_hold_until.isoformat() if r.deprecated_hold_until is not None else None,
        r.path_override, list(r.runbook), r.past_hold,
    ]


def _entry(doc: list[Any]) -> Requirement:
    (service, var, slot, store, required, sensitive, fmt, regex, min_length, generate, rotate, owner,
     description, via_ref, deprecated, hold, path_override, runbook, past_hold) = doc
    return Requirement(
        service=service, var=var, slot=SlotRef(*slot), store=store, required=required, sensitive=sensitive,
        fmt=fmt, regex=regex, min_length=min_length, generate=generate,
        rotate_every=dt.timedelta(seconds=rotate) if rotate is not None else None,
        owner=owner, description=description, via_ref=via_ref, deprecated=deprecated,
        deprecated_hold_until=dt.date.fromisoformat(hold) if hold is not None else None,
        path_override=path_override, runbook=tuple(runbook), past_hold=past_hold,
    )


def _plan_doc(plan: ServicePlan, facts: list[int]) -> dict[str, Any]:
    st = plan.store
    return {
        "service": plan.service, "env": plan.env, "instance": plan.instance, "direct": plan.direct,
        "contract_path": plan.contract_path, "digest": plan.digest, "audit_path": plan.audit_path,
        "store": [st.name, st.backend, st.options, st.root, st.project, [list(o) for o in st.path_overrides]],
        "entries": [_entry_doc(r) for r in plan.entries],
        "facts": facts,
    }


def _plan(doc: dict[str, Any]) -> ServicePlan:
    name, backend, options, root, project, overrides = doc["store"]
    return ServicePlan(
        service=doc["service"], env=doc["env"], instance=doc["instance"], direct=doc["direct"],
        contract_path=doc["contract_path"], digest=doc["digest"], audit_path=doc["audit_path"],
        store=StoreRef(name, backend, options, root, project, tuple(tuple(o) for o in overrides)),
        entries=tuple(_entry(e) for e in doc["entries"]),
    )


# --- the two operations --------------------------------------------------------------------


def _plan_path(key: bytes, inputs: bytes) -> Path:
    return cache_dir() / "plans" / f"{sealed_cache.file_name(key, b'plan' + inputs)}.json"


def load(
    contract_path: Path, digest: str, request: tuple[str, str | None, str | None, bool], environ: Mapping[str, str]
) -> ServicePlan | None:
    """The cached plan for these inputs if it verifies; None otherwise (compile it again)."""
    try:
        key = sealed_cache.local_key(create=False, project_root=contract_path.parent)
        if key is None:
            return None
        inputs = cache_inputs(contract_path, digest, request, environ)
        body = sealed_cache.unseal(key, b"plan" + inputs, _plan_path(key, inputs))
        if body is None:
            return None
        doc = json_codec.loads(body)
        if doc.get("facts") != _facts(contract_path) or doc.get("contract_path") != str(contract_path):
            return None
        if doc.get("digest") != digest:
            return None
        return _plan(doc)
    except (OSError, RuntimeError, ValueError, KeyError, TypeError, UnicodeError):
        return None  # unreadable or malformed: a miss


def save(
    plan: ServicePlan, contract_path: Path, request: tuple[str, str | None, str | None, bool], environ: Mapping[str, str]
) -> None:
    """Keep the plan for the next start; without a usable key or cache folder, keep nothing."""
    with contextlib.suppress(OSError, RuntimeError, KeyError):
        key = sealed_cache.local_key(create=True, project_root=contract_path.parent)
        if key is None:
            return
        inputs = cache_inputs(contract_path, plan.digest, request, environ)
        body = json_codec.dumps(_plan_doc(plan, _facts(contract_path)), separators=(",", ":")).encode()
        sealed_cache.write_sealed(_plan_path(key, inputs), key, b"plan" + inputs, body)
