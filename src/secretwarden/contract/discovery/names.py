"""Small heuristics about names: which to ignore, which look secret, which are plain config.

They only look at the name. They decide three things: a name on the
well-known list is dropped (the OS and runtimes own it); a weak hit (shell)
survives only if the name looks secret; and a scaffolded key gets
`sensitive: false` when its last word says it is plain configuration.
"""

from __future__ import annotations

import re


def _word_set(text: str) -> frozenset[str]:
    """A set from a whitespace-separated list: easier to read and extend than a literal."""
    return frozenset(text.split())


# Variables the OS, the shell, CI runners or language runtimes set: never
# something a team keeps in a secret store.
WELL_KNOWN_NON_SECRET = _word_set(
    """
    HOME PATH USER USERNAME LOGNAME SHELL PWD OLDPWD TERM COLORTERM LANG LANGUAGE TZ
    TMPDIR TMP TEMP HOSTNAME HOSTTYPE OSTYPE MACHTYPE EDITOR VISUAL PAGER DISPLAY MAIL
    SHLVL IFS PS1 PS2 PS4 UID EUID PPID RANDOM SECONDS LINENO FUNCNAME REPLY OPTARG
    OPTIND PIPESTATUS DIRSTACK GROUPS HISTFILE HISTSIZE COLUMNS LINES SUDO_USER SUDO_UID
    CI NODE_ENV NODE_OPTIONS NODE_PATH PYTHONPATH PYTHONUNBUFFERED
    PYTHONDONTWRITEBYTECODE PYTHONHASHSEED VIRTUAL_ENV GOPATH GOROOT GOOS GOARCH GOFLAGS
    CGO_ENABLED JAVA_HOME JAVA_OPTS DEBIAN_FRONTEND SSH_AUTH_SOCK SSH_AGENT_PID
    SystemDrive SystemRoot SYSTEMROOT windir WINDIR ProgramFiles PROGRAMFILES ProgramData PROGRAMDATA
    APPDATA LOCALAPPDATA USERPROFILE COMSPEC ComSpec PATHEXT HOMEDRIVE HOMEPATH USERDOMAIN COMPUTERNAME
    NUMBER_OF_PROCESSORS PROCESSOR_ARCHITECTURE
    """
)
WELL_KNOWN_PREFIXES: tuple[str, ...] = ("XDG_", "LC_", "BASH_", "npm_", "RUNNER_")

# Words that make a name look like a credential.
SECRET_WORDS = _word_set(
    """
    SECRET SECRETS TOKEN TOKENS KEY KEYS APIKEY PASSWORD PASSWORDS PASSWD PASS
    PASSPHRASE CREDENTIAL CREDENTIALS CREDS AUTH PRIVATE CERT CERTIFICATE DSN SALT
    PEPPER SIGNING WEBHOOK SID HMAC JWT BEARER OAUTH SESSION COOKIE ENCRYPTION
    """
)
# A URL of one of these usually carries a user and password.
CONNECTION_WORDS = _word_set(
    """
    DATABASE DB REDIS MONGO MONGODB POSTGRES POSTGRESQL PG MYSQL AMQP RABBITMQ BROKER
    SMTP MARIADB MSSQL SQL SQLALCHEMY CLICKHOUSE ELASTICSEARCH ELASTIC OPENSEARCH KAFKA
    NATS MEMCACHED CASSANDRA NEO4J COUCHDB CELERY LDAP SFTP FTP MQTT RESULT BACKEND
    """
)
# Last words that mark plain configuration (a TTL, a port, a URL).
PLAIN_LAST_WORDS = _word_set(
    """
    TTL PORT URL URI HOST HOSTNAME LEVEL TIMEOUT REGION BUCKET NAME MODE DEBUG ENABLED
    DISABLED ENV ENVIRONMENT PERCENT POLICY CHANNEL COUNT SIZE LIMIT MAX MIN DIR PATH
    EMAIL NUMBER PHONE VERSION ORIGIN ORIGINS DOMAIN ENDPOINT LOCALE LANGUAGE TIMEZONE
    INTERVAL DELAY RETRIES WORKERS THREADS FORMAT CURRENCY DAYS HOURS MINUTES SECONDS
    PREFIX QUEUE TOPIC ADDR ADDRESS
    ID IDS FILE FILES ACL STYLE METHOD CSP ROLES SCOPE SCOPES CLAIM SSLMODE HEADER HEADERS WINDOW
    MULTIPLIER REQUESTS CONCURRENCY DOMAINS DEPLOYMENT PROVIDER TRUSTED ACTIONS THEME COLOR TITLE
    """
)
# First words that make a name a switch whatever it mentions: `FORCE_HTTPS`,
# `ENABLE_UPDATES`, `ALLOW_EMPTY_PASSWORD`.
SWITCH_FIRST_WORDS = _word_set("ENABLE DISABLE ALLOW FORCE USE SKIP")

_WORD_SPLIT = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])")


def words(name: str) -> list[str]:
    """`STRIPE_SECRET_KEY` and `stripeSecretKey` both give STRIPE, SECRET, KEY."""
    return [w.upper() for w in _WORD_SPLIT.split(name) if w]


def is_well_known(name: str) -> bool:
    return name in WELL_KNOWN_NON_SECRET or name.startswith(WELL_KNOWN_PREFIXES)


def _is_connection_url(parts: list[str]) -> bool:
    """`DATABASE_URL`, `CELERY_BROKER_URL`, `MONGO_URI`, `DB_CONNECTION_STRING`: they carry a user and password."""
    if len(parts) >= 2 and parts[-2:] in (["CONNECTION", "STRING"], ["CONN", "STR"], ["CONNECTION", "URL"]):
        return True
    return bool(parts) and parts[-1] in {"URL", "URI", "DSN"} and bool(CONNECTION_WORDS & set(parts))


# Words that make a secret-ish name a switch or a measure: `MYSQL_ALLOW_EMPTY_PASSWORD`,
# `CASSANDRA_NUM_TOKENS`, `KEY_CACHE_SIZE_IN_MB`, `SESSION_TIMEOUT`.
NOT_A_VALUE_WORDS = _word_set(
    """
    ALLOW ENABLE ENABLED DISABLE DISABLED SKIP USE NUM MAX MIN COUNT SIZE LENGTH LEN MB KB GB BYTES
    TTL TIMEOUT EXPIRY EXPIRES AGE INTERVAL ROTATION DAYS HOURS MINUTES SECONDS MS
    """
)


def looks_secret(name: str) -> bool:
    parts = words(name)
    if _is_connection_url(parts):
        return True
    if NOT_A_VALUE_WORDS & set(parts):
        return False
    return bool(SECRET_WORDS & set(parts))


def looks_plain(name: str) -> bool:
    """True for names that read as plain configuration (scaffolded `sensitive: false`).

    The last word decides (`AUTH_ACCESS_TOKEN_TTL` is a TTL), except that
    connection URLs and webhook URLs carry credentials.
    """
    parts = words(name)
    if len(parts) >= 2 and parts[0] in SWITCH_FIRST_WORDS:
        return True
    if not parts or parts[-1] not in PLAIN_LAST_WORDS:
        return False
    if _is_connection_url(parts) or "WEBHOOK" in parts:
        return False
    if parts[-1] in {"ID", "IDS"} and SECRET_WORDS & set(parts):
        return False  # `AWS_ACCESS_KEY_ID`: the id of a key pair travels with its secret
    return parts[-1] not in SECRET_WORDS
