"""The Vault/OpenBao store's shared journals: KV v2 metadata under the layout's `_warden` base.

    <prefix>/_warden/journal/<name>/e/<seq, 10 digits>   one entry, created with metadata_cas=0
    <prefix>/_warden/journal/<name>/head                 count, last hash and index, metadata_cas on update

Entries are names, times and reasons, never values, so they live in
`custom_metadata` (the `metadata/` endpoints): a token that may only read
metadata (`warden status`) reads them, and no `data/` path is involved.
An entry's canonical JSON is cut into pieces (`c00`, `c01`, ...) because the
server takes at most 64 values of 512 bytes each per path.

An append claims its sequence number by creating the entry's path with
`metadata_cas=0` ("must not exist"): of two writers only one can create it,
and the other reads what it missed and tries the next number. The head is a
summary the entries can always rebuild: it moves forward with check-and-set
on its metadata version and is never moved back, so a reader that needs only
the current state (the run fast path) makes one request. A writer killed
between the two leaves the head one entry behind; the next append catches up.

Pages. Reading a whole journal one path per entry would cost one request per
entry, so every `PAGE` entries the writer that appends the last of them seals
a page: `<prefix>/_warden/journal/<name>/e/p<first seq, 10 digits>`, a
compressed copy of those entries, created with `metadata_cas=0` like an entry
(under the same policy rule: namespace admins may create it, never change or
delete it). A page is only a copy: readers take it only where it fits the
entries around it — its entries numbered in order and chained, its last one
the `prev` of the entry after it (read from its own path at the end of the
journal) — and read the entry paths themselves wherever it does not, so a
page that disagrees with the entries can hide nothing. A page that no writer
sealed (a writer killed, a journal older than pages) costs its readers one
request per entry until the next writer that completes a page seals every
complete page missing.

The head's index in parts. The incident register's head carries the open
incidents; past what one path holds (~300 open incidents) the index moves to
`<prefix>/_warden/journal/<name>/index/<digest>-<k>`: parts named by the
SHA-256 of the whole index text, created once with `metadata_cas=0` before the
head that names them moves (so a reader never sees a head whose parts are not
there, and a part never changes). Such a head says `format: 2`, the digest and
the number of parts, and its pieces hold a sentence instead of JSON, so a warden
from before parts reads it as damaged: its appends and `audit verify` stop there
rather than work from a misread index. A head whose index fits stays in the
first format, which every version reads. A head in a format this version does
not know is refused ("written by a newer warden").

Requests: `head` 1 (plus its parts, sent concurrently, past ~300 open incidents); an uncontended `append` 3 (read head, create entry,
update head), plus, every `PAGE` entries, 1 list and the page's entries
and the page; `entries` 1 list, one read per page and one per entry past the
last page (at most `PAGE - 1`), sent concurrently, plus the last entry's path
when the journal ends on a page.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import zlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from secretwarden.errors import StoreError
from secretwarden.stores.base import JournalHead, JournalWriter
from secretwarden.stores.journal_head import damaged_head
from secretwarden.stores.vault.errors import CasMismatch, NotFound
from secretwarden.stores.vault.layout import VaultLayout, join

if TYPE_CHECKING:
    from secretwarden.stores.vault.auth import Connection

T = TypeVar("T")


class VaultStore(Protocol):
    """What the journals use of a `store.VaultStore` (typed here so the two modules
    do not import each other, as in access.py)."""

    layout: VaultLayout
    connection: Connection

    @property
    def client(self) -> Any: ...

    def _call(self, fn: Callable[[], T], what: str, capability: str, *, idempotent: bool = True) -> T: ...

    def _url(self, kind: str, path: str) -> str: ...

    def _list(self, path: str) -> list[str]: ...

    def _fan_out(self, fn: Callable[[Any], T], items: list[Any]) -> list[tuple[T | None, BaseException | None]]: ...

    def _send(self, method: str, url: str, body: Any, slow: Callable[[], Any], content_type: str = ...) -> Any: ...

PIECE = 500  # bytes per custom_metadata value (the server allows 512)
MAX_PIECES = 60  # of the 64 values a path may carry
ATTEMPTS = 64  # sequence numbers an append may lose to other writers before it gives up
PAGE = 32  # entries per sealed page: 1,000 entries read in 32 page reads and 8 entry reads
PARTED = "2"  # `format` of a head whose index is in parts (no `format`: the index is in the head)
# What a head in parts holds where older versions look for the index: not JSON, so they read a damaged head.
PARTED_NOTE = "index in parts (format 2): this warden is too old to read it; upgrade warden"


def _pieces(text: str, what: str) -> dict[str, str]:
    parts = [text[i : i + PIECE] for i in range(0, len(text), PIECE)] or [" "]
    if len(parts) > MAX_PIECES:
        raise StoreError(
            f"{what}: too large for one path ({len(text)} bytes, at most {PIECE * MAX_PIECES})",
            hint="shorten the reason or root-cause text",
        )
    return {f"c{i:02d}": part for i, part in enumerate(parts)}


def _joined(custom: dict[str, str]) -> str:
    keys = sorted(k for k in custom if k.startswith("c") and k[1:].isdigit())
    return "".join(custom[k] for k in keys)


def _dumps(value: dict[str, Any]) -> str:
    # ASCII only, so a piece's length in characters is its length in bytes.
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def _index_digest(text: str) -> str:
    return hashlib.sha256(text.encode("ascii")).hexdigest()[:32]


def _dumps_list(values: list[dict[str, Any]]) -> str:
    return json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


class VaultJournal:
    """`stores.base.SharedJournal` on a Vault store."""

    def __init__(self, store: VaultStore) -> None:
        self.store = store
        self.location = f"{store.connection.address} {store.layout.api('metadata', self._base(''))}"

    # --- paths and requests -------------------------------------------------------------

    def _base(self, name: str) -> str:
        return join(self.store.layout.warden_base, "journal", name)

    def _entry_path(self, name: str, seq: int) -> str:
        return join(self._base(name), "e", f"{seq:010d}")

    def _page_path(self, name: str, first: int) -> str:
        return join(self._base(name), "e", f"p{first:010d}")

    def _get(self, path: str, *, bulk: bool = False) -> dict[str, Any] | None:
        """The path's metadata, or None when absent. `bulk` reads (the pages and entries of a whole
        journal, tens at once) go over the lean transport; a single read (the head, on the run
        path) stays on the client's connection."""
        s = self.store
        url = s._url("metadata", path)

        def send() -> Any:
            return s._send("GET", url, None, lambda: s.client.adapter.get(url)) if bulk else s.client.adapter.get(url)

        try:
            resp = s._call(send, s.layout.api("metadata", path), "read")
        except NotFound:
            return None
        data = resp.get("data") if isinstance(resp, dict) else None
        return data if isinstance(data, dict) else None

    def _put(self, path: str, custom: dict[str, str], cas: int) -> None:
        """Write custom metadata with check-and-set (`cas` 0: the path must not exist). Raises CasMismatch."""
        s = self.store
        s._call(
            lambda: s.client.adapter.post(s._url("metadata", path), json={"custom_metadata": custom, "metadata_cas": cas}),
            s.layout.api("metadata", path),
            "create" if cas == 0 else "update",
        )

    # --- the head -------------------------------------------------------------------------

    def _part_path(self, name: str, digest: str, k: int) -> str:
        return join(self._base(name), "index", f"{digest}-{k}")

    def _head(self, name: str) -> tuple[JournalHead, int]:
        """The head and its metadata version (0: no head yet)."""
        data = self._get(join(self._base(name), "head"))
        if data is None:
            return JournalHead(), 0
        custom = data.get("custom_metadata") or {}
        version = int(data.get("current_metadata_version") or 0)
        form = custom.get("format")
        if form is not None and form != PARTED:
            raise StoreError(
                f"{self.location}: the head of the {name} journal is in format {form}, written by a newer warden",
                hint="upgrade warden on this machine; it cannot know the open incidents from this head",
            )
        try:
            text = self._index_from_parts(name, custom) if form == PARTED else _joined(custom)
            index = json.loads(text) if text.strip() else {}
            if not isinstance(index, dict):
                raise ValueError("not an object")
            return JournalHead(int(custom.get("seq", 0)), str(custom.get("hash", "")), index), version
        except (ValueError, TypeError, KeyError):
            # A damaged head: readers fall back to an empty index, `audit verify` names it.
            return JournalHead(-1, "", {}), version

    def _index_from_parts(self, name: str, custom: dict[str, str]) -> str:
        """The index text a head in parts names, read concurrently; ValueError when a part is missing
        or the whole does not match the digest the head records (the head is then damaged)."""
        digest, count = str(custom["index"]), int(custom["parts"])
        if not 0 < count <= 10_000 or len(digest) != 32 or not all(c in "0123456789abcdef" for c in digest):
            raise ValueError("malformed parts")
        got = self.store._fan_out(lambda k: self._get(self._part_path(name, digest, k), bulk=True), list(range(count)))
        texts: list[str] = []
        for data, error in got:
            if error is not None:
                raise error
            if data is None:
                raise ValueError("a part is missing")
            texts.append(_joined(data.get("custom_metadata") or {}))
        text = "".join(texts)
        if _index_digest(text) != digest:
            raise ValueError("parts do not match the head")
        return text

    def _head_fields(self, name: str, new: JournalHead) -> dict[str, str]:
        """The head's custom metadata for `new`: the index inside it when it fits, else in parts
        (written here first, once each: a head never names a part that is not stored)."""
        text = _dumps(new.index)
        fixed = {"seq": str(new.seq), "hash": new.digest}
        capacity = PIECE * MAX_PIECES
        if len(text) <= capacity:
            return {**fixed, **_pieces(text, f"{self.location}: {name} head")}
        digest = _index_digest(text)
        parts = [text[i : i + capacity] for i in range(0, len(text), capacity)]

        def write(k: int) -> None:
            with contextlib.suppress(CasMismatch):  # stored already: named by its content's digest
                self._put(self._part_path(name, digest, k), _pieces(parts[k], f"{self.location}: {name} index"), 0)

        for _done, error in self.store._fan_out(write, list(range(len(parts)))):
            if error is not None:
                raise error
        return {**fixed, "format": PARTED, "index": digest, "parts": str(len(parts)), "c00": PARTED_NOTE}

    def head(self, name: str) -> JournalHead:
        """The head; a damaged one is refused (IntegrityError), never read as "no open incidents"."""
        head = self._head(name)[0]
        if head.seq < 0:
            raise damaged_head(self.location, name)
        return head

    # --- entries --------------------------------------------------------------------------

    def _entry(self, name: str, seq: int, *, bulk: bool = False) -> dict[str, Any] | None:
        data = self._get(self._entry_path(name, seq), bulk=bulk)
        if data is None:
            return None
        try:
            entry = json.loads(_joined(data.get("custom_metadata") or {}))
        except ValueError:
            entry = None
        return entry if isinstance(entry, dict) else {"seq": seq, "damaged": "not a JSON object"}

    def _listing(self, name: str) -> tuple[list[int], list[int]]:
        """The entry numbers and the first numbers of the sealed pages, one LIST."""
        numbers, pages = [], []
        for k in self.store._list(join(self._base(name), "e")):
            if k.isdigit():
                numbers.append(int(k))
            elif k.startswith("p") and k[1:].isdigit():
                pages.append(int(k[1:]))
        return sorted(numbers), sorted(pages)

    def _page(self, name: str, first: int) -> list[dict[str, Any]] | None:
        """A sealed page's entries, or None when absent or not a well-formed run of chained entries."""
        data = self._get(self._page_path(name, first), bulk=True)
        if data is None:
            return None
        try:
            raw = zlib.decompress(base64.b64decode(_joined(data.get("custom_metadata") or {}), validate=True))
            page = json.loads(raw)
        except (ValueError, zlib.error, RecursionError):
            return None
        if not isinstance(page, list) or not page or not all(isinstance(e, dict) for e in page):
            return None
        for offset, e in enumerate(page):
            if e.get("seq") != first + offset or (offset and e.get("prev") != page[offset - 1].get("hash")):
                return None
        return page

    def entries(self, name: str) -> list[dict[str, Any]]:
        numbers, firsts = self._listing(name)
        if not numbers:
            return []
        last = numbers[-1]
        fetched = self.store._fan_out(lambda first: self._page(name, first), firsts)
        pages: dict[int, list[dict[str, Any]]] = {}
        for first, (page, error) in zip(firsts, fetched, strict=True):
            if error is not None:
                raise error
            if page is not None and first + len(page) - 1 <= last:
                pages[first] = page
        # Pages where they start in turn from entry 1; every entry no page covers, one by one.
        plan: list[list[dict[str, Any]] | int] = []
        seq = 1
        while seq <= last:
            if seq in pages:
                plan.append(pages[seq])
                seq += len(pages[seq])
            else:
                plan.append(seq)
                seq += 1
        numbers_read = [p for p in plan if isinstance(p, int)]
        if not isinstance(plan[-1], int):
            numbers_read.append(last)  # the journal ends on a page: its last entry's own path pins it
        return self._pinned(name, plan, self._read_each(name, numbers_read))

    def _read_each(self, name: str, numbers: list[int]) -> dict[int, dict[str, Any]]:
        results = self.store._fan_out(lambda seq: self._entry(name, seq, bulk=True), numbers)
        out: dict[int, dict[str, Any]] = {}
        for seq, (entry, error) in zip(numbers, results, strict=True):
            if error is not None:
                raise error
            out[seq] = entry if entry is not None else {"seq": seq, "damaged": "vanished while being read"}
        return out

    def _pinned(
        self, name: str, plan: list[list[dict[str, Any]] | int], single: dict[int, dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """The entries in order. Walked from the end: a page is taken only when its last entry is
        the one its successor names as `prev` (or, last in the journal, the entry read from its own
        path), so every page is pinned to entries read from their paths; otherwise its entries are
        read one by one."""
        out: list[list[dict[str, Any]]] = []
        follows: str | None = None  # the hash the part after the one looked at names as its `prev`
        if not isinstance(plan[-1], int):
            pin = single[int(plan[-1][-1]["seq"])]
            follows = str(pin["hash"]) if "hash" in pin else None
        for part in reversed(plan):
            if isinstance(part, int):
                out.append([single[part]])
            elif follows is not None and part[-1].get("hash") == follows:
                out.append(part)
            else:
                first = int(part[0]["seq"])
                again = self._read_each(name, list(range(first, first + len(part))))
                out.append([again[n] for n in sorted(again)])
            head = out[-1][0]
            follows = str(head.get("prev")) if "hash" in head else None
        return [e for part in reversed(out) for e in part]

    def _entries_one_by_one(self, name: str) -> list[dict[str, Any]]:
        """Every entry from its own path (the reading before pages; benchmarks compare the two)."""
        numbers, _pages = self._listing(name)
        single = self._read_each(name, numbers)
        return [single[n] for n in numbers]

    def _seal_pages(self, name: str, upto: int) -> None:
        """Seal every complete page up to entry `upto` that is missing (one LIST; for each page its
        entries and one create). Only a copy for readers: a failure leaves them reading entries."""
        numbers, firsts = self._listing(name)
        present = set(numbers)
        for first in range(1, upto - PAGE + 2, PAGE):
            if first in firsts or not all(n in present for n in range(first, first + PAGE)):
                continue
            got = self._read_each(name, list(range(first, first + PAGE)))
            page = [got[n] for n in sorted(got)]
            if any("hash" not in e or e.get("seq") != first + i for i, e in enumerate(page)):
                continue  # a damaged entry: `audit verify` names it; readers keep reading entries here
            if any(page[i].get("prev") != page[i - 1].get("hash") for i in range(1, len(page))):
                continue
            packed = base64.b64encode(zlib.compress(_dumps_list(page).encode("ascii"), 9)).decode("ascii")
            if len(packed) > PIECE * MAX_PIECES:
                continue  # entries too large to share a path: read one by one
            try:
                self._put(self._page_path(name, first), _pieces(packed, f"{self.location}: {name} page {first}"), 0)
            except CasMismatch:
                continue  # another writer sealed it (the same entries)

    # --- appending ------------------------------------------------------------------------

    def _catch_up(self, name: str, head: JournalHead, writer: JournalWriter, until: int | None = None) -> JournalHead:
        """The head after the entries stored beyond it (other writers', or a killed writer's)."""
        seq, digest, index = head.seq, head.digest, head.index
        while until is None or seq < until:
            entry = self._entry(name, seq + 1)
            if entry is None:
                break
            seq, digest, index = seq + 1, str(entry.get("hash", "")), writer.fold(index, entry)
        return JournalHead(seq, digest, index)

    def append(self, name: str, writer: JournalWriter) -> dict[str, Any]:
        head, version = self._head(name)
        if head.seq < 0:
            raise StoreError(
                f"{self.location}: the head of the {name} journal is damaged",
                hint="`warden audit verify` shows the journal's state",
            )
        for _ in range(ATTEMPTS):
            seq = head.seq + 1
            record = writer.seal(writer.build(head), seq, head.digest)
            path = self._entry_path(name, seq)
            try:
                self._put(path, _pieces(_dumps(record), f"{self.location}: {name} entry {seq}"), 0)
                break
            except CasMismatch:
                stored = self._entry(name, seq)
                if stored is not None and stored.get("hash") == record["hash"]:
                    break  # our own write, whose answer was lost and which a resend then found
                head = self._catch_up(name, head, writer)
        else:
            raise StoreError(
                f"{self.location}: could not append to the {name} journal; {ATTEMPTS} other writers were faster",
                hint="try again",
            )
        self._move_head(name, JournalHead(seq, str(record["hash"]), writer.fold(head.index, record)), version, writer)
        if seq % PAGE == 0:
            # The entry and the head are stored; without its page, readers read entries.
            with contextlib.suppress(StoreError, CasMismatch):
                self._seal_pages(name, seq)
        return record

    def _move_head(self, name: str, new: JournalHead, version: int, writer: JournalWriter) -> None:
        """Move the head forward to `new` (never back): check-and-set on its metadata version."""
        path = join(self._base(name), "head")
        for _ in range(ATTEMPTS):
            custom = self._head_fields(name, new)
            try:
                self._put(path, custom, version)
                return
            except CasMismatch:
                current, version = self._head(name)
                if current.seq >= new.seq:
                    return  # another writer moved it past this entry (its index includes it)
                if current.seq >= 0:
                    new = self._catch_up(name, current, writer, until=new.seq)
