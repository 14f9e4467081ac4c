"""Optional store capabilities: what a backend supports beyond the protocol's minimum.

Part of the store protocol (stores/base.py re-exports every name here). Kept
apart, like stores/provisioning.py, because a process that only reads values
(`warden run`) never asks for them, and building their classes at import cost
it about a millisecond: base.py loads this module the first time one of these
names is used.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable


@dataclass
class Capabilities:
    """What a backend can do beyond the protocol's minimum."""

    versions: bool = True
    soft_delete: bool = True
    destroy: bool = True
    extra: dict[str, bool] = field(default_factory=dict)


def capabilities_of(store: object) -> Capabilities:
    """What a backend supports; backends without a `capabilities` attribute support everything."""
    caps = getattr(store, "capabilities", None)
    return caps if isinstance(caps, Capabilities) else Capabilities()


@dataclass(frozen=True)
class RotatedDataKey:
    """One unit whose data encryption key was replaced (values re-encrypted, unchanged)."""

    env: str
    namespace: str
    instance: str | None
    location: str  # file or path, for the rotation log


@runtime_checkable
class BatchedWriter(Protocol):
    """Optional: backends that write one batch concurrently (vault) and want batches this large.

    `bootstrap` checks `isinstance(store, BatchedWriter)`; other stores get
    batches sized for one transaction.
    """

    write_batch_size: int


@runtime_checkable
class DataKeyRotator(Protocol):
    """Optional: backends whose data keys can be rotated apart from the values (sops).

    `warden rotate --data-key` checks `isinstance(store, DataKeyRotator)` and
    stays backend-agnostic.
    """

    def rotate_data_keys(self, env: str, namespace: str | None = None) -> list[RotatedDataKey]: ...


@runtime_checkable
class IntegrityChecker(Protocol):
    """Optional: backends that can check their own consistency (`warden store verify`).

    `deep` may authenticate every ciphertext, which needs key material.
    """

    def verify(self, *, deep: bool = False) -> list[str]: ...


@runtime_checkable
class SignedMetadata(Protocol):
    """Optional: backends whose clear-text metadata carries MACs anyone with the project's
    fingerprint key can check (sops sidecars). `warden audit verify` reports what fails."""

    def metadata_signature_problems(self) -> list[str]: ...
