"""Ctrl-C handled at safe points: the signal sets a flag, `checkpoint()` raises KeyboardInterrupt.

Raising in the middle of C code (qpdf, Pango callbacks) can print "Exception ignored" tracebacks
or leave half-written state; deferring to checkpoints between steps, pieces and uploads keeps the
exit clean (code 130, nothing partial).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_flag = threading.Event()


def checkpoint() -> None:
    if _flag.is_set():
        _flag.clear()
        raise KeyboardInterrupt


@contextmanager
def deferred() -> Iterator[None]:
    """Within this block Ctrl-C only takes effect at checkpoints (and at the end of the block)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _flag.clear()
    previous = signal.signal(signal.SIGINT, lambda signum, frame: _flag.set())
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    checkpoint()
