"""Append-only, hash-chained audit log of every value access."""
