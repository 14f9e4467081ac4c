"""`warden run --redact`: run a child with its secrets and redact its stdout and stderr.

Unlike plain `warden run` this cannot `exec`: warden stays as the parent,
reads the child's output as it comes (a read returns whatever is there, so a
line shows as soon as the child writes it) and writes it back redacted. When
warden's own stdout or stderr is a terminal the child gets a pseudo-terminal
for it, so its buffering is what it would be without `--redact`.

Signals: TERM, HUP, USR1, USR2 and WINCH sent to warden are passed on to the
child; INT and QUIT too unless warden runs on a terminal, where the terminal
already delivers them to the child (same process group) and passing them on
would deliver them twice. When the child ends, warden exits with its code, or
kills itself with the same signal that ended the child.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NoReturn

from secretwarden.errors import UsageError
from secretwarden.redact.pipe import pump
from secretwarden.redact.redactor import Redactor

if TYPE_CHECKING:
    from secretwarden.contract.model import Contract

_ALWAYS_FORWARDED = ("SIGTERM", "SIGHUP", "SIGUSR1", "SIGUSR2", "SIGWINCH")
_TERMINAL_SIGNALS = ("SIGINT", "SIGQUIT")


def sensitive_values(contract: Contract, service: str, env: str, instance: str | None, values: Mapping[str, str]) -> dict[str, str]:
    """The values to redact: those of keys the contract marks sensitive."""
    from secretwarden.contract.plan import requirements

    sensitive = {r.var for r in requirements(contract, env, service=service, instance=instance) if r.sensitive}
    return {k: v for k, v in values.items() if k in sensitive}


def _channel(our_fd: int) -> tuple[int, int]:
    """(read end for warden, write end for the child): a pty if our side is a terminal."""
    if os.isatty(our_fd):
        import pty

        master, slave = pty.openpty()
        copy_window_size(our_fd, master)
        return master, slave
    read_end, write_end = os.pipe()
    return read_end, write_end


def copy_window_size(terminal_fd: int, pty_fd: int) -> None:
    """Give the child's pseudo-terminal the size of ours (full-screen tools read it)."""
    import fcntl
    import termios

    try:
        size = fcntl.ioctl(terminal_fd, termios.TIOCGWINSZ, b"\0" * 8)
        fcntl.ioctl(pty_fd, termios.TIOCSWINSZ, size)
    except OSError:
        pass  # not a terminal after all: the default size will do


def run_redacted(argv: list[str], values: Mapping[str, str], secrets: Mapping[str, str]) -> NoReturn:
    redactor = Redactor(secrets)
    env = dict(os.environ)
    env.update(values)
    sys.stdout.flush()
    sys.stderr.flush()
    on_terminal = sys.stdin.isatty() if sys.stdin is not None else False
    channels = [_channel(1), _channel(2)]
    try:
        child = subprocess.Popen(argv, env=env, stdout=channels[0][1], stderr=channels[1][1], close_fds=True)
    except FileNotFoundError:
        raise UsageError(f"command not found: {argv[0]}") from None
    except PermissionError:
        raise UsageError(f"command not executable: {argv[0]}") from None
    finally:
        for _, child_end in channels:
            os.close(child_end)
    ptys = [(our_fd, read_end) for our_fd, (read_end, _) in zip((1, 2), channels, strict=True) if os.isatty(our_fd)]
    _forward_signals(child, on_terminal, ptys)
    pumps = [
        threading.Thread(target=pump, args=(read_end, target, redactor), daemon=True, name=f"redact-{target}")
        for (read_end, _), target in zip(channels, (1, 2), strict=True)
    ]
    for t in pumps:
        t.start()
    code = child.wait()
    for t in pumps:
        t.join()
    for read_end, _ in channels:
        os.close(read_end)
    _exit_like(code)


def _forward_signals(child: subprocess.Popen[Any], on_terminal: bool, ptys: list[tuple[int, int]]) -> None:
    def forward(signum: int, _frame: object) -> None:
        if signum == signal.SIGWINCH:
            for ours, theirs in ptys:
                copy_window_size(ours, theirs)
        if child.returncode is None:
            with contextlib.suppress(ProcessLookupError):  # it ended meanwhile
                child.send_signal(signum)

    names = _ALWAYS_FORWARDED + (() if on_terminal else _TERMINAL_SIGNALS)
    for name in names:
        signal.signal(getattr(signal, name), forward)
    if on_terminal:
        # The terminal sends these to the child too; warden waits for the child to decide.
        for name in _TERMINAL_SIGNALS:
            signal.signal(getattr(signal, name), signal.SIG_IGN)


def _exit_like(code: int) -> NoReturn:
    if code < 0:
        signum = -code
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
        code = 128 + signum  # only reached for a signal whose default is not to end a process
    raise SystemExit(code)
