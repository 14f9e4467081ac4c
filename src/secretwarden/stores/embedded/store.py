"""`EmbeddedStore`: the embedded backend's store (the design is in core.py's docstring).

`core.StoreCore` holds all that `warden run` loads. The methods here each import
the module that does the work when first called, so `run`'s path loads none of
them: listing.py (`list_meta`, key summaries, fingerprints), writes.py
(versions, namespaces, deletes, compromise marks), creation.py, migrations.py
(upgrades of older stores) and integrity.py (`verify`). Those modules see the
store as a `StoreCore` and never import this one, so the package has no import
cycle and every call is type-checked.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from secretwarden.stores.embedded import guard_store as _guarded
from secretwarden.stores.embedded.core import StoreCore

TYPE_CHECKING = False  # `typing` stays off `warden run`'s path; mypy takes any `TYPE_CHECKING` as true
if TYPE_CHECKING:
    import datetime as dt
    import sqlite3

    from secretwarden.slots import SlotRef
    from secretwarden.stores.base import KeyMeta, WriteRequest, WriteResult
    from secretwarden.stores.summary import FingerprintRow, KeySummary


class EmbeddedStore(StoreCore):
    # --- metadata (listing.py) ----------------------------------------------------

    @_guarded
    def list_meta(self, env: str | None = None, namespace: str | None = None) -> Iterator[KeyMeta]:
        from secretwarden.stores.embedded import listing

        return listing.list_meta(self, env, namespace)

    @_guarded
    def key_summaries(self, env: str | None = None) -> list[KeySummary]:
        from secretwarden.stores.embedded import listing

        return listing.key_summaries(self, env)

    @_guarded
    def fingerprint_rows(self) -> list[FingerprintRow]:
        from secretwarden.stores.embedded import listing

        return listing.fingerprint_rows(self)

    @_guarded
    def repeated_fingerprint_rows(self) -> list[FingerprintRow]:
        from secretwarden.stores.embedded import listing

        return listing.repeated_fingerprint_rows(self)

    # --- writes (writes.py) ---------------------------------------------------------

    @_guarded
    def ensure_namespace(self, env: str, namespace: str) -> bool:
        from secretwarden.stores.embedded import writes

        return writes.ensure_namespace(self, env, namespace)

    @_guarded
    def write_many(self, requests: list[WriteRequest], *, actor: str | None = None) -> list[WriteResult]:
        from secretwarden.stores.embedded import writes

        return writes.write_many(self, requests, actor=actor)

    @_guarded
    def soft_delete(self, slot: SlotRef, versions: Iterable[int] | None = None) -> list[int]:
        from secretwarden.stores.embedded import writes

        return writes.soft_delete(self, slot, versions)

    @_guarded
    def undelete(self, slot: SlotRef, versions: Iterable[int] | None = None) -> list[int]:
        from secretwarden.stores.embedded import writes

        return writes.undelete(self, slot, versions)

    @_guarded
    def destroy(self, slot: SlotRef, versions: Iterable[int] | None = None) -> list[int]:
        from secretwarden.stores.embedded import writes

        return writes.destroy(self, slot, versions)

    @_guarded
    def mark_compromised(self, slot: SlotRef, at: dt.datetime, reason: str) -> None:
        from secretwarden.stores.embedded import writes

        writes.mark_compromised(self, slot, at, reason)

    @_guarded
    def clear_compromised(self, slot: SlotRef) -> None:
        from secretwarden.stores.embedded import writes

        writes.clear_compromised(self, slot)

    # --- integrity (integrity.py) ---------------------------------------------------

    def verify(self, *, deep: bool = False) -> list[str]:
        from secretwarden.stores.embedded import integrity

        return integrity.verify(self, deep=deep)

    # --- the hooks StoreCore calls (creation.py, migrations.py) ---------------------

    def _create_file(self) -> None:
        from secretwarden.stores.embedded import creation

        creation.create_store(self, self._forbidden_key_root)

    def _migrate_to_macs(self, conn: sqlite3.Connection) -> None:
        from secretwarden.stores.embedded import migrations

        migrations.migrate_to_macs(self, conn)

    def _add_key_summary(self, conn: sqlite3.Connection) -> None:
        from secretwarden.stores.embedded import migrations

        migrations.add_key_summary(self, conn)
