"""Credentials in dotfiles whose syntax has no `=`: `.netrc` / `_netrc` entries."""

from __future__ import annotations

import re
from collections.abc import Iterator

from secretwarden.scan.rules.base import Hit, LineContext, Rule

_NETRC_NAMES = (".netrc", "_netrc", "netrc", ".authinfo")
# `password` alone on its line only counts inside a netrc file; after `machine` anywhere.
_LONE = re.compile(r"^\s*password\s+(?P<secret>\S{3,200})\s*$")


class NetrcRule(Rule):
    def find(self, ctx: LineContext) -> Iterator[Hit]:
        from secretwarden.scan.rules.generic import score_value

        line = ctx.line[:4000]
        matches = list(self.compiled.finditer(line))
        name = ctx.path.rsplit("/", 1)[-1].lower()
        if not matches and (name in _NETRC_NAMES or name.endswith(".netrc")):
            lone = _LONE.match(line)
            matches = [lone] if lone else []
        for m in matches:
            value = m.group("secret")
            confidence = score_value(value, "password", quoted=True, kind="config", key="password")
            if confidence is not None:
                yield Hit(secret=value, start=m.start("secret"), end=m.end("secret"), confidence=confidence,
                          key="password")


_PGPASS_NAMES = (".pgpass", "pgpass.conf", "pgpass")


class PgpassRule(Rule):
    def find(self, ctx: LineContext) -> Iterator[Hit]:
        from secretwarden.scan.rules.generic import score_value

        if ctx.path.rsplit("/", 1)[-1].lower() not in _PGPASS_NAMES:
            return
        m = self.compiled.match(ctx.line)
        if m is None:
            return
        value = m.group("secret")
        confidence = score_value(value, "password", quoted=True, kind="config", key="password")
        if confidence is not None:
            yield Hit(secret=value, start=m.start("secret"), end=m.end("secret"), confidence=confidence,
                      key="password")


RULES: list[Rule] = [
    NetrcRule(
        id="netrc-password",
        description="Password in a .netrc / _netrc entry (machine ... login ... password ...)",
        severity="high",
        tags=("password", "netrc"),
        prefilter=(r"\bmachine\s+\S+\s+(?:login|account|password)\s",
                   r"(?:^|\n)[ \t]*password[ \t]+\S"),
        pattern=r"\bmachine\s+\S+\s+(?:login\s+\S+\s+)?(?:account\s+\S+\s+)?password\s+(?P<secret>\S{3,200})",
        must_match=(
            "machine api.heroku.com login deploy password {alnum:16}",
            "machine git.corp.internal login ci password {lit:Harbor!Glass2291}",
        ),
        must_not_match=(
            "machine example.com login user password changeme",
            "machine git.corp.internal login ci password $NETRC_PASSWORD",
            "password reset links expire after one hour",
        ),
        standard_filters=False,
        priority=45,
    ),
    PgpassRule(
        id="pgpass-password",
        description="Password in a PostgreSQL .pgpass entry (host:port:database:user:password)",
        severity="high",
        tags=("password", "database"),
        # `\n` rather than (?m)^ and bounded parts: cheaper for the shared hyperscan pass
        prefilter=r"(?:^|\n)[^\s:#]{1,40}:(?:\d{2,5}|\*):",
        pattern=r"^[^:#\s]+:(?:\d{1,5}|\*):[^:\s]+:[^:\s]+:(?P<secret>\S{3,200})\s*$",
        must_match=("db.internal:5432:billing:app:{alnum:16}",),
        must_not_match=("db.internal:5432:billing:app:changeme",),
        standard_filters=False,
        priority=45,
        example_path="home/app/.pgpass",
    ),
]
