"""A structlog processor; structlog itself is optional and never imported here.

Put it last but one (before the renderer): it redacts every string in the
event dict, nested containers included, and renders `exc_info` to a redacted
`exception` string so the renderer never sees the live exception.
"""

from __future__ import annotations

import sys
from collections.abc import MutableMapping
from typing import Any

from secretwarden.redact.logfilter import format_exception
from secretwarden.redact.redactor import Redactor


class RedactingProcessor:
    def __init__(self, redactor: Redactor) -> None:
        self.redactor = redactor

    def __call__(self, logger: Any, method_name: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        exc_info = event_dict.pop("exc_info", None)
        if exc_info:
            if exc_info is True:
                exc_info = sys.exc_info()
            elif isinstance(exc_info, BaseException):
                exc_info = (type(exc_info), exc_info, exc_info.__traceback__)
            if exc_info[0] is not None:
                event_dict["exception"] = format_exception(exc_info)
        for key, value in list(event_dict.items()):
            event_dict[key] = self._clean(value)
        return event_dict

    def _clean(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.redactor.redact(value)
        if isinstance(value, bytes):
            return self.redactor.redact_bytes(value)
        if isinstance(value, dict):
            return {k: self._clean(v) for k, v in value.items()}
        if isinstance(value, list | tuple | set):
            return type(value)(self._clean(v) for v in value)
        if isinstance(value, int | float | bool) or value is None:
            return value
        # Anything else the renderer turns into text itself: check both forms it may use.
        for text in (str(value), repr(value)):
            if self.redactor.contains_secret(text):
                return self.redactor.redact(text)
        return value
