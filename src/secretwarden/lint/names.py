"""Which names look like secrets, and which values look like placeholders.

Used by every rule when the contract does not say. The contract always wins:
a key it declares is secret exactly when it is `sensitive`.
"""

from __future__ import annotations

import re
from functools import lru_cache

# Words that make a name secret when they end it (after splitting snake/camel case).
_SECRET_TAIL = re.compile(
    r"(password|passwd|passphrase|pwd|secret|token|apikey|api_key|privatekey|private_key|"
    r"accesskey|access_key|secretkey|secret_key|signingkey|signing_key|credentials?|"
    r"authtoken|auth_token|clientsecret|client_secret|dsn|database_url|databaseurl|"
    r"connectionstring|connection_string|webhooksecret|encryptionkey|encryption_key|masterkey|master_key|"
    r"(?:^|_)pass|(?:^|_)creds|cookie|(?:^|_)salt|(?:^|_)pepper|htpasswd|bindpw)$"
)
# Leading words that make a secret-ish name a switch, a message or a pointer:
# `allow_empty_password`, `automount_service_account_token`, `invalid_token`.
_NOT_VALUE_HEAD = re.compile(
    r"^(is|has|allow|enable|enabled|disable|disabled|automount|skip|require|required|no|invalid|missing|bad|"
    r"expired|wrong|empty|err|error|msg|message|warn|max|min|show|hide|mask|reset|rotate|forgot|validate|verify|"
    r"secure|update|generate|auto|random|use|force|check)_"
)
# The name of a key inside a Secret (`keyPasswordSecretKey: key-password`), not a value.
_KEY_OF_SECRET = re.compile(r"(password|passwd|pass|token|credentials?|secret)_secret_key$")
# Tokens that are cursors or handles, not credentials.
_HANDLE_TOKEN = re.compile(r"(^|_)(page|next|next_page|continuation|cancellation|sync|resume|cursor|csrf_field)_token$")
# Suffixes that turn a secret-ish word into metadata about the secret.
_METADATA_TAIL = re.compile(
    r"(_|^)(ttl|name|names|id|file|path|ref|url_env|length|len|count|type|kind|label|expiry|"
    r"expires|timeout|header|prefix|hint|key_name|env|var|version|ref|msg|message|error|err|policy|"
    r"endpoint|field|param|regex|pattern|format|enabled|required)$"
)
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def normalise(name: str) -> str:
    """`jwtSecret`, `JWT_SECRET`, `jwt-secret` -> `jwt_secret`."""
    return _CAMEL.sub("_", name).replace("-", "_").replace(".", "_").lower()


@lru_cache(maxsize=65536)
def looks_secret(name: str) -> bool:
    n = normalise(name)
    if not n or n.startswith(("existing", "create", "use_")):
        return False
    if _METADATA_TAIL.search(n) or _NOT_VALUE_HEAD.search(n) or _HANDLE_TOKEN.search(n):
        return False
    if _KEY_OF_SECRET.search(n):
        return False
    # A bare `secret`/`secrets` names a Kubernetes Secret or a collection of
    # them far more often than a value; compound names (`jwt_secret`) count.
    if n in {"secret", "secrets"}:
        return False
    return bool(_SECRET_TAIL.search(n))


_PLACEHOLDER = re.compile(
    r"^(|<[^<>]*>|\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*|\{\{.*\}\}|x+|\*+|\.\.\.|…|-|"
    r"(your|my|replace|change|insert|set|put|enter|fill|add)[-_ ]?.*|.*[-_ ](here|me)|[*•]{3,}.*|.*\*{4,}|"
    r"changeme|change_me|changethis|todo|tbd|fixme|none|null|example|placeholder|dummy|redacted|"
    r"secret|password|token|sample|test|xxx.*|"
    # `fixme-postgres-password`, `todo_set_me`: flagged for later; `---`, `___`: a blank drawn in dashes
    r"(?:fixme|todo|tbd|changeme)[-_.].*|[-_.#]{2,}|"
    # `GOOGLE_API_KEY_VAL`: an upper-case name that a script substitutes before deploying
    r"(?-i:[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+))$",
    re.IGNORECASE,
)


# `generate_a_new_key`, `get-the-secret-of-above-key`: an instruction spelled in words
_INSTRUCTION = re.compile(r"^[a-z]+(?:[_-][a-z]+){2,}$")
_ROLE_WORDS = frozenset(["key", "secret", "token", "password", "pass", "pw", "pwd", "value", "here", "it", "one"])
_INSTRUCTION_VERBS = frozenset(["generate", "get", "create", "put", "insert", "add", "set", "enter", "replace",
                                "use", "paste", "fill", "change", "make", "provide"])
_ARTICLES = frozenset(["a", "an", "the", "of", "your", "my", "this", "with", "from", "above", "below"])
_URL_USERINFO = re.compile(r"^[a-z][a-z0-9+.-]*://(?P<user>[^/@\s:]*):(?P<pw>[^/@\s]+)@", re.IGNORECASE)


