"""The named false-positive filters and the value scores, one table each."""

from __future__ import annotations

import pytest

from secretwarden.findings import value_shapes
from secretwarden.scan import filters
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
    assert value_shapes.randomness(expand("{alnum:24}")) > value_shapes.randomness("databaseConnectionString")
    assert value_shapes.word_likeness("databaseConnectionString") > 0.9
    assert value_shapes.word_likeness("x8Kq2Zv9LmP4") < 0.3
    assert value_shapes.shannon_entropy("aaaa") == 0.0


def test_score_value_rejects_identifiers_in_code() -> None:
    assert score_value("self_password", "password", quoted=False, kind="code", key="password") is None
    assert score_value("Kq8xZ2vLmP4n", "password", quoted=True, kind="code", key="password")


@pytest.mark.parametrize(("path", "kind"), [("a/.env", "config"), ("x.yaml", "config"), ("README.md", "doc"),
                                            ("main.go", "code"), ("run.sh", "shell")])
def test_file_kind(path: str, kind: str) -> None:
    assert filters.file_kind(path) == kind


@pytest.mark.parametrize("value", ["admin123", "Test@12345", "mypassword1", "root", "changeme123",
                                   "secret_token", "guest!", "letmein123"])
def test_role_and_default_words_are_trivial(value: str) -> None:
    assert value_shapes.is_trivial_password(value)


@pytest.mark.parametrize("value", ["supersecret123", "Summer2024!", "Harbor!Glass2291", "123456",
                                   expand("{alnum:16}"), "tiger"])
def test_chosen_words_are_not_trivial(value: str) -> None:
    assert not value_shapes.is_trivial_password(value)


@pytest.mark.parametrize("value", ["*SENSITIVE*DATA*DELETED*", "[REDACTED]", "eyJaccess"])
def test_removed_values_and_stand_ins_are_placeholders(value: str) -> None:
    assert filters.is_placeholder(value)


def test_split_words_prefers_fewest_words() -> None:
    assert value_shapes.split_words("harborglass") == ("harbor", "glass")
    assert value_shapes.split_words("xq7") is None
    assert value_shapes.value_words("Harbor!Glass2291") == ["harbor", "glass"]
    assert value_shapes.value_words("Kq2Zv9xw") is None


@pytest.mark.parametrize(("value", "expected"), [
    ("supersecret123", "medium"),  # a chosen password, weak: still a credential
    ("Summer2024!", "medium"),
    ("admin123", "low"),  # a vendor default / placeholder vocabulary
    ("hunter", "low"),  # a bare word: data or prose more often than a password
    ("~1.3.0", None),  # a version
    ("1.2.840.113549.1.9.7", None),  # an OID
    ("$this->pwd", None),  # a variable
    ("file:/run/secrets/db", None),  # where the secret is, not the secret
    ("5.days", None),  # a method on a number
])
def test_password_values_are_judged_as_credentials_first(value: str, expected: str | None) -> None:
    score = score_value(value, "password", quoted=True, kind="code", key="password")
    label = None if score is None else ("low" if score < 0.5 else "medium" if score < 0.8 else "high")
    assert label == expected, (value, score)


def test_uuid_is_a_credential_only_under_a_secret_name() -> None:
    uuid = expand("{hex:8}-{hex:4}-{hex:4}-{hex:4}-{hex:12}")
    assert score_value(uuid, "strong", quoted=True, kind="code", key="access_token") is not None
    assert score_value(uuid, "strong", quoted=True, kind="code", key="csrf_token") is None
    assert classify_name("request_id") is None


@pytest.mark.parametrize("name", ["RECAPTCHA_SITE_KEY", "data-sitekey", "publishableKey"])
def test_public_by_design_names(name: str) -> None:
    assert classify_name(name) is None
