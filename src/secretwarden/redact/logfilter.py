"""Redaction for the standard `logging` module.

`RedactingFilter` rewrites a record in place before any handler formats it:
the message with its arguments merged, exception text and traceback,
`stack_info`, and string attributes passed through `extra=`. The exception
is rendered to text here and `exc_info` dropped, because a handler that
re-renders the live exception (or ships it elsewhere) would bypass us.
"""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Callable
from types import TracebackType
from typing import Any

from secretwarden.redact.redactor import Redactor

# Attributes every LogRecord has; anything else came from `extra=`.
_BARE = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__)
_STANDARD = _BARE | {"message", "asctime"}


def format_exception(exc_info: Any) -> str:
    return "".join(traceback.format_exception(*exc_info)).rstrip("\n")


class RedactingFilter(logging.Filter):
    """Attach to a handler (sees every record it emits) or use `install_record_redaction`."""

    def __init__(self, redactor: Redactor, name: str = "") -> None:
        super().__init__(name)
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(self.redactor, record)
        return True


def redact_record(redactor: Redactor, record: logging.LogRecord) -> None:
    if getattr(record, "_warden_redacted", None) is redactor:
        return  # already done (a filter on several handlers)
    red = redactor.redact
    try:
        message = record.getMessage()
    except Exception:  # a broken format string: keep the parts, logging reports the error
        message = str(record.msg)
    record.msg = red(message)
    record.args = None
    if record.exc_info and record.exc_info[0] is not None:
        if not record.exc_text:
            record.exc_text = format_exception(record.exc_info)
        record.exc_info = None
    if record.exc_text:
        record.exc_text = red(record.exc_text)
    if record.stack_info:
        record.stack_info = red(record.stack_info)
    attrs = record.__dict__
    if len(attrs) > len(_BARE):  # something came through `extra=` (the common record has none)
        for key in attrs.keys() - _STANDARD:
            value = attrs[key]
            if isinstance(value, str):
                attrs[key] = red(value)
    record._warden_redacted = redactor


def install_record_redaction(redactor: Redactor) -> Callable[[], None]:
    """Redact every record as it is made, whatever logger or handler it goes to.

    Wraps `logging.Logger.makeRecord` rather than the record factory, because
    `extra=` attributes are added after the factory has run. Returns a
    function that undoes the installation.
    """
    original = logging.Logger.makeRecord

    def make_record(self: logging.Logger, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record = original(self, *args, **kwargs)
        redact_record(redactor, record)
        return record

    logging.Logger.makeRecord = make_record  # type: ignore[method-assign]

    def uninstall() -> None:
        if logging.Logger.makeRecord is make_record:
            logging.Logger.makeRecord = original  # type: ignore[method-assign]

    return uninstall


def install_excepthook(redactor: Redactor) -> Callable[[], None]:
    """Uncaught exceptions print their traceback redacted (main thread and threads)."""
    prev_hook, prev_thread_hook = sys.excepthook, __import__("threading").excepthook

    def hook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        sys.stderr.write(redactor.redact(format_exception((exc_type, exc, tb))) + "\n")

    def thread_hook(args: Any) -> None:
        if args.exc_type is SystemExit:
            return
        name = args.thread.name if args.thread is not None else "?"
        text = format_exception((args.exc_type, args.exc_value, args.exc_traceback))
        sys.stderr.write(f"Exception in thread {name}:\n" + redactor.redact(text) + "\n")

    import threading

    sys.excepthook = hook
    threading.excepthook = thread_hook

    def uninstall() -> None:
        sys.excepthook = prev_hook
        threading.excepthook = prev_thread_hook

    return uninstall
