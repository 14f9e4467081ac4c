"""The detection engine: one hyperscan pass over a whole buffer, then precise
confirmation of the few lines it points at.

Every rule contributes one or more prefilter expressions to a single
hyperscan database. Scanning a buffer reports (expression, end offset) pairs;
the engine maps each to its line, runs the rule's Python pattern and value
checks on that line only, drops overlaps (the more specific rule wins), applies
inline `warden:allow` markers, and rescans decoded base64 and percent-encoded
text one level deep.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, field
from typing import Any

from secretwarden.findings.allow import parse as parse_allow
from secretwarden.scan import decode, formats
from secretwarden.scan.filters import file_kind, path_severity
from secretwarden.scan.model import Finding
from secretwarden.scan.rules import all_rules
from secretwarden.scan.rules.base import Hit, LineContext, Rule

MAX_LINE = 64 * 1024  # longer lines are examined in a window around each candidate
_WINDOW = 2048
_DECODE_PERCENT = -2
_MEMO_LINE = _WINDOW  # whole lines and long lines' windows (copies of a bundle repeat them)
_MEMO_CHARS = 16 << 20  # what the remembered lines may add up to


@dataclass
class BufferResult:
    findings: list[Finding] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    allowed: int = 0


class Engine:
    def __init__(self, rules: tuple[Rule, ...] | None = None, disabled: frozenset[str] = frozenset()):
        import hyperscan

        from secretwarden.scan import compiled_db

        self.rules = [r for r in (rules or all_rules()) if r.id not in disabled]
        self.rule_ids = frozenset(r.id for r in self.rules)
        # One database for every kind of file (the history's prefilter reads it too), and one for
        # files of kind `code` where rules may ask for more (`Rule.code_prefilter`): there the generic
        # rules' loose prefilters sent about three lines in four to Python for nothing.
        self._db, self._owners = self._compile([rule.prefilters for rule in self.rules])
        self._scratch = hyperscan.Scratch(self._db)
        self._code_db, self._code_owners, self._code_scratch = self._db, self._owners, self._scratch
        if any(rule.code_prefilter is not None for rule in self.rules):
            self._code_db, self._code_owners = self._compile([rule.code_prefilters for rule in self.rules])
            self._code_scratch = hyperscan.Scratch(self._code_db)
        # Base64 runs have a database of their own: in the rules' database the run
        # expression slowed the whole pass (1.40 s against 0.64 s + 0.32 s apart, on
        # 229 MB of text).
        self._b64_db = compiled_db.load([decode.PREFILTER], [0])
        self._b64_scratch = hyperscan.Scratch(self._b64_db)
        # Rules that say what their answer depends on (`cache_key`) are asked once per
        # distinct line: generated code and API descriptions repeat lines across files.
        self._cache_keys: list[Callable[[LineContext], Hashable | None] | None] = [
            getattr(rule, "cache_key", None) for rule in self.rules]
        self._memo: dict[tuple[int, Hashable], tuple[Hit, ...]] = {}
        self._memo_chars = 0

    @staticmethod
    def _compile(prefilters: list[tuple[str, ...]]) -> tuple[Any, list[int]]:
        """A database of every rule's prefilters and the percent-encoding one, with each expression's owner."""
        import hyperscan

        from secretwarden.scan import compiled_db

        expressions: list[bytes] = []
        owners: list[int] = []
        flags: list[int] = []
        for index, exprs in enumerate(prefilters):
            for expr in exprs:
                expressions.append(expr.encode())
                owners.append(index)
                flags.append(hyperscan.HS_FLAG_PREFILTER)
        expressions.append(decode.PERCENT_PREFILTER)
        owners.append(_DECODE_PERCENT)
        flags.append(0)
        return compiled_db.load(expressions, flags), owners

    # -- public ---------------------------------------------------------------

    def scan(self, buf: bytes, path: str, *, depth: int = 0) -> BufferResult:
        result = BufferResult()
        kind = file_kind(path)
        decoded_lines = formats.NOTHING_DECODED
        if depth == 0:  # notebooks, Kubernetes: the same lines as readable text
            buf, decoded_lines = formats.rewrite(buf, path)
        candidates: list[tuple[int, int]] = []
        base64_ends: list[int] = []

        if kind == "code":
            db, owners_of, scratch = self._code_db, self._code_owners, self._code_scratch
        else:
            db, owners_of, scratch = self._db, self._owners, self._scratch

        def on_match(expr_id: int, start: int, end: int, flags: int, context: Any) -> None:
            candidates.append((owners_of[expr_id], end))

        def on_run(expr_id: int, start: int, end: int, flags: int, context: Any) -> None:
            base64_ends.append(end)

        db.scan(buf, match_event_handler=on_match, scratch=scratch)
        if depth == 0:
            self._b64_db.scan(buf, match_event_handler=on_run, scratch=self._b64_scratch)
        if not candidates and not base64_ends:
            return result

        by_line: dict[int, set[int]] = defaultdict(set)
        rfind = buf.rfind
        for owner, end in candidates:
            by_line[rfind(b"\n", 0, max(0, end - 1)) + 1].add(owner)

        line_no = 1
        last = 0
        long_line_noted = False
        hits_by_line: dict[int, tuple[int, int, str, list[tuple[Rule, Hit]]]] = {}
        for line_start in sorted(by_line):
            line_no += buf.count(b"\n", last, line_start)
            last = line_start
            line_end = buf.find(b"\n", line_start)
            if line_end < 0:
                line_end = len(buf)
            if line_end - line_start > MAX_LINE:
                if not long_line_noted:
                    result.notices.append(f"line {line_no} is longer than {MAX_LINE} bytes: scanned around candidates only")
                    long_line_noted = True
                here = [c for c in candidates if line_start < c[1] <= line_end + 1]
                found = self._scan_long_line(buf, line_start, line_end, here, path, kind)
                hits_by_line[line_start] = (line_no, line_start, "", found)
                continue
            raw = buf[line_start:line_end]
            text = raw.decode("utf-8", "replace").rstrip("\r")
            found = []
            owners = by_line[line_start]
            ctx = LineContext(path=path, kind=kind, line=text, buffer=buf, line_start=line_start)
            for owner in sorted(owners):
                if owner >= 0:
                    rule = self.rules[owner]
                    found.extend((rule, hit) for hit in self._find(owner, rule, ctx))
            if _DECODE_PERCENT in owners and depth == 0:
                decoded = decode.percent_decode(raw)
                if decoded is not None:
                    for sub in self.scan(decoded, path, depth=1).findings:
                        found.append((self._rule(sub.rule_id), Hit(sub.secret, 0, 0, sub.confidence, key="%")))
            hits_by_line[line_start] = (line_no, line_start, text, found)

        if base64_ends and depth == 0:
            self._add_base64(buf, path, base64_ends, hits_by_line)

        for line_no, line_start, text, found in hits_by_line.values():
            kept = _drop_overlaps(found)
            if not kept:
                continue
            if not text:
                line_end = buf.find(b"\n", line_start)
                text = buf[line_start: line_end if line_end >= 0 else len(buf)][:MAX_LINE].decode("utf-8", "replace")
            allowed_ids = _allow_marker(buf, line_start, text)
            for rule, hit in kept:
                if allowed_ids is not None and (not allowed_ids or rule.id in allowed_ids):
                    result.allowed += 1
                    continue
                decoded_as = {"%": "percent", "b64": "base64"}.get(hit.key or "") or (
                    "base64" if line_no in decoded_lines else None)
                result.findings.append(Finding(
                    rule_id=rule.id, description=rule.description, severity=path_severity(rule.severity, path),
                    path=path, line=line_no, column=hit.start + 1, secret=hit.secret,
                    confidence=round(hit.confidence, 2), tags=rule.tags, decoded=decoded_as,
                    end_line=line_no + hit.lines - 1 if hit.lines > 1 else None,
                ))
        result.findings.sort(key=lambda f: (f.line, f.column, f.rule_id))
        return result

    def candidate_ends(self, buf: bytes) -> list[int]:
        """End offsets of every prefilter match in `buf`: where a finding could be.

        The history scan runs this over a whole patch stream and confirms only
        the file changes it points at."""
        ends: list[int] = []

        def on_match(expr_id: int, start: int, end: int, flags: int, context: Any) -> None:
            ends.append(end)

        self._db.scan(buf, match_event_handler=on_match, scratch=self._scratch)
        self._b64_db.scan(buf, match_event_handler=on_match, scratch=self._b64_scratch)
        ends.sort()  # callers walk the buffer forward
        return ends

    def prefilter(self, buf: bytes) -> tuple[list[int], list[int]]:
        """`candidate_ends` in two lists, each in order: the rules' prefilter
        matches, and the base64 runs (see `run_may_find`)."""
        ends: list[int] = []
        runs: list[int] = []

        def on_match(expr_id: int, start: int, end: int, flags: int, context: Any) -> None:
            ends.append(end)

        def on_run(expr_id: int, start: int, end: int, flags: int, context: Any) -> None:
            runs.append(end)

        self._db.scan(buf, match_event_handler=on_match, scratch=self._scratch)
        self._b64_db.scan(buf, match_event_handler=on_run, scratch=self._b64_scratch)
        return ends, runs

    def run_may_find(self, buf: bytes, end: int) -> bool:
        """Whether the base64 run reported at `end` can give a finding in `scan`:
        only a run that decodes to text in which a rule's prefilter matches is
        read further (most runs are long identifiers, paths or hex digests).
        Format rewrites (`formats.rewrite`) decode on their own: callers keep
        every run of a buffer that one may apply to."""
        run = decode.base64_at(buf, end)
        if run is None:
            return False
        hits: list[int] = []

        def on_match(expr_id: int, start: int, end: int, flags: int, context: Any) -> None:
            hits.append(end)

        self._db.scan(run[1], match_event_handler=on_match, scratch=self._scratch)
        return bool(hits)

    # -- helpers --------------------------------------------------------------

    def _find(self, owner: int, rule: Rule, ctx: LineContext) -> tuple[Hit, ...] | Iterator[Hit]:
        """The rule's hits on this line, remembered per distinct line when the rule allows it."""
        cache_key = self._cache_keys[owner]
        if cache_key is None or len(ctx.line) > _MEMO_LINE:
            return rule.find(ctx)
        key = cache_key(ctx)
        if key is None:
            return rule.find(ctx)
        memo_key = (owner, key)
        hits = self._memo.get(memo_key)
        if hits is None:
            hits = tuple(rule.find(ctx))
            self._memo_chars += len(ctx.line)
            if self._memo_chars > _MEMO_CHARS:
                self._memo.clear()  # bounded memory: a long scan only loses some reuse
                self._memo_chars = len(ctx.line)
            self._memo[memo_key] = hits
        return hits

    def _rule(self, rule_id: str) -> Rule:
        return next(r for r in self.rules if r.id == rule_id)

    def _scan_long_line(self, buf: bytes, line_start: int, line_end: int, candidates: list[tuple[int, int]],
                        path: str, kind: str) -> list[tuple[Rule, Hit]]:
        """Confirm a long line in windows around hyperscan's own candidates.

        The windows come from the match offsets already found (no second
        regex pass over the line), and a candidate inside a window already
        confirmed for the same rule is skipped: minified files repeat a key
        name thousands of times on one line."""
        found: list[tuple[Rule, Hit]] = []
        segment = buf[line_start:line_end]
        by_owner: dict[int, list[int]] = defaultdict(list)
        for owner, end in candidates:
            if owner >= 0:
                by_owner[owner].append(end - line_start)
        windows: list[tuple[int, int, int]] = []  # (owner, lo, hi)
        for owner, ends in sorted(by_owner.items()):
            covered = -1
            for end in sorted(ends):
                # windows stay under the 4,000 characters a rule reads of a line
                if end + _WINDOW // 4 <= covered:
                    continue
                lo = max(0, end - _WINDOW // 2, covered - _WINDOW // 2)
                hi = min(len(segment), end + _WINDOW // 2)
                covered = hi
                windows.append((owner, lo, hi))
        chars_before = _char_offsets(segment, {lo for _owner, lo, _hi in windows})
        for owner, lo, hi in windows:
            rule = self.rules[owner]
            text = segment[lo:hi].decode("utf-8", "replace")
            ctx = LineContext(path=path, kind=kind, line=text, buffer=segment[lo:hi], line_start=0)
            prefix_chars = chars_before[lo]
            for hit in self._find(owner, rule, ctx):
                found.append((rule, Hit(hit.secret, hit.start + prefix_chars, hit.end + prefix_chars,
                                        hit.confidence, hit.lines, hit.key)))
            if len(found) > 100:
                return found
        return found

    def _add_base64(self, buf: bytes, path: str, ends: list[int],
                    hits_by_line: dict[int, tuple[int, int, str, list[tuple[Rule, Hit]]]]) -> None:
        line_no = 1
        last = 0
        for end in sorted(ends):
            run = decode.base64_at(buf, end)
            if run is None:
                continue
            offset, decoded = run
            inner = self.scan(decoded, path, depth=1)
            if not inner.findings:
                continue
            line_start = buf.rfind(b"\n", 0, offset) + 1
            if line_start >= last:
                line_no += buf.count(b"\n", last, line_start)
            else:
                line_no = buf.count(b"\n", 0, line_start) + 1
            last = line_start
            entry = hits_by_line.get(line_start)
            if entry is None:
                entry = (line_no, line_start, "", [])
                hits_by_line[line_start] = entry
            column = len(buf[line_start:offset].decode("utf-8", "replace"))
            for sub in inner.findings:
                entry[3].append((self._rule(sub.rule_id),
                                 Hit(sub.secret, column, column + 1, sub.confidence, key="b64")))


def _char_offsets(segment: bytes, offsets: set[int]) -> dict[int, int]:
    """How many characters `segment[:offset]` decodes to, for each offset.

    Counted along the segment once: decoding the whole prefix for each window
    was quadratic on long non-ASCII lines (a minified bundle with thousands of
    candidates). Pieces are decoded between character boundaries, where UTF-8
    decoding (with replacement) adds up exactly."""
    if segment.isascii():
        return {offset: offset for offset in offsets}
    out: dict[int, int] = {}
    boundary = chars = 0
    for offset in sorted(offsets):
        cut = min(offset, len(segment))
        while cut > boundary and cut < len(segment) and 0x80 <= segment[cut] <= 0xBF:
            cut -= 1  # back to a byte that starts a character (or stands alone)
        chars += len(segment[boundary:cut].decode("utf-8", "replace"))
        boundary = cut
        out[offset] = chars + len(segment[cut:offset].decode("utf-8", "replace"))
    return out


def _drop_overlaps(found: list[tuple[Rule, Hit]]) -> list[tuple[Rule, Hit]]:
    """Keep the most specific rule where two rules report the same characters or secret."""
    kept: list[tuple[Rule, Hit]] = []
    for rule, hit in sorted(found, key=lambda rh: (-rh[0].priority, rh[1].start)):
        clash = False
        for _other_rule, other in kept:
            same_span = hit.start < other.end and other.start < hit.end and hit.key not in {"%", "b64"}
            if same_span or hit.secret == other.secret or hit.secret in other.secret or other.secret in hit.secret:
                clash = True
                break
        if not clash:
            kept.append((rule, hit))
    return sorted(kept, key=lambda rh: rh[1].start)


def _allow_marker(buf: bytes, line_start: int, text: str) -> frozenset[str] | None:
    """Rule ids allowed on this line (empty set: all), or None when no marker applies."""
    candidates = [text]
    if line_start > 0:
        prev_start = buf.rfind(b"\n", 0, line_start - 1) + 1
        prev = buf[prev_start: line_start - 1].decode("utf-8", "replace").strip()
        if prev.startswith(("#", "//", "--", "/*", "<!--", ";", "*")):
            candidates.append(prev)
    for candidate in candidates:
        allow = parse_allow(candidate)
        if allow is None:
            continue
        from secretwarden.scan.rules import rule_ids

        # Ids no rule has are read as words of the reason: `warden:allow test data` allows every rule.
        return frozenset(allow.rule_ids & set(rule_ids()))
    return None


_ENGINES: dict[frozenset[str], Engine] = {}


def get_engine(disabled: frozenset[str] = frozenset()) -> Engine:
    """One engine per process and rule selection (hyperscan scratch is per process)."""
    engine = _ENGINES.get(disabled)
    if engine is None:
        engine = Engine(disabled=disabled)
        _ENGINES[disabled] = engine
    return engine


def warm(disabled: frozenset[str] = frozenset()) -> None:
    """Build what every scan worker needs before the workers are forked, so they inherit it:
    the engine (rule modules imported and compiled, hyperscan databases loaded) and the word
    list the scoring reads. Each worker used to pay this itself (about 0.16 s of CPU, and
    without cached bytecode or databases it compiled both again)."""
    import gc

    from secretwarden.findings.value_shapes import warm_lexicon

    get_engine(disabled)
    warm_lexicon()
    # What the workers inherit is never garbage: out of the collector's sight, their
    # collections no longer write to every inherited object and so copy its page
    # (about 5 % of a small tree's CPU).
    gc.freeze()
