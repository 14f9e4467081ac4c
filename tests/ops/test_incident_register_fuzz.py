"""Any content of the incident register gives a list or a store error, never a crash (issue 21.7)."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from secretwarden.errors import WardenError
from secretwarden.ops.incidents import list_incidents, register_disagreements
from secretwarden.ops.workspace import Workspace
from secretwarden.slots import SlotRef
from secretwarden.stores.base import SecretValue, WriteRequest
from tests.conftest import MINIMAL_CONTRACT

scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=12) | st.sampled_from(
    ["dev", "api", "API_TOKEN", "open", "close", "2026-01-01T00:00:00+00:00", "INC-0001", "local"]
)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=4), inner, max_size=2), max_leaves=4)
entries = st.fixed_dictionaries(
    {},
    optional={
        k: values
        for k in ("event", "id", "time", "env", "namespace", "key", "instance", "store", "reason", "actor", "rotated_version", "root_cause")
    },
)


ODD = {"event": "open", "id": "INC-0001", "time": "2026-01-01T00:00:00+00:00", "env": "dev", "namespace": "api", "key": "API_TOKEN"}


@example([json.dumps({**ODD, "instance": {"a": 1}}).encode(), json.dumps({**ODD, "rotated_version": "x", "event": "close"}).encode()])
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(entries.map(lambda e: json.dumps(e).encode()) | st.binary(max_size=40), max_size=6))
def test_any_register_gives_a_list_not_a_crash(tmp_path: Path, lines: list[bytes]) -> None:
    contract = tmp_path / "warden.yaml"
    contract.write_text(MINIMAL_CONTRACT)
    register = tmp_path / ".warden" / "incidents.jsonl"
    register.parent.mkdir(exist_ok=True)
    register.write_bytes(b"\n".join(lines))
    if not (tmp_path / ".warden" / "local.db").exists():  # a real store, so slots reach SQL
        with Workspace.load(contract) as ws:
            ws.secrets("dev").write_many([WriteRequest(SlotRef("dev", "api", "API_TOKEN"), SecretValue("t" * 20))])
    with Workspace.load(contract) as ws, contextlib.suppress(WardenError):
        for inc in list_incidents(ws):
            json.dumps(inc.to_json())
        register_disagreements(ws, "local")
