"""Must-match / must-not-match tables for the name, value and pattern heuristics."""

from __future__ import annotations

import pytest

from secretwarden.lint.names import is_placeholder, looks_secret
from secretwarden.lint.rules.direct_vault import VAULT_IMPORTS
from secretwarden.lint.rules.fallback_defaults import FALLBACK
from secretwarden.lint.yamlpos import blank_templates


@pytest.mark.parametrize("name", [
    "DB_PASSWORD", "password", "API_TOKEN", "token", "apiKey", "api_key", "STRIPE_SECRET_KEY",
    "JWT_SECRET", "clientSecret", "PRIVATE_KEY", "aws_secret_access_key", "SENTRY_DSN", "DATABASE_URL",
    "db-password", "GITHUB_TOKEN", "credentials", "webhookSecret",
])
def test_secret_names(name: str) -> None:
    assert looks_secret(name)


@pytest.mark.parametrize("name", [
    "PORT", "secret_name", "secretName", "existingSecret", "createSecret", "tokenTTL", "AUTH_ACCESS_TOKEN_TTL",
    "PASSWORD_FILE", "passwordKey", "token_path", "api_key_id", "secret", "secrets", "LOG_LEVEL", "keys",
    "TOKEN_URL_ENV", "key",
])
def test_not_secret_names(name: str) -> None:
    assert not looks_secret(name)


@pytest.mark.parametrize("value", ["", "<set-me>", "${DB_PASSWORD}", "changeme", "xxxx", "****", "your-token-here",
                                   "replace-me", "{{ .Values.x }}", "TODO", "...", "placeholder"])
def test_placeholders(value: str) -> None:
    assert is_placeholder(value)


@pytest.mark.parametrize("value", ["example-pw-4f9a", "hunter-example-2", "s3cr3t-example-value", "abc123example"])
def test_not_placeholders(value: str) -> None:
    assert not is_placeholder(value)


@pytest.mark.parametrize("text", ["${DB_PASSWORD:-changeme}", "${DB_PASSWORD-x}", "${DB_PASSWORD:-}", "x=${A_TOKEN:-1}y"])
def test_fallback_matches(text: str) -> None:
    assert FALLBACK.search(text)


@pytest.mark.parametrize("text", ["${DB_PASSWORD:?required}", "${DB_PASSWORD?required}", "${DB_PASSWORD}",
                                  "${DB_PASSWORD:+set}", "$DB_PASSWORD"])
def test_fallback_does_not_match(text: str) -> None:
    assert not FALLBACK.search(text)


@pytest.mark.parametrize(("lang", "text"), [
    ("python", "import hvac\n"),
    ("python", "    from hvac.api import x\n"),
    ("js", "const vault = require('node-vault')({ endpoint })\n"),
    ("js", 'import Vault from "node-vault";\n'),
    ("go", 'import "github.com/hashicorp/vault/api"\n'),
    ("go", '\tvault "github.com/openbao/openbao/api/v2"\n'),
])
def test_vault_imports_match(lang: str, text: str) -> None:
    assert VAULT_IMPORTS[lang].search(text)


@pytest.mark.parametrize(("lang", "text"), [
    ("python", "import hvacx\n"),
    ("python", "# we do not import hvac here\n"),
    ("js", "const v = require('node-vaults-docs')\n"),
    ("go", '"github.com/hashicorp/vault-client-go-docs"\n'),
])
def test_vault_imports_do_not_match(lang: str, text: str) -> None:
    assert not VAULT_IMPORTS[lang].search(text)


def test_blanking_keeps_columns_and_lines() -> None:
    text = "a: {{ .Values.a }}\n{{- if x }}\nb: 1 # {{ y\n}}\n"
    blanked = blank_templates(text)
    assert len(blanked) == len(text)
    assert blanked.count("\n") == text.count("\n")
    assert "{{" not in blanked and blanked.index("b: 1") == text.index("b: 1")
