"""Output formats, by name. Each reporter turns a ScanResult into text."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from secretwarden.scan.model import ScanResult

Reporter = Callable[[ScanResult, bool, bool], str]

REPORTERS: dict[str, str] = {
    "text": "secretwarden.scan.reporters.text:render",
    "json": "secretwarden.scan.reporters.json_report:render",
    "sarif": "secretwarden.scan.reporters.sarif:render",
}


def get_reporter(name: str) -> Reporter:
    module, attr = REPORTERS[name].split(":")
    fn: Reporter = getattr(importlib.import_module(module), attr)
    return fn
