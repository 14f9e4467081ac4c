"""Every extension folder and its registry agree: a module added to a folder is registered.

mypy checks each registry entry against its protocol (a renamed entry fails the
type check); these tests catch the other half, a new rule family, reporter,
source, backend, platform, language or command module that was never listed,
whose rules or format would silently never run. A helper module that is not an
entry is named here on purpose.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from types import ModuleType

import secretwarden
from secretwarden.cli.main import COMMANDS
from secretwarden.contract.discovery.sources import load_sources
from secretwarden.delivery import PLATFORMS
from secretwarden.findings.reporters import REPORTERS
from secretwarden.lint.registry import rule_modules
from secretwarden.render.schema import LANGUAGES
from secretwarden.scan.rules import _modules as scan_rule_modules
from secretwarden.stores.registry import BACKENDS

PACKAGE = Path(secretwarden.__file__).parent


def _modules_in(folder: str, *, helpers: set[str]) -> set[str]:
    names = {p.stem for p in (PACKAGE / folder).glob("*.py")} - {"__init__"}
    assert helpers <= names, f"helpers named here no longer exist in {folder}: {helpers - names}"
    return names - helpers


def _stems(modules: Iterable[object]) -> set[str]:
    out = set()
    for module in modules:
        assert isinstance(module, ModuleType)
        out.add(module.__name__.rsplit(".", 1)[1])
    return out


def test_every_scan_rule_module_is_registered() -> None:
    helpers = {"base", "examples", "generic_prefilters"}
    assert _stems(scan_rule_modules()) == _modules_in("scan/rules", helpers=helpers)


def test_every_lint_rule_module_is_registered() -> None:
    assert _stems(rule_modules()) == _modules_in("lint/rules", helpers=set())


def test_every_discovery_source_is_registered() -> None:
    helpers = {"base", "yamldocs"}
    assert _stems(load_sources()) == _modules_in("contract/discovery/sources", helpers=helpers)


def test_every_reporter_module_is_registered() -> None:
    registered = {loader().__module__.rsplit(".", 1)[1] for loader in REPORTERS.values()}
    assert registered == _modules_in("findings/reporters", helpers=set())


def test_every_schema_language_is_registered() -> None:
    assert _stems(LANGUAGES.values()) == _modules_in("render/schema", helpers={"patterns", "spec"})


def test_every_delivery_platform_is_registered() -> None:
    registered = {factory.__module__.rsplit(".", 1)[1] for factory in PLATFORMS.values()}
    assert registered == _modules_in("delivery", helpers={"base", "sync"})


def test_every_backend_folder_is_registered() -> None:
    folders = {p.parent.name for p in (PACKAGE / "stores").glob("*/backend.py")}
    assert set(BACKENDS) == folders
    for name, loader in BACKENDS.items():
        module = loader()
        assert isinstance(module, ModuleType) and module.__name__ == f"secretwarden.stores.{name}.backend"


def test_every_command_module_is_registered() -> None:
    """Each `cli/*_cmd.py` / `*_cmds.py` module serves at least one `COMMANDS` entry."""
    registered = set()
    for loader in COMMANDS.values():
        command = loader()
        registered.add((command.callback.__module__ if command.callback else type(command).__module__)
                       .rsplit(".", 1)[1])
    command_modules = {p.stem for p in (PACKAGE / "cli").glob("*_cmd*.py")}
    assert command_modules <= registered, command_modules - registered
