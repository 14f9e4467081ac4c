"""One call that keeps a service's secrets out of everything the process logs.

    from secretwarden.redact import install
    install("payment")     # logging records, uncaught tracebacks, structlog if in use
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from secretwarden.redact.redactor import Redactor


@dataclass
class Installed:
    redactor: Redactor
    _undo: list[Callable[[], None]] = field(default_factory=list)

    def uninstall(self) -> None:
        while self._undo:
            self._undo.pop()()


def values_from_settings(settings: Any) -> dict[str, str]:
    """The `SecretStr` fields of a settings model, by key name (alias when there is one)."""
    from pydantic import SecretStr

    out: dict[str, str] = {}
    for name, info in type(settings).model_fields.items():
        value = getattr(settings, name, None)
        if isinstance(value, SecretStr):
            out[info.alias or name] = value.get_secret_value()
    return out


def install(
    service: str | None = None,
    env: str | None = None,
    *,
    values: Mapping[str, str] | None = None,
    settings: Any = None,
    instance: str | None = None,
    contract_path: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
    excepthook: bool = True,
    structlog: bool = True,
    streams: bool = False,
) -> Installed:
    """Redact the secrets of `service` (or given `values`/`settings`) from logs and tracebacks.

    Applies to every `logging` record (through the record factory, so loggers
    and handlers created later are covered), to uncaught exceptions printed by
    Python, and to structlog when the application has configured it. With
    `streams=True`, `sys.stdout` and `sys.stderr` are wrapped too (`print`).
    """
    from secretwarden.redact.logfilter import install_excepthook, install_record_redaction

    secrets: dict[str, str] = {}
    if service is not None:
        from secretwarden.runtime.settings import secret_values

        secrets.update(
            secret_values(service, env, instance=instance, contract_path=contract_path, environ=environ)
        )
    if settings is not None:
        secrets.update(values_from_settings(settings))
    if values is not None:
        secrets.update(values)
    redactor = Redactor(secrets)
    done = Installed(redactor)
    done._undo.append(install_record_redaction(redactor))
    if excepthook:
        done._undo.append(install_excepthook(redactor))
    if streams:
        done._undo.append(_wrap_streams(redactor))
    if structlog and "structlog" in sys.modules:
        undo = _install_structlog(redactor)
        if undo is not None:
            done._undo.append(undo)
    return done


def _wrap_streams(redactor: Redactor) -> Callable[[], None]:
    import atexit

    from secretwarden.redact.textstream import RedactingTextStream

    originals = sys.stdout, sys.stderr
    wrapped = [RedactingTextStream(stream, redactor) for stream in originals]
    sys.stdout, sys.stderr = wrapped[0], wrapped[1]

    def undo() -> None:
        for w in wrapped:
            w.finish()
        if sys.stdout is wrapped[0]:
            sys.stdout = originals[0]
        if sys.stderr is wrapped[1]:
            sys.stderr = originals[1]
        atexit.unregister(undo)

    atexit.register(undo)
    return undo


def _install_structlog(redactor: Redactor) -> Callable[[], None] | None:
    """Insert the processor just before the renderer (the last processor)."""
    import structlog

    from secretwarden.redact.structlog_processor import RedactingProcessor

    processors = list(structlog.get_config().get("processors") or [])
    if not processors:
        return None
    before = list(processors)
    processors.insert(len(processors) - 1, RedactingProcessor(redactor))
    structlog.configure(processors=processors)

    def undo() -> None:
        structlog.configure(processors=before)

    return undo
