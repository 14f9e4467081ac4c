"""Find every known secret value (and its encodings) in bytes and replace it with a marker.

Matching uses Hyperscan's literal compiler: on this project's machines it
scans 1,000 secrets x ~10 variants at over 1 GB/s on one core, where
pyahocorasick managed about 40 MB/s (see docs/benchmarks.md).

Rules, in order of importance:

* every byte that belongs to an occurrence of any variant is replaced;
  occurrences that overlap are merged into one marker named after the
  longest of them (so a value nested inside another is covered by the
  longer one's marker);
* a stream holds back only what could still become part of a match: at most
  `max_len - 1` bytes, and nothing after a newline when no secret contains a
  newline, so a line shows as soon as the child writes it;
* any value can be redacted: a form longer than `LONG_FORM` bytes (Hyperscan
  refuses literals of about 16 KB, and long literals slow its compiler) is
  found by its first `ANCHOR_LEN` bytes and confirmed whole at each hit; if
  the compiler still refuses the set, plain `bytes.find` takes over (slower,
  never an exception).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from typing import Any

from secretwarden.redact.variants import variants

DEFAULT_MIN_LENGTH = 4
HOLD_LIMIT = 64 * 1024  # most a stream holds back for a match that keeps growing
LONG_FORM = 1024  # forms longer than this are matched by an anchor and confirmed
ANCHOR_LEN = 64


def marker(name: str) -> bytes:
    return f"[REDACTED:{name}]".encode()


class Redactor:
    """Immutable, thread-safe matcher built from `{KEY_NAME: value}`."""

    def __init__(
        self, secrets: Mapping[str, str] | Iterable[tuple[str, str]], *, min_length: int = DEFAULT_MIN_LENGTH
    ) -> None:
        patterns: dict[bytes, str] = {}
        self.skipped: list[str] = []  # keys whose value is too short to redact safely
        pairs = secrets.items() if isinstance(secrets, Mapping) else secrets
        for name, value in pairs:
            if not value or len(value) < min_length:
                self.skipped.append(name)
                continue
            for form in sorted(variants(value), key=len, reverse=True):
                patterns.setdefault(form, name)
        self.names: tuple[str, ...] = tuple(dict.fromkeys(patterns.values()))
        self._patterns = list(patterns)
        self._lengths = [len(p) for p in self._patterns]
        self._markers = [marker(patterns[p]) for p in self._patterns]
        single = [p for p in self._patterns if b"\n" not in p]
        self._multiline = [p for p in self._patterns if b"\n" in p]
        self._ml_first = frozenset(p[0] for p in self._multiline)
        self.max_len = max(self._lengths, default=0)
        self._max_single = max(map(len, single), default=0)
        self._max_multi = max(map(len, self._multiline), default=0)
        self._db: Any = None
        self._local = threading.local()
        # Long forms share one Hyperscan literal per distinct anchor (their first bytes).
        self._anchored: list[list[int]] = []
        self._fallback = False
        if self._patterns:
            self._compile()

    def _compile(self) -> None:
        import hyperscan

        expressions: list[bytes] = []
        ids: list[int] = []
        anchors: dict[bytes, int] = {}
        for idx, pattern in enumerate(self._patterns):
            if len(pattern) <= LONG_FORM:
                expressions.append(pattern)
                ids.append(idx)
                continue
            slot = anchors.get(pattern[:ANCHOR_LEN])
            if slot is None:
                slot = anchors[pattern[:ANCHOR_LEN]] = len(self._anchored)
                self._anchored.append([])
                expressions.append(pattern[:ANCHOR_LEN])
                ids.append(len(self._patterns) + slot)
            self._anchored[slot].append(idx)
        db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        try:
            db.compile(expressions=expressions, ids=ids, elements=len(expressions), flags=0, literal=True)
        except hyperscan.error:  # whatever the compiler refuses, plain search still redacts
            self._fallback = True
            self._db = True
            return
        self._db = db

    def __repr__(self) -> str:  # never the values
        return f"Redactor({len(self.names)} keys, {len(self._patterns)} patterns)"

    @property
    def empty(self) -> bool:
        return self._db is None

    # --- matching -------------------------------------------------------------------

    def _scratch(self) -> Any:
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            import hyperscan

            scratch = self._local.scratch = hyperscan.Scratch(self._db)
        return scratch

    def regions(self, data: bytes) -> list[tuple[int, int, int]]:
        """Merged (start, end, pattern index) spans to replace, in order."""
        if self._db is None or not data:
            return []
        found: list[tuple[int, int]] = []
        lengths = self._lengths
        if self._fallback:
            found = self._find_plainly(data)
        else:
            patterns, anchored, direct = self._patterns, self._anchored, len(self._patterns)

            def on_match(idx: int, _from: int, to: int, _flags: int, _ctx: object) -> None:
                if idx < direct:
                    found.append((to - lengths[idx], idx))
                    return
                start = to - ANCHOR_LEN
                for full in anchored[idx - direct]:
                    if data.startswith(patterns[full], start):
                        found.append((start, full))

            self._db.scan(data, match_event_handler=on_match, scratch=self._scratch())
        if not found:
            return []
        found.sort(key=lambda m: (m[0], -lengths[m[1]]))
        merged: list[tuple[int, int, int]] = []
        for start, idx in found:
            end = start + lengths[idx]
            if merged and start < merged[-1][1]:
                m_start, m_end, m_idx = merged[-1]
                best = idx if lengths[idx] > lengths[m_idx] else m_idx
                merged[-1] = (m_start, max(m_end, end), best)
            else:
                merged.append((start, end, idx))
        return merged

    def _find_plainly(self, data: bytes) -> list[tuple[int, int]]:
        found: list[tuple[int, int]] = []
        for idx, pattern in enumerate(self._patterns):
            at = data.find(pattern)
            while at != -1:
                found.append((at, idx))
                at = data.find(pattern, at + 1)
        return found

    def safe_cut(self, buf: bytes) -> int:
        """First offset of `buf` where a match completed by later data could start."""
        n = len(buf)
        cut = n
        if self._max_single:
            cut = max(n - self._max_single + 1, buf.rfind(b"\n") + 1, 0)
        if self._multiline:
            first = self._ml_first
            for p in range(max(0, n - self._max_multi + 1), cut):
                if buf[p] in first:
                    rest = buf[p:]
                    if any(pat.startswith(rest) for pat in self._multiline):
                        return p
        return cut

    # --- one-shot API -----------------------------------------------------------------

    def redact_bytes(self, data: bytes) -> bytes:
        regions = self.regions(data)
        if not regions:
            return data
        return self._render(data, regions, 0, len(data))[0]

    def redact(self, text: str) -> str:
        """Redact a whole string (log messages, exception text)."""
        if self._db is None or not text:
            return text
        data = text.encode("utf-8", "surrogatepass")
        regions = self.regions(data)
        if not regions:
            return text
        return self._render(data, regions, 0, len(data))[0].decode("utf-8", "surrogatepass")

    def contains_secret(self, text: str) -> bool:
        return bool(self.regions(text.encode("utf-8", "surrogatepass")))

    def stream(self) -> RedactingStream:
        return RedactingStream(self)

    def _render(
        self, buf: bytes, regions: list[tuple[int, int, int]], pos: int, cut: int
    ) -> tuple[bytes, int, int]:
        """Output for buf[pos:cut] (regions that start before `cut` are emitted whole), markers written."""
        out: list[bytes] = []
        written = 0
        for start, end, idx in regions:
            if start >= cut:
                break
            if start < pos:  # continues a marker already written: swallow the rest
                pos = max(pos, end)
                continue
            out.append(buf[pos:start])
            out.append(self._markers[idx])
            written += 1
            pos = end
        if pos < cut:
            out.append(buf[pos:cut])
            pos = cut
        return b"".join(out), pos, written


class RedactingStream:
    """Feed chunks in any split; get back redacted output as soon as it is safe to show."""

    def __init__(self, redactor: Redactor) -> None:
        self._r = redactor
        self._tail = b""  # raw bytes that may still belong to a match
        self._done = 0  # bytes at the start of the tail already written (inside a marker)
        self.replaced = 0  # markers written so far

    def feed(self, data: bytes) -> bytes:
        if self._r.empty:
            return data
        buf = self._tail + data if self._tail else data
        regions = self._r.regions(buf)
        cut = self._r.safe_cut(buf)
        for start, end, _ in regions:
            # A region reaching past the safe cut can still grow with the next chunk, and
            # the longer match would rename its marker: hold it back (within a bound, so a
            # never-ending run of overlapping matches cannot grow the buffer forever).
            if start < cut < end and start >= self._done and len(buf) - start <= HOLD_LIMIT:
                cut = start
                break
        return self._process(buf, cut, regions)

    def finish(self) -> bytes:
        """End of stream: everything left, redacted."""
        buf = self._tail
        out = self._process(buf, len(buf), self._r.regions(buf)) if buf else b""
        self._tail, self._done = b"", 0
        return out

    def _process(self, buf: bytes, cut: int, regions: list[tuple[int, int, int]]) -> bytes:
        out, pos, written = self._r._render(buf, regions, self._done, cut)
        self.replaced += written
        self._tail = buf[cut:]
        self._done = max(0, pos - cut)
        return out
