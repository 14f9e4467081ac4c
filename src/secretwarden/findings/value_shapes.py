"""What a value is shaped like: how random it looks, whether it is a password hash or a stand-in.

Shared by the scanner and the linter (both ask whether a value under a secret's
name could be a working credential), so it lives in the findings layer below both.

A secret is chosen by a machine (or by a person trying to look like one); a
label, identifier, example or dictionary password is made of words, which we
recognise with a public-domain word list (`data/words.json`). These functions put numbers on
that difference so that filters and rules can decide with thresholds.
"""

from __future__ import annotations

import json
import math
import re
from functools import lru_cache
from importlib import resources

_WORD_SPLIT = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
_LETTER_RUNS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")

# Words people and programs use that a 1934 dictionary lacks.
_MODERN_WORDS = frozenset(
    ["admin", "administrator", "root", "login", "logon", "logout", "signin", "signup", "username", "userid", "passwd", "pwd", "passw", "pswd", "qwerty", "qwertz", "azerty", "asdf", "asdfgh", "zxcv", "letmein", "changeit", "changeme", "welcome", "secret", "test", "tester", "testing", "demo", "guest", "mysql", "postgres", "postgresql", "redis", "oracle", "mongo", "mongodb", "sqlite", "mariadb", "foo", "bar", "baz", "qux", "quux", "blah", "abc", "xyz", "dev", "prod", "stage", "staging", "api", "app", "apps", "web", "www", "db", "sql", "key", "keys", "token", "auth", "oauth", "sso", "ldap", "http", "https", "url", "uri", "json", "yaml", "xml", "html", "css", "config", "conf", "cfg", "server", "client", "localhost", "email", "mail", "smtp", "ftp", "ssh", "git", "github", "gitlab", "docker", "kube", "aws", "gcp", "azure", "jenkins", "wifi", "internet", "online", "iphone", "android", "linux", "windows", "ubuntu", "debian", "centos", "hello", "world", "pass", "word", "pwd", "user", "users", "super", "temp", "tmp", "default", "sample", "example", "dummy", "fake", "mock", "stub", "local", "remote", "backend", "frontend", "webhook", "cookie", "session", "jwt"]
)
_SHORT_WORDS = frozenset(
    ["a", "i", "an", "as", "at", "be", "by", "do", "go", "hi", "id", "if", "in", "is", "it", "me", "my", "no", "of", "ok", "on", "or", "so", "to", "up", "us", "we", "db", "pw", "os", "ui", "io"]
)


@lru_cache(maxsize=1)
def _lexicon() -> frozenset[str]:
    data = resources.files("secretwarden.findings").joinpath("data/words.json").read_text("utf-8")
    words: list[str] = json.loads(data)["words"].split()
    words.extend(_MODERN_WORDS)  # one set built once (a union would copy 197,000 entries again)
    return frozenset(words)


def warm_lexicon() -> None:
    """Load the word list now (before scan workers are forked, so they share it)."""
    _lexicon()


@lru_cache(maxsize=16384)  # scoring asks again for the same value
def shannon_entropy(value: str) -> float:
    """Bits per character of the value's own character distribution."""
    if not value:
        return 0.0
    n = len(value)
    # counted per distinct character in first-seen order (as Counter would, so the sum is
    # the same float), with str.count in C instead of Counter's Python loop
    return -sum(c / n * math.log2(c / n) for c in map(value.count, dict.fromkeys(value)))


def char_classes(value: str) -> int:
    """How many of lower, upper, digit, other are present (0-4)."""
    lower = upper = digit = other = 0
    for ch in value:
        if ch.islower():
            lower = 1
        elif ch.isupper():
            upper = 1
        elif ch.isdigit():
            digit = 1
        else:
            other = 1
    return lower + upper + digit + other


def word_parts(value: str) -> list[str]:
    """Split identifiers and phrases into lowercase word-ish parts (camel, snake, kebab)."""
    return [p.lower() for p in _WORD_SPLIT.findall(value)]


_SUFFIXES = ("s", "es", "ed", "d", "ing", "er", "ers", "ly", "ies")
_E_DROPPING = frozenset(["ing", "ed", "er", "ers"])


