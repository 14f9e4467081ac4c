"""Named false-positive filters: each takes a candidate value and says whether
it is clearly not a secret. They are plain functions so that each can be
listed, read and tested alone; `drop_reason` runs the standard set.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from secretwarden.findings.value_shapes import word_likeness, word_parts

PLACEHOLDER_WORDS = frozenset(
    ["changeme", "change_me", "changeit", "replaceme", "replace_me", "placeholder", "example", "examples", "sample", "dummy", "fake", "foobar", "foo", "bar", "baz", "qux", "xxx", "todo", "tbd", "fixme", "redacted", "hidden", "masked", "removed", "secret", "secrets", "password", "passwd", "pass", "pwd", "token", "tokens", "apikey", "api_key", "key", "keys", "value", "values", "your", "yours", "mine", "none", "null", "nil", "undefined", "empty", "blank", "string", "str", "text", "int", "bool", "boolean", "number", "object", "any", "true", "false", "yes", "no", "on", "off", "required", "optional", "default", "unset", "unknown", "test", "testing", "notsecure", "insecure", "notreal", "not_real", "notasecret", "not_a_secret", "invalid", "n/a", "na", "tba", "abc", "abcd", "abcdef", "secret_key", "secretkey", "mysecret", "my_secret", "mypassword", "my_password", "yourpassword", "your_password", "password123", "password1", "pa55word", "p@ssw0rd", "p@ssword", "username", "user", "login", "admin_password",
     # the metasyntactic variables after foo/bar/baz (`username: "corge"`, `password: "grault"`)
     "quux", "corge", "grault", "garply", "waldo", "plugh", "xyzzy", "thud"]
)

_PLACEHOLDER_PATTERNS = [
    re.compile(r"^<[^<>]{1,80}>$"),  # <YOUR_KEY>
    re.compile(r"^\[[^\[\]]{1,80}\]$"),  # [api key]
    re.compile(r"^\(?[xX*•#._-]{3,}\)?$"),  # xxxx, ****, ....
    re.compile(r"(?i)^(?:x{4,}|\*{3,}|#{3,}|0{6,}|\.{3,})"),
    re.compile(r"(?i)(?:x{6,}|\*{4,}|\.\.\.|…)"),
    re.compile(r"^\w[\w-]*\w\.\.\w+$"),  # `12345-st..E`: a value shortened in the docs (`..` never occurs in a token)
    re.compile(r"(?i)^(?:your|my|some|the|enter|insert|put|add|replace|set)[-_ ]?(?:own[-_ ]?)?[a-z]*[-_ ]?(?:key|token|secret|password|pass|pwd|here|value)"),
    re.compile(r"(?i)(?:_here|-here|\bhere)$"),
    re.compile(r"^eyJ[a-z]{3,}$"),  # `eyJaccess`: the start of a JWT and a word, a docs stand-in
    # `*SENSITIVE*DATA*DELETED*`, `[REDACTED]`: a value someone already removed
    re.compile(r"(?i)(?:^|[^a-z])(?:redacted|sensitive|deleted|censored|omitted|elided|scrubbed)(?:[^a-z]|$)"),
    re.compile(r"(?i)^(?:fake|dummy|test|sample|example|mock|placeholder|invalid|bogus)[-_]?(?:key|token|secret|password|pass|pwd|api[-_]?key|value)s?\d*$"),
    re.compile(r"(?i)^(?:key|token|secret|password|pass|pwd)[-_]?(?:goes[-_]?here|here|placeholder|value|example)$"),
    # an instruction instead of a value: `fixme-postgres-password`, `replace-me-with-a-random-string`,
    # `change_this`, `generate-a-long-random-key`
    re.compile(r"(?i)^(?:fixme|todo|tbd|changeme|replaceme|(?:change|replace|generate|use|put|insert|enter|set)"
               r"[-_](?:me|this|it|with|a|an|your|one))(?:[-_.][a-z0-9._-]*)?$"),
]

_REFERENCE_PATTERNS = [
    re.compile(r"\$\{[^}]*\}?"),  # ${VAR}
    re.compile(r"\{\{.*?\}\}|\{\{"),  # {{ .Values.x }}
    re.compile(r"\{%.*?%\}"),
    re.compile(r"#\{[^}]*\}"),  # Ruby / Spring
    re.compile(r"^\$\(?[A-Za-z_][A-Za-z0-9_]*\)?$"),  # $VAR, $(VAR)
    re.compile(r"^%[A-Za-z_][A-Za-z0-9_]*%$"),  # %VAR%
    re.compile(r"^%\(?[A-Za-z_]*\)?[sd]$|^%[sdv]$|%\([A-Za-z_]+\)s"),
    re.compile(r"\{[A-Za-z_0-9]*(?::[^{}]*)?\}"),  # {password}, {0}, {name:fmt}
    re.compile(r"(?i)^(?:process\.env|os\.environ|os\.getenv|getenv|env\(|ENV\[|System\.getenv|Environment\.GetEnvironmentVariable|config\(|settings\.|secretKeyRef|valueFrom|vault:|ref\+|arn:aws:secretsmanager|projects/[^/]+/secrets/)"),
    re.compile(r"^@\w+\(|^@@?[A-Za-z_]\w*$"),  # @Value(...), @variable
    re.compile(r"^\$[A-Za-z_][\w.]*$"),
    # a credential source given as a scheme and a path (`ext:/scripts/auth.sh`, `file:./token`):
    # where the secret comes from at run time (a URL has `//` after its scheme)
    re.compile(r"^[a-z][a-z0-9+-]{1,15}:(?:\.{0,2}/(?!/)|~/)[\w./@-]+$"),
]

_DOCUMENTED_EXAMPLES = re.compile(
    # vendors' published examples and shipped defaults (AWS docs, base64 `example`/`test`, a TOTP
    # docs seed, the `secret_key` every grafana.ini ships with)
    r"(?i)EXAMPLE|wJalrXUtnFEMI/K7MDENG|AKIAI44QH8DHB|ZXhhbXBsZQ|dGVzdA==|JBSWY3DPEHPK3PXP|SW2YcwTIb9zpOOhoPsMm"
    # the OAuth RFCs' own example values, which every OAuth library quotes in docstrings and tests:
    # RFC 6749 (access and refresh tokens, client `s6BhdRkqt3:gX1fBat3bV`), RFC 6750, RFC 7009
    r"|2YotnFZFEjr1zCsicMWpAA|tGzv3JOkF0XG5Qx2TlKWIA|czZCaGRSa3F0MzpnWDFmQmF0M2JW|gX1fBat3bV|SplxlOBeZQQYbYS6WxSbIA"
    r"|mF_9\.B5f-4\.1JqM|45ghiukldjahdnhzdauz"
    # RFC 5849 (OAuth 1.0: client, temporary and token credentials, signatures)
    r"|dpf43f3p2l4k3l03|kd94hf93k423kf44|hh5s93j4hdidpola|hdhd0244k9j7ao03|nnch734d00sl2jdk|pfkkdhi9sl3r4s00"
    r"|9djdj82h48djs9d2|kkk9d7dh3k39sjv7|74KNZJeDHnMBp0EMJ9ZHt|gKgrFCywp7rO0OXSjdot|bYT5CMsGcbgUdFHObYMEfcx6bsw"
    # Twitter's OAuth 1.0a documentation ("Implementing Sign in with Twitter")
    r"|Z6eEdO8MOmk394WozF5oKyuAv855l4Mlqo7hhlSLik|Kd75W4OQfb2oJTV0vzGzeXftVAwgMnEK9MumzYcM"
    r"|eWudHldSbIaelX7swmsiHImEL4KinwaGloHANdrY|2EEfA6BG5ly3sR3XjE0IBSnlQu4ZrUzPiYTmrkVU"
    # the claims of jwt.io's sample token (`"sub": "1234567890", "name": "John Doe", "iat": 1516239022`)
    r"|eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2"
)

_UUID = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
_HEX = re.compile(r"^[0-9a-fA-F]+$")
_INTEGRITY = re.compile(r"^(?:sha(?:1|256|384|512)[-:=]|md5[-:])[A-Za-z0-9+/=_-]{16,}$")
_PATHISH = re.compile(r"^(?:[a-zA-Z]:\\|\.{0,2}/|~/)[\w./\\ -]*$")
_FILE_NAME = re.compile(
    r"(?i)^[\w\-./]+\.(?:ya?ml|json|xml|txt|conf|cfg|ini|env|pem|key|crt|cer|p12|pfx|jks|py|js|ts|go|rb|"
    r"java|sh|md|html?|properties|toml|lock|log|csv|sql|db|gpg|asc|kdbx|zip|tar|gz)$"
)
_RELATIVE_PATH = re.compile(r"^[\w-]+(?:/[\w.-]+){2,}$")
_ROUTE = re.compile(r"^[a-z]{3,}/[a-z][a-z0-9_-]*$")
# `kubernetes.io/e2e-az-name`, `github.com/acme/api`, `docker.io/library/nginx`: a host name, then a
# path: a label key, a module or an image (base64 has no dots, so a secret never starts this way)
# `kube-system/registry-creds`, `local/INC-0001`: a namespace (or store) and a hyphenated name in it;
# base64 has slashes but never hyphens
_NAMESPACED_NAME = re.compile(r"^[a-z][a-z0-9-]*/(?:[a-z][a-z0-9]*(?:-[a-z0-9]+)+|[A-Z]{2,}-\d+)$")
_QUALIFIED_NAME = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,12}/[\w.-]+(?:/[\w.-]+)*$")
_URL_NO_CREDS = re.compile(r"^[a-z][a-z0-9+.-]*://[^@\s]*$", re.IGNORECASE)
_RUNS = re.compile(
    r"(?:0(?=1)|1(?=2)|2(?=3)|3(?=4)|4(?=5)|5(?=6)|6(?=7)|7(?=8)|8(?=9)|a(?=b)|b(?=c)|c(?=d)|d(?=e)|"
    r"e(?=f)|f(?=g)|g(?=h)|h(?=i)|i(?=j)|j(?=k)|k(?=l)|l(?=m)|m(?=n)|n(?=o)|o(?=p)|p(?=q)|q(?=r)|r(?=s)|"
    r"s(?=t)|t(?=u)|u(?=v)|v(?=w)|w(?=x)|x(?=y)|y(?=z)){4,}."
)
_SEQUENCES = ("0123456789", "abcdefghijklmnopqrstuvwxyz", "qwertyuiop", "asdfghjkl")
_SEQUENCES_BOTH_WAYS = _SEQUENCES + tuple(seq[::-1] for seq in _SEQUENCES)


def _any_of(patterns: list[re.Pattern[str]]) -> re.Pattern[str]:
    """One pattern that matches where any of `patterns` does: a single C search per value
    instead of a Python loop over a dozen (these filters run on every candidate value)."""
    parts = []
    for pattern in patterns:
        body = pattern.pattern
        caseless = bool(pattern.flags & re.IGNORECASE)
        if body.startswith("(?i)"):
            body, caseless = body[4:], True
        parts.append(f"(?i:{body})" if caseless else f"(?:{body})")
    return re.compile("|".join(parts))


_ANY_PLACEHOLDER = _any_of(_PLACEHOLDER_PATTERNS)
_ANY_REFERENCE = _any_of(_REFERENCE_PATTERNS)


def _repeated_letter_pieces(value: str) -> bool:
    """`xxx-yyy-zzz`, `aaaa.bbbb`: pieces that each repeat one character, a typed stand-in."""
    pieces = re.split(r"[-_.:]", value)
    return len(pieces) >= 2 and all(len(p) >= 3 and len(set(p)) == 1 for p in pieces)


def is_placeholder(value: str) -> bool:
    """`<YOUR_KEY>`, `changeme`, `xxx`, `****`, `your-api-key-here`, `xxx-yyy-zzz`."""
    v = value.strip()
    if v.lower() in PLACEHOLDER_WORDS:
        return True
    return _ANY_PLACEHOLDER.search(v) is not None or _repeated_letter_pieces(v)


def is_reference(value: str) -> bool:
    """`${VAR}`, `{{ .Values.x }}`, `os.environ[...]`, `process.env.X`, `secretKeyRef`."""
    return _ANY_REFERENCE.search(value) is not None


def is_documented_example(value: str) -> bool:
    """Keys that vendor documentation publishes as examples (AWS's `...EXAMPLE...`)."""
    return bool(_DOCUMENTED_EXAMPLES.search(value))


def is_uuid(value: str) -> bool:
    return bool(_UUID.match(value))


def is_masked(value: str) -> bool:
    """A value already redacted in the text: mostly `*`, `x` or `•`."""
    if len(value) < 4:
        return False
    masked = sum(map(value.count, "*•x#X"))
    return masked / len(value) > 0.5


def is_repeated_or_sequential(value: str) -> bool:
    """`aaaaaaaa`, `abababab`, `123456789`, `qwerty...`: typed, not generated."""
    v = value.lower()
    size = len(v)
    distinct = set(v)
    if len(distinct) <= 2 and size >= 4:
        return True
    if size >= 8 and max(map(v.count, distinct)) / size >= 0.6:
        return True  # `SKaaaaaaaaaaaaaaaa`: one character fills most of it
    for n in (2, 3, 4):
        if size >= n * 2 and v == (v[:n] * (size // n + 1))[:size]:
            return True
    if size >= 6 and any(v in seq for seq in _SEQUENCES_BOTH_WAYS):
        return True
    digits = re.sub(r"[-_. ]", "", v)
    if digits != v and digits.isdigit() and len(digits) >= 8:
        v, size = digits, len(digits)  # `1234-5678-9012-3456`: a counting stand-in in groups
    if size < 8:
        return False
    # mostly made of runs like `123456` or `abcdef` (`1234567890abcdefghij`)
    # (read both ways: `87654321` counts as much as `12345678`)
    covered = sum(m.end() - m.start() for text in (v, v[::-1]) for m in _RUNS.finditer(text))
    return covered / size >= 0.6


def is_hash_or_digest(value: str, key: str = "") -> bool:
    """A digest: `sha256:...`, SRI `sha512-...`, or hex under a hash-like name."""
    if _INTEGRITY.match(value):
        return True
    parts = set(word_parts(key))
    hashy = {"hash", "sha", "sha1", "sha256", "sha512", "md5", "digest", "checksum", "integrity",
             "etag", "commit", "revision", "rev", "fingerprint", "hashed", "crc",
             # a computed MAC in hex (`Signature=<sha256 hex>` of an AWS SigV4 header): the
             # output of a key, bound to one request, not the key
             "signature"}
    return bool(parts & hashy) and bool(_HEX.match(value) or (len(value) in (43, 44, 88) and "signature" not in parts))


_NUMBER_LITERAL = re.compile(r"^[-+]?(?:0[xX][0-9a-fA-F]+|0[oObB][0-7]+|\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)[uUlLfF]*$")


def is_number_literal(value: str) -> bool:
    """`0x4f`, `3600`, `1e6`: a number in code, not a secret."""
    return bool(_NUMBER_LITERAL.match(value))


def is_lockfile_integrity(value: str) -> bool:
    """npm/yarn `integrity` strings and pip `--hash=sha256:` pins."""
    return bool(_INTEGRITY.match(value))


def is_path_or_plain_url(value: str) -> bool:
    """A filesystem path or a URL without userinfo: it names where a secret is."""
    if (_PATHISH.match(value) or _URL_NO_CREDS.match(value) or _FILE_NAME.match(value)
            or _QUALIFIED_NAME.match(value) or _NAMESPACED_NAME.match(value)):
        return True
    if _ROUTE.match(value) and word_likeness(value.split("/", 1)[0]) >= 0.8:
        return True  # `applications/netbox`, `routes/main`: a kind of object and its name (NGINX Unit's `pass`)
    if _RELATIVE_PATH.match(value):
        # `a/b/c.txt` or `assets/img/logo`; base64 has slashes too, but no words between them
        segments = [s for s in value.split("/") if s]
        return bool(re.search(r"\.\w{1,5}$", value)) or all(
            word_likeness(s) >= 0.8 for s in segments
        )
    return False


def is_public_key_or_cert(text: str) -> bool:
    """PEM public keys and certificates, SSH public keys: public by design."""
    return bool(
        re.search(r"-----BEGIN (?:[A-Z0-9 ]+ )?(?:PUBLIC KEY|CERTIFICATE(?: REQUEST)?)-----", text)
        or re.match(r"^(?:ssh-(?:rsa|ed25519|dss)|ecdsa-sha2-nistp\d+) AAAA", text)
    )


_ASCII_DIGIT = re.compile(r"[0-9]")


def is_i18n_label(value: str) -> bool:
    """`Enter your password`, `Mot de passe oublié ?`: words with spaces, a UI text."""
    words = value.split()
    if len(words) >= 2:
        return True
    return not value.isascii() and not _ASCII_DIGIT.search(value)


# Filters that apply to any candidate secret whatever rule found it, in order.
STANDARD: list[tuple[str, Callable[[str], bool]]] = [
    ("placeholder", is_placeholder),
    ("reference", is_reference),
    ("documented-example", is_documented_example),
    ("masked", is_masked),
    ("repeated-or-sequential", is_repeated_or_sequential),
]


@lru_cache(maxsize=16384)  # rules ask again for the same value (the generic rules twice per candidate)
def drop_reason(value: str) -> str | None:
    """Name of the first standard filter that drops `value`, else None."""
    for name, fn in STANDARD:
        if fn(value):
            return name
    return None


CONFIG_EXTS = frozenset(
    [".env", ".ini", ".cfg", ".conf", ".config", ".properties", ".toml", ".yaml", ".yml", ".json", ".xml", ".plist", ".tfvars", ".hcl", ".tf", ".npmrc", ".pypirc", ".netrc", ".pgpass", ".htpasswd", ".cnf", ".service", ".desktop", ".settings", ".cf"]
)
CODE_EXTS = frozenset(
    [".py", ".pyi", ".js", ".mjs", ".cjs", ".jsx", ".ts", ".tsx", ".go", ".rb", ".java", ".kt", ".kts", ".scala", ".groovy", ".gradle", ".cs", ".fs", ".vb", ".php", ".c", ".h", ".cc", ".cpp", ".cxx", ".hpp", ".hh", ".m", ".mm", ".swift", ".rs", ".dart", ".lua", ".pl", ".pm", ".r", ".jl", ".ex", ".exs", ".erl", ".hrl", ".hs", ".clj", ".cljs", ".elm", ".sol", ".vue", ".svelte", ".coffee", ".cr", ".nim", ".zig", ".v", ".d", ".ml", ".mli", ".tf", ".hcl", ".j2", ".erb", ".haml", ".twig", ".jsp", ".aspx", ".cshtml", ".razor"]
)
DOC_EXTS = frozenset([".md", ".rst", ".txt", ".adoc", ".html", ".htm", ".textile", ".org", ".ipynb", ".tex"])


def file_kind(path: str) -> str:
    """`config`, `doc` or `code`: decides whether an unquoted value is a literal."""
    name = path.rsplit("/", 1)[-1].lower()
    if name.startswith(".env") or name.endswith((".env", ".env.example", ".env.sample")):
        return "config"
    if name in {"dockerfile", "makefile", "procfile", ".npmrc", ".pypirc", ".netrc", "credentials",
                ".gitconfig", ".htpasswd", ".pgpass", "config"}:
        return "config"
    dot = name.rfind(".")
    ext = name[dot:] if dot >= 0 else ""
    if ext in CONFIG_EXTS or ext in {".example", ".sample", ".template", ".dist", ".local"}:
        return "config"
    if ext in DOC_EXTS:
        return "doc"
    if ext in CODE_EXTS:
        return "code"
    if ext in {".sh", ".bash", ".zsh", ".ps1", ".bat", ".cmd", ".log", ".sql", ""}:
        return "shell"
    return "config"  # unknown formats are usually data or settings: unquoted values are literals


# Folders of tests, fixtures, documentation and examples: what is committed there is a stand-in
# or a fixture more often than a live credential, so a finding there is one step less severe
# (it still fails a gate: only notes never do).
_STAND_IN_FOLDER = re.compile(
    r"(?i)(?:^|/)(?:tests?|spec|specs|__tests__|testdata|test[-_]data|fixtures?|mocks?|docs?|documentation|"
    r"examples?|samples?|demos?)/"
)
_ONE_STEP_LOWER = {"critical": "high", "high": "medium", "medium": "low"}


@lru_cache(maxsize=4096)
def path_severity(severity: str, path: str) -> str:
    """`high` in `src/`, `medium` in `tests/`, `docs/` or `examples/` (and in a README)."""
    if _STAND_IN_FOLDER.search(path) or file_kind(path) == "doc":
        return _ONE_STEP_LOWER.get(severity, severity)
    return severity
