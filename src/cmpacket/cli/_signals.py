"""The command line's signals: SIGTERM raises `Terminated` wherever it lands, as Ctrl-C raises
KeyboardInterrupt, and each kind of stop has its exit code (130 Ctrl-C, 143 SIGTERM).

Inside a build, `cmpacket.interrupt.deferred()` takes over and stops at safe checkpoints."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from cmpacket.interrupt import Terminated, exit_code_of

__all__ = ["exit_code_of", "terminable"]


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated


@contextmanager
def terminable() -> Iterator[None]:
    """Within this block SIGTERM raises `Terminated` wherever it lands (as Ctrl-C raises
    KeyboardInterrupt), so `finally` blocks run and the CLI exits 143 without a traceback."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
