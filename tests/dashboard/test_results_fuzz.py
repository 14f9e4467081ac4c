"""Issue 21: `report --scan-results/--lint-results` read files a user (or an attacker)
wrote. Whatever JSON they hold, reading them either works or is an InputError
(exit 2), never an internal error (exit 4)."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from secretwarden.dashboard.model import build_guardrails
from secretwarden.errors import InputError
from secretwarden.ops.workspace import Workspace
from tests.dashboard.conftest import Project, fixed_now

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-5, 10**12), st.floats(allow_nan=True),
                    st.text(max_size=12))
JSON = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                     st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                    max_leaves=8)
FIELDS = st.sampled_from(["rule", "rule_id", "severity", "path", "file", "line", "preview", "message",
                          "service", "allowed", "secret"])
FINDING = st.dictionaries(FIELDS, JSON, max_size=6)
DOCUMENT = st.one_of(JSON, st.fixed_dictionaries({"findings": st.lists(st.one_of(FINDING, JSON), max_size=4)}))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc=DOCUMENT)
def test_any_results_document_is_read_or_refused(commerce_env: Project, tmp_path: Path, doc: object) -> None:
    results = tmp_path / "results.json"
    results.write_text(json.dumps(doc), encoding="utf-8")
    with Workspace.load(commerce_env.contract, clock=fixed_now) as ws:
        for which in ("scan_results", "lint_results"):
            with contextlib.suppress(InputError):
                options: dict[str, Any] = {which: results}
                build_guardrails(ws, **options)
