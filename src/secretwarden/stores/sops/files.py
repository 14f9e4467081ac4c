"""What can be known about sops files without any key.

* `SopsLayout`: where the file of (environment, namespace[, instance]) lives,
  from the store's path templates, and which files exist.
* `FileView`: a sops file read as clear text. sops encrypts values only, so
  key names, recipients, `lastmodified` and each value's ciphertext are
  readable without a key. A view keeps a digest of each ciphertext (to see
  values changed outside warden), never the string itself: a plaintext value
  left beside encrypted ones must not travel further than this module.
* The sidecar `<file>.warden.json`: warden's clear-text metadata per key.
  It sits outside the encrypted file, so the file's MAC and its readability
  by plain `sops` are untouched.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from secretwarden.errors import ContractError, InputError, IntegrityError
from secretwarden.paths import FileTooLarge, NotRegularFile, open_for_reading, read_bounded

SIDECAR_SUFFIX = ".warden.json"
STATE_FILE = ".warden-sops.json"  # store-wide state (denied fingerprints), in the layout's base folder
FORMAT_EXT = {"yaml": "yaml", "json": "json", "dotenv": "env"}
PLACEHOLDER = re.compile(r"\{(env|namespace|instance)\}")
_SAFE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.@-]*$")
ENC_PREFIX = "ENC["


@dataclass(frozen=True)
class FileUnit:
    """The slot group one file holds."""

    env: str
    namespace: str
    instance: str | None = None

    def label(self) -> str:
        inst = f"@{self.instance}" if self.instance else ""
        return f"{self.env}{inst}:{self.namespace}"


@dataclass(frozen=True)
class _Template:
    base: Path  # the leading folders that hold no placeholder
    rest: str  # the remainder, relative to base, with placeholders
    regex: re.Pattern[str]

    @classmethod
    def parse(cls, root: Path, text: str, needs: set[str], option: str) -> _Template:
        found = set(PLACEHOLDER.findall(text))
        if found != needs:
            raise ContractError(
                f"sops store option `{option}` must use exactly the placeholders "
                + ", ".join("{" + n + "}" for n in sorted(needs))
                + f" (got `{text}`)"
            )
        full = Path(text) if Path(text).is_absolute() else root / text
        parts = full.parts
        first = next(i for i, p in enumerate(parts) if PLACEHOLDER.search(p))
        base = Path(*parts[:first])
        rest = "/".join(parts[first:])
        pattern = ""
        pos = 0
        for m in PLACEHOLDER.finditer(rest):
            pattern += re.escape(rest[pos : m.start()]) + f"(?P<{m.group(1)}>[^/]+)"
            pos = m.end()
        pattern += re.escape(rest[pos:])
        return cls(base, rest, re.compile(f"^{pattern}$"))

    def fill(self, **names: str) -> Path:
        return self.base / PLACEHOLDER.sub(lambda m: names[m.group(1)], self.rest)

    def glob(self, env: str | None) -> str:
        return PLACEHOLDER.sub(lambda m: env if (m.group(1) == "env" and env) else "*", self.rest)


@dataclass(frozen=True)
class SopsLayout:
    root: Path
    fmt: str
    main: _Template
    per_instance: _Template

    @classmethod
    def from_options(cls, root: Path, options: dict[str, Any], store: str) -> SopsLayout:
        fmt = str(options.get("format", "yaml"))
        if fmt not in FORMAT_EXT:
            raise ContractError(
                f"store `{store}`: sops format must be one of yaml, json, dotenv (got `{fmt}`)"
            )
        ext = FORMAT_EXT[fmt]
        main = str(options.get("path") or f"secrets/{{env}}/{{namespace}}.enc.{ext}")
        if "{instance}" in main:
            raise ContractError(f"store `{store}`: put {{instance}} in `instance_path`, not in `path`")
        default_inst = main.replace("{namespace}", "{instance}/{namespace}", 1)
        inst = str(options.get("instance_path") or default_inst)
        return cls(
            root=root,
            fmt=fmt,
            main=_Template.parse(root, main, {"env", "namespace"}, "path"),
            per_instance=_Template.parse(root, inst, {"env", "namespace", "instance"}, "instance_path"),
        )

    @property
    def base_dir(self) -> Path:
        """The deepest folder that holds every file of the store."""
        a, b = self.main.base.parts, self.per_instance.base.parts
        common = [x for x, y in zip(a, b, strict=False) if x == y]
        return Path(*common) if common else self.root

    def path_for(self, unit: FileUnit) -> Path:
        for name in (unit.env, unit.namespace, unit.instance or "x"):
            if not _SAFE_NAME.match(name):
                raise ContractError(f"`{name}` cannot be used in a sops file path")
        if unit.instance:
            return self.per_instance.fill(env=unit.env, namespace=unit.namespace, instance=unit.instance)
        return self.main.fill(env=unit.env, namespace=unit.namespace)

    def files(self, env: str | None = None) -> Iterator[tuple[FileUnit, Path]]:
        """Every existing file of the store (for `env`), in a stable order."""
        seen: set[Path] = set()
        found: list[tuple[FileUnit, Path]] = []
        # Per-instance files first: with a template like `{env}.env` beside
        # `{instance}.{env}.env`, a path matching both belongs to the instance.
        for tpl, has_instance in ((self.per_instance, True), (self.main, False)):
            if not tpl.base.is_dir():
                continue
            for path in tpl.base.glob(tpl.glob(env)):
                rel = path.relative_to(tpl.base).as_posix()
                m = tpl.regex.match(rel)
                # Anything else that is not a folder is listed, even a FIFO, a device or a link:
                # reading it (stat_key) reports the damage, where skipping it here would make
                # the file vanish silently from `status` and `store verify`.
                if m is None or path in seen or path.is_dir():
                    continue
                groups = m.groupdict()
                if any(not _SAFE_NAME.match(v) for v in groups.values()):
                    continue
                seen.add(path)
                unit = FileUnit(groups["env"], groups["namespace"], groups.get("instance") if has_instance else None)
                found.append((unit, path))
        found.sort(key=lambda item: (item[0].env, item[0].namespace, item[0].instance or ""))
        return iter(found)


def digest(text: str) -> str:
    """A short digest of a ciphertext string: enough to see that it changed."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