def _in_lexicon(part: str, lexicon: frozenset[str]) -> bool:
    """In the list, or an inflection of a word in it (the 1934 list has few plurals)."""
    if part in lexicon:
        return True
    for suffix in _SUFFIXES:
        if part.endswith(suffix) and len(part) - len(suffix) >= 3:
            stem = part[: -len(suffix)]
            if stem in lexicon or (suffix == "ies" and stem + "y" in lexicon):
                return True
            if suffix in _E_DROPPING and (stem + "e" in lexicon or (stem[-1] == stem[-2] and stem[:-1] in lexicon)):
                return True  # `having` = have + ing, `running` = run + ing
    return False


@lru_cache(maxsize=65536)
def is_words(run: str) -> bool:
    """Can this run of letters be read as dictionary words (`topsecret` = top + secret)?"""
    lexicon = _lexicon()
    n = len(run)
    if n <= 2:
        return run in _SHORT_WORDS
    reachable = [False] * (n + 1)
    reachable[0] = True
    for end in range(1, n + 1):
        for start in range(max(0, end - 12), end):
            if not reachable[start]:
                continue
            part = run[start:end]
            if (len(part) >= 3 and _in_lexicon(part, lexicon)) or part in _SHORT_WORDS:
                reachable[end] = True
                break
    return reachable[n]


def word_likeness(value: str) -> float:
    """Share of the value's letters that read as dictionary words (0..1).

    `databaseConnectionString`, `admin123` and `topsecret` score 1.0;
    `x8Kq2Zv9LmP4` and `nuopheam` 0. Digits and symbols are neutral.
    """
    runs = _LETTER_RUNS.findall(value)
    letters = sum(len(r) for r in runs)
    if letters == 0:
        return 0.0
    wordy = sum(len(r) for r in runs if is_words(r.lower()))
    # Many one- and two-letter runs (`aB3xK9q`) are what random mixed case looks like.
    short = sum(len(r) for r in runs if len(r) <= 2)
    if len(runs) > 1 and short * 2 > letters:
        return min(wordy / letters, 0.3)
    return wordy / letters


@lru_cache(maxsize=16384)  # a pure function of the value; rules score the same value more than once
def randomness(value: str) -> float:
    """One score in 0..1 for 'looks machine-generated', from entropy, classes and length."""
    if not value:
        return 0.0
    n = len(value)
    ent = shannon_entropy(value)
    # The highest entropy a string of this length can show (all characters distinct).
    max_ent = math.log2(min(n, 64)) if n > 1 else 1.0
    ent_score = min(1.0, ent / max(1.0, min(max_ent, 4.5)))
    class_score = (char_classes(value) - 1) / 3
    word_penalty = word_likeness(value)
    length_score = min(1.0, n / 24)
    score = 0.45 * ent_score + 0.25 * class_score + 0.3 * length_score
    return max(0.0, min(1.0, score * (1.0 - 0.6 * word_penalty)))


@lru_cache(maxsize=65536)
def split_words(run: str) -> tuple[str, ...] | None:
    """The fewest dictionary words that spell `run` (lowercase letters), or None."""
    lexicon = _lexicon()
    n = len(run)
    best: list[tuple[str, ...] | None] = [None] * (n + 1)
    best[0] = ()
    for end in range(1, n + 1):
        for start in range(max(0, end - 12), end):
            prefix = best[start]
            if prefix is None:
                continue
            part = run[start:end]
            if (len(part) >= 3 and _in_lexicon(part, lexicon)) or part in _SHORT_WORDS:
                candidate = (*prefix, part)
                current = best[end]
                if current is None or len(candidate) < len(current):
                    best[end] = candidate
    return best[n]


def value_words(value: str) -> list[str] | None:
    """The dictionary words a value is made of (digits and symbols skipped), or None
    when some run of letters is not words (then the value is not typed from words)."""
    words: list[str] = []
    for run in _LETTER_RUNS.findall(value):
        split = split_words(run.lower())
        if split is None:
            return None
        words.extend(split)
    return words


_CRYPT_HASH = re.compile(
    r"^\$(?:2[abxy]?|1|5|6|apr1|md5|sha1|y|gy|7|argon2(?:id|i|d)|scrypt|pbkdf2(?:-sha\d+)?|bcrypt(?:-sha256)?)\$"
    r"|^(?:pbkdf2_sha\d+|bcrypt_sha256|argon2|scrypt)\$|^\{(?:SSHA|SHA|SMD5|MD5|CRYPT|PBKDF2)[^}]*\}"
)


