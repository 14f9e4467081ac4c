"""Load `warden.yaml`: YAML with positions -> validated `Contract`, with a cache.

Parsing uses libyaml's composer (nodes carry line/column marks) so every error
can name `file:line:column`. The validated result is cached as JSON keyed by
the file's SHA-256, so large contracts are parsed once (see docs/benchmarks.md).
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from secretwarden.contract.bulk import bulk_build
from secretwarden.contract.facts import ContractFacts
from secretwarden.contract.locate import CONTRACT_NAMES as CONTRACT_NAMES  # re-exported
from secretwarden.contract.locate import MAX_CONTRACT_BYTES as MAX_CONTRACT_BYTES
from secretwarden.contract.locate import contract_digest as contract_digest
from secretwarden.contract.locate import find_contract as find_contract
from secretwarden.contract.locate import read_contract_bytes as read_contract_bytes
from secretwarden.contract.locate import resolve_contract_path as resolve_contract_path
from secretwarden.errors import ContractError
from secretwarden.paths import cache_dir

_CACHE_FORMAT = "contract-v4"  # v4: key names as written (`ON:` no longer True); v3: facts line, then data

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Mark:
    line: int  # 1-based
    column: int  # 1-based


def load_contract(path: str | os.PathLike[str] | None = None, *, use_cache: bool = True) -> LoadedContract:
    contract_path = resolve_contract_path(path).resolve()
    raw = read_contract_bytes(contract_path)
    digest = contract_digest(raw)
    # A long-running process (`warden serve`) loads the same file again and again: reuse the
    # validated, immutable model while the bytes are unchanged.
    held = _LAST_LOADED.get(str(contract_path))
    if use_cache and held is not None and held.digest == digest:
        return held
    # The cache is sealed (contract/sealed_cache.py): a file this user's warden did not write is a miss.
    key = _cache_key(contract_path) if use_cache else None
    cache_file = cache_dir() / "contracts" / f"{digest}.json" if key is not None else None
    context = f"{_CACHE_FORMAT}\0{_version()}\0{digest}".encode()
    if cache_file is not None and key is not None:
        cached = _read_cache(cache_file, key, context)
        if cached is not None:
            # The model is validated when something asks for it (reports get by on the facts).
            data, facts = cached
            return _remember(LoadedContract(contract_path, digest, None, data=data, facts=facts, raw=raw))
    contract = parse_contract(raw, str(contract_path))
    loaded = LoadedContract(contract_path, digest, contract)
    if cache_file is not None and key is not None:
        from secretwarden.contract.sealed_cache import write_sealed

        # Two JSON documents on two lines: a report reads the short first one (the facts) and
        # leaves the contract's data unparsed until something asks for the model.
        head = json.dumps({"format": _CACHE_FORMAT, "facts": loaded.facts.to_json()})
        text = json.dumps(contract.model_dump(mode="json", exclude_unset=True))
        with contextlib.suppress(OSError):  # a read-only cache only costs speed
            write_sealed(cache_file, key, context, f"{head}\n{text}".encode())
    return _remember(loaded) if use_cache else loaded


def _version() -> str:
    from secretwarden import __version__

    return __version__


_LAST_LOADED: dict[str, LoadedContract] = {}


def _remember(loaded: LoadedContract) -> LoadedContract:
    _LAST_LOADED.clear()  # one contract at a time is plenty, and bounds the memory held
    _LAST_LOADED[str(loaded.path)] = loaded
    return loaded


def _cache_key(contract_path: Path) -> bytes | None:
    from secretwarden.contract.sealed_cache import local_key

    try:
        return local_key(create=True, project_root=contract_path.parent)
    except (OSError, RuntimeError, KeyError):  # no HOME, no config folder: no cache
        return None


def _read_cache(cache_file: Path, key: bytes, context: bytes) -> tuple[bytes, ContractFacts] | None:
    """(the contract's data, still JSON text; its facts) from a sealed cache file, or None."""
    from secretwarden.contract.sealed_cache import unseal

    body = unseal(key, context, cache_file)
    if body is None:
        return None
    head, sep, data = body.partition(b"\n")
    try:
        payload = json.loads(head)
        if not sep or not isinstance(payload, dict) or payload.get("format") != _CACHE_FORMAT:
            return None
        facts = ContractFacts.from_json(payload["facts"])
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    return data, facts


class LoadedContract:
    """A contract file's path, digest and validated model, plus the facts a workspace needs.

    Loaded from the cache, the model is validated on first use of `.contract`
    (commands that only open stores and read the compiled report plan never
    import pydantic); `facts` are there either way.
    """

    __slots__ = ("_contract", "_data", "_facts", "_raw", "digest", "path")

    def __init__(
        self,
        path: Path,
        digest: str,
        contract: Any,
        *,
        data: bytes | None = None,
        facts: ContractFacts | None = None,
        raw: bytes | None = None,
    ) -> None:
        if contract is None and data is None:
            raise ValueError("a loaded contract needs its model or its cached data")
        self.path = path
        self.digest = digest
        self._contract = contract
        self._data = data
        self._facts = facts
        self._raw = raw

    @property
    def contract(self) -> Any:
        """secretwarden.contract.model.Contract (typed Any to keep pydantic out of this module's imports)."""
        if self._contract is None:
            from pydantic import ValidationError

            from secretwarden.contract.model import Contract

            try:
                self._contract = bulk_build(Contract.model_validate)(json.loads(self._data or b"null"))
            except (ValidationError, ValueError):
                # Cached by a model that no longer accepts it: parse the file itself, which names
                # the problem with its line if there is one.
                self._contract = parse_contract(self._raw or read_contract_bytes(self.path), str(self.path))
            self._data = None
        return self._contract

    @property
    def facts(self) -> ContractFacts:
        if self._facts is None:
            from secretwarden.contract.facts import facts_of

            self._facts = facts_of(self.contract)
        return self._facts

    @property
    def root(self) -> Path:
        return self.path.parent


# --- YAML with positions ----------------------------------------------------------


def _decode(raw: bytes, filename: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ContractError(
            f"{filename}:{line}:{col}: the file is not valid UTF-8",
            hint="save warden.yaml as UTF-8",
        ) from None


def compose_with_marks(text: str, filename: str) -> tuple[Any, dict[Loc, Mark]]:
    import yaml

    from secretwarden import safe_yaml

    loader_cls = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        node = safe_yaml.compose(text, name=filename)
    except safe_yaml.YamlLimitExceeded as exc:
        raise ContractError(exc.message, hint=exc.hint) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{filename}:{mark.line + 1}:{mark.column + 1}" if mark else filename
        raise ContractError(f"{where}: malformed YAML: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise ContractError(f"{filename}: malformed YAML ({type(exc).__name__})") from None
    marks: dict[Loc, Mark] = {}
    if node is None:
        return None, marks
    # One constructor resolves every scalar the way SafeLoader would (ints, bools, dates).
    constructor = loader_cls("")
    try:
        return _Converter(constructor, marks, filename).convert(node, ()), marks
    except RecursionError:  # libyaml allows 1,000 levels; no contract needs a tenth of that
        raise ContractError(f"{filename}: YAML refused: nested too deeply") from None
    finally:
        constructor.dispose()


class _Converter:
    def __init__(self, constructor: Any, marks: dict[Loc, Mark], filename: str) -> None:
        self.constructor = constructor
        self.marks = marks
        self.filename = filename

    def scalar(self, node: Any) -> Any:
        try:
            return self.constructor.construct_object(node, deep=True)
        except Exception:
            m = node.start_mark
            raise ContractError(
                f"{self.filename}:{m.line + 1}:{m.column + 1}: cannot read this value (tag {node.tag})"
            ) from None

    def convert(self, node: Any, loc: Loc) -> Any:
        return _to_python(self, node, loc)


def _to_python(conv: _Converter, node: Any, loc: Loc) -> Any:
    import yaml

    marks, filename = conv.marks, conv.filename

    marks[loc] = Mark(node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise ContractError(
                    f"{filename}:{key_node.start_mark.line + 1}:{key_node.start_mark.column + 1}: "
                    "YAML merge keys (<<) are not supported in a contract"
                )
            key = conv.scalar(key_node)
            if isinstance(key, bool) or not isinstance(key, str | int):
                # A name is what was written: `ON:` or `~:` as a key is the text ON or ~, never
                # the boolean's or null's spelling in Python (True, None), which no one wrote.
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key)
            if key in out:
                raise ContractError(
                    f"{filename}:{key_node.start_mark.line + 1}:{key_node.start_mark.column + 1}: "
                    f"duplicate key `{key}`"
                )
            child = (*loc, str(key))
            marks[(*child, "<key>")] = Mark(key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            out[str(key)] = _to_python(conv, value_node, child)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_to_python(conv, item, (*loc, i)) for i, item in enumerate(node.value)]
    return conv.scalar(node)


@bulk_build  # 10,000 keys are 100,000 small objects, no cycles: contract/bulk.py
def parse_contract(raw: bytes, filename: str) -> Any:
    from pydantic import ValidationError

    from secretwarden.contract import plain_yaml
    from secretwarden.contract.model import Contract
    from secretwarden.contract.references import ReferenceProblems

    text = _decode(raw, filename)
    # The common subset is read without libyaml (see plain_yaml.py); positions are needed only
    # for error messages, so a contract that validates never pays for them.
    data = plain_yaml.load(text) if len(text) <= MAX_CONTRACT_BYTES else plain_yaml.NOT_PLAIN
    marks: dict[Loc, Mark] | None = None
    if data is plain_yaml.NOT_PLAIN:
        data, marks = compose_with_marks(text, filename)
    if not isinstance(data, dict):
        raise ContractError(f"{filename}:1:1: a contract is a YAML mapping with `project`, `environments`, ...")
    try:
        return Contract.model_validate(data)
    except ValidationError as exc:
        marks = marks if marks is not None else compose_with_marks(text, filename)[1]
        problems = [_describe(err, marks, filename) for err in exc.errors(include_input=False)]
    except ReferenceProblems as exc:
        marks = marks if marks is not None else compose_with_marks(text, filename)[1]
        problems = [f"{_where(loc, marks, filename)}: {'.'.join(map(str, loc))}: {msg}" for loc, msg in exc.problems]
    raise ContractError(f"{filename}: {len(problems)} problem(s) in the contract", problems=problems)


def _where(loc: Loc, marks: dict[Loc, Mark], filename: str, *, key: bool = False) -> str:
    probe = tuple(loc)
    if key and (*probe, "<key>") in marks:
        m = marks[(*probe, "<key>")]
        return f"{filename}:{m.line}:{m.column}"
    while probe and probe not in marks:
        probe = probe[:-1]
    m = marks.get(probe, Mark(1, 1))
    return f"{filename}:{m.line}:{m.column}"


def _describe(err: Any, marks: dict[Loc, Mark], filename: str) -> str:
    loc = _strip_union_tags(tuple(err["loc"]))
    field = ".".join(str(p) for p in loc) or "(top level)"
    msg = str(err["msg"])
    if err["type"] == "extra_forbidden":
        allowed = _allowed_fields(loc[:-1])
        from secretwarden.contract.suggest import closest

        guess = closest(str(loc[-1]), allowed) if allowed else None
        msg = f"unknown field `{loc[-1]}`" + (f"; did you mean `{guess}`?" if guess else "")
        return f"{_where(loc, marks, filename, key=True)}: {field}: {msg}"
    if err["type"] == "missing":
        return f"{_where(loc[:-1], marks, filename)}: {field}: required field is missing"
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    return f"{_where(loc, marks, filename)}: {field}: {msg}"


def _strip_union_tags(loc: Loc) -> Loc:
    """Drop the union-member tags pydantic adds to error paths (`FormatRegex`, `str`, ...)."""
    from pydantic import BaseModel

    from secretwarden.contract import model

    tags = {n for n, v in vars(model).items() if isinstance(v, type) and issubclass(v, BaseModel)}
    tags |= {"str", "int", "bool"}
    return tuple(
        p
        for p in loc
        if not (isinstance(p, str) and (p in tags or p.startswith(("literal[", "function-"))))
    )


def _allowed_fields(loc: Loc) -> list[str]:
    """Field names valid at `loc`, found by walking the models along the path."""
    import typing

    from pydantic import BaseModel

    from secretwarden.contract.model import Contract

    current: Any = Contract
    i = 0
    while i < len(loc):
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return []
        field = current.model_fields.get(str(loc[i]))
        if field is None:
            return []
        ann = field.annotation
        i += 1
        # unwrap dict[str, Model] / list[Model] / Optional[Model]
        while True:
            origin = typing.get_origin(ann)
            if origin is dict:
                ann = typing.get_args(ann)[1]
                i += 1
            elif origin is list:
                ann = typing.get_args(ann)[0]
                i += 1
            elif origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
                models = [a for a in typing.get_args(ann) if isinstance(a, type) and issubclass(a, BaseModel)]
                if not models:
                    return []
                ann = models[0]
            else:
                break
        current = ann
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []

