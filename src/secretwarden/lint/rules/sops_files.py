"""sops guardrails: files `.sops.yaml` says must be encrypted, plaintext values beside
encrypted ones, and decrypted copies that could reach git.

All checks read clear text only (sops leaves key names and its metadata in
clear), so they need no key and never see a value in plaintext form except a
misplaced one, which they name by key, never by value.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from secretwarden.errors import WardenError
from secretwarden.lint.context import LintContext
from secretwarden.lint.model import Example, Finding, Rule
from secretwarden.stores.sops import (
    SIDECAR_SUFFIX,
    CreationRule,
    FileView,
    format_of,
    load_rules,
    parse_view,
)

DECRYPTED_PATTERNS = ("*.dec.*", "*.plain.*")
_CONFIG_NAMES = {".sops.yaml", ".sops.yml"}


def _configs(ctx: LintContext) -> list[tuple[str, list[CreationRule]]]:
    """(folder, rules with a path_regex) of every .sops.yaml in the tree."""
    if "sops_configs" in ctx.memo:
        return list(ctx.memo["sops_configs"])
    out: list[tuple[str, list[CreationRule]]] = []
    for path in ctx.files:
        if PurePosixPath(path).name not in _CONFIG_NAMES:
            continue
        try:
            rules = load_rules(ctx.root / path)
        except WardenError:
            continue  # a broken .sops.yaml is reported by sops itself on every call
        folder = str(PurePosixPath(path).parent)
        # A rule without path_regex matches every file: it says where keys come
        # from, not which files must be encrypted, so it cannot drive this check.
        out.append((folder, [r for r in rules if r.path_regex is not None]))
    ctx.memo["sops_configs"] = out
    return out


def _governed(ctx: LintContext, path: str) -> bool:
    name = PurePosixPath(path).name
    if name in _CONFIG_NAMES or name.endswith(SIDECAR_SUFFIX) or name == ".gitignore":
        return False
    for folder, rules in _configs(ctx):
        if folder != "." and not path.startswith(folder + "/"):
            continue
        rel = path if folder == "." else path[len(folder) + 1 :]
        if any(r.matches(rel) for r in rules):
            return True
    return False


def _view(ctx: LintContext, path: str) -> FileView | None:
    text = ctx.text(path)
    if text is None:
        return None
    formats = [format_of(path)] if format_of(path) else ["json", "yaml", "dotenv"]
    for fmt in formats:
        try:
            view = parse_view(Path(path), text, str(fmt))
        except WardenError:
            continue
        if view.encrypted or fmt == formats[-1]:
            return view
    return None


def _key_line(ctx: LintContext, path: str, key: str) -> int:
    pattern = re.compile(rf"^\s*(?:\"{re.escape(key)}\"\s*:|{re.escape(key)}\s*[:=])")
    for number, line in enumerate(ctx.lines(path), start=1):
        if pattern.match(line):
            return number
    return 1


def check_unencrypted(ctx: LintContext) -> Iterator[Finding]:
    for path in ctx.files:
        if not _governed(ctx, path):
            continue
        view = _view(ctx, path)
        if view is None or not view.encrypted:
            yield UNENCRYPTED.finding(
                path, 1, 1, f"`{path}` matches a .sops.yaml creation rule but is not a sops-encrypted file"
            )


def check_plaintext(ctx: LintContext) -> Iterator[Finding]:
    for path in ctx.files:
        fmt = format_of(path)
        if fmt is None or PurePosixPath(path).name.endswith(SIDECAR_SUFFIX):
            continue
        text = ctx.text(path)
        if text is None or ("sops" not in text):
            continue
        view = _view(ctx, path)
        if view is None or not view.encrypted:
            continue
        for key in sorted(view.plaintext_keys):
            yield PLAINTEXT.finding(
                path, _key_line(ctx, path, key), 1,
                f"`{key}` in sops file `{path}` is stored in plain text beside encrypted values",
            )


def check_decrypted_tracked(ctx: LintContext) -> Iterator[Finding]:
    candidates = ctx.tracked if ctx.tracked is not None else frozenset(ctx.files)
    for path in sorted(candidates):
        name = PurePosixPath(path).name
        if any(fnmatch.fnmatch(name, p) for p in DECRYPTED_PATTERNS):
            yield DECRYPTED_TRACKED.finding(path, 1, 1, f"`{path}` looks like a decrypted copy and is tracked by git")


def check_decrypted_ignored(ctx: LintContext) -> Iterator[Finding]:
    if not _configs(ctx):
        return
    from secretwarden.lint.rules.ignore_patterns import is_ignored, sample_path

    for pattern in DECRYPTED_PATTERNS:
        sample = sample_path(pattern)
        if not is_ignored(ctx, sample):
            yield NOT_IGNORED.finding(
                ".gitignore", 1, 1,
                f"`{pattern}` is not ignored by git (e.g. a decrypted `{sample}` could be committed)",
                fix=f"add `{pattern}` to .gitignore",
            )


# Example files carry the shape of sops output only: placeholder ciphertexts, no key material.
_SOPS_YAML = "creation_rules:\n  - path_regex: ^secrets/.*\\.yaml$\n    age: age1-team-recipient\n"
_ENC = "ENC[AES256_GCM,data:AAAA,iv:AAAA,tag:AAAA,type:str]"
_META = f"sops:\n    mac: {_ENC}\n    unencrypted_suffix: _unencrypted\n    version: 3.11.0\n"

UNENCRYPTED = Rule(
    id="sops-unencrypted",
    title="File that .sops.yaml says must be encrypted is not",
    severity="error",
    rationale="A creation rule marks where encrypted secrets live; a plain file there is a secret committed in clear.",
    fix="Encrypt it in place (`sops encrypt -i FILE`) or write it with `warden set`; rotate any value it exposed.",
    check=check_unencrypted,
    failing=Example(
        files={".sops.yaml": _SOPS_YAML, "secrets/dev.yaml": "API_TOKEN: not-encrypted\n"},
        expect=(("sops-unencrypted", "secrets/dev.yaml", 1),),
    ),
    passing=Example(files={".sops.yaml": _SOPS_YAML, "secrets/dev.yaml": f"API_TOKEN: {_ENC}\n{_META}"}),
)
PLAINTEXT = Rule(
    id="sops-plaintext-value",
    title="Plaintext value beside encrypted ones in a sops file",
    severity="error",
    rationale="A value added to an encrypted file by hand stays in clear text, and git keeps it forever.",
    fix="Set it with `sops set` or `warden set` (or mark it with the file's unencrypted suffix if it is not secret); rotate it.",
    check=check_plaintext,
    failing=Example(
        files={"secrets/dev.enc.yaml": f"API_TOKEN: {_ENC}\nWEBHOOK_TOKEN: added-by-hand\n{_META}"},
        expect=(("sops-plaintext-value", "secrets/dev.enc.yaml", 2),),
    ),
    passing=Example(files={"secrets/dev.enc.yaml": f"API_TOKEN: {_ENC}\nPORT_unencrypted: 8080\n{_META}"}),
)
DECRYPTED_TRACKED = Rule(
    id="sops-decrypted-copy-tracked",
    title="Decrypted copy of a secret file tracked by git",
    severity="error",
    rationale="`*.dec.*` and `*.plain.*` are the conventional names of decrypted sops output; in git they are plaintext secrets.",
    fix="`git rm --cached` the file, ignore `*.dec.*` and `*.plain.*`, and rotate what it held.",
    check=check_decrypted_tracked,
    failing=Example(
        files={"secrets/dev.dec.yaml": "PORT: 1\n"},
        expect=(("sops-decrypted-copy-tracked", "secrets/dev.dec.yaml", 1),),
    ),
    passing=Example(files={"secrets/dev.enc.yaml": f"PORT: {_ENC}\n{_META}"}),
)
NOT_IGNORED = Rule(
    id="sops-decrypted-not-ignored",
    title="Decrypted sops outputs not ignored by git",
    severity="error",
    rationale="In a repository that uses sops, decrypted copies must be impossible to `git add` by accident.",
    fix="Add `*.dec.*` and `*.plain.*` to .gitignore (`warden sops init` does).",
    check=check_decrypted_ignored,
    failing=Example(
        files={".sops.yaml": _SOPS_YAML, ".gitignore": "*.pem\n"},
        expect=(("sops-decrypted-not-ignored", ".gitignore", 1), ("sops-decrypted-not-ignored", ".gitignore", 1)),
    ),
    passing=Example(files={".sops.yaml": _SOPS_YAML, ".gitignore": "*.dec.*\n*.plain.*\n"}),
)
RULES = (UNENCRYPTED, PLAINTEXT, DECRYPTED_TRACKED, NOT_IGNORED)
