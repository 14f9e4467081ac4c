"""Helpers for the scanner tests: fake secrets are made here, at test time."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from secretwarden.scan.rules.examples import expand


def fake(template: str, seed: int = 0) -> str:
    """A format-valid fake secret built from a template, e.g. fake('ghp_{alnum:36}')."""
    return expand(template, seed)


def run_warden(*args: str, cwd: Path | None = None, input: bytes | None = None,
               env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    full_env = dict(os.environ)
    full_env.pop("WARDEN_CONTRACT", None)
    if env:
        full_env.update(env)
    return subprocess.run([sys.executable, "-m", "secretwarden", *args], cwd=cwd, input=input,
                          capture_output=True, env=full_env, timeout=300, check=False)


def git(repo: Path, *args: str, date: str | None = None) -> str:
    env = dict(os.environ)
    env.update({"GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@example.org",
                "GIT_COMMITTER_NAME": "T", "GIT_COMMITTER_EMAIL": "t@example.org"})
    if date:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = date
    out = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, env=env, check=True)
    return out.stdout.strip()




def commit(repo: Path, files: Mapping[str, str | bytes], message: str) -> str:
    """Write `files` (text or bytes) into `repo`, commit them all, return the commit id."""
    for name, content in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", message)
    return git(repo, "rev-parse", "HEAD")
