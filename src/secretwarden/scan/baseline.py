"""The scan baseline: now the shared one in `secretwarden.findings.baseline`."""

from secretwarden.findings.baseline import FORMAT_VERSION, load, split, write

__all__ = ["FORMAT_VERSION", "load", "split", "write"]
