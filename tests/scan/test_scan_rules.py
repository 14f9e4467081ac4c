"""Every rule's own must-match / must-not-match examples, run through the real engine."""

from __future__ import annotations

import re

import pytest

from secretwarden.scan.engine import get_engine
from secretwarden.scan.model import SEVERITIES
from secretwarden.scan.rules import all_rules
from secretwarden.scan.rules.examples import expand

RULES = all_rules()
MATCH = [(r.id, ex) for r in RULES for ex in r.must_match]
NO_MATCH = [(r.id, ex) for r in RULES for ex in r.must_not_match]
EXAMPLE_PATHS = {r.id: r.example_path for r in RULES if r.example_path}


DEFAULT_MIN_CONFIDENCE = 0.5  # what `warden scan` shows without --min-confidence


def _ids(text: str, path: str) -> list[str]:
    """Rules reporting `text` at the default setting (low-confidence findings are hidden there)."""
    findings = get_engine().scan(text.encode(), path).findings
    return [f.rule_id for f in findings if f.confidence >= DEFAULT_MIN_CONFIDENCE]


def _severities(text: str, path: str) -> list[str]:
    return [f.severity for f in get_engine().scan(text.encode(), path).findings
            if f.confidence >= DEFAULT_MIN_CONFIDENCE]


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize(("rule_id", "template"), MATCH, ids=[f"{r}:{i}" for i, (r, _) in enumerate(MATCH)])
def test_must_match(rule_id: str, template: str, seed: int) -> None:
    text = expand(template, seed)
    # unquoted examples are config lines; quoted ones are code
    path = EXAMPLE_PATHS.get(rule_id) or ("example.py" if re.search("[\"'`]", template) else "settings.conf")
    assert rule_id in _ids(text, path), text


@pytest.mark.parametrize(("rule_id", "template"), NO_MATCH, ids=[f"{r}:{i}" for i, (r, _) in enumerate(NO_MATCH)])
def test_must_not_match(rule_id: str, template: str) -> None:
    text = expand(template)
    assert rule_id not in _ids(text, EXAMPLE_PATHS.get(rule_id, "example.py")), text


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_rule_metadata(rule: object) -> None:
    from secretwarden.scan.rules.base import Rule

    assert isinstance(rule, Rule)
    assert re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", rule.id)
    assert rule.severity in SEVERITIES
    assert rule.description and rule.tags
    assert rule.must_match, "every rule carries examples that must match"


def test_rule_ids_are_unique() -> None:
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids))


def test_issue_provider_coverage() -> None:
    """The providers issue 4 names each have at least one rule."""
    tags = {t for r in RULES for t in r.tags}
    for provider in ["aws", "gcp", "azure", "github", "gitlab", "slack", "stripe", "twilio", "sendgrid",
                     "mailgun", "postmark", "resend", "openai", "anthropic", "vault", "npm", "pypi",
                     "docker", "shopify", "discord", "telegram", "datadog", "sentry", "jwt", "key",
                     "database"]:
        assert provider in tags, provider


def test_publishable_stripe_key_is_only_a_note() -> None:
    assert _ids(expand("STRIPE_PUBLISHABLE_KEY=pk_live_{alnum:24}"), "x.env") == ["stripe-publishable-key"]
    assert _severities(expand("STRIPE_PUBLISHABLE_KEY=pk_live_{alnum:24}"), "x.env") == ["note"]


def test_provider_rule_wins_over_generic() -> None:
    ids = _ids(expand('GITHUB_TOKEN = "ghp_{alnum:36}"'), "ci.py")
    assert ids == ["github-token"]


PUBLIC_RULES = [r for r in RULES if r.severity == "note"]
PUBLIC_EXAMPLES = [(r.id, ex) for r in PUBLIC_RULES for ex in r.must_match]


@pytest.mark.parametrize(("rule_id", "template"), PUBLIC_EXAMPLES,
                         ids=[f"{r}:{i}" for i, (r, _) in enumerate(PUBLIC_EXAMPLES)])
def test_public_by_design_is_a_note_and_nothing_else(rule_id: str, template: str) -> None:
    """A public key is reported once, as a note: no secret rule reports the same value beside it."""
    for path in ("example.py", "settings.conf", "web/index.html"):
        text = expand(template)
        assert _severities(text, path) == ["note"], (path, text)


def test_every_public_rule_says_why_and_is_tagged() -> None:
    assert {"firebase-web-api-key", "mapbox-public-token", "captcha-site-key", "stripe-publishable-key",
            "algolia-search-key", "sentry-dsn-public"} <= {r.id for r in PUBLIC_RULES}
    for rule in PUBLIC_RULES:
        assert "public by design" in rule.description and "public-by-design" in rule.tags, rule.id


@pytest.mark.parametrize("template", [
    # the same formats outside the context that makes them public stay secrets
    'GOOGLE_MAPS_KEY = "AIza{b64url:35}"',
    "SUPABASE_SERVICE_ROLE_KEY={jwt:service_role}",
    "RECAPTCHA_SECRET_KEY=6L{b64url:38}",
    "STRIPE_SECRET_KEY=sk_live_{alnum:24}",
])
def test_private_twins_still_gate(template: str) -> None:
    severities = _severities(expand(template), "settings.conf")
    assert severities and "note" not in severities, expand(template)
