"""Output formats, by name, for every checker: one module per format, one entry here.

Each entry is a function that imports its module on first use (a run pays
only for the format it prints) and returns the module's `render`; the
`Reporter` protocol makes mypy check every entry, so a renamed or mistyped
`render` fails `tasks.py check` instead of a user's run.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from secretwarden.findings.model import RenderOptions, Report


class Reporter(Protocol):
    def __call__(self, report: Report, options: RenderOptions, /) -> str: ...


def _text() -> Reporter:
    from secretwarden.findings.reporters.text import render

    return render


def _json() -> Reporter:
    from secretwarden.findings.reporters.json_report import render

    return render


def _sarif() -> Reporter:
    from secretwarden.findings.reporters.sarif import render

    return render


def _markdown() -> Reporter:
    from secretwarden.findings.reporters.markdown import render

    return render


def _github() -> Reporter:
    from secretwarden.findings.reporters.github import render

    return render


REPORTERS: dict[str, Callable[[], Reporter]] = {
    "text": _text,
    "json": _json,
    "sarif": _sarif,
    "markdown": _markdown,
    "github": _github,
}
FORMATS: tuple[str, ...] = tuple(REPORTERS)


def get_reporter(name: str) -> Reporter:
    try:
        loader = REPORTERS[name]
    except KeyError:
        from secretwarden.errors import UsageError

        raise UsageError(f"unknown output format {name!r}", hint=f"choose one of: {', '.join(FORMATS)}") from None
    return loader()


def render(report: Report, fmt: str, options: RenderOptions | None = None) -> str:
    return get_reporter(fmt)(report, options or RenderOptions())


def write_report(path: Path, text: str, *, holds_values: bool = False) -> None:
    """A report file (`--output`), replaced atomically; an unwritable path is the user's error.

    A report made with `--show-secrets` holds the values it found: only its owner may read it.
    """
    from secretwarden.paths import write_output

    write_output(path, text, what="report", mode=0o600 if holds_values else 0o644)
