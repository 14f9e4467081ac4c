"""Structured formats: notebooks, Kubernetes Secrets and env entries, encoded values.
Findings must sit on the right line of the original file."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from secretwarden.scan import formats
from secretwarden.scan.engine import get_engine
from secretwarden.scan.formats import kubernetes, notebook
from tests.scan.scan_helpers import fake, run_warden


def _found(text: str, path: str) -> list[tuple[str, int]]:
    return [(f.rule_id, f.line) for f in get_engine().scan(text.encode(), path).findings if f.confidence >= 0.5]


def _notebook(token: str, password: str) -> str:
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": ["# Setup\n", "password: <your password>\n"]},
        {"cell_type": "code", "execution_count": 1, "metadata": {},
         "outputs": [{"name": "stdout", "output_type": "stream", "text": ["ok\n", f"password: {password}\n"]}],
         "source": ["import client\n", f'api_key = "{token}"\n', "client.connect()"]},
    ]
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1)


def test_notebook_source_and_output_lines_are_found_on_their_ipynb_line() -> None:
    token = fake("{alnum:40}")
    text = _notebook(token, "Harbor!Glass2291")
    lines = text.split("\n")
    key_line = next(i for i, line in enumerate(lines, 1) if "api_key" in line)
    output_line = next(i for i, line in enumerate(lines, 1) if "Harbor!Glass2291" in line)
    found = _found(text, "analysis.ipynb")
    assert ("generic-secret", key_line) in found
    assert ("generic-password", output_line) in found
    assert len(found) == 2  # the markdown placeholder is not reported


def test_notebook_rewrite_keeps_the_line_count() -> None:
    text = _notebook(fake("{alnum:40}"), "x").encode()
    rewritten = notebook.rewrite(text)
    assert rewritten.count(b"\n") == text.count(b"\n")
    assert b'api_key = "' in rewritten


def _secret_manifest(real: str, placeholder: str) -> str:
    b64 = base64.b64encode
    return (
        "apiVersion: v1\nkind: ConfigMap\ndata:\n  LOG: " + b64(b"level-debug-verbose-x").decode() + "\n---\n"
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\ntype: Opaque\ndata:\n"
        f"  DB_PASSWORD: {b64(real.encode()).decode()}\n"
        f"  API_TOKEN: {b64(placeholder.encode()).decode()}\n"
        "stringData:\n  smtp-password: Tiger#Lamp42\n"
    )


def test_secret_data_is_decoded_and_placeholders_recognised_after_decoding() -> None:
    for placeholder in ("changeme", "REPLACE_ME", "<password>", "${DB_PASSWORD}", "xxxxxxxx"):
        text = _secret_manifest(fake("{alnum:16}"), placeholder)
        found = _found(text, "k8s/secret.yaml")
        assert ("generic-password", 12) in found, placeholder  # DB_PASSWORD, decoded
        assert ("generic-password", 15) in found  # stringData literal
        assert not any(line == 13 for _, line in found), placeholder  # encoded placeholder


def test_only_secret_documents_are_decoded() -> None:
    rewritten, decoded = kubernetes.rewrite(_secret_manifest("abcd", "efgh").encode())
    assert b"LOG: bGV2" in rewritten  # the ConfigMap keeps its bytes
    assert decoded == {12, 13}


def test_env_value_under_a_secret_name_is_found() -> None:
    password = fake("{alnum:14}")
    text = (
        "apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n"
        "        - name: app\n          env:\n"
        f"            - name: DB_PASSWORD\n              value: \"{password}\"\n"
        "            - name: API_KEY\n              value: \"${API_KEY}\"\n"
        "            - name: LOG_LEVEL\n              value: debug\n"
    )
    assert _found(text, "deploy.yaml") == [("generic-password", 10)]


def test_rewrite_leaves_other_files_alone() -> None:
    buf = b"password = 'x'\n"
    assert formats.rewrite(buf, "app.py")[0] is buf


def test_bare_base64_line_is_decoded_and_rescanned() -> None:
    inner = f"db_password: {fake('{alnum:16}')}"
    line = base64.b64encode(inner.encode()).decode()
    assert _found(line + "\n", "blob.txt") == [("generic-password", 1)]
    assert _found("first\n" + line + "\n", "blob.txt") == [("generic-password", 2)]


def test_single_percent_escape_inside_a_token_is_decoded() -> None:
    token = fake("ghp_{alnum:36}").replace("_", "%5F")
    found = get_engine().scan(f"see https://x.internal/?t={token}\n".encode(), "links.md").findings
    assert [(f.rule_id, f.decoded) for f in found] == [("github-token", "percent")]


def test_netrc_multi_line_entry(tmp_path: Path) -> None:
    password = fake("{alnum:16}")
    (tmp_path / ".netrc").write_text(f"machine git.corp.internal\n  login ci\n  password {password}\n")
    (tmp_path / "notes.txt").write_text(f"  password {password}\n")  # not a netrc file: prose-like
    result = run_warden("scan", str(tmp_path), "--no-baseline", "--format", "json")
    doc = json.loads(result.stdout)
    assert [(f["rule"], Path(f["path"]).name, f["line"]) for f in doc["findings"]] == [
        ("netrc-password", ".netrc", 3)]
    assert password not in result.stdout.decode() + result.stderr.decode()
