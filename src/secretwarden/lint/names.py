"""Which names look like secrets, and which values look like placeholders.

Used by every rule when the contract does not say. The contract always wins:
a key it declares is secret exactly when it is `sensitive`.
"""

from __future__ import annotations

import re

# Words that make a name secret when they end it (after splitting snake/camel case).
_SECRET_TAIL = re.compile(
    r"(password|passwd|passphrase|pwd|secret|token|apikey|api_key|privatekey|private_key|"
    r"accesskey|access_key|secretkey|secret_key|signingkey|signing_key|credentials?|"
    r"authtoken|auth_token|clientsecret|client_secret|dsn|database_url|databaseurl|"
    r"connectionstring|connection_string|webhooksecret|encryptionkey|encryption_key|masterkey|master_key)$"
)
# Suffixes that turn a secret-ish word into metadata about the secret.
_METADATA_TAIL = re.compile(
    r"(_|^)(ttl|name|names|id|file|path|ref|url_env|length|len|count|type|kind|label|expiry|"
    r"expires|timeout|header|prefix|hint|key_name|env|var|version|ref)$"
)
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def normalise(name: str) -> str:
    """`jwtSecret`, `JWT_SECRET`, `jwt-secret` -> `jwt_secret`."""
    return _CAMEL.sub("_", name).replace("-", "_").replace(".", "_").lower()


def looks_secret(name: str) -> bool:
    n = normalise(name)
    if not n or n.startswith(("existing", "create", "use_")):
        return False
    if _METADATA_TAIL.search(n):
        return False
    # A bare `secret`/`secrets` names a Kubernetes Secret or a collection of
    # them far more often than a value; compound names (`jwt_secret`) count.
    if n in {"secret", "secrets"}:
        return False
    return bool(_SECRET_TAIL.search(n))


_PLACEHOLDER = re.compile(
    r"^(|<[^<>]*>|\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*|\{\{.*\}\}|x+|\*+|\.\.\.|…|-|"
    r"(your|my|replace|change|insert|set|put|enter|fill)[-_ ]?.*|.*[-_ ](here|me)|"
    r"changeme|change_me|changethis|todo|tbd|fixme|none|null|example|placeholder|dummy|redacted|"
    r"secret|password|token|sample|test|xxx.*)$",
    re.IGNORECASE,
)


def is_placeholder(value: str) -> bool:
    """A value that is clearly not a working credential."""
    return bool(_PLACEHOLDER.match(value.strip().strip("'\"")))
