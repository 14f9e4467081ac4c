"""`.sops.yaml` for a contract: write creation rules per environment, check isolation, update recipients.

The rule that matters: a production file must not be decryptable by any
recipient of another environment. It is checked twice, on what new files
would get (the creation rules, or the store's `age` option) and on what
existing files were actually encrypted for (their clear-text recipient list).
No key is needed for either check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from secretwarden.errors import PolicyError, UsageError
from secretwarden.ops.workspace import Workspace
from secretwarden.stores.sops import (
    AGE_RECIPIENT,
    CreationRule,
    FileUnit,
    SopsLayout,
    env_path_regex,
    load_rules,
    read_view,
    recipients_option,
    render_rules,
    rule_for,
    sops_config_path,
)

DECRYPTED_IGNORES = ("*.dec.*", "*.plain.*", "*.warden.tmp")  # the last: temp files of a killed writer


@dataclass(frozen=True)
class SopsProblem:
    severity: str  # error | warning
    kind: str  # no-rule | config-isolation | file-isolation | drift
    env: str
    path: str
    message: str


@dataclass(frozen=True)
class RulePlan:
    env: str
    path_regex: str
    recipients: list[str]


@dataclass
class SopsConfigReport:
    config: str
    written: bool = False
    rules: list[RulePlan] = field(default_factory=list)
    problems: list[SopsProblem] = field(default_factory=list)
    gitignore_added: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)


@dataclass(frozen=True)
class RecipientUpdate:
    store: str
    env: str
    namespace: str
    instance: str | None
    location: str


def short(recipient: str) -> str:
    return f"{recipient[:10]}…{recipient[-6:]}" if len(recipient) > 20 else recipient


def sops_envs(ws: Workspace) -> dict[str, list[str]]:
    """sops store name -> the environments it serves."""
    out: dict[str, list[str]] = {}
    for env in ws.contract.environments:
        name = ws.contract.store_for(env)
        if ws.contract.stores[name].backend == "sops":
            out.setdefault(name, []).append(env)
    return out


def is_production(ws: Workspace, env: str) -> bool:
    return ws.contract.is_production(env)


def _layout(ws: Workspace, store: str) -> SopsLayout:
    spec = ws.store_spec(store)
    return SopsLayout.from_options(spec.root, spec.options, store)


def _config_path(ws: Workspace) -> Path:
    for store in sops_envs(ws):
        found = sops_config_path(ws.store_spec(store))
        if found is not None:
            return found
    return ws.root / ".sops.yaml"


def _rel(path: Path, base: Path) -> str:
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return path.as_posix()


def _sample_units(ws: Workspace, env: str) -> list[FileUnit]:
    units = [FileUnit(env, ns) for ns in ws.contract.namespaces]
    units += [FileUnit(env, ns, inst) for ns in ws.contract.namespaces for inst in ws.contract.instances]
    return units


def check_sops_config(ws: Workspace) -> SopsConfigReport:
    stores = sops_envs(ws)
    if not stores:
        raise UsageError("the contract has no store with `backend: sops`")
    config = _config_path(ws)
    report = SopsConfigReport(_rel(config, ws.root))
    rules: list[CreationRule] = load_rules(config) if config.is_file() else []
    intended: dict[str, set[str]] = {}  # env -> recipients new files get
    actual: dict[str, dict[str, set[str]]] = {}  # env -> file -> recipients it is encrypted for
    for store, envs in stores.items():
        layout = _layout(ws, store)
        fixed = recipients_option(ws.store_spec(store).options.get("age"), store)
        for env in envs:
            got = intended.setdefault(env, set())
            for unit in _sample_units(ws, env):
                rel = _rel(layout.path_for(unit), config.parent)
                rule = rule_for(rules, rel)
                chosen = fixed or (list(rule.age) if rule else [])
                if not chosen:
                    report.problems.append(
                        SopsProblem("error", "no-rule", env, rel, "no creation rule in .sops.yaml gives this path age recipients")
                    )
                got.update(chosen)
            for _unit, path in layout.files(env):
                view = read_view(path, layout.fmt)
                if view is not None:
                    actual.setdefault(env, {})[_rel(path, ws.root)] = set(view.recipients)
    _isolation(ws, intended, actual, report)
    return report


def _isolation(
    ws: Workspace,
    intended: dict[str, set[str]],
    actual: dict[str, dict[str, set[str]]],
    report: SopsConfigReport,
) -> None:
    others: dict[str, set[str]] = {}  # recipient -> non-production envs that use it
    for env, recips in intended.items():
        if not is_production(ws, env):
            for r in recips | {r for files in actual.get(env, {}).values() for r in files}:
                others.setdefault(r, set()).add(env)
    for env, recips in intended.items():
        if not is_production(ws, env):
            continue
        for r in sorted(recips):
            for other in sorted(others.get(r, ())):
                report.problems.append(
                    SopsProblem(
                        "error",
                        "config-isolation",
                        env,
                        report.config,
                        f"new {env} files would be decryptable by {other} recipient {short(r)}",
                    )
                )
        for path, file_recips in sorted(actual.get(env, {}).items()):
            for r in sorted(file_recips):
                for other in sorted(others.get(r, ())):
                    report.problems.append(
                        SopsProblem("error", "file-isolation", env, path, f"decryptable by {other} recipient {short(r)}")
                    )
            if recips and file_recips != recips:
                report.problems.append(
                    SopsProblem(
                        "warning",
                        "drift",
                        env,
                        path,
                        "encrypted for other recipients than .sops.yaml names; run `warden sops recipients`",
                    )
                )


def init_sops_config(ws: Workspace, recipients: dict[str, list[str]], *, force: bool = False) -> SopsConfigReport:
    """Write `.sops.yaml` (or, when one exists and not `force`, check it)."""
    stores = sops_envs(ws)
    if not stores:
        raise UsageError("the contract has no store with `backend: sops`")
    config = _config_path(ws)
    if config.exists() and not force:
        return check_sops_config(ws)
    envs = [env for served in stores.values() for env in served]
    unknown = sorted(set(recipients) - set(envs))
    if unknown:
        raise UsageError(f"no sops store serves environment(s): {', '.join(unknown)}")
    missing = [env for env in envs if not recipients.get(env)]
    if missing:
        raise UsageError(
            f"give age recipients for: {', '.join(missing)}",
            hint="e.g. --recipient dev=age1... --recipient prod=age1... (one public key per person or machine)",
        )
    for env, recips in recipients.items():
        bad = [r for r in recips if not AGE_RECIPIENT.match(r)]
        if bad:
            raise UsageError(f"{env}: `{short(bad[0])}` is not an age recipient (age1…)")
    prod_recips = {r for env in envs if is_production(ws, env) for r in recipients[env]}
    for env in envs:
        if not is_production(ws, env):
            shared = prod_recips & set(recipients[env])
            if shared:
                raise UsageError(
                    f"recipient {short(sorted(shared)[0])} is given to production and to {env}",
                    hint="production needs its own recipients",
                )
    report = SopsConfigReport(_rel(config, ws.root))
    ordered = sorted(envs, key=lambda e: (not is_production(ws, e), e))
    for env in ordered:
        for store, served in stores.items():
            if env in served:
                regex = env_path_regex(_layout(ws, store), env, config.parent)
                report.rules.append(RulePlan(env, regex, list(dict.fromkeys(recipients[env]))))
    from secretwarden.paths import write_atomic

    write_atomic(config, render_rules([(r.env, r.path_regex, r.recipients) for r in report.rules]).encode())
    report.written = True
    report.gitignore_added = _ensure_ignored(ws.root)
    report.problems = check_sops_config(ws).problems
    return report


def _ensure_ignored(root: Path) -> list[str]:
    """Decrypted copies must never be committed: add their patterns to .gitignore."""
    path = root / ".gitignore"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    present = {line.strip() for line in text.splitlines()}
    added = [p for p in DECRYPTED_IGNORES if p not in present]
    if added:
        prefix = "" if not text or text.endswith("\n") else "\n"
        block = "# decrypted sops outputs (added by `warden sops init`)\n" + "\n".join(added) + "\n"
        with path.open("a", encoding="utf-8") as fh:
            fh.write(prefix + block)
    return added


def update_recipients(ws: Workspace, env: str | None = None, *, dry_run: bool = False) -> list[RecipientUpdate]:
    """`sops updatekeys` every file (of `env`), after checking the config's isolation."""
    report = check_sops_config(ws)
    # Files encrypted for the wrong people are what updatekeys repairs; a config that
    # would itself let another environment read production is not.
    errors = [p for p in report.problems if p.kind == "config-isolation"]
    if errors:
        first = errors[0]
        raise PolicyError(
            f"{first.path}: {first.message} ({len(errors)} problem(s)); recipients not updated",
            hint="fix .sops.yaml (`warden sops check` lists every problem)",
        )
    done: list[RecipientUpdate] = []
    for store_name, envs in sops_envs(ws).items():
        for e in envs:
            if env is not None and e != env:
                continue
            if dry_run:
                layout = _layout(ws, store_name)
                done += [
                    RecipientUpdate(store_name, u.env, u.namespace, u.instance, _rel(p, ws.root))
                    for u, p in layout.files(e)
                ]
                continue
            from secretwarden.stores.sops import SopsStore

            store = ws.secrets(e)
            assert isinstance(store, SopsStore)
            for r in store.update_recipients(e):
                done.append(RecipientUpdate(store_name, r.env, r.namespace, r.instance, r.location))
                ws.audit.append(
                    command="sops recipients",
                    store=store_name,
                    env=r.env,
                    instance=r.instance,
                    namespace=r.namespace,
                    outcome="ok",
                    detail=f"updatekeys {r.location}",
                )
    return done
