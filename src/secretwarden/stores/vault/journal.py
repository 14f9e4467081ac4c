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

Requests: `head` 1; an uncontended `append` 3 (read head, create entry,
update head); `entries` 1 list plus one read per entry, sent concurrently.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from secretwarden.errors import StoreError
from secretwarden.stores.base import JournalHead, JournalWriter
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

PIECE = 500  # bytes per custom_metadata value (the server allows 512)
MAX_PIECES = 60  # of the 64 values a path may carry
ATTEMPTS = 64  # sequence numbers an append may lose to other writers before it gives up


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

    def _get(self, path: str) -> dict[str, Any] | None:
        """The path's metadata, or None when absent."""
        s = self.store
        try:
            resp = s._call(lambda: s.client.adapter.get(s._url("metadata", path)), s.layout.api("metadata", path), "read")
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

    def _head(self, name: str) -> tuple[JournalHead, int]:
        """The head and its metadata version (0: no head yet)."""
        data = self._get(join(self._base(name), "head"))
        if data is None:
            return JournalHead(), 0
        custom = data.get("custom_metadata") or {}
        version = int(data.get("current_metadata_version") or 0)
        try:
            index = json.loads(_joined(custom)) if _joined(custom).strip() else {}
            return JournalHead(int(custom.get("seq", 0)), str(custom.get("hash", "")), index), version
        except (ValueError, TypeError):
            # A damaged head: readers fall back to an empty index, `audit verify` names it.
            return JournalHead(-1, "", {}), version

    def head(self, name: str) -> JournalHead:
        return self._head(name)[0]

    # --- entries --------------------------------------------------------------------------

    def _entry(self, name: str, seq: int) -> dict[str, Any] | None:
        data = self._get(self._entry_path(name, seq))
        if data is None:
            return None
        try:
            entry = json.loads(_joined(data.get("custom_metadata") or {}))
        except ValueError:
            entry = None
        return entry if isinstance(entry, dict) else {"seq": seq, "damaged": "not a JSON object"}

    def entries(self, name: str) -> list[dict[str, Any]]:
        s = self.store
        folder = join(self._base(name), "e")
        numbers = sorted(int(k) for k in s._list(folder) if k.isdigit())
        results = s._fan_out(lambda seq: self._entry(name, seq), numbers)
        out: list[dict[str, Any]] = []
        for seq, (entry, error) in zip(numbers, results, strict=True):
            if error is not None:
                raise error
            out.append(entry if entry is not None else {"seq": seq, "damaged": "vanished while being read"})
        return out

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
        return record

    def _move_head(self, name: str, new: JournalHead, version: int, writer: JournalWriter) -> None:
        """Move the head forward to `new` (never back): check-and-set on its metadata version."""
        path = join(self._base(name), "head")
        for _ in range(ATTEMPTS):
            custom = {"seq": str(new.seq), "hash": new.digest, **_pieces(_dumps(new.index), f"{self.location}: {name} head")}
            try:
                self._put(path, custom, version)
                return
            except CasMismatch:
                current, version = self._head(name)
                if current.seq >= new.seq:
                    return  # another writer moved it past this entry (its index includes it)
                if current.seq >= 0:
                    new = self._catch_up(name, current, writer, until=new.seq)
