"""Passwords on command lines whose flags carry no secret word: `mysql -pSECRET`,
`sshpass -p SECRET`, `redis-cli -a SECRET`, `docker login -p SECRET`.

Long flags (`--password X`) and `PGPASSWORD=X` assignments are the generic
rules' business; this module knows the tools whose *short* flag is a password,
so the flag alone is not a secret word.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from secretwarden.scan.rules.base import Hit, LineContext, Rule

_VALUE = r"(?P<q>['\"]?)(?P<secret>[^\s'\"`;|&<>]{3,200})(?P=q)(?=[\s;|&)]|$)"
# mysql family: `-p` glued to its value (`-p` alone prompts, `-p value` names a database)
_MYSQL = r"\b(?:mysql|mysqldump|mysqladmin|mariadb|mariadb-dump|mysqlimport|mysqlshow|mysqlcheck|mysqlpump)\s[^\n|;]{0,200}?\s-p" + _VALUE
_SSHPASS = r"\bsshpass\s+(?:-[a-oq-zA-Z]\S*\s+){0,6}-p\s*" + _VALUE
_REDIS = r"\bredis-cli\s[^\n|;]{0,200}?\s-a\s+" + _VALUE
_LOGIN = r"\b(?:docker|podman|buildah|helm\s+registry|oras|skopeo|nerdctl)\s+login\s[^\n|;]{0,200}?\s-p\s+" + _VALUE
_USER = re.compile(r"(?:\s-u\s*|--user(?:name)?[=\s])['\"]?(?P<user>[^\s'\"]+)")
_PATTERN = "|".join(f"(?:{p})" for p in (_MYSQL, _SSHPASS, _REDIS, _LOGIN))


def _groups(pattern: str, n: int) -> str:
    """Number the repeated group names so that one regex holds every alternative."""
    out = pattern
    for name in ("q", "secret"):
        parts = out.split(f"(?P<{name}>")
        out = parts[0] + "".join(f"(?P<{name}{i}>" + rest for i, rest in enumerate(parts[1:]))
        parts = out.split(f"(?P={name})")
        out = parts[0] + "".join(f"(?P={name}{i})" + rest for i, rest in enumerate(parts[1:]))
    return out


class CommandLinePasswordRule(Rule):
    def find(self, ctx: LineContext) -> Iterator[Hit]:
        from secretwarden.scan.rules.generic import score_value

        for m in self.compiled.finditer(ctx.line[:4000]):
            group = next(g for g in m.groupdict() if g.startswith("secret") and m.group(g))
            value = m.group(group)
            confidence = score_value(value, "password", quoted=True, kind="config", key="password")
            if confidence is None:
                continue
            user = _USER.search(ctx.line)
            if user is not None and user.group("user") == value:
                confidence = min(confidence, 0.3)  # `-uzabbix -pzabbix`: a throwaway default
            yield Hit(secret=value, start=m.start(group), end=m.end(group), confidence=confidence, key="password")


RULES: list[Rule] = [
    CommandLinePasswordRule(
        id="cli-password",
        description="Password given to a command-line tool's short password flag (mysql -p, sshpass -p, redis-cli -a, docker login -p)",
        severity="high",
        tags=("password", "shell"),
        # bounded gaps: minified files have very long lines
        prefilter=(
            r"(?:\b(?:mysql|mariadb)[\w-]{0,10}\s[^\n|;]{0,200}\s-p['\"]?[^\s'\"]|\bsshpass\s[^\n]{0,100}-p|"
            r"\bredis-cli\s[^\n|;]{0,200}\s-a\s|\blogin\s[^\n|;]{0,200}\s-p\s)"
        ),
        pattern=_groups(_PATTERN, 4),
        must_match=(
            "mysql -u root -p{alnum:14} shop < dump.sql",
            "mysql -uadmin -p'{alnum:12}' -h db.internal",
            "sshpass -p '{alnum:12}' ssh deploy@10.0.0.12",
            "redis-cli -h cache -a {alnum:16} ping",
            "docker login -u ci -p {alnum:16} registry.corp.internal",
            "mysqldump -u backup -p{lit:Harbor2291!} shop",
        ),
        must_not_match=(
            "mysql -u root -p shop",
            "mysql -u root -p$MYSQL_PASSWORD shop",
            "sshpass -p \"$SSHPASS\" ssh host",
            "redis-cli -a ${REDIS_PASSWORD} ping",
            "docker login -u ci -p changeme registry",
            "mysql -u root -p'<password>' db",
            "docker login -u \"$USER\" --password-stdin",
            "mysql -uzabbix -pzabbix -hlocalhost zabbix",
        ),
        standard_filters=False,
        priority=45,
    ),
]
