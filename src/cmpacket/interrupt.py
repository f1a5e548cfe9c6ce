"""Ctrl-C (SIGINT) and SIGTERM handled at safe points: the signal sets a flag, `checkpoint()` raises.

Raising in the middle of C code (qpdf, Pango callbacks) can print "Exception ignored" tracebacks
or leave half-written state; deferring to checkpoints between steps, pieces and uploads keeps the
exit clean: nothing partial in OUT, the work folder removed, no traceback. Ctrl-C raises
KeyboardInterrupt (exit 130); SIGTERM — what `timeout`, systemd, CI runners and `docker stop`
send — raises `Terminated`, a KeyboardInterrupt that carries exit code 143 (128 + 15), so every
`except KeyboardInterrupt` treats both alike. The command line's own handling (SIGTERM outside
`deferred()` blocks) is `cli/_signals.py`.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

SIGNALS = (signal.SIGINT, signal.SIGTERM)
EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}

# The signal received since the last checkpoint (SIGTERM wins over Ctrl-C). A list changed only
# by single operations that are atomic under the GIL: no lock, which a signal handler could
# otherwise try to take while the interrupted code holds it.
_pending: list[int] = []


class Terminated(KeyboardInterrupt):
    """The process was asked to stop by SIGTERM; the CLI exits 143."""

    signum = signal.SIGTERM
    exit_code = EXIT_CODES[signal.SIGTERM]

    def __init__(self) -> None:
        super().__init__("terminated (SIGTERM)")


def exit_code_of(exc: BaseException) -> int:
    """130 for Ctrl-C, 143 for SIGTERM."""
    return int(getattr(exc, "exit_code", EXIT_CODES[signal.SIGINT]))


def _interruption(signum: int) -> KeyboardInterrupt:
    return Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()


def _note(signum: int, frame: FrameType | None) -> None:
    if signal.SIGTERM not in _pending:
        _pending[:] = [signum]


def checkpoint() -> None:
    """Raise KeyboardInterrupt (Ctrl-C) or Terminated (SIGTERM) if one arrived since the last."""
    try:
        signum = _pending.pop()
    except IndexError:
        return
    raise _interruption(signum)


@contextmanager
def deferred() -> Iterator[None]:
    """Within this block Ctrl-C and SIGTERM only take effect at checkpoints (and at its end)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _pending.clear()
    previous = {s: signal.signal(s, _note) for s in SIGNALS}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    checkpoint()
