"""Copy a file descriptor to another through a redactor, as data arrives."""

from __future__ import annotations

import os

from secretwarden.redact.redactor import Redactor

READ_SIZE = 65536


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def pump(source_fd: int, target_fd: int, redactor: Redactor) -> int:
    """Copy until EOF; returns how many markers were written.

    `os.read` returns whatever is available, so output is written as soon as
    the redactor can release it (a complete line at the latest).
    """
    stream = redactor.stream()
    broken = False
    while True:
        try:
            chunk = os.read(source_fd, READ_SIZE)
        except OSError:  # EIO: the pseudo-terminal's other side closed
            chunk = b""
        out = stream.feed(chunk) if chunk else stream.finish()
        if out and not broken:
            try:
                _write_all(target_fd, out)
            except BrokenPipeError:
                broken = True  # keep draining so a writer never blocks on a full pipe
        if not chunk:
            return stream.replaced
