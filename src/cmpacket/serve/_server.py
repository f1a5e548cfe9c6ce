"""Run the preview: bind the socket, start the watcher and the first build, serve until stopped."""

from __future__ import annotations

import contextlib
import ipaddress
import shutil
import signal
import socket
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cmpacket.errors import UsageError
from cmpacket.serve._app import Hub, create_app
from cmpacket.serve._builder import Builder
from cmpacket.serve._errors import Options
from cmpacket.serve._pages import PageStore
from cmpacket.serve._watch import Watcher

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
BUILD_GRACE = 5.0  # seconds a stopping server waits for a build under way


def _server_class() -> Any:
    import uvicorn

    class Server(uvicorn.Server):
        """Uvicorn, told to end the event streams first so Ctrl-C does not wait on open pages."""

        hub: Hub

        def handle_exit(self, sig: int, frame: Any) -> None:
            self.hub.stop()
            super().handle_exit(sig, frame)

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            # Uvicorn's own version re-raises the signal after shutting down, which would end the
            # process before the preview removes its private folder; `Preview.run` acts instead.
            if threading.current_thread() is not threading.main_thread():
                yield
                return
            signals = (signal.SIGINT, signal.SIGTERM)
            previous = {sig: signal.signal(sig, self.handle_exit) for sig in signals}
            try:
                yield
            finally:
                for sig, handler in previous.items():
                    signal.signal(sig, handler)

    return Server


class Preview:
    """The live preview of one agency folder (see `cmpacket serve`)."""

    def __init__(
        self,
        folder: Path,
        *,
        host: str = "127.0.0.1",
        port: int = 8000,
        template_dirs: tuple[Path, ...] = (),
        profile: str | None = None,
        quiet: bool = False,
    ) -> None:
        folder = Path(folder)
        if not (folder / "agency.yaml").is_file():
            raise UsageError(
                f"{folder}: no agency.yaml here.",
                hint="Pass an agency folder (create one with `cmpacket init DIR`).",
            )
        for t in template_dirs:
            if not Path(t).is_dir():
                raise UsageError(f"--template-dir {t}: not a folder.")
        self.host, self.port, self.quiet = host, port, quiet
        self.work = Path(tempfile.mkdtemp(prefix="cmpacket-serve-"))
        dirs = tuple(Path(t).resolve() for t in template_dirs)
        options = Options(folder.resolve(), self.work / "out", dirs, profile)
        self.hub = Hub()
        self.builder = Builder(
            options, PageStore(self.work / "view"), notify=self.hub.publish, quiet=quiet
        )
        self.watcher = Watcher(
            [options.folder, *options.template_dirs],
            ignore=[options.folder / "out", self.work],
            on_change=self.builder.request,
        )
        self.socket: socket.socket | None = None
        self.server: Any = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self.socket is not None
        host, port = self.socket.getsockname()[:2]
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}/"

    def bind(self) -> None:
        """Open the listening socket now, so a port in use is reported before anything runs."""
        try:
            family, kind, proto, _, address = socket.getaddrinfo(
                self.host, self.port, type=socket.SOCK_STREAM
            )[0]
            sock = socket.socket(family, kind, proto)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(address)
            sock.listen(64)
        except OSError as exc:
            raise UsageError(
                f"cannot listen on {self.host}:{self.port}: {exc.strerror or exc}.",
                hint="Another program may be using that port: pass a free one with --port.",
            ) from None
        sock.set_inheritable(True)
        self.socket = sock

    def _make_server(self) -> Any:
        import uvicorn

        app = create_app(self.builder, self.hub, allowed_hosts(self.host))
        config = uvicorn.Config(
            app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            ws="none",
            timeout_graceful_shutdown=2,
        )
        server = _server_class()(config)
        server.hub = self.hub
        return server

    def _begin(self) -> None:
        self.builder.request()
        self.watcher.start()

    def start(self) -> str:
        """Serve on a background thread (tests, embedding); returns the page's URL."""
        import time

        if self.socket is None:
            self.bind()
        self.server = self._make_server()
        self._thread = threading.Thread(target=self._serve, name="cmpacket-serve-http", daemon=True)
        self._thread.start()
        while not self.server.started:
            if not self._thread.is_alive():
                raise RuntimeError("the preview server did not start")
            time.sleep(0.02)
        self._begin()
        return self.url

    def _serve(self) -> None:
        import asyncio

        async def main() -> None:
            self.hub.loop = asyncio.get_running_loop()
            await self.server.serve(sockets=[self.socket])

        asyncio.run(main())

    def stop(self) -> None:
        """Stop serving, watching and building; remove the server's private folder."""
        self.hub.stop()
        if self.server is not None:
            self.server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.close()

    def close(self) -> None:
        self.watcher.stop()
        self.builder.worker.stop()
        self.builder.wait_idle(BUILD_GRACE)
        if self.socket is not None:
            with contextlib.suppress(OSError):
                self.socket.close()
        shutil.rmtree(self.work, ignore_errors=True)

    def run(self) -> None:
        """Serve in the foreground until Ctrl-C (which then propagates as KeyboardInterrupt)."""
        try:
            if self.socket is None:
                self.bind()
            if not is_loopback(self.host):
                print(
                    f"warning: listening on {self.host}, not only on this computer: anyone who "
                    "can reach this address can read the agency's draft packet (staff names, "
                    "licence numbers), with no password. Leave out --host to listen on 127.0.0.1 "
                    "only.",
                    file=sys.stderr,
                )
            self.server = self._make_server()
            if not self.quiet:
                print(f"Serving a live preview of {self.builder.options.folder.name} at "
                      f"{self.url} (Ctrl-C to stop)", file=sys.stderr, flush=True)  # fmt: skip
            self._begin()
            self._serve()
        finally:
            self.close()
        if signal.SIGINT in self.server._captured_signals:
            raise KeyboardInterrupt


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback and host in LOOPBACK_NAMES
    except ValueError:
        return False


def allowed_hosts(host: str) -> list[str] | None:
    """Host headers accepted: on a loopback address only loopback names, which keeps a web page
    from reading the preview through DNS rebinding; on a wildcard address any name."""
    if host in ("0.0.0.0", "::", ""):
        return None
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return [host, "127.0.0.1", "localhost"]
    return sorted({host, "127.0.0.1", "localhost"})
