"""The contract schema: what secrets must exist, where, owned by whom.

Names only, never values. Models are strict (`extra="forbid"`) so that a typo
in `warden.yaml` is an error with a suggestion, not a silently ignored key.
Cross-field rules that need the whole document (references, stores,
instances) live in `Contract._check_references`.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from secretwarden.contract.durations import parse_duration
from secretwarden.stores.registry import BACKEND_NAMES

NAME_RE = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
KEY_RE = r"^[A-Za-z_][A-Za-z0-9_.-]*$"

Name = Annotated[str, Field(pattern=NAME_RE, max_length=128)]
KeyName = Annotated[str, Field(pattern=KEY_RE, max_length=256)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Duration(str):
    """A duration such as `90d`, `12h`, `2w`; validated on load."""


def _duration(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("expected a duration such as 90d, 12h or 2w")
    parse_duration(value)
    return value


PRODUCTION_NAMES = frozenset({"prod", "production"})


class Environment(Strict):
    store: Name | None = Field(None, description="Store serving this environment (default: the only store).")
    production: bool = Field(False, description="Bootstrap and fixture generation refuse it unless told explicitly.")
    rotate_every: str | None = Field(None, description="Default rotation cadence for keys in this environment.")
    description: str | None = None

    _check_rotate = field_validator("rotate_every")(lambda v: v if v is None else _duration(v))


# The backends a contract may name are the registry's: a new backend needs no edit here.
if TYPE_CHECKING:
    BackendName = str
else:
    BackendName = Literal[BACKEND_NAMES]


class Store(Strict):
    backend: BackendName = "embedded"
    options: dict[str, Any] = Field(default_factory=dict, description="Backend-specific options.")
    description: str | None = None


class Namespace(Strict):
    path: str = Field(..., description="Logical path of the namespace, e.g. /services/auth.")
    owner: str | None = None
    description: str | None = None
    deprecated: bool = False
    replaced_by: Name | None = None
    hold_until: dt.date | None = Field(
        None, description="Reads of a deprecated namespace are allowed until this date, flagged after."
    )
    past_hold: Literal["block", "warn"] = Field(
        "block", description="What a required read of this deprecated namespace past `hold_until` does."
    )
    rotate_every: str | None = Field(None, description="Default rotation cadence for keys of this namespace.")

    _check_rotate = field_validator("rotate_every")(lambda v: v if v is None else _duration(v))

    @field_validator("path")
    @classmethod
    def _absolute(cls, v: str) -> str:
        if not v.startswith("/") or "//" in v or (v.endswith("/") and v != "/"):
            raise ValueError("a namespace path starts with `/`, e.g. /services/auth")
        return v

    @model_validator(mode="after")
    def _deprecation(self) -> Namespace:
        if (self.replaced_by or self.hold_until or self.past_hold != "block") and not self.deprecated:
            raise ValueError("`replaced_by`/`hold_until`/`past_hold` only make sense with `deprecated: true`")
        return self


class Generate(Strict):
    """How a dev/ci fixture value is produced by `warden bootstrap` or `warden rotate`."""

    kind: Literal["chars", "hex", "base64", "bytes", "uuid", "literal"] = "chars"
    length: int = Field(32, ge=8, le=4096, description="Characters (chars/hex/base64) or bytes.")
    prefix: str = Field("", max_length=32, description="Fixed prefix, e.g. `sk_test_`.")
    value: str | None = Field(
        None, max_length=512, description="Fixture for `kind: literal`; only for `sensitive: false` keys."
    )

    @model_validator(mode="after")
    def _literal(self) -> Generate:
        if (self.kind == "literal") != (self.value is not None):
            raise ValueError("`value` goes with `kind: literal`, and `kind: literal` needs a `value`")
        return self


class FormatRegex(Strict):
    regex: str

    @field_validator("regex")
    @classmethod
    def _compiles(cls, v: str) -> str:
        try:
            re.compile(v)
        except re.error as exc:
            raise ValueError(f"invalid regular expression: {exc}") from None
        return v


class RunbookStep(Strict):
    step: str
    confirm: bool = Field(True, description="`warden rotate` asks for confirmation and records it.")


class Secret(Strict):
    description: str | None = None
    required: bool = True
    sensitive: bool = Field(True, description="False marks a plain config value (a TTL, a URL).")
    format: str | FormatRegex | None = Field(None, description="A named format or {regex: ...}.")
    min_length: int | None = Field(None, ge=1)
    generate: Generate | Literal["none"] | None = None
    rotate_every: str | None = None
    path: str | None = Field(None, description="The key's real location when it differs from the routing.")
    environments: list[Name] | None = Field(None, description="Subset of environments needing this key.")
    ref: str | None = Field(
        None, description="Explicit reference to a key of another namespace: `<namespace>/<KEY>`."
    )
    owner: str | None = None
    runbook: list[RunbookStep] = Field(default_factory=list)

    _check_rotate = field_validator("rotate_every")(lambda v: v if v is None else _duration(v))

    @field_validator("format")
    @classmethod
    def _known_format(cls, v: str | FormatRegex | None) -> str | FormatRegex | None:
        if isinstance(v, str):
            from secretwarden.contract.formats import FORMATS

            if v not in FORMATS:
                from secretwarden.contract.suggest import closest

                guess = closest(v, FORMATS)
                tip = f"; did you mean `{guess}`?" if guess else ""
                raise ValueError(f"unknown format `{v}`{tip} (or use {{regex: ...}})")
        return v

    @field_validator("ref")
    @classmethod
    def _ref_shape(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z_][A-Za-z0-9_.-]*", v):
            raise ValueError("a reference is `<namespace>/<KEY>`, e.g. shared-infra/DATABASE_URL")
        return v

    @model_validator(mode="after")
    def _literal_not_sensitive(self) -> Secret:
        if isinstance(self.generate, Generate) and self.generate.kind == "literal" and self.sensitive:
            raise ValueError("a literal fixture is only allowed for `sensitive: false` keys")
        return self

    @property
    def generator(self) -> Generate | None:
        return self.generate if isinstance(self.generate, Generate) else None


class Service(Strict):
    namespace: Name
    owner: str | None = None
    description: str | None = None
    source: str | None = Field(None, description="Source directory of the service, relative to the contract.")
    per_instance: bool = Field(False, description="Each instance needs its own copy of every secret.")
    instances: list[Name] | None = Field(None, description="Subset of the project's instances.")
    environments: list[Name] | None = Field(None, description="Subset of environments the service runs in.")
    access: Literal["external-secrets", "direct-vault", "env"] = "external-secrets"
    justification: str | None = Field(None, description="Required with `access: direct-vault`.")
    secret_name: str | None = Field(None, description="Kubernetes Secret name (default: <service>-secrets).")
    k8s_namespace: str | None = Field(
        None,
        max_length=253,
        description="Kubernetes namespace the service runs in; `{env}` and `{instance}` are filled in "
        "(e.g. `shop-{env}`). Rendered manifests carry it as metadata.namespace.",
    )
    secrets: dict[KeyName, Secret] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _direct_vault(self) -> Service:
        if self.access == "direct-vault" and not (self.justification or "").strip():
            raise ValueError("`access: direct-vault` needs a written `justification`")
        return self


class ScanPolicy(Strict):
    allow_paths: list[str] = Field(default_factory=list, description="gitignore-style globs never scanned.")
    allow_rules: list[str] = Field(default_factory=list, description="Rule ids that are disabled.")
    max_file_size: int | None = Field(None, ge=1)
    baseline: str | None = None


class LintRuleSetting(Strict):
    enabled: bool = True
    severity: Literal["error", "warning", "info"] | None = None


class LintPolicy(Strict):
    rules: dict[str, LintRuleSetting] = Field(default_factory=dict)
    deploy_paths: list[str] | None = None
    required_ignores: list[str] | None = None
    existing_secrets: list[str] = Field(
        default_factory=list, description="Kubernetes Secrets supplied outside ExternalSecrets."
    )


class AuditSettings(Strict):
    path: str | None = Field(None, description="Audit log path (default .warden/audit.jsonl).")


class Contract(Strict):
    version: Literal[1] = 1
    project: Name
    description: str | None = None
    environments: dict[Name, Environment]
    instances: list[Name] = Field(default_factory=list)
    stores: dict[Name, Store] = Field(
        default_factory=lambda: {"local": Store(backend="embedded")},
    )
    rotate_every: str | None = Field(None, description="Project-wide default rotation cadence.")
    namespaces: dict[Name, Namespace]
    services: dict[Name, Service]
    scan: ScanPolicy = Field(default_factory=lambda: ScanPolicy())
    lint: LintPolicy = Field(default_factory=LintPolicy)
    audit: AuditSettings = Field(default_factory=lambda: AuditSettings())

    _check_rotate = field_validator("rotate_every")(lambda v: v if v is None else _duration(v))

    @field_validator("environments")
    @classmethod
    def _some_env(cls, v: dict[str, Environment]) -> dict[str, Environment]:
        if not v:
            raise ValueError("at least one environment is needed")
        return v

    @field_validator("instances")
    @classmethod
    def _unique_instances(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError("instance names must be unique")
        return v

    @model_validator(mode="after")
    def _check_references(self) -> Contract:
        check_references(self)
        return self

    # --- helpers used across ops -------------------------------------------------

    def store_for(self, env: str) -> str:
        chosen = self.environments[env].store
        if chosen is not None:
            return chosen
        return next(iter(self.stores))

    def is_production(self, env: str) -> bool:
        """The one definition: marked `production: true`, or named `prod`/`production`.

        The name counts too because a contract that forgot the flag on its `prod`
        environment must not let bootstrap generate values there, nor share
        its SOPS recipients with another environment."""
        return bool(self.environments[env].production) or env in PRODUCTION_NAMES


# --- whole-document rules -----------------------------------------------------------
# Names that must exist and refs that must resolve. They live beside the model, which runs
# them from its validator, so no module of the package imports the model back
# (`contract.references` re-exports them). Problems are collected with the path of the field
# they concern, so the loader can point at `file:line:column`, and raised as
# `ReferenceProblems`, which pydantic lets through untouched (it only wraps ValueError).

Loc = tuple[str | int, ...]


class ReferenceProblems(Exception):
    def __init__(self, problems: list[tuple[Loc, str]]):
        super().__init__(f"{len(problems)} reference problem(s)")
        self.problems = problems


def _unknown(kind: str, name: str, choices: list[str], where: str = "") -> str:
    from secretwarden.contract.suggest import closest  # difflib only when a name is wrong

    guess = closest(name, choices)
    tip = f"; did you mean `{guess}`?" if guess else ""
    return f"unknown {kind} `{name}`{where}{tip}"


def declared_keys(contract: Contract) -> dict[tuple[str, str], tuple[str, Secret]]:
    """(namespace, key) -> (declaring service, spec), for keys declared without `ref`."""
    held = _DECLARED[0] if _DECLARED else None
    if held is contract:  # reports ask this of one contract many times: walk it once
        return dict(_DECLARED[1])
    found: dict[tuple[str, str], tuple[str, Secret]] = {}
    for svc_name, svc in contract.services.items():
        for key, spec in svc.secrets.items():
            if spec.ref is None:
                found.setdefault((svc.namespace, key), (svc_name, spec))
    _DECLARED[:] = [contract, found]
    return dict(found)


# The most recent contract and its declared keys; the contract is held, so its id is never reused
# while cached (a contract is frozen: its keys cannot change under the cache).
_DECLARED: list[Any] = []


_SPEC_FIELDS = ("format", "min_length", "generate", "sensitive")


def _check_store_options(contract: Contract, problems: list[tuple[Loc, str]]) -> None:
    """Options a backend can check only knowing which environments use the store (vault path templates)."""
    from secretwarden.stores.registry import option_problems

    for name, store in contract.stores.items():
        envs = [e for e, cfg in contract.environments.items() if (cfg.store or next(iter(contract.stores))) == name]
        per_instance = [s for s in contract.services.values() if s.per_instance]
        inst_envs = [e for e in envs if any(e in (s.environments or [e]) for s in per_instance)]
        for text in option_problems(store.backend, name, dict(store.options), contract.project, envs, inst_envs):
            problems.append((("stores", name, "options"), text))


def check_references(contract: Contract) -> None:
    problems: list[tuple[Loc, str]] = []
    envs = list(contract.environments)
    stores = list(contract.stores)
    namespaces = list(contract.namespaces)
    instances = list(contract.instances)

    if not contract.stores:
        problems.append((("stores",), "at least one store is needed"))
    for env_name, env in contract.environments.items():
        if env.store is not None and env.store not in contract.stores:
            problems.append((("environments", env_name, "store"), _unknown("store", env.store, stores)))
        elif env.store is None and len(contract.stores) > 1:
            problems.append(
                (("environments", env_name), "several stores are declared: name this environment's `store`")
            )

    _check_store_options(contract, problems)

    for ns_name, ns in contract.namespaces.items():
        if ns.replaced_by is not None and ns.replaced_by not in contract.namespaces:
            problems.append(
                (("namespaces", ns_name, "replaced_by"), _unknown("namespace", ns.replaced_by, namespaces))
            )

    declared = declared_keys(contract)
    for svc_name, svc in contract.services.items():
        base: Loc = ("services", svc_name)
        if svc.namespace not in contract.namespaces:
            problems.append(((*base, "namespace"), _unknown("namespace", svc.namespace, namespaces)))
        for env_name in svc.environments or []:
            if env_name not in contract.environments:
                problems.append(((*base, "environments"), _unknown("environment", env_name, envs)))
        if svc.per_instance and not contract.instances:
            problems.append(((*base, "per_instance"), "`per_instance: true` needs top-level `instances`"))
        if svc.instances is not None:
            if not svc.per_instance:
                problems.append(((*base, "instances"), "`instances` only applies to `per_instance: true` services"))
            for inst in svc.instances:
                if inst not in contract.instances:
                    problems.append(((*base, "instances"), _unknown("instance", inst, instances)))
        svc_envs = set(svc.environments or envs)
        for key, spec in svc.secrets.items():
            kloc = (*base, "secrets", key)
            for env_name in spec.environments or []:
                if env_name not in contract.environments:
                    problems.append(((*kloc, "environments"), _unknown("environment", env_name, envs)))
                elif env_name not in svc_envs:
                    problems.append(
                        ((*kloc, "environments"), f"environment `{env_name}` is not one the service runs in")
                    )
            if spec.ref is None:
                other = declared.get((svc.namespace, key))
                if other is not None and other[0] != svc_name:
                    for field in _SPEC_FIELDS:
                        if getattr(other[1], field) != getattr(spec, field):
                            problems.append(
                                (
                                    kloc,
                                    f"`{key}` is also declared by service `{other[0]}` in namespace "
                                    f"`{svc.namespace}` with a different `{field}`; declare it once "
                                    f"and use `ref: {svc.namespace}/{key}`",
                                )
                            )
                            break
                continue
            for field in (*_SPEC_FIELDS, "path"):
                if field in spec.model_fields_set:
                    problems.append(
                        ((*kloc, field), f"a `ref` key takes `{field}` from the key it references")
                    )
            ns_name, _, target_key = spec.ref.partition("/")
            if ns_name not in contract.namespaces:
                problems.append(((*kloc, "ref"), _unknown("namespace", ns_name, namespaces)))
                continue
            target = declared.get((ns_name, target_key))
            if target is None:
                choices = [k for (n, k) in declared if n == ns_name]
                problems.append(
                    ((*kloc, "ref"), _unknown("key", target_key, choices, f" in namespace `{ns_name}`"))
                )
                continue
            target_svc = contract.services[target[0]]
            if svc.per_instance and not target_svc.per_instance:
                problems.append(
                    (
                        (*kloc, "ref"),
                        f"per-instance service `{svc_name}` cannot use the shared key `{spec.ref}`: "
                        "instances never fall back to shared credentials",
                    )
                )
            elif target_svc.per_instance and not svc.per_instance:
                problems.append(
                    (
                        (*kloc, "ref"),
                        f"`{spec.ref}` exists once per instance; a service that is not per-instance "
                        "cannot pick one",
                    )
                )
    if problems:
        raise ReferenceProblems(problems)
