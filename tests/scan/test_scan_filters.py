"""The named false-positive filters and the value scores, one table each."""

from __future__ import annotations

import pytest

from secretwarden.scan import filters, scoring
from secretwarden.scan.rules.examples import expand
from secretwarden.scan.rules.generic import classify_name, score_value


@pytest.mark.parametrize("value", ["<YOUR_KEY>", "changeme", "xxx", "****", "your-api-key-here",
                                   "XXXXXXXXXXXXXXXX", "[api key]", "...", "fake_token", "password_here"])
def test_placeholders(value: str) -> None:
    assert filters.is_placeholder(value)


@pytest.mark.parametrize("value", ["${VAR}", "{{ .Values.db.password }}", "os.environ['X']", "process.env.TOKEN",
                                   "$DB_PASSWORD", "%(password)s", "{password}", "#{secret}", "%TOKEN%",
                                   "secretKeyRef"])
def test_references(value: str) -> None:
    assert filters.is_reference(value)


@pytest.mark.parametrize("value", ["Kq8xZ2vLmP4n", expand("{alnum:32}"), "hunter2"])
def test_real_looking_values_pass_standard_filters(value: str) -> None:
    assert filters.drop_reason(value) is None


def test_uuid_and_digests() -> None:
    assert filters.is_uuid(expand("{hex:8}-{hex:4}-{hex:4}-{hex:4}-{hex:12}"))
    assert filters.is_hash_or_digest(expand("{hex:64}"), "sha256")
    assert filters.is_lockfile_integrity("sha512-" + expand("{b64:86}") + "==")
    assert not filters.is_hash_or_digest(expand("{hex:40}"), "api_token")


def test_public_material() -> None:
    assert filters.is_public_key_or_cert("-----BEGIN CERTIFICATE-----")
    assert filters.is_public_key_or_cert("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA")


@pytest.mark.parametrize("value", ["aaaaaaaa", "abababab", "123456789", "abcdefgh"])
def test_repeated_or_sequential(value: str) -> None:
    assert filters.is_repeated_or_sequential(value)


@pytest.mark.parametrize(("name", "strength"), [
    ("password", "password"), ("DB_PASSWORD", "password"), ("dbPass", "password"), ("pwd", "password"),
    ("client_secret", "strong"), ("apiKey", "strong"), ("X-Api-Key", "strong"), ("accessToken", "strong"),
    ("signing_key", "strong"), ("salt", "weak"), ("key", "weak"),
])
def test_secret_names(name: str, strength: str) -> None:
    cls = classify_name(name)
    assert cls is not None and cls.strength == strength


@pytest.mark.parametrize("name", ["token_url", "public_key", "password_length", "secret_name", "bypass",
                                  "tokenizer", "keyboard", "author", "api_key_id", "token_type", "passport"])
def test_not_secret_names(name: str) -> None:
    assert classify_name(name) is None


def test_scores_order_random_above_words() -> None:
    assert scoring.randomness(expand("{alnum:24}")) > scoring.randomness("databaseConnectionString")
    assert scoring.word_likeness("databaseConnectionString") > 0.9
    assert scoring.word_likeness("x8Kq2Zv9LmP4") < 0.3
    assert scoring.shannon_entropy("aaaa") == 0.0


def test_score_value_rejects_identifiers_in_code() -> None:
    assert score_value("self_password", "password", quoted=False, kind="code", key="password") is None
    assert score_value("Kq8xZ2vLmP4n", "password", quoted=True, kind="code", key="password")


@pytest.mark.parametrize(("path", "kind"), [("a/.env", "config"), ("x.yaml", "config"), ("README.md", "doc"),
                                            ("main.go", "code"), ("run.sh", "shell")])
def test_file_kind(path: str, kind: str) -> None:
    assert filters.file_kind(path) == kind
