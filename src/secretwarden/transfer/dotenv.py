"""`KEY=value` files for `warden import`: the shared reader (secretwarden/dotenv_text.py), values kept."""

from __future__ import annotations

from secretwarden.dotenv_text import MAX_VALUE, Assignment, Parsed, parse

__all__ = ["MAX_VALUE", "Assignment", "Parsed", "parse"]
