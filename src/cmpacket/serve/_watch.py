"""Watch the agency folder and the template folders; each batch of changes asks for a build."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from watchfiles import DefaultFilter, watch

# Editors and office suites write these beside the file being saved; they are never inputs.
EDITOR_FILES = (
    r"^#.*#$",  # Emacs auto-save
    r"^4913$",  # Vim's probe file
    r"\.(tmp|temp|part|crdownload|bak|orig|swo|swn)$",
    r"^\.~lock\..*#$",  # LibreOffice lock
    r"^~\$",  # Word lock
    r"^\.goutputstream-",  # GNOME
)
DEBOUNCE_MS = 1000  # longest a burst of changes is grouped
QUIET_MS = 150  # a batch is handed over once nothing changed for this long


class InputsFilter(DefaultFilter):
    """watchfiles' default filter (VCS folders, caches, swap files) plus editor temporaries and
    the server's own outputs."""

    ignore_entity_patterns = (*DefaultFilter.ignore_entity_patterns, *EDITOR_FILES)

    def __init__(self, ignore_paths: Sequence[Path]) -> None:
        super().__init__(ignore_paths=[str(p) for p in ignore_paths])


class Watcher:
    """A thread running `watchfiles.watch` until `stop()`."""

    def __init__(
        self, paths: Sequence[Path], ignore: Sequence[Path], on_change: Callable[[], None]
    ) -> None:
        self.paths = [p for p in paths if p.exists()]
        self.filter = InputsFilter(ignore)
        self.on_change = on_change
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cmpacket-serve-watch", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        for _changes in watch(
            *self.paths,
            watch_filter=self.filter,
            debounce=DEBOUNCE_MS,
            step=QUIET_MS,
            stop_event=self._stop,
            raise_interrupt=False,
            rust_timeout=500,
        ):
            self.on_change()
