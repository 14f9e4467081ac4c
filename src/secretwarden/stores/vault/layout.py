"""Where a slot lives in a KV v2 mount: the path (under the mount) and the field.

A vault store declares a path template (store option `path`) and optionally a
field template (`field`, default `{key}`). Placeholders:

    {env}        the environment
    {instance}   a whole segment: `@<instance>` for an instance's own copy, left out for
                 the shared copy (contract names cannot start with `@`)
    {namespace}  the contract namespace (required in the path)
    {key}        the key: in the path, one KV secret per key; else a field of a shared secret

The two named layouts are presets of it, under `path_prefix`:

    per-namespace   <prefix>/{env}/{instance}/{namespace}          field {key}
    per-key         <prefix>/{env}/{instance}/{namespace}/{key}    field {key}

A key's `path` override from the contract goes under the template's part
before `{namespace}` (`<prefix>/<env>` for the presets), with `#FIELD`
optional. Warden's own metadata (denied fingerprints, history pages) lives
under `<literal head of the template>/_warden`; literal segments cannot start
with `_` or `@`, so it never collides with a slot.

Each segment and the field hold at most one placeholder, so a path can be read
back into its slot without ambiguity (`match`). External Secrets reads
`remoteRef.key` = the path and `property` = the field. Pure functions: the
renderers and the linter use them offline.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from secretwarden.slots import SlotRef

LAYOUTS: tuple[str, ...] = ("per-namespace", "per-key")
PRESETS: dict[str, str] = {
    "per-namespace": "{env}/{instance}/{namespace}",
    "per-key": "{env}/{instance}/{namespace}/{key}",
}
PLACEHOLDERS = ("env", "instance", "namespace", "key")
_LITERAL = re.compile(r"[A-Za-z0-9._-]*")
_PART = re.compile(r"^(?P<pre>[^{}]*)(?:\{(?P<name>[^{}]*)\}(?P<post>[^{}]*))?$")


class TemplateError(ValueError):
    """A path or field template that cannot map slots to paths one to one."""


def join(*parts: str) -> str:
    return "/".join(p.strip("/") for p in parts if p and p.strip("/"))


@dataclass(frozen=True)
class Part:
    """One path segment (or the field): literal text around at most one placeholder."""

    pre: str
    name: str | None = None
    post: str = ""

    def render(self, values: dict[str, str]) -> str:
        return self.pre if self.name is None else f"{self.pre}{values[self.name]}{self.post}"

    def pattern(self, env: str | None) -> str:
        if self.name is None:
            return re.escape(self.pre)
        if self.name == "env" and env is not None:
            value = re.escape(env)
        else:
            # Names never start with `@` or `_` (warden's own paths and instance segments).
            value = f"(?P<{self.name}>[^/@_][^/]*)" if self.name != "key" else "(?P<key>[^/@][^/]*)"
        return f"{re.escape(self.pre)}{value}{re.escape(self.post)}"

    def __str__(self) -> str:
        return self.pre if self.name is None else f"{self.pre}{{{self.name}}}{self.post}"


def _part(text: str, where: str) -> Part:
    m = _PART.match(text)
    if m is None:
        raise TemplateError(f"{where} `{text}` holds more than one placeholder; put each in its own segment")
    pre, name, post = m.group("pre"), m.group("name"), m.group("post") or ""
    for lit in (pre, post):
        if not _LITERAL.fullmatch(lit):
            raise TemplateError(f"{where} `{text}`: literal text may hold letters, digits, `.`, `_` and `-` only")
    if name is not None and name not in PLACEHOLDERS:
        raise TemplateError(
            f"{where} `{text}`: unknown placeholder `{{{name}}}` (known: "
            + ", ".join(f"{{{n}}}" for n in PLACEHOLDERS) + ")"
        )
    return Part(pre, name, post)


@dataclass(frozen=True)
class PathTemplate:
    """A parsed `path` template plus its `field` template; raises TemplateError when unsound."""

    text: str
    field_text: str = "{key}"
    parts: tuple[Part, ...] = field(init=False)
    field_part: Part = field(init=False)
    path_format: str = field(init=False)
    field_format: str = field(init=False)

    def __post_init__(self) -> None:
        if not self.text.strip("/"):
            raise TemplateError("the path template is empty")
        parts = tuple(_part(seg, "segment") for seg in self.text.strip("/").split("/"))
        if any(not str(p) for p in parts):
            raise TemplateError(f"path template `{self.text}` has an empty segment (`//`)")
        names = [p.name for p in parts if p.name]
        for name in set(names):
            if names.count(name) > 1:
                raise TemplateError(f"path template `{self.text}` names `{{{name}}}` twice")
        if "namespace" not in names:
            raise TemplateError(f"path template `{self.text}` has no `{{namespace}}`")
        order = {n: i for i, n in enumerate(names)}
        for before in ("env", "instance"):
            if before in order and order[before] > order["namespace"]:
                raise TemplateError(f"path template `{self.text}`: `{{{before}}}` must come before `{{namespace}}`")
        if "key" in order and order["key"] < order["namespace"]:
            raise TemplateError(f"path template `{self.text}`: `{{key}}` must come after `{{namespace}}`")
        for p in parts:
            if p.name == "instance" and (p.pre or p.post):
                raise TemplateError(f"path template `{self.text}`: `{{instance}}` must be a whole segment")
            if p.name is None and p.pre[:1] in ("_", "@"):
                raise TemplateError(
                    f"path template `{self.text}`: a literal segment cannot start with `_` or `@` "
                    "(reserved for warden's metadata and instance copies)"
                )
        fpart = _part(self.field_text, "field")
        if not self.field_text:
            raise TemplateError("the field template is empty")
        if fpart.name not in (None, "key"):
            raise TemplateError(f"field `{self.field_text}`: only `{{key}}` may appear in a field")
        if fpart.name is None and "key" not in names:
            raise TemplateError(
                f"field `{self.field_text}` is fixed and the path has no `{{key}}`: every key would share it"
            )
        object.__setattr__(self, "parts", parts)
        object.__setattr__(self, "field_part", fpart)
        # The same template as a format string (literals hold no braces); `instance` is given
        # with its trailing slash, or empty for the shared copy.
        fmt = "".join(str(p) if p.name == "instance" else str(p) + "/" for p in parts).rstrip("/")
        object.__setattr__(self, "path_format", fmt)
        object.__setattr__(self, "field_format", str(fpart))

    def has(self, name: str) -> bool:
        return any(p.name == name for p in self.parts)

    @property
    def key_in_path(self) -> bool:
        return self.has("key")

    @property
    def namespace_index(self) -> int:
        return next(i for i, p in enumerate(self.parts) if p.name == "namespace")

    def render(self, parts: Iterable[Part], values: dict[str, str]) -> str:
        out = []
        for p in parts:
            if p.name == "instance" and not values.get("instance"):
                continue
            out.append(p.render(values))
        return "/".join(out)

    def regex(self, parts: tuple[Part, ...], env: str | None) -> re.Pattern[str]:
        text = ""
        for p in parts:
            if p.name == "instance":
                text += "(?:@(?P<instance>[^/]+)/)?"
            else:
                text += p.pattern(env) + "/"
        return re.compile("^" + text.rstrip("/") + "$")

    def __str__(self) -> str:
        return self.text if self.field_text == "{key}" else f"{self.text} (field {self.field_text})"


def template_problems(template: PathTemplate, envs: Iterable[str], instance_envs: Iterable[str]) -> list[str]:
    """What makes a sound template unsafe for the environments a store serves."""
    out = []
    served = sorted(set(envs))
    if not template.has("env") and len(served) > 1:
        out.append(
            f"path template `{template.text}` has no `{{env}}` but the store serves {len(served)} environments "
            f"({', '.join(served)}): they would share every path. Add `{{env}}`, or give each environment "
            "a store of its own (one Vault per environment)"
        )
    inst = sorted(set(instance_envs))
    if not template.has("instance") and inst:
        out.append(
            f"path template `{template.text}` has no `{{instance}}` segment but per-instance services "
            f"use the store in {', '.join(inst)}: an instance's copy would overwrite the shared one. "
            "Add a `{instance}` segment before `{namespace}`"
        )
    return out


@dataclass(frozen=True)
class Location:
    path: str  # under the mount, no leading slash
    field: str


@dataclass(frozen=True)
class Match:
    """A path read back through the template."""

    namespace: str
    instance: str | None
    key: str | None  # None when keys are fields (the key is in the record or the data)
    marker: bool = False  # the path is the namespace's own marker (`ensure_namespace`)


@dataclass(frozen=True)
class VaultLayout:
    mount: str = "secret"
    prefix: str = ""
    layout: str = "per-namespace"  # a preset's name, or "template"
    overrides: dict[tuple[str, str], str] = field(default_factory=dict)
    path: str | None = None  # a declared template (then `prefix` is not used)
    field_name: str = "{key}"
    envs: tuple[str, ...] = ()  # environments served (from the contract); empty when unknown
    template: PathTemplate = field(init=False, compare=False, repr=False)
    # Bulk operations (bootstrap, policies) locate each slot several times: remember the answers.
    _located: dict[SlotRef, Location] = field(default_factory=dict, compare=False, hash=False, repr=False)
    _regex: dict[tuple[str | None, bool], re.Pattern[str]] = field(
        default_factory=dict, compare=False, hash=False, repr=False
    )

    def __post_init__(self) -> None:
        text = self.path if self.path is not None else join(self.prefix, PRESETS[self.layout])
        object.__setattr__(self, "template", PathTemplate(text, self.field_name))

    # --- slot -> path -------------------------------------------------------------------------

    def locate(self, slot: SlotRef) -> Location:
        hit = self._located.get(slot)
        if hit is None:
            hit = self._located[slot] = self._locate(slot)
        return hit

    def _locate(self, slot: SlotRef) -> Location:
        if self.overrides:
            override = self.overrides.get((slot.namespace, slot.key))
            if override:
                path, _, fld = override.partition("#")
                return Location(join(self.env_root(slot.env, slot.instance), path), fld or slot.key)
        # One str.format per slot: bootstrap and policies locate every slot of an environment.
        inst = f"@{slot.instance}/" if slot.instance else ""
        path = self.template.path_format.format(env=slot.env, instance=inst, namespace=slot.namespace, key=slot.key)
        return Location(path, self.template.field_format.format(key=slot.key))

    def env_root(self, env: str, instance: str | None = None) -> str:
        """The template before `{namespace}`, rendered: where overrides go."""
        t = self.template
        values = {"env": env, "instance": f"@{instance}" if instance else ""}
        return t.render(t.parts[: t.namespace_index], values)

    def namespace_path(self, env: str, namespace: str, instance: str | None = None) -> str:
        """The template up to `{namespace}`: the namespace's secret (fields) or folder (per key)."""
        t = self.template
        values = {"env": env, "instance": f"@{instance}" if instance else "", "namespace": namespace}
        return t.render(t.parts[: t.namespace_index + 1], values)

    def list_root(self, env: str) -> str:
        """The longest fixed folder holding every path of `env`: where a listing starts."""
        t = self.template
        fixed = []
        for p in t.parts:
            if p.name not in (None, "env"):
                break
            fixed.append(p.render({"env": env}))
        if len(fixed) == len(t.parts):  # cannot happen: {namespace} is required
            fixed.pop()
        return "/".join(fixed)

    @property
    def warden_base(self) -> str:
        head = []
        for p in self.template.parts:
            if p.name is not None:
                break
            head.append(p.pre)
        return join(*head, "_warden")

    def api(self, kind: str, path: str) -> str:
        """`secret/data/dev/auth`: the API path an ACL policy names."""
        return join(self.mount, kind, path)

    # --- path -> slot -------------------------------------------------------------------------

    def match(self, env: str, path: str) -> Match | None:
        """The slot (or namespace marker) a path of `env` stands for, read through the template."""
        t = self.template
        env_key = env if t.has("env") else None
        for marker, parts in ((False, t.parts), (True, t.parts[: t.namespace_index + 1])):
            if marker and len(parts) == len(t.parts):
                break
            rx = self._regex.get((env_key, marker))
            if rx is None:
                rx = self._regex[(env_key, marker)] = t.regex(parts, env_key)
            m = rx.match(path)
            if m is not None:
                groups = m.groupdict()
                return Match(groups["namespace"], groups.get("instance"), groups.get("key"), marker)
        return None

    def key_group(self, path: str) -> tuple[str, str] | None:
        """(group, rest) of a one-key-per-path path: the folder above its `{key}` segment (a
        namespace's keys, per environment and instance) and the path below it. Warden keeps the
        records of a group's paths in one document (groups.py); None for paths without `{key}`,
        overrides and warden's own paths."""
        t = self.template
        if not t.key_in_path or path.startswith(self.warden_base + "/"):
            return None
        rx = self._regex.get((None, False))
        if rx is None:
            rx = self._regex[(None, False)] = t.regex(t.parts, None)
        m = rx.match(path)
        if m is None or m.group("key") is None:
            return None
        below = len(t.parts) - next(i for i, p in enumerate(t.parts) if p.name == "key")
        segments = path.split("/")
        return "/".join(segments[:-below]), "/".join(segments[-below:])

    def parse_foreign(self, env: str, path: str) -> SlotRef | None:
        """The slot of a one-key-per-path path warden did not write (no warden metadata)."""
        m = self.match(env, path)
        if m is None or m.marker or m.key is None:
            return None
        return SlotRef(env, m.namespace, m.key, m.instance)

    def parse_namespace(self, env: str, path: str) -> tuple[str, str | None] | None:
        """(namespace, instance) of a path whose keys are fields, if it looks like one."""
        m = self.match(env, path)
        if m is None or m.marker or m.key is not None:
            return None
        return m.namespace, m.instance

    def owns(self, env: str, path: str) -> bool:
        """Does a path found under `list_root(env)` hold slots of `env` (template or override)?"""
        if self.match(env, path) is not None:
            return not path.startswith(self.warden_base + "/")
        if not self.overrides:
            return False
        tails = {o.partition("#")[0].strip("/") for o in self.overrides.values()}
        root = self.env_root(env)
        rest = path[len(root) + 1 :] if root and path.startswith(root + "/") else path if not root else None
        if rest is None:
            return False
        if rest.startswith("@"):
            rest = rest.partition("/")[2]
        return rest in tails

    def env_listing(self) -> str | None:
        """The folder whose sub-folders are the environments, when the template says so."""
        head: list[str] = []
        for p in self.template.parts:
            if p.name == "env":
                return "/".join(head) if not (p.pre or p.post) else None
            if p.name is not None:
                return None
            head.append(p.pre)
        return None

    def describe(self) -> str:
        """How this layout reads in messages and docs."""
        if self.path is None:
            return f"{self.layout} ({self.template})"
        return str(self.template)