@dataclass
class FileView:
    """A sops file read without a key. Holds digests and names, never value strings."""

    path: Path
    digests: dict[str, str] = field(default_factory=dict)  # key -> digest of its stored form
    plaintext_keys: set[str] = field(default_factory=set)  # keys whose value is not encrypted
    encrypted: bool = False  # carries sops metadata (a MAC)
    recipients: tuple[str, ...] = ()
    lastmodified: dt.datetime | None = None
    mac_digest: str | None = None

    @property
    def keys(self) -> list[str]:
        return list(self.digests)


def _is_encrypted(value: Any) -> bool:
    if isinstance(value, str):
        return value.startswith(ENC_PREFIX)
    if isinstance(value, dict):
        return all(_is_encrypted(v) for v in value.values())
    if isinstance(value, list):
        return all(_is_encrypted(v) for v in value)
    return False


def _parse_time(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    return None


def _intended_plain(meta: Any) -> Callable[[str], bool]:
    """Which top-level keys the file's own sops settings leave unencrypted on purpose."""
    m = meta if isinstance(meta, dict) else {}

    def rx(name: str) -> re.Pattern[str] | None:
        raw = m.get(name)
        try:
            return re.compile(raw) if isinstance(raw, str) and raw else None
        except re.error:
            return None

    unenc_suffix = m.get("unencrypted_suffix") if isinstance(m.get("unencrypted_suffix"), str) else None
    enc_suffix = m.get("encrypted_suffix") if isinstance(m.get("encrypted_suffix"), str) else None
    unenc_re, enc_re = rx("unencrypted_regex"), rx("encrypted_regex")

    def plain_on_purpose(key: str) -> bool:
        if unenc_suffix and key.endswith(unenc_suffix):
            return True
        if enc_suffix and not key.endswith(enc_suffix):
            return True
        if unenc_re is not None and unenc_re.search(key):
            return True
        return enc_re is not None and not enc_re.search(key)

    return plain_on_purpose


def _fill(view: FileView, tree: dict[str, Any], meta: Any) -> None:
    on_purpose = _intended_plain(meta)
    for raw_key, value in tree.items():
        key = str(raw_key)
        stored = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
        view.digests[key] = digest(stored)
        if not _is_encrypted(value) and not on_purpose(key):
            view.plaintext_keys.add(key)
    if isinstance(meta, dict):
        view.encrypted = "mac" in meta
        ages = meta.get("age") or []
        view.recipients = tuple(
            str(a.get("recipient")) for a in ages if isinstance(a, dict) and a.get("recipient")
        )
        view.lastmodified = _parse_time(meta.get("lastmodified"))
        if isinstance(meta.get("mac"), str):
            view.mac_digest = digest(meta["mac"])


def _dotenv_tree(text: str) -> tuple[dict[str, str], dict[str, Any]]:
    from secretwarden.dotenv_text import parse as parse_dotenv

    tree: dict[str, str] = {}
    flat_meta: dict[str, str] = {}
    for found in parse_dotenv(text, quoting=False).assignments:
        key, value = found.name, found.value
        if key.startswith("sops_"):
            flat_meta[key[5:]] = value
        else:
            tree[key] = value
    if not flat_meta:
        return tree, {}
    meta: dict[str, Any] = {k: v for k, v in flat_meta.items() if "__" not in k}
    ages: dict[str, dict[str, str]] = {}
    for k, v in flat_meta.items():
        m = re.match(r"^age__list_(\d+)__map_(\w+)$", k)
        if m:
            ages.setdefault(m.group(1), {})[m.group(2)] = v
    meta["age"] = [ages[i] for i in sorted(ages, key=int)]
    return tree, meta


def read_view(path: Path, fmt: str) -> FileView | None:
    """The clear-text view of `path`, or None when it does not exist."""
    try:
        text = read_regular(path, "sops file").decode("utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise IntegrityError(f"{path}: cannot read the sops file ({type(exc).__name__})") from None
    return parse_view(path, text, fmt)


def parse_view(path: Path, text: str, fmt: str) -> FileView:
    """A view of `text` (the content of `path` in format `fmt`). Raises IntegrityError."""
    view = FileView(path)
    tree: Any
    meta: Any
    try:
        if fmt == "dotenv":
            tree, meta = _dotenv_tree(text)
        elif fmt == "json":
            tree = json.loads(text) if text.strip() else {}
            meta = tree.pop("sops", None) if isinstance(tree, dict) else None
        else:
            fast = _flat_yaml(text)
            if fast is not None:
                tree, meta = fast
            else:
                tree = _load_yaml(text) or {}
                meta = tree.pop("sops", None) if isinstance(tree, dict) else None
    except InputError as exc:  # a YAML bomb, refused before it is expanded; the message holds no content
        raise InputError(f"{path}: {exc.message}", hint=exc.hint) from None
    except Exception as exc:  # parser errors quote the offending line: never pass them on
        raise IntegrityError(f"{path}: not a readable {fmt} file ({type(exc).__name__})") from None
    if not isinstance(tree, dict):
        raise IntegrityError(f"{path}: a sops secret file must hold a mapping at the top level")
    _fill(view, tree, meta)
    return view


_FLAT_LINE = re.compile(r"^([A-Za-z_][A-Za-z0-9_.-]*): (ENC\[AES256_GCM,[A-Za-z0-9+/=,:_]*\])$")


def _load_yaml(text: str) -> Any:
    from secretwarden import safe_yaml

    return safe_yaml.load(text)


def _flat_yaml(text: str) -> tuple[dict[str, Any], Any] | None:
    """The common case, read by line: flat `KEY: ENC[...]` lines, then the `sops:` block.

    Files that warden writes look like this, and status over a hundred files
    should not pay for a YAML parse of every value line. Anything else (nested
    trees, comments, plain values) returns None and gets the full parser.
    """
    head, sep, block = text.partition("\nsops:\n")
    if not sep:
        if not text.startswith("sops:\n"):
            return None
        head, block = "", text[len("sops:\n") :]
    tree: dict[str, Any] = {}
    for line in head.splitlines():
        m = _FLAT_LINE.match(line)
        if m is None:
            return None
        tree[m.group(1)] = m.group(2)
    meta = _flat_meta(block)
    return (tree, meta) if meta is not None else None


_META_SCALAR = re.compile(r"^    ([a-z_]+): (.+)$")
_META_RECIPIENT = re.compile(r"^        - recipient: (\S+)$")


def _flat_meta(block: str) -> dict[str, Any] | None:
    """The `sops:` block by line: scalars at one indent, age recipients. None when unsure."""
    meta: dict[str, Any] = {}
    ages: list[dict[str, str]] = []
    for line in block.splitlines():
        if not line.startswith("    "):
            return None  # something after the block: not the layout sops writes
        m = _META_SCALAR.match(line)
        if m:
            raw = m.group(2)
            if raw.startswith('"'):
                try:
                    meta[m.group(1)] = json.loads(raw)
                except ValueError:
                    return None
            elif raw.startswith("'"):
                if not raw.endswith("'"):
                    return None
                meta[m.group(1)] = raw[1:-1].replace("''", "'")
            else:
                meta[m.group(1)] = raw
            continue
        r = _META_RECIPIENT.match(line)
        if r:
            ages.append({"recipient": r.group(1)})
    meta["age"] = ages
    return meta if "mac" in meta else None


def format_of(path: str) -> str | None:
    """The sops format a file name implies (as sops itself guesses it), None when unknown."""
    name = path.rsplit("/", 1)[-1]
    if name.endswith((".yaml", ".yml")):
        return "yaml"
    if name.endswith(".json"):
        return "json"
    if name.endswith(".env") or name == ".env" or name.startswith(".env."):
        return "dotenv"
    return None


# --- the sidecar ---------------------------------------------------------------


def sidecar_path(path: Path) -> Path:
    return path.with_name(path.name + SIDECAR_SUFFIX)


def load_json_doc(path: Path) -> dict[str, Any]:
    try:
        raw = read_regular(path, "warden metadata")
    except FileNotFoundError:
        return {"format": 1}
    except OSError as exc:
        raise IntegrityError(f"{path}: cannot read warden metadata ({type(exc).__name__})") from None
    try:
        doc = json.loads(raw)
    except (ValueError, RecursionError):
        raise IntegrityError(f"{path}: warden metadata is not valid JSON") from None
    if not isinstance(doc, dict):
        raise IntegrityError(f"{path}: warden metadata is not a JSON object")
    version = doc.get("format", 1)
    if not isinstance(version, int) or isinstance(version, bool):
        raise IntegrityError(f"{path}: warden metadata has no valid format number")
    if version > 1:
        raise IntegrityError(f"{path}: written by a newer warden", hint="upgrade secretwarden")
    return doc


def dump_json_doc(doc: dict[str, Any]) -> bytes:
    # One key per line and sorted: sidecars live in git and should diff well.
    return (json.dumps(doc, indent=1, sort_keys=True) + "\n").encode("utf-8")


# Files in the repository are the attacker's to shape: no store file is near this size.
MAX_FILE_BYTES = 64 * 1024 * 1024


def read_regular(path: Path, what: str) -> bytes:
    """A store file's bytes: a link to /dev/zero or a FIFO is refused (it would hang warden, or
    sops fed the same path), and so are a link to nothing and a file over MAX_FILE_BYTES.
    FileNotFoundError passes."""
    try:
        return read_bounded(open_for_reading(path), MAX_FILE_BYTES)
    except FileNotFoundError:
        if path.is_symlink():  # a file replaced by a link to nothing is damage, not absence
            raise _not_regular(path, "a link to nothing") from None
        raise
    except NotRegularFile as exc:
        raise IntegrityError(
            f"{path}: the {what} is not a regular file ({_kind(exc.mode)})", hint="remove it or restore the file from git"
        ) from None
    except FileTooLarge:
        raise IntegrityError(f"{path}: the {what} is larger than {MAX_FILE_BYTES} bytes") from None


def stat_key(path: Path) -> tuple[int, int, int] | None:
    """What tells one version of a store file from another (None: the file does not exist).

    A store file that is anything but a regular file is damage, reported before anything reads
    it: sops would read a link to /dev/zero until killed, and a FIFO blocks its reader."""
    try:
        st = path.stat()
    except FileNotFoundError:
        if path.is_symlink():
            raise _not_regular(path, "a link to nothing") from None
        return None
    if not stat.S_ISREG(st.st_mode):
        raise _not_regular(path, ("a link to " if path.is_symlink() else "") + _kind(st.st_mode))
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def exists(path: Path) -> bool:
    """Whether a store file exists; one that is not a regular file raises IntegrityError."""
    return stat_key(path) is not None


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "a device"


def _not_regular(path: Path, kind: str) -> IntegrityError:
    return IntegrityError(f"{path}: not a regular file ({kind})", hint="remove it or restore the file from git")
