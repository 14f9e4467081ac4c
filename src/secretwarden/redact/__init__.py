"""Keep secret values out of logs and output.

`Redactor({"KEY": value, ...})` finds each value and its common encodings
(base64 in any alignment, URL-encoding, JSON escapes) and replaces them with
`[REDACTED:KEY]`; `.stream()` does it on chunked output. `RedactingFilter`
and `RedactingProcessor` plug it into `logging` and structlog; `install()`
does all of it for a service in one call. Heavy imports (Hyperscan,
pydantic) happen on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from secretwarden.lazy_names import LazyNames

if TYPE_CHECKING:
    from secretwarden.redact.installer import Installed, install, values_from_settings
    from secretwarden.redact.logfilter import RedactingFilter
    from secretwarden.redact.redactor import RedactingStream, Redactor, marker
    from secretwarden.redact.structlog_processor import RedactingProcessor
else:
    __getattr__ = LazyNames(__name__, {
        "secretwarden.redact.redactor": ("Redactor", "RedactingStream", "marker"),
        "secretwarden.redact.logfilter": ("RedactingFilter",),
        "secretwarden.redact.structlog_processor": ("RedactingProcessor",),
        "secretwarden.redact.installer": ("install", "Installed", "values_from_settings"),
    })

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
