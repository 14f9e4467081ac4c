"""Hostile files never cost more than an error: the SOPS file and sidecar readers and the scan
baseline reader, fed arbitrary bytes, raise only warden errors (exit 2 or 3, never 4).
The contract, the store file, the audit log and results documents have fuzz tests of their own."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from secretwarden.errors import WardenError

JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
DOCUMENTS = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=300).map(str.encode),
    JSONISH.map(lambda v: json.dumps(v).encode()),
    st.dictionaries(st.sampled_from(["format", "version", "findings", "sops", "keys", "A"]), JSONISH, max_size=4)
    .map(lambda v: json.dumps(v).encode()),
)


def _only_warden_errors(call: Callable[[], object]) -> None:
    with contextlib.suppress(WardenError):  # anything else (exit 4) fails the test
        call()


@settings(max_examples=60, deadline=None)
@given(data=DOCUMENTS, fmt=st.sampled_from(["yaml", "json", "dotenv"]))
def test_sops_files_parse_or_refuse(tmp_path_factory: object, data: bytes, fmt: str) -> None:
    from secretwarden.stores.sops.files import parse_view

    text = data.decode("utf-8", "replace")
    _only_warden_errors(lambda: parse_view(Path(f"secrets.{fmt}"), text, fmt))


@settings(max_examples=60, deadline=None)
@given(data=DOCUMENTS)
def test_sops_sidecar_and_baseline_read_or_refuse(tmp_path_factory: object, data: bytes) -> None:
    import tempfile

    from secretwarden.findings.baseline import load
    from secretwarden.stores.sops.files import load_json_doc

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "doc.json"
        path.write_bytes(data)
        _only_warden_errors(lambda: load_json_doc(path))
        _only_warden_errors(lambda: load(path))
