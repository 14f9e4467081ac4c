"""Credentials embedded in URLs: database and broker URLs, and any other scheme's userinfo."""

from __future__ import annotations

import re
from urllib.parse import unquote

from secretwarden.findings import value_shapes
from secretwarden.findings.value_shapes import word_likeness
from secretwarden.scan import filters
from secretwarden.scan.rules.base import HIGH, LOW, MEDIUM, LineContext, Rule

DB_SCHEMES = re.compile(
    r"(?i)^(?:jdbc:)?(?:postgres(?:ql)?|pg|mysql|mariadb|mongodb(?:\+srv)?|redis|rediss|valkey|amqps?|"
    r"rabbitmq|mssql|sqlserver|oracle|cockroach(?:db)?|clickhouse|cassandra|neo4j(?:\+s)?|bolt|nats|"
    r"kafka|couchdb|couchbase|memcached|db2|snowflake|presto|trino|influxdb|elasticsearch|opensearch|"
    r"sqlalchemy|timescaledb|firebird|sybase|hana|vertica|stomp|mqtts?|zookeeper)(?:\+[\w]+)*$"
)

_URL = (
    r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]{1,30}(?::[A-Za-z][A-Za-z0-9+.\-]{1,20})?)://"
    r"(?P<user>[^\s:@/\"'<>(){}\[\]]{0,100}):(?P<secret>[^\s@/\"'<>]{1,200})@(?P<host>[\w\-\[\]%]+[\w.\-\[\]%:]*)"
)
_PORT_THEN_FRAGMENT = re.compile(r"^\d{1,5}[#?]")
_NAMED_STAND_IN = re.compile(r"^[A-Z]+(?:_[A-Z]+)*_?(?:TOKEN|PASSWORD|PASS|PWD|SECRET|KEY|PAT)(?:_[A-Z]+)*$")
_PREFILTER = r"[A-Za-z][A-Za-z0-9+.\-]{1,30}://[^\s:@/\"'<>]{0,100}:[^\s@/\"'<>]{1,200}@"


def _password_ok(secret: str, m: re.Match[str]) -> bool:
    pw = unquote(secret).lstrip("`")  # PowerShell escapes `$` with a backtick inside strings
    if _PORT_THEN_FRAGMENT.match(secret):
        return False  # `host:80#@evil`: a port, then a fragment or query: there is no userinfo
    if len(pw) < 3 or filters.drop_reason(pw) is not None or "{" in pw or "}" in pw:
        return False
    if pw.lower() in {m.group("user").lower(), "pass", "pwd", "secret", "password"}:
        return False
    if _NAMED_STAND_IN.match(pw):
        return False  # `https://USERNAME:PERSONAL_ACCESS_TOKEN@github.com`: the name of what goes there
    # `user:{pw}@` already excluded as a reference; `:port@`? ports are numbers after the host
    return not (pw.startswith("$") or (pw.startswith("%") and not re.match(r"%[0-9A-Fa-f]{2}", pw)))


def _typed_confidence(secret: str, otherwise: float) -> float:
    """Role and default words (`test_password_123`, `admin1`) or a bare word: an example more
    often than not. Words with digits or symbols (`Harbor2291!`): a chosen, weak password."""
    pw = unquote(secret)
    if value_shapes.is_trivial_password(pw):
        return LOW
    if word_likeness(pw) >= 0.8:
        return 0.6 if len(pw) >= 6 and any(not c.isalpha() for c in pw) else LOW
    return otherwise


def _db_check(secret: str, m: re.Match[str], ctx: LineContext) -> float | None:
    if not DB_SCHEMES.match(m.group("scheme")) or not _password_ok(secret, m):
        return None
    return _typed_confidence(secret, HIGH)


