"""What `warden run`'s fast path leaves unloaded: start-up is its cost, so this is its budget.

Run with the real command under `python -X importtime` (no timing is asserted:
the benchmark in bench/foundation.py carries the figures).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import MINIMAL_CONTRACT, make_canary, run_warden

# Never on the fast path: the CLI and contract stack, the store capabilities a reader never
# asks for, and standard modules only a writer or a key maker needs.
NOT_LOADED = (
    "click",
    "pydantic",
    "yaml",
    "rich",
    "secretwarden.cli.main",
    "secretwarden.contract.model",
    "secretwarden.stores.provisioning",
    "secretwarden.stores.capabilities",
    "secretwarden.stores.summary",
    "cryptography.hazmat.primitives.ciphers",
    "uuid",
    "secrets",
    # No dataclass on the path (value_class.py): the module brings inspect, ast, dis and tokenize.
    "dataclasses",
    "inspect",
    "ast",
    "secretwarden.contract.facts",
    "secretwarden.contract.loader",
    "secretwarden.ops.workspace",
    "secretwarden.ops.journal",
    "secretwarden.ops.incidents",
    "subprocess",
    "threading",
    "tempfile",
    "shutil",
    "logging",
    "base64",  # key text is read through binascii (crypto/keyfile.py)
    "struct",
    "copy",
    "weakref",
    "tokenize",
    "dis",
    "locale",
    "signal",
    # Protocols, Literal aliases and the rest of typing are for mypy only (TYPE_CHECKING); AES-GCM
    # failures are recognised without importing cryptography.exceptions (it brings typing).
    "typing",
    "cryptography.exceptions",
    # SHA-256 and HMAC from the interpreter's _sha256 (crypto/derive.py): OpenSSL's libcrypto that
    # hashlib loads is a second copy beside cryptography's; JSON through _json (json_codec.py).
    "hashlib",
    "hmac",
    "_hashlib",
    "json",
    "secretwarden.contract.durations",
)
# warden's own modules (packages included) the fast path may load: 42 when this was written, 45
# once lazy_names, stores/embedded/sqlite_guard and stores/journal_head joined (fourth session).
# Raise it only for a module the path cannot do without; each costs start-up on every run.
MAX_WARDEN_MODULES = 45


def imported_modules(stderr: str) -> set[str]:
    return {line.rsplit("|", 1)[1].strip() for line in stderr.splitlines() if line.startswith("import time:") and "|" in line}


def project_with_a_plan(tmp_path: Path) -> Path:
    """A bootstrapped project whose `run --service api --env dev` has written its compiled plan."""
    contract = tmp_path / "warden.yaml"
    contract.write_text(MINIMAL_CONTRACT)
    assert run_warden("-c", contract, "bootstrap", "--env", "dev").returncode == 0
    db_url = "postgres://app:" + make_canary() + "@db/app"
    assert run_warden("-c", contract, "set", "shared/DATABASE_URL", "--env", "dev", input=db_url).returncode == 0
    assert run_warden("-c", contract, "run", "-s", "api", "-e", "dev", "--", "true").returncode == 0  # writes the plan
    return contract


def test_the_fast_path_loads_none_of_the_heavy_modules(tmp_path: Path) -> None:
    contract = project_with_a_plan(tmp_path)
    # The first fast run keeps the code bundle (code_bundle.py): the budget is every later run's.
    assert run_warden("-c", contract, "run", "-s", "api", "-e", "dev", "--", "true").returncode == 0

    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "secretwarden", "-c", str(contract), "run", "-s", "api", "-e", "dev",
         "--", "true"],
        capture_output=True, text=True, env=dict(os.environ), timeout=60,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    loaded = imported_modules(proc.stderr)
    assert "secretwarden.ops.fastrun" in loaded and "secretwarden.stores.embedded.store" in loaded
    assert sorted(m for m in NOT_LOADED if m in loaded) == []
    assert "secretwarden.code_bundle" not in loaded  # the bundle served every module: nothing to write
    ours = sorted(m for m in loaded if m.split(".")[0] == "secretwarden")
    assert len(ours) <= MAX_WARDEN_MODULES, ours


def test_the_value_classes_of_the_run_path_are_plain_immutable_classes() -> None:
    """Not named tuples: `collections.namedtuple` compiles each class's `__new__` at import."""
    from secretwarden.ops.run import ChildOptions, PreparedRun
    from secretwarden.slots import SlotRef
    from secretwarden.verdict import SlotFacts

    slot = SlotRef("dev", "shared", "DATABASE_URL")
    facts = SlotFacts("DATABASE_URL", slot, True, "present")
    assert facts == SlotFacts("DATABASE_URL", slot, True, "present", problems=(), past_hold="block")
    assert hash(facts) == hash(SlotFacts("DATABASE_URL", slot, True, "present"))
    assert facts != SlotFacts("DATABASE_URL", slot, True, "missing")
    assert (facts.incident, facts.deprecated, facts.hold_until, facts.past_hold) == (None, False, None, "block")
    assert ChildOptions() == ChildOptions((), False) and ChildOptions(("HOME",)).pass_env == ("HOME",)
    for cls in (SlotFacts, ChildOptions, PreparedRun):
        assert not issubclass(cls, tuple), cls
    with pytest.raises(AttributeError):
        facts.state = "missing"  # type: ignore[misc]  # mypy refuses it too (value_class.py)


# A class warden's modules build by compiling text at import (a named tuple: `namedtuple`
# compiles its `__new__` and typing compiles each string annotation) costs start-up on every
# run: none is left on the path (contract/formats.py's `Format` and crypto/rootkey.py's
# `RootKey` were the last two).
_COMPILE_WATCH = """
import os, sys
def hook(event, args):
    if event == "compile" and args[1] == "<string>":
        os.write(2, b"compile-seen\\n")
        f = sys._getframe(1)  # the class statement that asked typing or namedtuple to compile
        while f is not None and f.f_code.co_filename.endswith(("typing.py", "collections/__init__.py")):
            f = f.f_back
        if f is not None and "/secretwarden/" in f.f_code.co_filename:
            os.write(2, ("compiled-by " + f.f_code.co_filename.split("/secretwarden/", 1)[1] + "\\n").encode())
sys.addaudithook(hook)
from collections import namedtuple
namedtuple("Probe", "a")  # the watch's own check: this compiles text (outside warden)
sys.argv = ["warden", *sys.argv[1:]]
from secretwarden.entry import main
main()
"""


def test_the_fast_path_compiles_no_text_in_warden_s_modules(tmp_path: Path) -> None:
    contract = project_with_a_plan(tmp_path)

    proc = subprocess.run(
        [sys.executable, "-c", _COMPILE_WATCH, "-c", str(contract), "run", "-s", "api", "-e", "dev", "--", "true"],
        capture_output=True, text=True, env=dict(os.environ), timeout=60,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    compiling = {line.split(" ", 1)[1] for line in proc.stderr.splitlines() if line.startswith("compiled-by ")}
    assert "compile-seen" in proc.stderr.splitlines(), "the watch saw nothing: its own probe should show"
    assert sorted(compiling) == []
