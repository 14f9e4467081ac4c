"""Generic secrets: a secret-named variable, key, argument or flag given a literal value.

The rules here know no provider. They find `name <separator> value` in the
syntax of many languages and formats, decide from the *name* whether the value
should be secret (`password`, `client_secret`, `apiKey`, but not `token_url`
or `public_key`), and from the *value* whether it is a literal secret rather
than a placeholder, a reference, an identifier, a UI label or a digest.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from secretwarden.findings import value_shapes
from secretwarden.findings.value_shapes import (
    char_classes,
    randomness,
    shannon_entropy,
    split_words,
    word_likeness,
    word_parts,
)
from secretwarden.scan import filters
from secretwarden.scan.rules import generic_prefilters
from secretwarden.scan.rules.base import HIGH, Hit, LineContext, Rule

# --- what a secret-bearing name looks like -------------------------------------

# Words that contain a secret word but name something else; removed before matching.
_NOT_SECRET_WORDS = re.compile(
    r"(?i)bypass|compass|passage|passeng|passport|passthr|passing|passed|passes|passive|surpass|"
    r"tokeniz|tokenstream|keyboard|keyword|keyframe|keystroke|keycode|keypress|keydown|keyup|"
    r"keymap|keyspace|keychain|monkey|donkey|turkey|hockey|jockey|whiskey|author(?!i[sz])|"
    r"secretar|pwdlastset|keyof|hotkey|keyring|keyval|keylen|keysize|keytype|keyname|keyid|"
    r"signal|signed|signup|signin(?!g)|design|assign|salted|salty|cookie|authoriz|authent|"
    r"oauth_?(?:url|uri|endpoint|provider|callback)|sigma|nonceStr"
)
_PASSWORD_FLAT = ("password", "passwd", "passphrase", "pwd", "pword", "passcode", "passw", "pswd")
_PASSWORD_PARTS = frozenset({"pass", "pw", "pwd", "passwd", "password", "passwords", "pword", "pswd"})
_STRONG_FLAT = (
    "secret", "token", "apikey", "accesskey", "privatekey", "credential", "creds", "authkey",
    "sessionkey", "masterkey", "signingkey", "encryptionkey", "appkey", "accountkey", "secretkey",
    "licensekey", "consumerkey", "privkey", "serverkey", "clientkey", "apiauth", "accesstoken",
    "cryptkey", "aeskey", "hmackey", "jwtkey", "webhookkey", "subscriptionkey", "storagekey",
)
_SECRET_WORDS = frozenset(_PASSWORD_FLAT) | _PASSWORD_PARTS | frozenset(_STRONG_FLAT)
_VALUE_GIVEAWAYS = ("password", "passwd", "secret", "token", "pass", "example", "sample")
_WEAK_PARTS = frozenset({"key", "auth", "nonce", "salt", "sig", "hmac", "signature", "seed", "cipher", "ticket"})
# Names of values that are not secrets although they mention one: public halves,
# encrypted or hashed forms, and UI texts about secrets.
_PUBLIC_PARTS = frozenset(["public", "pub", "publishable", "publickey", "encrypted", "crypted", "hashed", "sitekey"])
_UI_PARTS = frozenset(
    ["label", "labels", "message", "msg", "text", "title", "hint", "placeholder", "tooltip", "caption",
     "prompt", "description", "error", "errors", "i18n", "translation"]
)
_NOT_A_VALUE_LAST = frozenset(
    ["id", "ids", "name", "names", "path", "paths", "file", "files", "filename", "filepath", "dir", "directory", "folder", "url", "urls", "uri", "uris", "endpoint", "endpoints", "host", "hostname", "port", "length", "len", "size", "type", "types", "format", "fmt", "regex", "re", "pattern", "field", "fields", "label", "labels", "hint", "prompt", "placeholder", "policy", "prefix", "suffix", "expiry", "expires", "expiration", "expire", "exp", "ttl", "timeout", "lifetime", "age", "count", "max", "min", "maximum", "minimum", "header", "headers", "param", "params", "parameter", "column", "col", "input", "enabled", "enable", "disabled", "required", "error", "errors", "message", "msg", "text", "title", "description", "desc", "hash", "hashed", "digest", "mode", "method", "class", "kind", "version", "index", "idx", "location", "store", "storage", "provider", "manager", "service", "handler", "helper", "util", "utils", "validator", "validation", "strength", "complexity", "rule", "rules", "encoding", "algorithm", "alg", "algo", "scheme", "template", "schema", "option", "options", "flag", "flags", "var", "variable", "env", "ref", "reference", "arn", "source", "src", "attr", "attribute", "property", "prop", "display", "visible", "visibility", "changed", "updated", "created", "at", "date", "time", "timestamp", "mtime", "ctime", "atime", "reset", "request", "response", "resp", "req", "callback", "cb", "fn", "func", "function", "event", "status", "state", "valid", "invalid", "check", "usage", "help", "tip", "info", "bytes", "bits", "sid", "user", "username", "login", "email", "account", "mask", "masked", "char", "chars", "character", "characters", "reminder", "question", "answer", "label_text", "button", "link", "icon", "view", "page", "form", "modal", "dialog", "changed_at", "expires_at", "issued_at", "lock", "locked", "attempts", "attempt", "retries", "duration", "interval", "period", "key_id", "keyid", "kid", "column_name", "bucket", "region", "zone", "project", "table", "model", "cache", "cached", "count", "counter", "encryption", "within", "missing", "sent", "here"]
)


# Keys that look a record up or deduplicate requests rather than unlock anything.
_NOT_SECRET_KEY_KINDS = frozenset(
    ["idempotency", "idempotence", "cache", "partition", "sort", "primary", "foreign", "routing", "dedup",
     "dedupe", "deduplication", "lookup", "row", "shard", "translation", "object", "unique", "composite",
     "index", "range", "hash", "group", "order", "label", "annotation", "metric"]
)


# `PW-212`, `SK-01`: a short abbreviation, a hyphen and a number: a code (an ISO 3166-2
# subdivision, a SKU), not a name for a secret (a variable, `KEY_1`, cannot hold a hyphen)
_CODE_KEY = re.compile(r"^[A-Za-z]{1,4}-\d+$")


@dataclass(frozen=True)
class NameClass:
    strength: str  # "password", "strong", "weak"


@lru_cache(maxsize=8192)  # a pure function of the name, and names repeat from line to line
def classify_name(key: str) -> NameClass | None:
    """Does this name say its value is a secret? None when it does not."""
    raw = key.strip("\"'`[]$@:.").rsplit("->", 1)[-1]
    if not raw or len(raw) > 80 or _CODE_KEY.match(raw):
        return None
    cleaned = _NOT_SECRET_WORDS.sub(" ", raw)
    parts = word_parts(cleaned)
    if not parts:
        return None
    flat = re.sub(r"[^a-z0-9]", "", cleaned.lower())
    strong = any(w in flat for w in _STRONG_FLAT)
    if _PUBLIC_PARTS & set(parts) or parts[-1] in _UI_PARTS or (parts[0] in _UI_PARTS and not strong):
        return None  # `passwordLabel`, `errorPassword`; but `TextEncryptionKey` is a key
    if "site" in parts and parts[-1] == "key":
        return None  # reCAPTCHA / Turnstile site keys: public by design, embedded in every page
    if parts[-1] in _NOT_A_VALUE_LAST:
        return None
    last = word_parts(re.split(r"[.\[\]/]", cleaned.strip(".[]/"))[-1])
    if (last[:1] == ["existing"] and ("secret" in last or "secrets" in last)) or (
            "from" in parts[:-1] and parts[-1] in {"secret", "secrets"}):
        return None  # `existingSecret`, `configFromSecret`: the name of a Kubernetes Secret to read
    if parts[-1] in {"key", "keys"} and not strong and _NOT_SECRET_KEY_KINDS & set(parts[:-1]):
        return None  # `idempotency_key`, `partition_key`, `cache_key`: what a record is found by
    if any(w in flat for w in _PASSWORD_FLAT) or _PASSWORD_PARTS & set(parts):
        return NameClass("password")
    if strong:
        return NameClass("strong")
    if _WEAK_PARTS & set(parts) or flat.endswith("key"):
        return NameClass("weak")
    return None


# --- where a value sits: the syntaxes ------------------------------------------

_WORD = r"(?:pass|pwd|pw|secret|token|key|auth|cred|nonce|salt|sig|hmac|seed|cipher|ticket)"
_VALUE = (
    r"(?:(?P<prefix>[rbuRBUfF]{1,2}|@)?(?P<q>\"\"\"|'''|[\"'`])(?P<qv>(?:\\.|(?!(?P=q)).){0,400}?)(?P=q)"
    r"|(?P<uv>[^\s\"'`,;)\]}<>|&]+)(?P<after>[;&\"']?))"
)
_ASSIGN = re.compile(
    r"(?<![\w$@-])(?P<key>[\w.$@\-]*?" + _WORD + r"[\w.$@\-]*)(?P<kq>[\"'`]?)\]?\s*"
    r"(?P<sep>:=|=>|===|!==|==|!=|\?\?=|\|\|=|\+=|=|:)\s*"
    r"(?:(?:new\s+)?(?:\[\]byte|String|str|Secret|SecretStr|bytes|bytearray|b64decode|base64\.b64decode|"
    r"Base64\.decode|Buffer\.from|atob|unhexlify|SecureString|Some|Ok)\s*\(\s*)?"
    + _VALUE,
    re.IGNORECASE,
)
_PAIR = re.compile(
    r"(?P<kq>[\"'])(?P<key>[\w.\-]{0,40}" + _WORD + r"[\w.\-]{0,30})(?P=kq)\s*(?P<sep>,)\s*"
    r"(?P<q>[\"'])(?P<qv>[^\"'\n]{1,400})(?P=q)",
    re.IGNORECASE,
)
_CALL = re.compile(
    r"(?<![\w$])(?P<key>[\w.$]*" + _WORD + r"\w*)\s*\(\s*(?P<q>[\"'])(?P<qv>[^\"'\n]{1,400})(?P=q)\s*\)",
    re.IGNORECASE,
)
# `setCipherKey(Base64.decode("..."))`: the literal goes through a decoder first (a separate,
# rarer syntax so that the common one stays cheap on long lines)
_CALL_DECODED = re.compile(
    r"(?<![\w$])(?P<key>[\w.$]*" + _WORD + r"\w*)\s*\(\s*"
    r"[\w.]*(?:decode|Decode|unhexlify|fromhex|FromBase64String|from)\s*\(\s*"
    r"(?P<q>[\"'])(?P<qv>[^\"'\n]{1,400})(?P=q)\s*\)",
    re.IGNORECASE,
)
_XML = re.compile(
    r"<(?P<key>[\w:.\-]*" + _WORD + r"[\w:.\-]*)(?:\s[^>]*)?>(?P<qv>[^<\n]{1,400})</"
    r"|(?:key|name)\s*=\s*\"(?P<key2>[^\"]{0,60}" + _WORD + r"[^\"]{0,30})\"\s+value\s*=\s*\"(?P<qv2>[^\"\n]{1,400})\"",
    re.IGNORECASE,
)
_CLI = re.compile(
    r"(?:^|[\s\"'(\[])--?(?P<key>[\w\-]*" + _WORD + r"[\w\-]*)(?:=|\s+)(?P<q>[\"']?)(?P<qv>[^\s\"'\\`;]{3,400})(?P=q)(?=[\s\"'\\),\]`;]|$)"
    r"|(?:^|\s)(?:-u|--user)\s+[\"']?(?P<user>[^\s:\"'$]{1,64}):(?P<qv2>[^\s\"'@]{3,200})[\"']?(?=\s|$)",
    re.IGNORECASE,
)

# SQL `CREATE USER .. PASSWORD '..'` / `IDENTIFIED BY '..'`, PowerShell `ConvertTo-SecureString '..'`
_STATEMENT = re.compile(
    r"(?i)(?:\b(?P<key>password|identified\s+by)\s+|ConvertTo-SecureString\s+(?:-String\s+)?)"
    r"(?P<q>[\"'])(?P<qv>[^\"'\n]{3,200})(?P=q)"
    r"|\bidentified\s+by\s+(?P<uv>[A-Za-z0-9_$#@!%^&*+=.\-]{3,128})(?=[\s;]|$)"
)

# Prose that quotes a password: "the staging password is `...`" (quoted or backticked only:
# "the password is required" is prose about passwords, not one)
_PROSE = re.compile(
    r"(?i)\b(?P<key>password|passwd|passphrase)\s+(?:is|was|will be|remains)\s*:?\s*(?P<q>[`\"'])"
    r"(?P<qv>[^`\"'\s]{4,200})(?P=q)"
)



# the statement syntax's words, searched caseless; `_gate_holds` uses the lower-cased twin on ASCII text
_STATEMENT_WORDS = re.compile(r"(?i)password|identified|convertto-securestring")
_STATEMENT_WORDS_FOLDED = re.compile(r"password|identified|convertto-securestring")


def _gate_holds(gate: re.Pattern[str], text: str, folded: str | None) -> bool:
    if gate is _STATEMENT_WORDS and folded is not None:
        return _STATEMENT_WORDS_FOLDED.search(folded) is not None
    return gate.search(text) is not None


def _gate(*needles: str) -> re.Pattern[str]:
    """Matches a line holding any of `needles` (one C search instead of a loop of `in` tests)."""
    return re.compile("|".join(re.escape(n) for n in needles))


# each syntax with what its lines must contain (a cheap search before the costly regex);
# every gate is a run of characters the syntax's own pattern requires
_SYNTAXES: tuple[tuple[re.Pattern[str], re.Pattern[str] | None], ...] = (
    (_ASSIGN, None), (_PAIR, re.compile(r"[\"']\s*,\s*[\"']")), (_CALL, re.compile(r"\(\s*[\"']")),
    (_XML, _gate("<")), (_CLI, _gate("-")),
    (_STATEMENT, _STATEMENT_WORDS),
    (_PROSE, _gate("assword ", "ASSWORD ", "asswd ", "assphrase ")),
    (_CALL_DECODED, _gate("decode(", "Decode(", "unhexlify(", "fromhex(", "Base64String(", "Buffer.from(")),
)
_COMMENT_LINE = re.compile(r"^\s*(?:#|//|/\*|\*|--|;|<!--|%|rem\s)", re.IGNORECASE)
_ENV_STYLE = re.compile(r"^[\w.\-]+$")

_CALL_VERBS = frozenset(
    ["get", "fetch", "read", "load", "find", "lookup", "has", "hash", "check", "verify", "validate", "encrypt", "decrypt", "encode", "decode", "is", "delete", "remove", "del", "reset", "generate", "gen", "create", "make", "parse", "require", "print", "log", "logger", "debug", "info", "warn", "warning", "error", "translate", "t", "tr", "i18n", "gettext", "ngettext", "lang", "label", "assert", "expect", "should", "contains", "compare", "match", "matches", "sign", "unsign", "revoke", "rotate", "refresh", "clear", "invalidate", "exists", "describe", "to", "from", "as", "new", "list", "query", "mock", "stub", "when", "spy", "handle", "format", "render"]
)
_CODE_CHARS = re.compile(r"[(){}\[\]]|::|->|^\s|\s$|\\[nrt]|^[.#/]|\.\w+\(|^[A-Za-z_]\w*\.[A-Za-z_]\w*(?:\.\w+)*$")
# A quoted run of letters, digits and symbols with no spaces (a Django SECRET_KEY) may hold
# brackets; only a call, an escape or a leading bracket makes it code.
_SYMBOL_SOUP = re.compile(r"^(?=(?:.*[!@#$%^&*+=?~]){3})\S{16,}$")
_CODE_IN_QUOTES = re.compile(r"^[A-Za-z_$][\w.$]*\(|^[\[{(]|::|->|\\[nrt]")
_CONST_NAME = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+(?:-\d+)?$")
_IDENTIFIER = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*(?:[.:][A-Za-z_$][A-Za-z0-9_$]*)*$")
_YAML_SPECIAL = re.compile(r"^[!&*|>%@`]")
_TYPE_WORDS = frozenset(
    ["str", "string", "int", "integer", "bool", "boolean", "number", "float", "double", "object", "any", "char", "byte", "bytes", "void", "secretstr", "securestring", "optional", "list", "dict", "map", "array", "type"]
)


def _decode_basic(value: str) -> str | None:
    try:
        raw = base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
        text = raw.decode("ascii")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    return text if ":" in text and text.isprintable() else None


def score_value(value: str, strength: str, *, quoted: bool, kind: str, key: str,
                strict: bool = False) -> float | None:
    """Confidence that `value`, given to a name of this strength, is a literal secret.

    None drops the value. Below 0.5 is "low": hidden unless --min-confidence low.
    """
    v = value.strip()
    n = len(v)
    min_len = {"password": 4, "strong": 8, "weak": 16}[strength]
    if n < min_len or n > 400:
        return None
    if filters.drop_reason(v) is not None or value_shapes.is_password_hash(v):
        return None
    if filters.is_uuid(v):
        # A bare UUID is an identifier; given to a token, secret or password name it is the
        # credential (Heroku keys, many OAuth and webhook tokens are UUIDs).
        return 0.55 if strength == "strong" and not _UUID_NAMES.search(key) else None
    if filters.is_hash_or_digest(v, key) or filters.is_path_or_plain_url(v) or "://" in v:
        return None
    if filters.is_i18n_label(v) or filters.is_public_key_or_cert(v):
        return None
    code = _CODE_IN_QUOTES if quoted and _SYMBOL_SOUP.match(v) else _CODE_CHARS
    if (not quoted and _YAML_SPECIAL.match(v)) or code.search(v) or v.lower() in _TYPE_WORDS:
        return None
    if _CMDLET.match(v):
        return None
    if _PUBLIC_TOKEN.match(v) or _PROVIDER_OWNED.match(v):
        return None  # Mapbox `pk.` tokens and Stripe `pk_` keys ship in every client: public by design
    if _SHELL_VARIABLE.match(v):
        return None  # `$this->pwd`, `"$RANDOM$RANDOM"`: a variable, expanded at run time
    if _CONST_NAME.match(v):
        return None  # an environment variable's *name*
    if _REFERENCE.match(v) and all(randomness(part) < 0.5 for part in re.split(r"[:/]", v) if part):
        return None  # `dev:api/TOKEN_TTL`, `vault:kv/billing/db`: where a secret lives, in readable names
    if not quoted and filters.is_number_literal(v) and (not v.isdigit() or kind != "config"):
        return None
    low = v.lower()
    parts = set(word_parts(key))
    if low in parts or low == key.lower().strip("\"'") or low in _SECRET_WORDS:
        return None  # `password: "password"`, `"token": "Token"`
    rnd = randomness(v)
    wordy = word_likeness(v)
    classes = char_classes(v)
    identifier = bool(_IDENTIFIER.match(v))
    has_digit = any(c.isdigit() for c in v)
    if strict and not has_digit and (wordy >= 0.6 or v.isupper()):
        return None  # in a list or a call, a plain word or name is data, not a credential
    # Outside quotes, code names an expression; only a clearly random token is a literal.
    if not quoted and kind == "code" and identifier:
        return None
    if v.isdigit():
        if strength == "password" and n >= 6:
            return 0.5
        if strength == "strong" and n >= 12:
            return 0.5  # a long number under a key or token name: an app key more often than an id
        return 0.4 if strength == "strong" and n >= 8 else None  # often a one-time code or an id
    if identifier and "_" in v and wordy > 0.6:
        return None  # `user_password`, `caching_sha2_password`: a name, not a value
    if _SOURCE_SPEC.match(v) or _NUMBER_METHOD.match(v) or _VERSION_OR_OID.match(v) or _VERSION_SPEC.match(v):
        return None  # `-pass file:...` / `env:VAR` name where the secret is; `5.days` is code
    if _TIMESTAMP.match(v) or _REGEX_SYNTAX.search(v):
        return None  # `2006-01-02T15:04:05Z` (a date under `...PasswordMtime`), `^password=\K.+` (a pattern)
    if strength == "weak" and _KEBAB_NAME.match(v) and all(_VOWEL.search(p) for p in v.split("-")):
        return None  # `- key: promtail-oauth2-creds`: the name of an entry, an object or a label
    if strength != "password" and _HEADER_NAME.match(v) and not v.isupper():
        return None  # `{ key: 'X-DNS-Prefetch-Control', value: 'on' }`: an HTTP header's name
    if len(key) >= 6 and key.lower().strip("\"'$@") in low:
        return None  # `"GetPasswordData": "ec2:GetPasswordData"`: the value repeats its name
    if value_shapes.is_trivial_password(v):
        return 0.3  # `admin123`, `mypassword1`: a placeholder or a vendor default more often than not
    if _fixture_spelled(v):
        return 0.3  # `keyinfo_test_123`, `fake-api-key-1`: a test fixture's stand-in
    decoded = _base64_text(v)
    if decoded is not None and (
            decoded.endswith(":") or filters.drop_reason(decoded) is not None or value_shapes.is_trivial_password(decoded)
            or decoded.lower() in parts or _fixture_spelled(decoded)):
        return None  # base64 of `example-app-secret`, `postgres`: an encoded placeholder or default
    typed_symbols = n >= 6 and any(c.isdigit() or c in _PASSWORD_SYMBOLS for c in v)
    if not has_digit and (_SECRET_WORDS & set(word_parts(v)) or any(w in low for w in _PASSWORD_FLAT)):
        return 0.3  # `ChangePassword`, `key-manager-password`: names a secret, is not one
    if strength != "password" and _PREFIXED_TOKEN.match(v) and has_digit:
        return 0.6  # `sk-live-...`, `tok_...`: shaped like a provider's key, whatever its strength
    if strength != "password" and _PREFIXED_TOKEN.match(v) and word_likeness(re.split(r"[-_]", v)[-1]) >= 0.8:
        return 0.3  # `tok_visa`, `pm_card`: a provider's documented test value, a prefix and a word
    if strength != "password" and any(w in low for w in _VALUE_GIVEAWAYS):
        return 0.3  # `secret-token-here`: a placeholder more often than not
    if strength == "password":
        if wordy >= 0.7 and _reads_as_words(v):
            # Words with digits or symbols (`Summer2024!`, `supersecret123`) are a chosen,
            # weak password: still a committed credential. A bare word is data or prose.
            return 0.6 if typed_symbols else 0.3
        if n > 40 and v.endswith("="):
            return 0.3  # base64 under a password name: usually an encrypted or hashed form
        return 0.9 if rnd >= 0.45 else 0.7
    if strength == "strong":
        if _CAPITALISED_WORD.match(v):
            return 0.3  # `Geheimnis`, `Bearer`: one capitalised word reads as a label or a name
        if wordy >= 0.7:
            return 0.3 if not identifier else None
        if rnd >= 0.55 or (n >= 16 and shannon_entropy(v) >= 3.2):
            return HIGH if rnd >= 0.6 else 0.75
        if wordy < 0.3 and shannon_entropy(v) >= 2.8:
            return 0.6  # random letters in one case
        return 0.55 if rnd >= 0.4 and classes >= 2 else None
    # weak names (key, auth, salt...) need a clearly generated value
    if rnd >= 0.62 and classes >= 2 and shannon_entropy(v) >= 3.3 and wordy < 0.5:
        return 0.7
    return None


_I18N_PATH = re.compile(
    r"(?i)(?:^|/)(?:locales?|i18n|l10n|intl|lang|langs|languages|translations?)/|\.(?:po|pot|xlf|xliff|strings|resx)$|"
    r"(?:^|/)(?:messages|strings)(?:_[a-z]{2}(?:_[A-Z]{2})?)?\.(?:properties|xml)$|"
    # one catalogue per locale: `nl-NL.json`, `pt_BR.yml`
    r"(?:^|/)[a-z]{2,3}[-_][A-Z]{2}\.(?:json|ya?ml|js|ts|properties|toml)$"
)


@lru_cache(maxsize=1024)  # asked for every candidate line of a file
def _is_i18n_path(path: str) -> bool:
    return _I18N_PATH.search(path) is not None


_EXAMPLE_BEFORE = re.compile(r"(?i)\b(?:example|e\.g\.|sample|for instance|such as)\W{0,3}$")
_PASSWORD_SYMBOLS = frozenset("!@#$%^&*+=?~")
_SOURCE_SPEC = re.compile(r"^(?:(?:file|env|fd|stdin|keychain|pass(?=:[$%{]))(?::|$)|@[./~])", re.IGNORECASE)
# calls whose first arguments are a password and what it is checked or hashed with; not
# `get("DB_PASSWORD", "<default>")`, whose default is a committed credential
_PAIR_CALL_VERBS = frozenset(["hash", "check", "verify", "validate", "compare", "encrypt", "decrypt", "sign",
                              "assert", "expect", "match", "matches"])
_CALL_BEFORE = re.compile(r"([A-Za-z_]\w*)\s*\(\s*$")
_VERSION_OR_OID = re.compile(r"^[~^<>=v]{0,2}\d+(?:\.\d+){2,}$")  # `~1.3.0`, `1.2.840.113549.1.9.7`
_NUMBER_METHOD = re.compile(r"^\d+(?:\.[a-z_]+)+$")
# a package manager's version range: `npm:^4.0.0`, `^1.2`, `workspace:~2.1.0`, `>=3.9.1`
_VERSION_SPEC = re.compile(
    r"^(?:(?:npm|workspace|link|portal|patch|jsr):)?(?:@?[\w.-]+(?:/[\w.-]+)?@)?[~^<>=v]{0,3}\d+(?:\.(?:\d+|x|\*)){1,3}"
    r"(?:[-+][\w.]+)?$"
)
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$")
# pieces of regular-expression syntax no password generator emits together with a backslash class
_REGEX_SYNTAX = re.compile(r"\\[dDwWsSK][*+?]?|\(\?[:=!<]|\[\^[^\]]*\][*+]|\.[*+]\??$")
_KEBAB_NAME = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z][a-z0-9]*)+$")
# Title-Case pieces or short acronyms joined by hyphens (`X-DNS-Prefetch-Control`, `X-Api-Key`): a
# generated key mixes case inside its pieces and has digits
_HEADER_NAME = re.compile(r"^(?:[A-Z][a-z]+|[A-Z]{1,4})(?:-(?:[A-Z][a-z]+|[A-Z]{1,4}))+$")
_VOWEL = re.compile(r"[aeiouy]")
_FIXTURE_WORDS = frozenset(["test", "tests", "testing", "fake", "dummy", "mock", "example", "sample", "placeholder",
                            "invalid", "bogus", "stub"])
_TRIVIAL_DIGITS = re.compile(r"^(?:0*1?2?3?4?5?6?7?8?9?0?|(\d)\1*)$")


def _fixture_spelled(value: str) -> bool:
    """Pieces (split at `-`, `_`, `.`) that include a fixture word (`test`, `fake`, `dummy`...)
    and are otherwise plain letters or a counting number: `keyinfo_test_123`, `fake-token-1`."""
    pieces = [p for p in re.split(r"[-_.]", value) if p]
    if len(pieces) < 2 or not _FIXTURE_WORDS & {p.lower() for p in pieces}:
        return False
    # letters in one case (`keyinfo`); mixed case (`KOWobxXidx`) is how generated tokens look
    return all((p.isalpha() and (p.islower() or p.isupper())) or (p.isdigit() and _TRIVIAL_DIGITS.match(p))
               for p in pieces)


_B64_TEXT = re.compile(r"^(?:[A-Za-z0-9+/]{4})+(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$")


def _base64_text(value: str) -> str | None:
    """What a base64 value says when it is text (`cG9zdGdyZXMK` = `postgres`), else None.
    Random tokens of the same alphabet decode to bytes, not to printable words."""
    if len(value) < 8 or not _B64_TEXT.match(value):
        return None
    try:
        text = base64.b64decode(value, validate=True).decode("ascii")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    text = text.rstrip("\n")
    return text if len(text) >= 3 and text.isprintable() else None
_UUID_NAMES = re.compile(r"(?i)csrf|xsrf|nonce|request|trace|correlation|idempot|session|state|uuid|guid")
_WORD_RE = re.compile(_WORD, re.IGNORECASE)
_WORD_FOLDED = re.compile(_WORD)  # for lower-cased ASCII text
_JOIN_MARK = _gate('" + "', "' + '", '"+"', "'+'", "' . '", '" . "', "'.'")
_JOIN_GIVEAWAY = re.compile(r"(?i)fake|dummy|test|example|sample|mock|placeholder")
_CONCAT = re.compile(r"(?<=[A-Za-z0-9_\-+/=.!@#$%^&*?])([\"'])\s*(?:\+|\.)\s*\1(?=[A-Za-z0-9_\-+/=.!@#$%^&*?]+\1(?!\s*\*))")
_CMDLET = re.compile(r"^[A-Z][a-z]+[A-Za-z]*-[A-Z][A-Za-z]+$")  # PowerShell `ConvertTo-SecureString`
_CAPITALISED_WORD = re.compile(r"^[A-Z][a-z]{3,}$")
_PUBLIC_TOKEN = re.compile(r"^pk(?:\.eyJ|_(?:live|test)_)")
# Formats a provider rule owns and judges with context (a Google key in a Firebase config
# is public by design): the generic rules leave them to it.
_PROVIDER_OWNED = re.compile(r"^AIza[0-9A-Za-z_\-]{35}$")
_SHELL_VARIABLE = re.compile(r"^\$[A-Za-z_{(]")
# a scheme or environment, a colon, then a path: a slot label or a secret manager's reference
_REFERENCE = re.compile(r"^[A-Za-z][\w-]{0,30}:[\w.-]+(?:/[\w.-]+)+$")
_PREFIXED_TOKEN = re.compile(r"^[a-z]{2,6}[-_](?:(?:live|test|prod|dev)[-_])?[A-Za-z0-9]{4,}$")
_LETTER_RUN = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")


def _reads_as_words(value: str) -> bool:
    """Typed from words a person would pick (`supersecret`, `Harbor2291`), not random letters that
    happen to split into rare short words (`iriksuds` = i + rik + suds)."""
    for run in _LETTER_RUN.findall(value):
        words = split_words(run.lower())
        if words is not None and len(words) >= 3 and sum(map(len, words)) / len(words) < 4:
            return False
    return True


_USER_VALUE = re.compile(r"(?i)\b(?:user(?:name)?|login|uid|user_?id)[\"']?\s*[:=]\s*[\"']?([^\s\"',;&]+)")


def _same_as_user(value: str, line: str) -> bool:
    return any(m.group(1) == value for m in _USER_VALUE.finditer(line))


@lru_cache(maxsize=1024)
def _path_words(path: str) -> frozenset[str]:
    # `argo-cd/` is also `argocd`: a project spells its name with and without the hyphen
    joined = [re.sub(r"[-_.]", "", part).lower() for part in path.split("/")[:-1]]
    return frozenset([*(w for w in word_parts(path) if len(w) >= 4), *(j for j in joined if len(j) >= 4)])


def _named_after_path(value: str, path: str) -> bool:
    """Spelled from the names of the folders and file it sits in (and role words), with a
    counting number at most: `gitea` under gitea-postgres/, `acme1234` under charts/acme/."""
    runs = _LETTER_RUN.findall(value)
    if not runs or not all(d.isdigit() and _TRIVIAL_DIGITS.match(d) for d in re.findall(r"[^A-Za-z]+", value)):
        return False
    words = _path_words(path)
    return any(r.lower() in words for r in runs) and all(
        r.lower() in words or r.lower() in value_shapes.TRIVIAL_PASSWORD_WORDS for r in runs)


_JSON_STRING = re.compile(r'\\?"(?P<v>[A-Za-z0-9_\-+/=.]{20,200})\\?"')


def _inside_json(value: str, offset: int) -> Hit | None:
    """A secret name given a JSON document (`"Apitoken": "{\\"k\\": \\"...\\"}"`): the clearly
    generated string inside is the secret; ids, words and digests inside are not."""
    for inner in _JSON_STRING.finditer(value):
        v = inner.group("v")
        if filters.is_hash_or_digest(v) or _HEXISH.match(v):
            continue
        confidence = score_value(v, "strong", quoted=True, kind="config", key="token")
        if confidence is not None and confidence >= 0.8 and any(c.isdigit() for c in v):
            start = offset + inner.start("v")
            return Hit(secret=v, start=start, end=start + len(v), confidence=min(confidence, 0.8), key="token")
    return None


_HEXISH = re.compile(r"^[0-9a-fA-F]+$")
_DIGEST_QUALIFIER = re.compile(r"(?i)(?:checksum|sha\d*|hash|digest)/$")


def _matches(regex: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    """`regex.finditer(text)`, plus the matches that start inside a match's value when that
    value names a secret (`# old creds: password = "..."`: `creds:` is given `password`).
    finditer keeps the common case at C speed; the rescan is for the rare nested pair."""
    for m in (_assignments(text) if regex is _ASSIGN else regex.finditer(text)):
        yield m
        start = _value_start(m)
        if start < m.end() and _WORD_RE.search(text, start, m.end()):
            inner = regex.search(text, max(m.start() + 1, start), m.end() + 400)
            if inner is not None:
                yield inner


def _assignments(text: str) -> Iterator[re.Match[str]]:
    r"""Exactly `_ASSIGN.finditer(text)`, tried only where a key can start.

    A key is a run of key characters (`[\w.$@-]`) holding a secret word, and it starts at
    the run's start or just after a `.` in it (the lookbehind refuses the rest). finditer
    tries every position, each time expanding the lazy key over the whole token; here the
    regex is only asked at those starts before each secret word, in order, so the first
    match found is the leftmost one finditer would report."""
    # ASCII text lower-cased keeps every offset, and a case-sensitive search is several
    # times faster than an IGNORECASE one; other text keeps the caseless pattern (Unicode folding)
    folded = text.lower() if text.isascii() else None
    pos = 0  # no match starts before pos
    while True:
        word = _WORD_RE.search(text, pos) if folded is None else _WORD_FOLDED.search(folded, pos)
        if word is None:
            return
        run = word.start()
        while run > pos and (text[run - 1].isalnum() or text[run - 1] in "_.$@-"):
            run -= 1
        found = None
        for start in [run, *(i + 1 for i in range(run, word.start()) if text[i] == ".")]:
            found = _ASSIGN.match(text, start)
            if found is not None:
                break
        if found is None:
            pos = word.start() + 1
            continue
        yield found
        pos = found.end()  # never empty: a key holds a word


def _value_start(m: re.Match[str]) -> int:
    for group in ("qv", "uv", "qv2"):
        if group in m.re.groupindex and m.group(group):
            return m.start(group) - (1 if group != "uv" else 0)
    return m.end()


_STAND_IN_WORDS = re.compile(
    r"(?i)invalid|fake|dummy|example|sample|placeholder|bogus|wrong|expired|revoked|mock|unauthori[sz]ed")
_PROSE_AFTER = re.compile(r"[ \t]+[A-Za-z][\w']*[ \t]+[A-Za-z]")


_COMPARISONS = frozenset(["==", "===", "!=", "!=="])


def _inside_prose_string(line: str, index: int, quote: str) -> bool:
    """Does the quoted string that ends just after the key at `index` hold a sentence (a space
    right before the key, two words or more before that since the opening quote)? A short label
    (`"Admin password": ...`) is still a key."""
    if index == 0 or line[index - 1] != " ":
        return False
    opened = line.rfind(quote, 0, index)
    return opened >= 0 and len(line[opened + 1:index].split()) >= 2


def _inside_template_action(line: str, index: int) -> bool:
    """Is `index` inside a `{{ ... }}` action (Go/Helm, Jinja) that opens on this line?"""
    opened = line.rfind("{{", 0, index)
    return opened >= 0 and line.find("}}", opened, index) < 0


def line_starts_with(line: str, index: int) -> bool:
    """Only whitespace, list markers or comment markers before `index`."""
    return not line[:index].strip(" \t-*#/>;")


class GenericRule(Rule):
    """One rule object per class of name (passwords; other secrets)."""

    def cache_key(self, ctx: LineContext) -> tuple[str, bool, str]:
        """Everything `find` reads of its context: the engine asks once per distinct key
        (generated code and API descriptions repeat the same lines across files)."""
        return ctx.kind, _is_i18n_path(ctx.path), ctx.line

    def find(self, ctx: LineContext) -> Iterator[Hit]:
        line = ctx.line
        seen_secrets: list[str] = []
        seen: set[tuple[int, int]] = set()
        variants = [ctx]
        if _JOIN_MARK.search(line):
            joined = _CONCAT.sub("", line)
            if joined != line:
                # `"Kq2Zv" + "9LmP4x..."`: a value split to dodge scanners reads as one literal
                variants.append(LineContext(ctx.path, ctx.kind, joined, ctx.buffer, ctx.line_start))
        if '\\"' in line:
            # JSON inside a string literal: `"{\"password\": \"...\"}"`
            unescaped = line.replace('\\"', '"')
            variants.append(LineContext(ctx.path, ctx.kind, unescaped, ctx.buffer, ctx.line_start))
        for variant in variants:
            joined_variant = variant is not ctx and variant.line != line.replace('\\"', '"')
            text = variant.line[:4000]
            folded = text.lower() if text.isascii() else None
            for regex, gate in _SYNTAXES:
                if gate is not None and not _gate_holds(gate, text, folded):
                    continue
                for m in _matches(regex, text):
                    hit = self._hit(m, regex, variant)
                    if hit is None:
                        continue
                    if joined_variant and (hit.confidence < 0.8 or _JOIN_GIVEAWAY.search(hit.secret)):
                        continue  # joined parts must make a clearly generated value, not a test fixture
                    if (hit.start, hit.end) not in seen and all(hit.secret != other for other in seen_secrets):
                        seen.add((hit.start, hit.end))
                        seen_secrets.append(hit.secret)
                        yield hit

    def _hit(self, m: re.Match[str], regex: re.Pattern[str], ctx: LineContext) -> Hit | None:
        gd = m.groupdict()
        key = gd.get("key") or gd.get("key2") or ""
        value_group = next((g for g in ("qv", "uv", "qv2") if gd.get(g)), None)
        if value_group is None:
            return None
        value = gd[value_group]
        if (regex is _CLI and gd.get("user")) or regex is _STATEMENT or regex is _PROSE:
            key = "password"  # the syntax itself says the value is a password
        if "@" in key.lstrip("@"):
            return None  # `user:password@host:3307`: a URL's userinfo, not a key
        name = classify_name(key)
        if name is None or not self._wants(name.strength):
            return None
        if key.startswith("$") and _inside_template_action(ctx.line, m.start()):
            return None  # `{{- $password := printf "%s" .x }}`: a template's own variable, not a value
        if regex is _CLI and (value[:1] in ("-", ">", "<", "|") or key.lower().startswith("no-")):
            return None  # `--no-password --file=...`, `--export-secret-keys >out.gpg`: a switch, then a flag or a redirect
        if regex is _CLI and gd.get("user") and (":" in value or value.isdigit()):
            return None  # `chpst -u postgres:postgres:ssl-cert`, `-u 1000:1000`: a user and its groups
        if _HEXISH.match(value) and _DIGEST_QUALIFIER.search(ctx.line, 0, m.start("key")):
            return None  # `checksum/secrets: <sha256>`: a chart's annotation that rolls pods when a Secret changes
        quoted = value_group != "uv"
        prose = False
        kind = ctx.kind
        if kind == "code" and _COMMENT_LINE.match(ctx.line):
            kind = "doc"  # a comment shows config or shell more often than code
        if regex is _ASSIGN:
            if (gd.get("prefix") or "").lower() == "f" and "{" in value:
                return None  # f-string: a template
            sep = gd["sep"]
            compared_word = (sep in _COMPARISONS and value_group == "uv"
                             and ctx.line[m.end("kq"):m.end("kq") + 1] != "]")  # not `cfg['password'] == ...`
            if gd.get("kq") and (compared_word or _inside_prose_string(ctx.line, m.start(), gd["kq"])):
                # `"passwords"===e.name`: the quoted word is compared, not a key; a quoted sentence
                # ending in the word, then a colon and a value (a minified bundle's message table):
                # the end of a sentence, not a setting
                return None
            if (sep == ":" and not quoted and not any(c.isdigit() for c in value)
                    and _PROSE_AFTER.match(ctx.line, m.end("uv"))):
                return None  # `Pass: no-op when ... is unset`: a sentence goes on after the word
            if sep == ":" and not quoted and kind == "code" and gd.get("kq") == "":
                # `password: str` annotations, `case token:` labels, `{ token: token }` shorthand
                return None
            if value_group == "uv" and gd.get("after") == "&" and gd["sep"] == ":":
                # a YAML scalar may hold `&` (`Rocket&Shadow` in a password); it ends query strings only
                rest = ctx.line[m.end("uv"):].split(None, 1)[0] if ctx.line[m.end("uv"):].strip() else ""
                if rest and not rest.startswith("&&"):
                    value = value + rest
                    gd = {**gd, "after": ""}
            if not quoted and gd.get("after") in {";", "&", '"', "'"} and not (
                    gd.get("after") == ";" and (
                        (_IDENTIFIER.match(value) and word_likeness(value) >= 0.5) or filters.is_number_literal(value))):
                quoted = True  # inside a connection string or a query string
            if not quoted and sep in {"=", ":"} and kind in {"doc", "code"}:
                tight = m.end("key") + len(gd.get("kq") or "") == m.start("sep") and m.end("sep") == m.start("uv")
                env_style = tight and sep == "=" and (kind == "doc" or key.isupper())
                yaml_doc = kind == "doc" and sep == ":" and line_starts_with(ctx.line, m.start("key"))
                if env_style or yaml_doc:
                    kind = "config"
                elif sep == ":" and (ctx.kind == "doc" or (kind == "doc" and name.strength != "password")):
                    # `a long-lived token: JWT/OIDC`: a sentence, not a setting (in a comment,
                    # `admin password: ...` still is one)
                    prose = True
        if regex is _CALL or regex is _CALL_DECODED:
            first = word_parts(key.rsplit(".", 1)[-1])
            if first and first[0] in _CALL_VERBS:
                return None
        strict = regex is _PAIR or regex is _CALL or regex is _CALL_DECODED
        if regex is _PAIR and len(value) < 8 and not any(c.isdigit() for c in value):
            return None  # `("password", "netrc")`: a tuple of short names
        if regex is _PAIR and ctx.line[:m.start()].rstrip().endswith(","):
            return None  # `"md5", "password", "scram-sha-256"`: the middle of a list of words, not a pair
        if regex is _PAIR:
            call = _CALL_BEFORE.search(ctx.line[:m.start()])
            if call and word_parts(call.group(1))[:1] and word_parts(call.group(1))[0] in _PAIR_CALL_VERBS:
                return None  # `HashPassword("password", "<salt>")`: arguments of a check or hash
        confidence = score_value(value, name.strength, quoted=quoted, kind=kind, key=key, strict=strict)
        if confidence is None:
            if quoted and name.strength != "weak" and value.lstrip().startswith("{"):
                return _inside_json(value, m.start(value_group))
            return None
        if prose and confidence < 0.7:
            return None
        if _is_i18n_path(ctx.path) and (not any(c.isdigit() for c in value) or randomness(value) < 0.5):
            return None  # translation catalogues: a `secret` entry is the word for it in some language
        if confidence < 0.8 and _EXAMPLE_BEFORE.search(ctx.line[:m.start()]):
            confidence = min(confidence, 0.3)  # `# Example password: ...`: documentation shows a shape
        if name.strength == "password" and _same_as_user(value, ctx.line):
            confidence = min(confidence, 0.3)  # `user=gorm password=gorm`: a throwaway example
        if name.strength == "password" and _named_after_path(value, ctx.path):
            confidence = min(confidence, 0.3)  # `gitea` in gitea-postgres/compose.yaml: the project's name as a default
        start = m.start(value_group)
        if value[:1] in "-=" and regex is _ASSIGN and ctx.line[max(0, m.start() - 2):m.start()] == "${":
            value, start = value[1:], start + 1  # `${SECRET:-<default>}`: the default, without the `-`
        end = start + len(value)
        return Hit(secret=value, start=start, end=end, confidence=confidence, key=key)

    def _wants(self, strength: str) -> bool:
        return (strength == "password") == (self.id == "generic-password")


class AuthorizationHeaderRule(Rule):
    def find(self, ctx: LineContext) -> Iterator[Hit]:
        for m in self.compiled.finditer(ctx.line[:4000]):
            scheme = m.group("scheme").lower()
            value = m.group("secret")
            if filters.drop_reason(value) is not None or filters.is_reference(ctx.line[m.start("secret"):]):
                continue
            if _STAND_IN_WORDS.search(value) or value_shapes.is_trivial_password(value):
                continue  # `Bearer ol_rat_invalidtoken`, `test-default-token`: a test's stand-in for a token
            if scheme == "basic":
                decoded = _decode_basic(value)
                if decoded is None:
                    continue
                _user, _, pw = decoded.partition(":")
                if len(pw) < 3 or filters.drop_reason(pw) is not None:
                    continue
                confidence = 0.9
            else:
                if scheme != "bearer" and "authoriz" not in ctx.line.lower():
                    continue
                if len(value) < 16 or (randomness(value) < 0.5 and shannon_entropy(value) < 3.0):
                    continue
                confidence = 0.85
            yield Hit(secret=value, start=m.start("secret"), end=m.end("secret"), confidence=confidence)


RULES: list[Rule] = [
    GenericRule(
        id="generic-password",
        description="Password given a literal value (assignment, config key, argument, flag or XML element)",
        severity="high",
        tags=("generic", "password"),
        prefilter=generic_prefilters.PASSWORD,
        code_prefilter=generic_prefilters.PASSWORD_CODE,
        pattern=r"(?i)pass",
        must_match=(
            'DB_PASSWORD = "{alnum:14}"',
            "password: {alnum:12}",
            '"password": "{alnum:10}"',
            "connect(host='db', password='{alnum:12}')",
            "spring.datasource.password={alnum:12}",
            "<password>{alnum:12}</password>",
            '<add key="SmtpPassword" value="{alnum:12}" />',
            "mysqladmin --password={alnum:12} status",
            'curl -u admin:{alnum:12} https://ci.internal/api',
            'Server=db;User Id=sa;Password={alnum:12};',
            "user.setPassword(\"{alnum:12}\");",
            'if (password == "{alnum:10}") {',
            "$db_pass = '{alnum:12}';",
            'os.environ["DB_PASSWORD"] = "{alnum:12}"',
            # weak but chosen passwords are still committed credentials
            'DB_PASSWORD = "{lit:supersecret123}"',
            'existing_password = "{alnum:12}"',
            'POSTGRES_PASSWORD = "{lit:gitea2024x}"',
            'password = "{lit:Summer2024!}"',
            "password: {lit:Sup3rS3cretDbPassw0rd9}",
            '# old creds: password = "{lit:hunter2go}"',
            "-- admin password: {lit:SummerMarble5192}",
            "openssl pkcs12 -export -passout pass:{alnum:12}",
            "password = os.environ.get('ADMIN_PASSWORD', '{alnum:10}')",
            'password="{lit:yeelnolimn}"',  # random letters that split only into rare short words
            "The staging database password is `{lit:garden5517}`.",
            "  password: {lit:Rocket&Shadow8094}",
        ),
        must_not_match=(
            "password = os.environ['DB_PASSWORD']",
            'password = "${DB_PASSWORD}"',
            "password: {{ .Values.db.password }}",
            'password = "changeme"',
            'PASSWORD_FIELD = "password"',
            "password_length = 12",
            "def login(username: str, password: str) -> bool:",
            'label = "Enter your password"',
            '"password": "Mot de passe"',
            "password = get_password()",
            "password = self.password",
            "passwordInput.type = 'password'",
            'password = "<your-password>"',
            "password: '********'",
            'bypass_cache = "x8Kq2Zv9LmP4"',
            'password_hash = "{hex:64}"',
            "password = request.form['password']",
            "const { password } = req.body;",
            "PASSWORD=$DB_PASSWORD",
            "password: !vault |",
            'password = f"{prefix}{suffix}"',
            'password = "DB_PASSWORD"',
            "valueFrom: secretKeyRef: password",
            # vendor defaults and placeholders spelled from role words
            'password = "admin123"',
            'password = "Test@12345"',
            'MINIO_ROOT_PASSWORD = "minio123"',
            'zabbix_password = "zabbix123"',
            'password = "mypassword1"',
            "password: hunter",
            # names, variables, sources and code, not values
            "$password = $this->getEnv('SSH_PASSWORD');",
            "this.adminPassword = adminPassword;",
            '"GetPasswordData": "ec2:GetPasswordData",',
            "hash, err := HashPassword(\"password\", \"{alnum:16}\", 50000)",
            '"owasp-password-strength-test": "~1.3.0"',
            "openssl enc -aes-256-cbc -pass file:/run/secrets/key",
            "config.reset_password_within = 2.hours",
            "password_encryption = 'scram-sha-256'",
            'mysql_root_password="$RANDOM$RANDOM"',
            "# Example password: correct-horse-7",
            'The password is "required" for every account.',
            # templates, patterns, switches, hashes, dates and prose seen in real charts and scripts
            '{{- $rootPassword := printf "%s.rootPassword" $prefix -}}',
            "local password=$(grep -oP '^password=\\K.+' \"$1\")",
            'pg_dumpall --no-password --file="${{DIR}}/dump.sql"',
            'echo "Pass: no-op when CA_BUNDLE is unset"',
            "// clients are identified by having a null owner",
            'adminPasswordMtime = "2006-01-02T15:04:05Z"',
            "htpasswd = 'registry:$2y$10${b64:53}'",
            'redis_password = "cmVkaXMK"',  # base64 of a vendor default
            '# METHOD can be "trust", "reject", "md5", "password", "scram-sha-256",',
            "gpg --export-secret-keys >~/.gnupg/secring.gpg",
        ),
        standard_filters=False,
        priority=30,
    ),
    GenericRule(
        id="generic-secret",
        description="Secret, token, API key or other key given a literal, random-looking value",
        severity="high",
        tags=("generic", "secret"),
        prefilter=generic_prefilters.SECRET,
        code_prefilter=generic_prefilters.SECRET_CODE,
        pattern=r"(?i)secret|token|key",
        must_match=(
            'API_KEY = "{alnum:32}"',
            "client_secret: {alnum:40}",
            '"apiKey": "{b64url:39}"',
            "SECRET_KEY='{b64:50}'",
            "const accessToken = '{alnum:40}';",
            "headers = {{'X-Api-Key': '{hex:32}'}}",
            "signing_key = \"{b64:44}\"",
            "app.config['SECRET_KEY'] = '{hex:48}'",
            "auth_token={alnum:32}",
            "curl https://api.internal/v1/items?api_key={alnum:32}",
            "--token {alnum:40}",
            'encryptionKey := "{b64:44}"',
            "<secret>{alnum:24}</secret>",
            'API_KEY = "{lit:sk-live-abc123}"',
            'const token = "{alnum:5}" + "{alnum:27}";',
            "$secret = '{alnum:6}' . '{alnum:26}';",
            "RECAPTCHA_SECRET_KEY=6L{b64url:38}",
            '"Apitoken": "{\\"app\\": \\"billing\\", \\"key\\": \\"{lowernum:32}\\"}",',
            'cookieRememberMeManager.setCipherKey(Base64.decode("{b64:22}=="));',
            '"TextEncryptionKey": "{uppernum:24}"',
            "SECRET_KEY = '{lit:l5_)vi9y!hl0!_s26#hwp**ifq7&a6pf%3bb(#4^#^0s_75!$_}'",
            '"jsapi_ticket": "{b64url:86}",',
            '"access_token": "{hex:8}-{hex:4}-{hex:4}-{hex:4}-{hex:12}",',
            "query = 'oauth_token={lowernum:16}&oauth_token_secret={lowernum:16}'",
            'ceph_key = "{b64:38}=="',
        ),
        must_not_match=(
            'token_url = "https://auth.example.com/token"',
            'public_key = "{b64:44}"',
            'secret_name = "prod-db-credentials"',
            'SECRET_KEY = os.getenv("SECRET_KEY")',
            "token: ${GITHUB_TOKEN}",
            'api_key = "your-api-key-here"',
            "mapboxgl.accessToken = 'pk.eyJ1IjoiYWNtZSIsImEiOiJ{b64url:20}In0.{b64url:22}';",
            '<div class="g-recaptcha" data-sitekey="6L{b64url:38}"></div>',
            "RECAPTCHA_SITE_KEY=6L{b64url:38}",
            "### CI without a long-lived token: JWT/OIDC",
            '"access_token": "eyJaccess",',
            'const string expectedAccessToken1 = "LET_ME_IN-1";',
            "private static final long PERSISTENT_STORE_KEY = 0x{hex:16}L;",
            'jwt-secret = "@/dev/stdin"',
            "<Password>*SENSITIVE*DATA*DELETED*</Password>",
            'key = "name"',
            "secretKeyRef:",
            'integrity="sha512-{b64:86}=="',
            'token_type = "bearer"',
            'csrf_token = "{hex:8}-{hex:4}-{hex:4}-{hex:4}-{hex:12}"',
            'cache_key = "user_profile_settings"',
            "tokenizer = AutoTokenizer.from_pretrained('bert')",
            "monkey = 'abcdefghijkl1234567890'",
            'key: "my.app.setting.name"',
            '"sha256": "{hex:64}"',
            # references: warden's own slot labels, a secret manager's path
            '"secret": "dev:api/TOKEN_TTL",',
            'secret = "vault:kv/billing/db-password"',
            # label keys, version ranges, lookup keys, Secret names, fixtures and encoded examples
            'key = "kubernetes.io/e2e-az-name"',
            '"@aws-sdk/credential-provider-node": "npm:^3.972.80"',
            'idempotency_key = "{alnum:16}"',
            'existingSecret = "release-elasticsearch-coordinating-crt"',
            'api_key = "keyinfo_test_123"',
            'api_key = "fake-token-1"',
            'card = {{"token": "tok_visa"}}',
            'apiToken = "87654321-432104321-4321-210987654321"',
            'secret = "ZXhhbXBsZS1hcHAtc2VjcmV0"',
        ),
        standard_filters=False,
        priority=20,
    ),
    AuthorizationHeaderRule(
        id="authorization-header",
        description="HTTP Authorization header with a literal Bearer, Basic or token credential",
        severity="high",
        tags=("generic", "http"),
        prefilter=r"(?i)(?:bearer|basic|token|apikey|api-key|sso-key)\s+[A-Za-z0-9._~+/\-]{8}",
        pattern=r"(?i)\b(?P<scheme>bearer|basic|token|apikey|api-key|sso-key)\s+(?P<secret>[A-Za-z0-9._~+/\-]{8,}+=*+)(?![{$<%\w])",
        must_match=(
            "Authorization: Bearer {alnum:40}",
            "curl -H 'Authorization: Basic {basicauth:12}' https://x.internal",
            "Authorization: token {hex:40}",
        ),
        must_not_match=(
            "Authorization: Bearer ${TOKEN}",
            "Authorization: Bearer <token>",
            'headers["Authorization"] = "Bearer " + token',
            "Authorization: Basic dXNlcjpwYXNzd29yZA==",
            "the basic idea behind this approach",
            'Authorization: "Bearer ol_rat_invalidtoken"',
        ),
        standard_filters=False,
        priority=40,
    ),
]
