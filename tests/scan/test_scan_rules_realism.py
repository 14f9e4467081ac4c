"""Shapes met in real public repositories (Helm charts, compose stacks, manifests, lockfiles,
test suites) that are not committed credentials, each beside a twin that still is one.

The rules' own examples run as `example.py`; these need the kind of file they were seen in
(a values file, a README, a lockfile, a shell script), so they are listed with a path.
"""

from __future__ import annotations

import pytest

from secretwarden.scan.engine import get_engine
from secretwarden.scan.rules.examples import expand

DEFAULT_MIN_CONFIDENCE = 0.5


def _reported(text: str, path: str) -> list[str]:
    findings = get_engine().scan(expand(text).encode(), path).findings
    return [f.rule_id for f in findings if f.confidence >= DEFAULT_MIN_CONFIDENCE]


NOT_SECRETS = [
    # Kubernetes affinity / toleration / key selectors: label keys and entry names
    ("charts/app/values.yaml", '    ## key: "kubernetes.io/e2e-az-name"'),
    ("charts/app/values.yaml", "  - key: node.kubernetes.io/unschedulable"),
    ("charts/app/values.yaml", "#       - key: promtail-oauth2-creds"),
    # names of Kubernetes Secrets to read, not values
    ("charts/app/README.md", "helm install db --set tls.existingSecret=my-existing-stores"),
    ("charts/app/values.yaml", "existingSecret: release-elasticsearch-coordinating-crt"),
    ("charts/app/values.yaml", "configFromSecret: prometheus-config"),
    ("deploy/app.yaml", "    pullSecret: kube-system/registry-creds"),
    ("tests/cli/test_gates.py", '    assert rows == {"API_TOKEN": "local/INC-0001"}'),
    # the PEM armour quoted in a comment, prose after it
    ("charts/app/values.yaml",
     "## key and certificate should start with -----BEGIN CERTIFICATE----- or\n"
     "## -----BEGIN RSA PRIVATE KEY-----\n##\n## name should line up with a tlsSecret set further up\n"),
    # Go template variables and format strings in chart helpers
    ("charts/app/templates/_helpers.tpl", '{{- $valueKeyPassword := printf "%s.password" $authPrefix -}}'),
    ("charts/app/templates/_secrets.tpl", '{{- $password = printf "%s%s" $subStr $password | toString }}'),
    # shell: a command substitution with a pattern, a switch followed by another flag
    ("charts/app/templates/job.yaml", "    local password=$(grep -oP '^password=\\K.+' $1);"),
    ("charts/app/README.md",
     '| `backup.command` | `["/bin/bash","-c","pg_dumpall --no-password --file=\\"${DIR}/all.sql\\""]` |'),
    # sentences
    ("tests/ca-test.sh", 'echo "Pass: no-op when SETUP_CUSTOM_CA_CERTIFICATE is unset"'),
    ("src/models/client.ts", "   * clients are identified by having a null `createdById`, meaning no user made them."),
    ("charts/app/exports/deployment.yaml", "        checksum/secrets: {hex:64}"),
    ("conf/grafana.ini", ";secret_key = SW2YcwTIb9zpOOhoPsMm"),
    # dates, hashes, version ranges
    ("charts/app/values.yaml", '## adminPasswordMtime: "2006-01-02T15:04:05Z"'),
    ("charts/app/values.yaml", "htpasswd: harbor_registry_user:$2y$10${b64:53}"),
    ("yarn.lock", '    "@aws-sdk/credential-provider-node": "npm:^3.972.80"'),
    ("yarn.lock", '    js-tokens: "npm:^4.0.0"'),
    # base64 of placeholders and vendor defaults (in a README's Secret example)
    ("charts/app/README.md", '  redis-password: "cmVkaXMK"'),
    ("charts/app/values.yaml", "    secret: ZXhhbXBsZS1hcHAtc2VjcmV0"),
    # lookup keys, provider test values, fixtures, sequential stand-ins, named stand-ins
    ("CHANGELOG.md", '    idempotency_key="KG5LxwFBepaKHyUD",'),
    ("stripe/params.py", '    provide a token with format `card: {token: "tok_visa"}`.'),
    ("tests/test_client.py", '        api_key="keyinfo_test_123",'),
    ("charts/exporter/README.md", "  apiToken: 87654321-432104321-4321-210987654321"),
    ("charts/app/README.md", "clone with `https://USERNAME:PERSONAL_ACCESS_TOKEN@github.com/USERNAME/REPOSITORY`."),
    ("server/routes/oauth.test.ts", '        Authorization: "Bearer ol_rat_invalidtoken",'),
    # UUIDs under names that merely contain a password word (an enum of password managers)
    ("shared/utils/passkeys.ts", '  NordPass = "b84e4048-15dc-4dd0-8640-f4f60813c8af",'),
    # fifth session: Helm unit tests, compose samples, app settings, SDK and OAuth library tests
    ("traefik/tests/metrics-config_test.yaml", "          token: xxx-yyy-zzz"),
    ("hub-manager/tests/container-config_test.yaml", '        password: "grault"'),
    ("templates/postgres.template.yml",
     "      cmd: HOME=/var/lib/postgresql exec chpst -u postgres:postgres:ssl-cert /usr/lib/postgresql/bin/postgres"),
    ("samples/standalone.yml", '  DISCOURSE_SMTP_PASSWORD: "pa$$word"'),
    ("samples/web_only.yml", '  DISCOURSE_SMTP_PASSWORD: "pa\\$\\$word"'),
    ("test/controllers/api/v1/auth_controller_test.rb", '                password: "SecurePass123!",'),
    ("hc/integrations/ntfy/tests/test_notify.py",
     '        self.assertEqual(headers["Authorization"], "Bearer test-default-token")'),
    ("tests/flask/test_client_configuration_endpoint.py", '    headers = {"Authorization": "Bearer unauthorized_token"}'),
    ("podman/env.sample", "DATABASE_URL=postgresql://umami:replace-me-with-a-random-string@db:5432/umami"),
    ("docker/.env.example", "DB_PASSWORD=fixme-postgres-password"),
    ("public/intl/messages/nl-NL.json", '    "password": "{lit:Wachtwoord}",'),
    ("assets/pt-BR.json", '  "password": "{lit:Senha}",'),
    ("public/iso-3166-2.json", '  "PW-212": "Melekeok",'),
    ("next.config.ts", "    key: 'X-DNS-Prefetch-Control',"),
    ("charts/argocd-image-updater/values.yaml", "    #   credentials: ext:/scripts/auth1.sh"),
    ("static/js/zxcvbn.min.js",
     'return n="passwords"===e.dictionary_name?!s||e.l33t?"This is a very common password":"english_wikipedia"===e.d'),
    ("tests/oauth2/test_utils.py", 'BASIC_AUTH_ENCODING_SECRETLESS = "dXNlcm5hbWU6"'),
    ("tests/test__helpers.py", '        "id_token": "1234-5678-9012-3456",'),
    ("tests/test_aws.py", '    + "SignedHeaders=host;x-amz-date, Signature={hex:64}",'),
    ("authlib/oauth2/rfc6749/grants/authorization_code.py", '          "access_token":"2YotnFZFEjr1zCsicMWpAA",'),
    ("authlib/oauth1/rfc5849/signature.py", '    oauth_consumer_key="9djdj82h48djs9d2",'),
    ("docs/oauth/2/intro.rst", "    Authorization: Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW"),
    ("docs/client/oauth1.rst", "        'oauth_token': '12345-st..E',"),
    ("traefik/tests/hub-license-config_test.yaml",
     '        token: "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2"'),
    ("charts/argo-cd/ci/external-redis-values.yaml", '  password: "{lit:argocd}"'),
    ("docker/nginx-unit.json", '          "pass": "applications/netbox"'),
]

