"""Keep secret values out of logs and output.

`Redactor({"KEY": value, ...})` finds each value and its common encodings
(base64 in any alignment, URL-encoding, JSON escapes) and replaces them with
`[REDACTED:KEY]`; `.stream()` does it on chunked output. `RedactingFilter`
and `RedactingProcessor` plug it into `logging` and structlog; `install()`
does all of it for a service in one call. Heavy imports (Hyperscan,
pydantic) happen on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from secretwarden.redact.installer import Installed, install, values_from_settings
    from secretwarden.redact.logfilter import RedactingFilter
    from secretwarden.redact.redactor import RedactingStream, Redactor, marker
    from secretwarden.redact.structlog_processor import RedactingProcessor

__all__ = [
    "Installed",
    "RedactingFilter",
    "RedactingProcessor",
    "RedactingStream",
    "Redactor",
    "install",
    "marker",
    "values_from_settings",
]

_LAZY = {
    "Redactor": "redactor",
    "RedactingStream": "redactor",
    "marker": "redactor",
    "RedactingFilter": "logfilter",
    "RedactingProcessor": "structlog_processor",
    "install": "installer",
    "Installed": "installer",
    "values_from_settings": "installer",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
