"""Writing `warden run`'s code bundle (bundle_finder.py reads it) when a run loaded a module it lacked.

Kept apart from bundle_finder.py, which every start compiles from source when
Python keeps no bytecode: this module is loaded only by a fast run that found
the bundle missing, stale or short of a module (ops/fastrun.py).
"""

from __future__ import annotations

import marshal
import os

from secretwarden import bundle_finder
from secretwarden.bytecode_cache import keep_sealed


def keep(loaded: dict[str, object]) -> None:
    """Seal the run bundle again: the modules it served (still current) and these (name -> module),
    so that runs loading different modules do not take turns rewriting it."""
    state = bundle_finder.bundle_state
    if state is None:
        return
    key, folder, target, served = state[0], state[1], state[2], state[3]
    entries = []
    for name in sorted(set(loaded) | set(served)):
        if name in served:  # verified when the bundle was read, bound to the source it was compiled from
            origin, package, code, mtime_ns, size = served[name]
            entries.append((name, origin, package, mtime_ns, size, code))
            continue
        spec = getattr(loaded[name], "__spec__", None)
        source = getattr(spec, "origin", None)
        if not isinstance(source, str) or not source.endswith(".py"):
            continue
        st = os.stat(source)  # before reading: a source edited meanwhile is loaded from source next time
        with open(source, "rb") as fh:
            compiled = marshal.dumps(compile(fh.read(), source, "exec", dont_inherit=True))
        is_package = getattr(spec, "submodule_search_locations", None) is not None
        entries.append((name, source, is_package, st.st_mtime_ns, st.st_size, compiled))
    keep_sealed(key, folder, target, bundle_finder.bundle_context(), marshal.dumps(entries))