STILL_SECRETS = [
    ("charts/app/values.yaml", "  - key: {b64:38}==", "generic-secret"),
    ("charts/app/values.yaml", "secret: {alnum:32}", "generic-secret"),
    ("charts/app/values.yaml", "existing_password: {alnum:14}", "generic-password"),
    ("charts/app/values.yaml", "hostKey: |-\n  -----BEGIN RSA PRIVATE KEY-----\n  {b64:64}\n  {b64:64}\n"
                               "  -----END RSA PRIVATE KEY-----\n", "private-key"),
    ("charts/app/README.md", "helm install db --set auth.password={alnum:14}", "generic-password"),
    ("tests/test_client.py", '        api_key="test_{alnum:24}",', "generic-secret"),
    ("tests/test_util.py", '    mocker.patch("stripe.api_key", "sk_test_{lit:KOWobxXidxNlIxQe}")', "generic-secret"),
    ("deploy/compose.yaml", "      - POSTGRES_PASSWORD={lit:gitea2024x}", "generic-password"),
    ("server/routes/oauth.test.ts", '        Authorization: "Bearer {alnum:40}",', "authorization-header"),
    ("config/app.yaml", 'api_token: "{hex:8}-{hex:4}-{hex:4}-{hex:4}-{hex:12}"', "generic-secret"),
    ("charts/app/values.yaml", "secrets: {alnum:40}", "generic-secret"),
    ("traefik/tests/metrics-config_test.yaml", "          token: {alnum:24}", "generic-secret"),
    ("samples/standalone.yml", '  DISCOURSE_SMTP_PASSWORD: "{lit:Kx7$$mPq2w}"', "generic-password"),
    ("scripts/ci.sh", "      cmd: curl -u deploy:{alnum:14} https://ci.internal/api", "generic-password"),
    ("podman/env.sample", "DATABASE_URL=postgresql://umami:{alnum:20}@db:5432/umami", "database-url"),
    ("public/intl/messages/nl-NL.json", '    "api_key": "{alnum:32}",', "generic-secret"),
    ("next.config.ts", "    key: '{b64:40}',", "generic-secret"),
    ("tests/flask/test_client_configuration_endpoint.py", '    headers = {"Authorization": "Bearer {alnum:40}"}',
     "authorization-header"),
    ("charts/argo-cd/ci/external-redis-values.yaml", '  password: "{alnum:14}"', "generic-password"),
    ("static/js/app.min.js", 'c.password="{alnum:16}";', "generic-password"),
    ("tests/test_config.py", "        assert cfg['password'] == '{lit:phdown}'", "generic-password"),
    ("tests/test_oauth.py", '    oauth_consumer_key="{lowernum:16}",', "generic-secret"),
    ("docker/nginx-unit.json", '          "pass": "{alnum:8}/{alnum:10}"', "generic-password"),
    ("config/users.json", '  {"Admin password": "{alnum:14}"}', "generic-password"),
    ("settings.py", 'KEY_1 = "{alnum:24}"', "generic-secret"),
    ("app/licence.py", 'license_key = "{upper:4}-{upper:4}-{upper:4}-{upper:4}"', "generic-secret"),
    # CredData labels a Codecov badge's `?token=` a credential: it stays reported
    ("README.md", '<img src="https://codecov.io/gh/o/r/graph/badge.svg?token={alnum:10}"/>', "generic-secret"),
]


