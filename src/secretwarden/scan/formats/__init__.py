"""Structured formats whose secrets hide behind encoding or indirection.

Each module here rewrites a buffer *line for line* (the same number of lines,
each line standing for the one it replaces) into text the rules can read:
a notebook's JSON string lines become the code and output they hold, a
Kubernetes Secret's base64 `data:` values become their decoded text, an env
entry's `value:` is put under its `name:`. Line numbers stay those of the file,
so findings point at the right line of the original.
"""

from __future__ import annotations

from secretwarden.scan.formats import kubernetes, notebook

NOTHING_DECODED: frozenset[int] = frozenset()


def rewrite(buf: bytes, path: str) -> tuple[bytes, frozenset[int]]:
    """The buffer as the rules should read it (the buffer itself when no format applies),
    and the 1-based lines whose text was decoded from base64 (findings there say so)."""
    if path.endswith(".ipynb"):
        return notebook.rewrite(buf), NOTHING_DECODED
    if path.endswith((".yaml", ".yml")) or b"apiVersion:" in buf[:4096]:
        return kubernetes.rewrite(buf)
    return buf, NOTHING_DECODED
