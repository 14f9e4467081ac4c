"""Writing `warden run`'s code bundle (bytecode_cache.py reads it) when a run loaded a module it lacked.

Kept apart from bytecode_cache.py, which every start compiles from source when
Python keeps no bytecode: this module is loaded only at the end of a fast run
(from the bundle itself, once there is one).
"""

from __future__ import annotations

import marshal
import os
import sys

from secretwarden import bytecode_cache


def modules_to_bundle() -> dict[str, object]:
    """warden's modules loaded since the run bundle was looked for (name -> module) when the bundle
    lacks any of them; empty when it served them all, or when no bundle can be kept (no key)."""
    if bytecode_cache.bundle_state is None:
        return {}
    served, before = bytecode_cache.bundle_state[3], bytecode_cache.bundle_state[4]
    loaded: dict[str, object] = {name: module for name, module in list(sys.modules.items())
                                 if name.startswith("secretwarden.") and name not in before}
    return loaded if not set(loaded) <= served else {}


def keep(loaded: dict[str, object]) -> None:
    """Seal the code of these warden modules (name -> module: what this run loaded) as the run bundle."""
    state = bytecode_cache.bundle_state
    if state is None:
        return
    key, folder, target = state[0], state[1], state[2]
    entries = []
    for name, module in sorted(loaded.items()):
        spec = getattr(module, "__spec__", None)
        origin = getattr(spec, "origin", None)
        if not isinstance(origin, str) or not origin.endswith(".py"):
            continue
        st = os.stat(origin)  # before reading: a source edited meanwhile is loaded from source next time
        with open(origin, "rb") as fh:
            code = compile(fh.read(), origin, "exec", dont_inherit=True)
        package = getattr(spec, "submodule_search_locations", None) is not None
        entries.append((name, origin, package, st.st_mtime_ns, st.st_size, marshal.dumps(code)))
    bytecode_cache.keep_sealed(key, folder, target, bytecode_cache.bundle_context(), marshal.dumps(entries))
