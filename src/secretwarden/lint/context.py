"""What the rules see: the repository's files, parsed lazily once, and the contract.

Rules never open files themselves: `LintContext` reads, decodes and parses each
file at most once and hands out the Kubernetes objects found in all YAML files.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from secretwarden.lint import names
from secretwarden.lint.yamlpos import YamlFile, get, get_path, original, parse_yaml, scalar
from secretwarden.paths import FileTooLarge, NotRegularFile, open_for_reading, read_bounded

if TYPE_CHECKING:
    from secretwarden.contract.model import Contract, LintPolicy
    from secretwarden.contract.plan import Requirement

MAX_FILE_BYTES = 2 * 1024 * 1024
YAML_SUFFIXES = (".yaml", ".yml")
ENV_EXAMPLE_NAMES = frozenset({".env.example", ".env.sample", ".env.template"})
DEFAULT_DEPLOY_PATHS = ("deploy/**", "k8s/**", "kubernetes/**", "docker/**", "charts/**", "helm/**", "instances/**")
VALUES_NAME = re.compile(r"(?:values(?:[._-][\w.-]*)?|[\w.-]+[._-]values)\.ya?ml", re.IGNORECASE)
HELM_CALLER_SUFFIXES = (".sh", ".bash", ".yaml", ".yml", ".mk", ".just", ".toml", ".gotmpl")
HELM_CALLER_NAMES = frozenset({"Makefile", "makefile", "GNUmakefile", "justfile", "Justfile", "Taskfile"})
HELM_COMMAND = re.compile(r"\bhelm(?:file)?\b[^\n]*")
HELM_VALUES_ARG = re.compile(r"(?:^|\s)(?:-f|--values)(?:\s+|=)(?P<file>[^\s;|&]+\.ya?ml['\"]?)")
# Code the repository ships but did not write: dependencies, bundles, minified builds.
VENDORED = re.compile(r"/(node_modules|vendor|third_party|bower_components|dist)/|\.(min|bundle)\.[cm]?js$")
SOURCE_SUFFIXES = {".py": "python", ".js": "js", ".mjs": "js", ".cjs": "js", ".ts": "js", ".tsx": "js",
                   ".jsx": "js", ".go": "go"}


def basename(path: str) -> str:
    return path.rpartition("/")[2]


def dirname(path: str) -> str:
    """Posix parent folder, "." for a top-level file (as PurePosixPath would say)."""
    return path.rpartition("/")[0] or "."


def is_env_file(path: str) -> bool:
    name = basename(path)
    return name == ".env" or name.startswith(".env.") or name.endswith(".env")


@dataclass(frozen=True)
class K8sObject:
    file: str
    kind: str
    name: str | None
    node: yaml.Node  # the document's root mapping

    @property
    def api_version(self) -> str:
        return scalar(get(self.node, "apiVersion")) or ""


@dataclass(frozen=True)
class ServiceInfo:
    name: str
    source: str | None  # posix path relative to the lint root, None when outside it or unset
    access: str
    secret_name: str
    justification: str | None


class LintContext:
    def __init__(
        self,
        root: Path,
        files: list[str],
        tracked: frozenset[str] | None,
        contract: Contract | None = None,
        contract_file: str | None = None,
        contract_root: Path | None = None,
        repo_files: list[str] | None = None,
        extra_required_ignores: tuple[str, ...] = (),
    ) -> None:
        self.root = root
        # Paths rule families ask git to ignore (their REQUIRED_IGNORES), collected by the
        # registry and handed in, so the `required-ignore` rule need not import the registry.
        self.extra_required_ignores = extra_required_ignores
        self.files = sorted(files)  # the files to judge
        # Every file of the repository, for structure (which folders are charts, which
        # helpers a chart defines) when only some files are judged (`lint --staged`).
        self.repo_files = sorted(repo_files) if repo_files is not None else self.files
        self.tracked = tracked  # None: not a git repository
        self.contract = contract
        self.contract_file = contract_file  # relative to root when inside it
        self.contract_root = contract_root or root
        self._text: dict[str, str | None] = {}
        self._yaml: dict[str, YamlFile] = {}
        self._secret_names: dict[str, bool] = {}
        self.memo: dict[str, Any] = {}  # results rules share within one run

    # --- files -------------------------------------------------------------------

    def text(self, path: str) -> str | None:
        if path not in self._text:
            self._text[path] = self._read(path)
        return self._text[path]

    def _read(self, path: str) -> str | None:
        # A repository can hold a link to /dev/zero or a FIFO under any name: open without
        # blocking, judge the open descriptor, and read at most the limit, so neither hangs lint.
        try:
            raw = read_bounded(open_for_reading(self.root / path), MAX_FILE_BYTES)
        except (OSError, NotRegularFile, FileTooLarge):
            return None
        if b"\0" in raw[:8192]:
            return None
        return raw.decode("utf-8", errors="replace")

    def lines(self, path: str) -> list[str]:
        text = self.text(path)
        return text.splitlines() if text is not None else []

    def files_under(self, prefix: str) -> list[str]:
        """Repository files whose path starts with `prefix` ("" for all), by bisection of the sorted list."""
        import bisect

        if not prefix:
            return list(self.repo_files)
        start = bisect.bisect_left(self.repo_files, prefix)
        end = bisect.bisect_left(self.repo_files, prefix[:-1] + chr(ord(prefix[-1]) + 1))
        return self.repo_files[start:end]

    def yaml(self, path: str) -> YamlFile:
        if path not in self._yaml:
            self._yaml[path] = parse_yaml(self.text(path) or "")
        return self._yaml[path]

    def source_of(self, path: str, node: Any) -> str:
        """A node's text as written, template actions included."""
        return original(self.text(path) or "", node)

    @cached_property
    def yaml_files(self) -> list[str]:
        return [f for f in self.files if f.endswith(YAML_SUFFIXES)]

    def source_files(self) -> list[tuple[str, str]]:
        out = []
        for f in self.files:
            name = basename(f)
            lang = SOURCE_SUFFIXES.get(name[name.rfind("."):]) if "." in name else None
            if lang and not VENDORED.search(f"/{f}"):
                out.append((f, lang))
        return out

    @cached_property
    def chart_dirs(self) -> list[str]:
        return sorted(dirname(f) for f in self.repo_files if basename(f) == "Chart.yaml")

    @cached_property
    def _chart_set(self) -> frozenset[str]:
        return frozenset(self.chart_dirs)

    def chart_of(self, path: str) -> str | None:
        """The innermost chart folder holding `path` (a walk up its parents, not a scan of charts)."""
        folder = path
        while "/" in folder:
            folder = folder.rpartition("/")[0]
            if folder in self._chart_set:
                return folder
        return "." if "." in self._chart_set else None

    def is_chart_template(self, path: str) -> bool:
        chart = self.chart_of(path)
        if chart is None:
            return False
        rel = path if chart == "." else path[len(chart) + 1 :]
        return rel.startswith("templates/")

    def is_values_file(self, path: str) -> bool:
        """YAML a chart is installed with: by name (`values*.yaml`, `*-values.yaml`,
        `*.values.yaml`) or because a script, Makefile or CI file passes it to `helm -f`."""
        if not path.endswith(YAML_SUFFIXES) or self.is_chart_template(path):
            return False
        return VALUES_NAME.fullmatch(basename(path)) is not None or path in self.helm_values_args

    @cached_property
    def helm_values_args(self) -> frozenset[str]:
        """Files passed with `-f`/`--values` on a `helm` command line anywhere in the repository."""
        out: set[str] = set()
        present = set(self.repo_files)
        for path in self.repo_files:
            name = basename(path)
            if not (name.endswith(HELM_CALLER_SUFFIXES) or name in HELM_CALLER_NAMES):
                continue
            text = self.text(path) or ""
            if "helm" not in text or ("-f" not in text and "--values" not in text):
                continue
            text = text.replace("\\\n", " ")  # join continued shell lines
            for command in HELM_COMMAND.finditer(text):
                for arg in HELM_VALUES_ARG.finditer(command.group(0)):
                    ref = arg.group("file").strip("'\"")
                    for candidate in (ref, f"{dirname(path)}/{ref}"):
                        norm = posixpath.normpath(candidate)
                        if norm in present:
                            out.add(norm)
        return frozenset(out)

    @cached_property
    def k8s_objects(self) -> list[K8sObject]:
        out = []
        for f in self.yaml_files:
            for doc in self.yaml(f).documents:
                kind = scalar(get(doc, "kind"))
                if kind and get(doc, "apiVersion") is not None:
                    out.append(K8sObject(f, kind, scalar(get_path(doc, "metadata", "name")), doc))
        return out

    # --- policy ------------------------------------------------------------------

    @property
    def policy(self) -> LintPolicy | None:
        return self.contract.lint if self.contract is not None else None

    @cached_property
    def deploy_spec(self) -> Any:
        import pathspec

        patterns = list(self.policy.deploy_paths) if self.policy and self.policy.deploy_paths is not None else list(DEFAULT_DEPLOY_PATHS)
        patterns += [f"{c}/**" for c in self.chart_dirs if c != "."]
        return pathspec.GitIgnoreSpec.from_lines(patterns)

    def in_deploy_path(self, path: str) -> bool:
        return bool(self.deploy_spec.match_file(path))

    # --- contract-derived names -------------------------------------------------

    @cached_property
    def declared(self) -> dict[str, bool]:
        """Normalised var name -> sensitive, over every service of the contract."""
        out: dict[str, bool] = {}
        if self.contract is None:
            return out
        for svc in self.contract.services.values():
            for var, spec in svc.secrets.items():
                out[names.normalise(var)] = out.get(names.normalise(var), False) or spec.sensitive
        return out

    @cached_property
    def required(self) -> frozenset[str]:
        """Normalised var names the contract marks required in some service."""
        if self.contract is None:
            return frozenset()
        return frozenset(
            names.normalise(var)
            for svc in self.contract.services.values()
            for var, spec in svc.secrets.items()
            if spec.required
        )

    def is_secret(self, name: str) -> bool:
        verdict = self._secret_names.get(name)
        if verdict is None:
            known = self.declared.get(names.normalise(name))
            verdict = known if known is not None else names.looks_secret(name)
            self._secret_names[name] = verdict
        return verdict

    @cached_property
    def services(self) -> dict[str, ServiceInfo]:
        out: dict[str, ServiceInfo] = {}
        if self.contract is None:
            return out
        from secretwarden.contract.kubernetes import secret_name

        for svc_name, svc in self.contract.services.items():
            source: str | None = None
            if svc.source:
                full = (self.contract_root / svc.source).resolve()
                try:
                    source = full.relative_to(self.root.resolve()).as_posix()
                except ValueError:
                    source = None
            out[svc_name] = ServiceInfo(
                svc_name, source, svc.access, secret_name(svc_name, svc), svc.justification
            )
        return out

    @cached_property
    def _by_source(self) -> dict[str, ServiceInfo]:
        return {info.source: info for info in self.services.values() if info.source is not None}

    def service_of(self, path: str) -> ServiceInfo | None:
        """The service whose `source` folder is the innermost one holding `path`."""
        folder = path
        while "/" in folder:
            folder = folder.rpartition("/")[0]
            if folder in self._by_source:
                return self._by_source[folder]
        return self._by_source.get(".")

    def requirements_by_env(self) -> dict[str, list[Requirement]]:
        """`requirements()` for every environment, resolved once per run."""
        from secretwarden.contract.plan import requirements

        cached = self.memo.get("requirements")
        if cached is None:
            assert self.contract is not None
            cached = self.memo["requirements"] = {env: requirements(self.contract, env) for env in self.contract.environments}
        return cached

    def contract_position(self, *keys: str) -> tuple[int, int]:
        """Line and column of a node of warden.yaml (1, 1 when not found)."""
        if self.contract_file is None:
            return 1, 1
        docs = self.yaml(self.contract_file).documents
        node = get_path(docs[0], *keys) if docs else None
        if node is None and len(keys) > 1:
            return self.contract_position(*keys[:-1])
        if node is None:
            return 1, 1
        return node.start_mark.line + 1, node.start_mark.column + 1
