"""`required-ignore`: the repository's ignore rules must cover secret material paths."""

from __future__ import annotations

import re
from collections.abc import Iterator

from secretwarden.lint.context import LintContext, basename, dirname
from secretwarden.lint.model import Example, Finding, Rule

DEFAULT_REQUIRED_IGNORES = (
    "instances/**/.env",
    "instances/**/.env.*",
    "instances/**/secrets*",
    "*.pem",
    "*.key",
    "*.crt",
    "*.p12",
)


def required_patterns(ctx: LintContext) -> list[str]:
    policy = ctx.policy
    if policy is not None and policy.required_ignores is not None:
        return list(policy.required_ignores)
    defaults = list(dict.fromkeys([*DEFAULT_REQUIRED_IGNORES, *ctx.extra_required_ignores]))
    # Per-instance patterns matter only where instances live: an `instances/` folder
    # or a contract that declares instances.
    has_instances = bool(ctx.files_under("instances/")) or bool(ctx.contract is not None and ctx.contract.instances)
    return [p for p in defaults if has_instances or not p.startswith("instances/")]


def sample_path(pattern: str) -> str:
    """A concrete path the pattern describes: `instances/**/.env` -> `instances/w-dir/.env`."""
    out = pattern.lstrip("/")
    out = out.replace("**", "w-dir")
    out = re.sub(r"\[[^\]]*\]", "w", out)
    out = out.replace("*", "w-any").replace("?", "w")
    return out.rstrip("/")


def _ignore_files(ctx: LintContext) -> list[str]:
    found = ctx.memo.get("ignore-files")
    if found is None:
        found = ctx.memo["ignore-files"] = [f for f in ctx.files if basename(f) == ".gitignore"]
    return list(found)


def _outer_ignores(ctx: LintContext) -> list[tuple[str, list[str]]]:
    """.gitignore files of folders above the lint root, up to the work tree's top,
    outermost first, each with the lint root's path relative to its folder."""
    here = ctx.root.resolve()
    if ctx.tracked is None or (here / ".git").exists():
        return []
    out: list[tuple[str, list[str]]] = []
    for folder in here.parents:
        ignore = folder / ".gitignore"
        if ignore.is_file():
            out.append((here.relative_to(folder).as_posix(), ignore.read_text(errors="replace").splitlines()))
        if (folder / ".git").exists():
            break
    return out[::-1]


def is_ignored(ctx: LintContext, path: str) -> bool:
    """Gitignore semantics over every .gitignore that applies (deeper files win)."""
    import pathspec

    layers: list[tuple[str, list[str]]] = [(f"{prefix}/{path}", lines) for prefix, lines in _outer_ignores(ctx)]
    for ignore in sorted(_ignore_files(ctx), key=lambda f: f.count("/")):
        folder = dirname(ignore)
        if folder != "." and not path.startswith(folder + "/"):
            continue
        layers.append((path if folder == "." else path[len(folder) + 1 :], ctx.lines(ignore)))
    verdict = False
    for rel, lines in layers:
        key = "ignore-spec:" + "\n".join(lines)
        spec = ctx.memo.get(key)
        if spec is None:
            spec = ctx.memo[key] = pathspec.GitIgnoreSpec.from_lines(lines)
        result = spec.check_file(rel)
        if result.include is not None:
            verdict = bool(result.include)
    return verdict


def check(ctx: LintContext) -> Iterator[Finding]:
    where, line, col = ".gitignore", 1, 1
    if ".gitignore" not in ctx.files and ctx.contract_file is not None:
        # No .gitignore to point at: the contract's lint policy is the place that asks for it.
        where = ctx.contract_file
        line, col = ctx.contract_position("lint", "required_ignores")
    for pattern in required_patterns(ctx):
        sample = sample_path(pattern)
        if not is_ignored(ctx, sample):
            yield RULE.finding(
                where, line, col,
                f"`{pattern}` is not ignored by git (e.g. `{sample}` could be committed)",
                fix=f"add `{pattern}` to .gitignore",
            )


RULE = Rule(
    id="required-ignore",
    title="Required ignore pattern missing",
    severity="error",
    rationale="Keys, certificates and per-instance env files must be impossible to `git add` by accident.",
    fix="Add each reported pattern to .gitignore.",
    check=check,
    failing=Example(
        files={".gitignore": "*.pem\n*.key\n*.crt\n*.p12\ninstances/**/.env\n", "instances/eu/README.md": "eu\n"},
        expect=(("required-ignore", ".gitignore", 1), ("required-ignore", ".gitignore", 1)),
    ),
    passing=Example(
        files={
            ".gitignore": "*.pem\n*.key\n*.crt\n*.p12\n.env\n.env.*\n!.env.example\n*.dec.*\n*.plain.*\n",
            "instances/.gitignore": "secrets*\n",
        },
    ),
)
NO_INSTANCES = Example(  # a repository without instances/ is not asked for instance patterns
    files={".gitignore": "*.pem\n*.key\n*.crt\n*.p12\n.env\n.env.*\n*.dec.*\n*.plain.*\n"},
)
RULES = (RULE,)
