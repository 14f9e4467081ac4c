"""The source registry: kind -> module that finds names in one kind of file.

Adding a source is one module here (with `KIND`, `wants`, `scan`; see
`base.py`) and one line in `SOURCES`. Modules are imported on first use.
"""

from __future__ import annotations

import importlib
from functools import cache

from secretwarden.contract.discovery.sources.base import Source, SourceError

SOURCES: dict[str, str] = {
    "python": "secretwarden.contract.discovery.sources.python",
    "javascript": "secretwarden.contract.discovery.sources.javascript",
    "go": "secretwarden.contract.discovery.sources.golang",
    "ruby": "secretwarden.contract.discovery.sources.ruby",
    "java": "secretwarden.contract.discovery.sources.java",
    "shell": "secretwarden.contract.discovery.sources.shell",
    "dotenv": "secretwarden.contract.discovery.sources.dotenv",
    "compose": "secretwarden.contract.discovery.sources.compose",
    "kubernetes": "secretwarden.contract.discovery.sources.kubernetes",
    "external-secret": "secretwarden.contract.discovery.sources.external_secrets",
    "helm": "secretwarden.contract.discovery.sources.helm",
    "github-actions": "secretwarden.contract.discovery.sources.github_actions",
    "dockerfile": "secretwarden.contract.discovery.sources.dockerfile",
    "spring": "secretwarden.contract.discovery.sources.spring",
}


@cache
def load_sources() -> tuple[Source, ...]:
    modules: list[Source] = []
    for module_name in SOURCES.values():
        module: Source = importlib.import_module(module_name)
        modules.append(module)
    return tuple(modules)


__all__ = ["SOURCES", "Source", "SourceError", "load_sources"]
