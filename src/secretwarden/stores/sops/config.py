"""`.sops.yaml` creation rules: read them, match paths like sops does, and write new ones.

sops takes the first creation rule whose `path_regex` matches the file's
path relative to the folder of `.sops.yaml` (Go regexp `MatchString`: a
search, not a full match); a rule without `path_regex` matches every file.
Only age recipients matter to warden; other key types are kept as they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from secretwarden.errors import InputError
from secretwarden.stores.sops.files import PLACEHOLDER, SopsLayout

AGE_RECIPIENT = re.compile(r"^age1[02-9ac-hj-np-z]{58}$")


@dataclass(frozen=True)
class CreationRule:
    index: int
    path_regex: str | None
    age: tuple[str, ...]

    def matches(self, rel_path: str) -> bool:
        if self.path_regex is None:
            return True
        try:
            return re.search(self.path_regex, rel_path) is not None
        except re.error:
            return False


def _age_list(raw: Any) -> list[str]:
    if isinstance(raw, str):
        return [p.strip() for p in raw.split(",") if p.strip()]
    if isinstance(raw, list):
        return [str(p).strip() for p in raw if str(p).strip()]
    return []


def load_rules(path: Path) -> list[CreationRule]:
    import yaml

    from secretwarden import safe_yaml

    try:
        from secretwarden.stores.sops.files import read_regular

        doc = safe_yaml.load(read_regular(path, "sops config").decode("utf-8"), name=str(path)) or {}
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or type(exc).__name__})") from None
    except safe_yaml.YamlLimitExceeded:
        raise
    except (yaml.YAMLError, UnicodeDecodeError, RecursionError):
        raise InputError(f"{path}: not valid YAML") from None
    rules = doc.get("creation_rules") if isinstance(doc, dict) else None
    if rules is None:
        return []
    if not isinstance(rules, list):
        raise InputError(f"{path}: `creation_rules` must be a list")
    out = []
    for i, rule in enumerate(rules):
        if not isinstance(rule, dict):
            raise InputError(f"{path}: creation rule {i + 1} is not a mapping")
        age = _age_list(rule.get("age"))
        for group in rule.get("key_groups") or []:
            if isinstance(group, dict):
                age += _age_list(group.get("age"))
        regex = rule.get("path_regex")
        if regex is not None:
            try:
                re.compile(str(regex))
            except re.error:
                raise InputError(f"{path}: creation rule {i + 1} has an invalid path_regex") from None
        out.append(CreationRule(i, str(regex) if regex is not None else None, tuple(dict.fromkeys(age))))
    return out


def rule_for(rules: list[CreationRule], rel_path: str) -> CreationRule | None:
    return next((r for r in rules if r.matches(rel_path)), None)


def _template_regex(template: str, env: str) -> str:
    out, pos = "", 0
    for m in PLACEHOLDER.finditer(template):
        out += re.escape(template[pos : m.start()])
        out += re.escape(env) if m.group(1) == "env" else "[^/]+"
        pos = m.end()
    return out + re.escape(template[pos:])


def env_path_regex(layout: SopsLayout, env: str, config_dir: Path) -> str:
    """A path_regex for every file of `env` in `layout`, relative to `config_dir`."""
    parts = []
    for tpl in (layout.main, layout.per_instance):
        full = (tpl.base / tpl.rest).as_posix()
        prefix = config_dir.as_posix().rstrip("/") + "/"
        rel = full[len(prefix) :] if full.startswith(prefix) else full
        parts.append(_template_regex(rel, env))
    unique = list(dict.fromkeys(parts))
    return "^" + (unique[0] if len(unique) == 1 else "(?:" + "|".join(unique) + ")") + "$"


def render_rules(rules: list[tuple[str, str, list[str]]]) -> str:
    """`.sops.yaml` text for (env, path_regex, recipients), most sensitive first as given."""
    lines = [
        "# Written by `warden sops init`: one creation rule per environment.",
        "# sops uses the first rule whose path_regex matches; production comes first and",
        "# has its own recipients. `warden sops check` verifies that no other environment's",
        "# recipient can decrypt a production file.",
        "creation_rules:",
    ]
    for env, regex, recipients in rules:
        lines.append(f"  # {env}")
        lines.append(f"  - path_regex: '{regex}'")
        lines.append(f"    age: '{','.join(recipients)}'")
    return "\n".join(lines) + "\n"