@pytest.mark.parametrize(("path", "text"), NOT_SECRETS, ids=[f"not-{i}" for i in range(len(NOT_SECRETS))])
def test_real_repository_shapes_are_not_reported(path: str, text: str) -> None:
    assert _reported(text, path) == [], text


@pytest.mark.parametrize(("path", "text", "rule_id"), STILL_SECRETS,
                         ids=[f"still-{i}" for i in range(len(STILL_SECRETS))])
def test_their_twins_still_are(path: str, text: str, rule_id: str) -> None:
    assert rule_id in _reported(text, path), text


def test_a_default_named_after_its_project_is_low() -> None:
    """`gitea` under gitea-postgres/ is the stack's own name used as a demo password: hidden at the
    default setting, listed with --min-confidence low."""
    findings = get_engine().scan(b"      - POSTGRES_PASSWORD=gitea\n", "gitea-postgres/compose.yaml").findings
    assert [f.rule_id for f in findings] == ["generic-password"]
    assert findings[0].confidence < DEFAULT_MIN_CONFIDENCE


@pytest.mark.parametrize(("path", "severity"), [
    ("src/app/settings.py", "high"),
    ("tests/test_client.py", "medium"),
    ("services/api/test/fixtures/keys.py", "medium"),
    ("docs/usage.py", "medium"),
    ("examples/compose/app.py", "medium"),
    ("charts/app/README.md", "medium"),
    ("contest/app.py", "high"),  # `contest/` is not `test/`
])
def test_findings_in_tests_docs_and_examples_are_one_step_less_severe(path: str, severity: str) -> None:
    """A stand-in or a fixture more often than a live credential there: lower, but still a finding
    that fails a gate (only notes never do)."""
    text = expand('api_key = "{alnum:32}"\n')
    findings = get_engine().scan(text.encode(), path).findings
    assert [(f.rule_id, f.severity) for f in findings] == [("generic-secret", severity)]


def test_a_shell_default_is_reported_without_its_dash() -> None:
    """`${SECRET_KEY_BASE:-<hex>}`: the committed default is the secret; `:-` is the shell's syntax."""
    text = expand("  SECRET_KEY_BASE: ${SECRET_KEY_BASE:-{hex:64}}\n")
    findings = get_engine().scan(text.encode(), "compose.example.yml").findings
    assert [f.rule_id for f in findings] == ["generic-secret"]
    assert findings[0].secret == text.split(":-", 1)[1].rstrip("}\n")
