"""A text stream wrapper (for `sys.stdout`/`sys.stderr`) that redacts what is written.

Output is released line by line as the redactor allows; a partial line that
could still be the start of a secret waits for more text or for `close()`
(registered with `atexit` by `install(streams=True)`).
"""

from __future__ import annotations

import codecs
import io
import threading
from typing import Any, TextIO

from secretwarden.redact.redactor import Redactor


class RedactingTextStream(io.TextIOBase):
    def __init__(self, wrapped: TextIO, redactor: Redactor) -> None:
        super().__init__()
        self.wrapped = wrapped
        self._stream = redactor.stream()
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="surrogatepass")
        self._lock = threading.Lock()

    def write(self, s: str) -> int:
        data = s.encode("utf-8", "surrogatepass")
        with self._lock:
            out = self._decoder.decode(self._stream.feed(data))
            if out:
                self.wrapped.write(out)
        return len(s)

    def flush(self) -> None:
        self.wrapped.flush()

    def finish(self) -> None:
        """Release what is held back (end of output), redacted."""
        with self._lock:
            out = self._decoder.decode(self._stream.finish(), final=True)
            if out:
                self.wrapped.write(out)
        self.wrapped.flush()

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return self.wrapped.isatty()

    def fileno(self) -> int:
        return self.wrapped.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self.wrapped.encoding

    def __getattr__(self, name: str) -> Any:
        return getattr(self.wrapped, name)