_HTPASSWD_USER = re.compile(r"^[\w.@-]{1,64}:(?=[${])")


def is_password_hash(value: str) -> bool:
    """A stored password hash (bcrypt `$2b$`, crypt `$6$`, argon2, Django `pbkdf2_sha256$`, LDAP `{SSHA}`)."""
    # an htpasswd line names the user first: `admin:$2y$10$...`
    return bool(_CRYPT_HASH.match(value) or _CRYPT_HASH.match(_HTPASSWD_USER.sub("", value, count=1)))


# Words that placeholders, test fixtures and vendors' default accounts are made of:
# `mypassword1`, `admin123`, `test@12345`, `changeme`, `secret_token`. A value
# spelled only from these names a credential's role, not a chosen credential.
TRIVIAL_PASSWORD_WORDS = frozenset(
    ["password", "passwords", "passwd", "pass", "pwd", "pw", "passw", "pword", "passphrase", "secret", "secrets",
     "token", "key", "keys", "api", "apikey", "auth", "credential", "credentials", "creds", "my", "your", "our",
     "the", "a", "some", "any", "new", "old", "example", "sample", "test", "tests", "testing", "tester", "dummy",
     "fake", "mock", "demo", "change", "changeme", "changeit", "me", "it", "default", "here", "foo", "bar",
     "baz", "qux", "abc", "xyz", "qwerty", "asdf", "letmein", "welcome", "hello", "world", "admin",
     "administrator", "root", "user", "users", "guest", "sa", "postgres", "mysql", "oracle", "redis", "mongo",
     "rabbit", "dev", "local", "localhost", "app", "db", "database", "temp", "tmp", "value", "string", "none",
     "null", "empty", "is", "to", "go", "of", "for", "and", "or", "no", "not", "real", "valid", "invalid",
     "wrong", "bad", "good", "correct", "incorrect", "right", "another", "other", "one", "two", "three",
     # products whose documented default accounts are their own name (`minio123`, `Harbor12345`,
     # `elastic`, `zabbix`): a stand-in a deployment is told to override
     "minio", "minioadmin", "elastic", "kibana", "grafana", "jenkins", "keycloak", "sonar",
     "sonarqube", "nexus", "gitea", "airflow", "neo4j", "couchdb", "cassandra", "mariadb", "mssql", "influxdb",
     "rabbitmq", "vagrant", "zabbix", "nagios", "odoo", "bitnami", "docker",
     # how a test or a README describes the stand-in (`SecurePass123!`, `StrongPassword!`)
     "secure", "strong", "weak"])

# `pa$$word`, `p@ssw0rd`, `s3cr3t`: a role word with letters swapped for look-alike symbols
_LEET = str.maketrans("$@0134", "saoiea")
_LEET_CHARS = re.compile(r"[A-Za-z][$@0134]+[A-Za-z]|[A-Za-z]\\*\$|^[$@]")
_ESCAPED_DOLLAR = re.compile(r"\\+\$")
_LEET_INSIDE = re.compile(r"(?<=[A-Za-z])[$@0134]+(?=[A-Za-z])|(?<=[A-Za-z])[$@](?=[$@]*\b)|^[$@](?=[A-Za-z])")


def is_trivial_password(value: str) -> bool:
    """Spelled only from role, placeholder and default-account words, with digits or
    symbols at most (`admin123`, `Test@12345`, `my-secret-password`, `pa$$word`)."""
    if _spelled_from_role_words(value):
        return True
    if len(value) > 20 or not _LEET_CHARS.search(value):
        return False  # look-alike spellings are short typed words; a long token is not one
    unescaped = _ESCAPED_DOLLAR.sub("$", value)  # `pa\$\$word`: the dollars escaped for a shell
    unleet = _LEET_INSIDE.sub(lambda m: m.group(0).translate(_LEET), unescaped)
    return unleet != value and _spelled_from_role_words(unleet)


def _spelled_from_role_words(value: str) -> bool:
    runs = _LETTER_RUNS.findall(value)
    for run in runs:
        word = run.lower()
        if word in TRIVIAL_PASSWORD_WORDS:
            continue  # whole, even when the dictionary lacks it (`minio`, `zabbix`)
        split = split_words(word)
        if split is None or not all(w in TRIVIAL_PASSWORD_WORDS for w in split):
            return False
    return bool(runs)
