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
from typing import Any, NoReturn

from secretwarden.errors import UsageError
from secretwarden.redact.pipe import pump
from secretwarden.redact.redactor import Redactor

_ALWAYS_FORWARDED = ("SIGTERM", "SIGHUP", "SIGUSR1", "SIGUSR2", "SIGWINCH")
_TERMINAL_SIGNALS = ("SIGINT", "SIGQUIT")


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


def run_redacted(argv: list[str], env: Mapping[str, str], secrets: Mapping[str, str]) -> NoReturn:
    """Start the child with `env` (built by runtime/child.py) and redact `secrets` from its output."""
    redactor = Redactor(secrets)
    sys.stdout.flush()
    sys.stderr.flush()
    on_terminal = sys.stdin.isatty() if sys.stdin is not None else False
    channels = [_channel(1), _channel(2)]
    ptys = [(our_fd, read_end) for our_fd, (read_end, _) in zip((1, 2), channels, strict=True) if os.isatty(our_fd)]
    # Handlers go in before the child exists, so a signal sent at any moment is passed on.
    relay = SignalRelay(ptys)
    relay.install(on_terminal)
    try:
        child = subprocess.Popen(argv, env=env, stdout=channels[0][1], stderr=channels[1][1], close_fds=True)
    except FileNotFoundError:
        raise UsageError(f"command not found: {argv[0]}") from None
    except PermissionError:
        raise UsageError(f"command not executable: {argv[0]}") from None
    finally:
        for _, child_end in channels:
            os.close(child_end)
    relay.attach(child)
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


class SignalRelay:
    """Passes signals on to the child; remembers those that arrive before it exists."""

    def __init__(self, ptys: list[tuple[int, int]]) -> None:
        self.ptys = ptys
        self.child: subprocess.Popen[Any] | None = None
        self.pending: list[int] = []

    def install(self, on_terminal: bool) -> None:
        for name in _ALWAYS_FORWARDED + (() if on_terminal else _TERMINAL_SIGNALS):
            signal.signal(getattr(signal, name), self.forward)
        if on_terminal:
            # The terminal sends these to the child too; warden waits for the child to decide.
            # A Python handler, not SIG_IGN: an ignored signal would stay ignored in the child.
            for name in _TERMINAL_SIGNALS:
                signal.signal(getattr(signal, name), self.ignore)

    def ignore(self, signum: int, _frame: object) -> None:
        return None

    def forward(self, signum: int, _frame: object) -> None:
        if signum == signal.SIGWINCH:
            for ours, theirs in self.ptys:
                copy_window_size(ours, theirs)
        if self.child is None:
            self.pending.append(signum)
            return
        if self.child.returncode is None:
            with contextlib.suppress(ProcessLookupError):  # it ended meanwhile
                self.child.send_signal(signum)

    def attach(self, child: subprocess.Popen[Any]) -> None:
        self.child = child
        while self.pending:
            self.forward(self.pending.pop(0), None)


def _exit_like(code: int) -> NoReturn:
    if code < 0:
        signum = -code
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
        code = 128 + signum  # only reached for a signal whose default is not to end a process
    raise SystemExit(code)