def is_placeholder(value: str) -> bool:
    """A value that is clearly not a working credential: a stand-in (`<set-me>`, `changeme`), an
    instruction (`generate_a_new_key`), a value spelled only from role and test words
    (`testpassword`, `example_pw`, `guest`: the scanner's "low" verdict) or a URL whose password is one."""
    text = value.strip().strip("'\"")
    if _PLACEHOLDER.match(text):
        return True
    if _INSTRUCTION.match(text):
        pieces = re.split(r"[_-]", text)
        if _ROLE_WORDS & set(pieces) and (pieces[0] in _INSTRUCTION_VERBS or _ARTICLES & set(pieces)):
            return True
    url = _URL_USERINFO.match(text)
    if url is not None:
        pw = url.group("pw")
        return pw == url.group("user") or _PLACEHOLDER.match(pw) is not None or _role_words_only(pw)
    return _role_words_only(text)


def named_after_folder(value: str, path: str) -> bool:
    """`password: argocd` in charts/argo-cd/ci/values.yaml: the chart's own name as a test default,
    what `warden scan` keeps low (a folder's name with its hyphens, or without them)."""
    text = value.strip().strip("'\"").lower()
    if not text.isalpha() or len(text) < 4:
        return False
    return any(text in (part.lower(), re.sub(r"[-_.]", "", part.lower())) for part in path.split("/")[:-1])


def _role_words_only(text: str) -> bool:
    """`testpassword`, `example_pw`, `guest`: only role and test words, no digit (`abc123example`
    has one: someone typed a value there)."""
    from secretwarden.findings.value_shapes import is_trivial_password

    return not any(c.isdigit() for c in text) and is_trivial_password(text)


_BOOL_WORDS = frozenset({"true", "false", "yes", "no", "on", "off", "y", "n", "enabled", "disabled"})
# host:port, host, or scheme://host[:port][/path] without a user:password part.
_ADDRESS = re.compile(
    r"^(?:[a-z][a-z0-9+.-]*://)?(?:[A-Za-z0-9-]+\.)*[A-Za-z0-9-]+(?::\d{1,5})?(?:/[\w./%-]*)?(?:\?[\w=&.-]*)?$"
)
_URL_WITH_PASSWORD = re.compile(r"^[a-z][a-z0-9+.-]*://[^/@\s:]*:[^/@\s]+@", re.IGNORECASE)
_PATH = re.compile(r"^(?:/|\./|\.\./|~/|[A-Za-z]:\\)[^\s]*$")
_K8S_ENV_REF = re.compile(r"\$\([A-Za-z_][A-Za-z0-9_]*\)")
_SOPS_ENC = re.compile(r"^ENC\[[A-Z0-9_]+,data:")
# `credentials.json`, `tls.key`: the name of a file or of a key in a Secret.
_FILE_NAME = re.compile(r"^[\w.-]+\.(json|ya?ml|pem|crt|cer|key|p12|pfx|jks|keystore|truststore|txt|conf|cfg|ini|"
                        r"properties|env|toml|xml)$", re.IGNORECASE)
_PROSE = re.compile(r"^[A-Za-z][A-Za-z,'()-]*(?:\s+[A-Za-z][A-Za-z,.'()-]*){2,}\.?$")


# Helm names a Secret object, or a key inside one, by the value of `...Secret`, `...SecretKey`,
# `...FromSecret`: `adminTokenSecret: admin-token`, `clusterSecretKey: cluster`.
_NAMES_A_SECRET = re.compile(r"(^|_)(secret|secret_key|secret_ref|from_secret)$")
_RESOURCE_NAME = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z][a-z0-9]*)*$")
_VOWEL = re.compile(r"[aeiouy]")


def names_a_secret_object(name: str, value: str) -> bool:
    """`configFromSecret: prometheus-config`: the value is the name of a Kubernetes Secret (or of a
    key in one), lower-case words joined by hyphens, not the credential itself."""
    text = value.strip().strip("'\"")
    if not _NAMES_A_SECRET.search(normalise(name)) or not _RESOURCE_NAME.match(text):
        return False
    pieces = text.split("-")
    if len(pieces) == 1:
        from secretwarden.findings.value_shapes import word_likeness

        return word_likeness(text) >= 0.8
    return all(_VOWEL.search(p) for p in pieces)


def is_not_credential(value: str) -> bool:
    """A value under a secret-ish name that cannot be a working credential.

    A switch (`false`), an address without a password (`db:5432`,
    `https://vault.internal:8200`), a file path, a Kubernetes `$(VAR)`
    reference, a SOPS-encrypted value, a sentence or a placeholder.
    """
    text = value.strip().strip("'\"")
    if is_placeholder(text) or text.lower() in _BOOL_WORDS:
        return True
    if _SOPS_ENC.match(text) or _K8S_ENV_REF.search(text) or _PATH.match(text) or _FILE_NAME.match(text):
        return True
    from secretwarden.findings.value_shapes import is_password_hash

    if is_password_hash(text):
        return True  # `admin:$2y$10$...`: an htpasswd line holds a hash, not the password
    if _URL_WITH_PASSWORD.match(text):
        return False
    if _ADDRESS.match(text) and (
        "://" in text or re.search(r":\d{1,5}(/|$)", text) or (text == text.lower() and text.count(".") >= 2)
    ):
        # `db:5432`, `http://vault:8200/v1`, `redis.default.svc`: where to connect, not how to log in.
        return True
    return bool(_PROSE.match(text))
