"""The build worker: a separate, single-threaded process that runs `api.build` for the server.

The server process has threads (HTTP, watcher, builder); the build forks a pool of WeasyPrint
workers, and forking a multi-threaded process can deadlock. A clean process of its own avoids
that, keeps a crashing build from taking the server down, and can be stopped at any moment.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import sys
import threading
from dataclasses import asdict
from multiprocessing.connection import Connection
from typing import Any

from cmpacket import api
from cmpacket.errors import NotReadyError
from cmpacket.serve._errors import Options, describe_error

STOP_GRACE = 3.0  # seconds a stopping server gives a build under way to end cleanly
# A fresh interpreter (not multiprocessing's spawn, which re-runs the caller's main module)
BOOT = "import sys; from cmpacket.serve._worker import main_fd; main_fd(int(sys.argv[1]))"


def main(conn: Connection) -> None:
    """Serve build requests from `conn` until it closes or sends None."""
    # Ctrl-C reaches every process of the terminal's group; the server decides what stops.
    # SIGINT was blocked from the start (see Worker._ensure), so none is lost to a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        conn.send(build(Options(**job)))


def main_fd(fd: int) -> None:
    """The worker process's entry point: its end of the socket pair is file descriptor `fd`."""
    main(Connection(fd))


def build(options: Options) -> dict[str, Any]:
    """One draft build; a plain dict of where the outputs are, or of what went wrong."""

    try:
        settings = api.Options(
            draft=True,
            quiet=True,
            template_dirs=options.template_dirs,
            profile=options.profile,
            sign=False,  # a preview is never signed: no password asked in the background
        )
        result = api.build(options.folder, settings, out=options.out)
    except KeyboardInterrupt:
        return {"ok": False, "interrupted": True}
    except Exception as exc:  # every failure is shown on the page
        report = getattr(exc, "report", None)
        if report is None and not isinstance(exc, NotReadyError):
            report = _validate(options)
        return {
            "ok": False,
            "error": describe_error(exc, options),
            "findings": None if report is None else [f.as_dict() for f in report.findings],
        }
    return {
        "ok": True,
        "packet": str(result.packet),
        "manifest": str(result.manifest),
        "readiness": str(result.readiness),
        "rebuilt": len(result.rebuilt),
    }


def _validate(options: Options) -> Any:
    """The findings to show beside a build error (None if the data cannot be read)."""

    try:
        return api.validate(
            options.folder, profile=options.profile, template_dirs=options.template_dirs
        )
    except Exception:
        return None


class Worker:
    """The server's handle on the worker process (started on first use, restarted if it died)."""

    def __init__(self) -> None:
        self.stopped = False
        self._process: subprocess.Popen[bytes] | None = None
        self._conn: Connection | None = None
        self._lock = threading.Lock()

    def run(self, options: Options) -> dict[str, Any]:
        """Build in the worker process (restarted once if it died); waits for the outcome."""
        code = None
        with self._lock:
            for _attempt in (1, 2):
                if self.stopped:
                    return {"ok": False, "interrupted": True}
                conn = self._ensure()
                try:
                    conn.send(asdict(options))
                    return dict(conn.recv())
                except (EOFError, OSError):
                    code = self._process.poll() if self._process is not None else None
                    self._reset()
        if self.stopped:
            return {"ok": False, "interrupted": True}
        problem = RuntimeError(f"the build process ended unexpectedly (exit code {code})")
        return {"ok": False, "error": describe_error(problem, options), "findings": None}

    def _ensure(self) -> Connection:
        if self._process is None or self._process.poll() is not None or self._conn is None:
            self._reset()
            parent, child = socket.socketpair()
            command = [sys.executable, "-c", BOOT, str(child.fileno())]
            # SIGINT stays blocked in the child until main() ignores it (the mask survives exec):
            # a Ctrl-C while the worker is still importing would otherwise print a traceback
            mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
            try:
                self._process = subprocess.Popen(command, pass_fds=(child.fileno(),))
            finally:
                signal.pthread_sigmask(signal.SIG_SETMASK, mask)
                child.close()
            self._conn = Connection(parent.detach())
        return self._conn

    def _reset(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._process is not None:
            _end(self._process, 5.0)
            self._process = None

    def stop(self) -> None:
        """End the worker now, whether or not a build is under way."""
        self.stopped = True
        process = self._process
        if process is None or process.poll() is not None:
            return
        # a build under way stops at its next checkpoint and removes its work folder
        with contextlib.suppress(OSError):
            process.send_signal(signal.SIGINT)
        _end(process, STOP_GRACE)


def _wait() -> None:
    """The first way to end a process: let it finish by itself."""


def _end(process: subprocess.Popen[bytes], grace: float) -> None:
    """Wait up to `grace` seconds, then terminate, then kill."""
    for end in (_wait, process.terminate, process.kill):
        if process.poll() is not None:
            return
        end()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=grace)