def _other_check(secret: str, m: re.Match[str], ctx: LineContext) -> float | None:
    if DB_SCHEMES.match(m.group("scheme")) or not _password_ok(secret, m):
        return None
    host = m.group("host").lower()
    if host in {"example.com", "example.org", "host", "hostname", "domain.com"}:
        return None
    return _typed_confidence(secret, MEDIUM)


def _dsn_check(secret: str, m: re.Match[str], ctx: LineContext) -> float | None:
    if not _password_ok(secret, m):
        return None
    return _typed_confidence(secret, HIGH)


RULES = [
    Rule(
        id="database-url",
        description="Database or message-broker URL with an embedded password",
        severity="critical",
        tags=("database", "url"),
        prefilter=_PREFILTER,
        pattern=_URL,
        must_match=(
            "DATABASE_URL=postgres://app:{alnum:16}@db.internal:5432/app",
            "mongodb+srv://admin:{alnum:12}@cluster0.abcde.mongodb.net/test",
            'url = "redis://:{alnum:20}@cache:6379/0"',
            "amqp://guest:{alnum:10}@rabbit:5672/",
            "jdbc:mysql://root:{alnum:10}@localhost:3306/shop",
            "BROKER_URL = 'amqp://worker:{lit:Crystal$Orange7890}@rabbit.internal:5672/jobs'",
            "MONGO_URL=mongodb+srv://admin:{lit:harbormarble9894}@cluster0.q1w2e.mongodb.net/prod",
        ),
        must_not_match=(
            "postgres://app:${DB_PASSWORD}@db:5432/app",
            "postgres://user:password@localhost/db",
            "postgres://{user}:{password}@{host}/{db}",
            "postgres://app@db:5432/app",
            "mysql://root:<password>@localhost/db",
            "postgres://app:admin123@localhost/app",
            "redis://:test_password_1@localhost:6379",
        ),
        check=_db_check,
        standard_filters=False,
        priority=70,
    ),
    Rule(
        id="url-credentials",
        description="URL with a password in its userinfo (https://user:password@host)",
        severity="high",
        tags=("url", "basic-auth"),
        prefilter=_PREFILTER,
        pattern=_URL,
        must_match=(
            "git clone https://deploy:{alnum:20}@git.corp.internal/repo.git",
            "smtp://mailer:{alnum:14}@smtp.mailhost.net:587",
            "curl https://ci:{lit:WinterVelvet5400}@jenkins.corp.internal/job/build",
        ),
        must_not_match=(
            "https://user:pass@example.com/",
            "https://github.com/org/repo",
            "ftp://anonymous:$FTP_PASS@ftp.host.net",
            "http://google.com:80#@allowed.example.net/",
            "clone with `https://USERNAME:PERSONAL_ACCESS_TOKEN@github.com/USERNAME/REPOSITORY`",
        ),
        check=_other_check,
        standard_filters=False,
        priority=65,
    ),
    Rule(
        id="database-dsn",
        description="Go MySQL driver DSN with a password (user:password@tcp(host)/db)",
        severity="critical",
        tags=("database", "url"),
        prefilter=r"@(?:tcp|unix|udp)\(",  # a literal: the pattern confirms the rest
        pattern=r"(?<![\w/:.-])(?P<user>[\w.\-]{1,64}):(?P<secret>[^\s@/\"'`]{1,200})@(?:tcp|unix|udp)\(",
        must_match=(
            'dsn := "app:{alnum:16}@tcp(mysql.internal:3306)/shop?parseTime=true"',
            "DSN=root:{lit:OrangeVelvet7685}@tcp(127.0.0.1:3306)/app",
        ),
        must_not_match=(
            'dsn := "app:${DB_PASSWORD}@tcp(mysql:3306)/shop"',
            'dsn := fmt.Sprintf("%s:%s@tcp(%s)/%s", user, pass, host, db)',
            'dsn := "root:password@tcp(localhost:3306)/test"',
        ),
        check=_dsn_check,
        standard_filters=False,
        priority=70,
    ),
]
