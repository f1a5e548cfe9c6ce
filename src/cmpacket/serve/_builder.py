"""Draft builds for the live preview: one at a time; a change during a build schedules one more.

Each finished build (good or failed) becomes an immutable `View`: what the page and
`/api/status` show. A failed build keeps the documents of the last good one on screen.
"""

from __future__ import annotations

import hashlib
import json
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from cmpacket.serve._errors import Options
from cmpacket.serve._pages import PageStore
from cmpacket.serve._worker import Worker


@dataclass(frozen=True)
class Page:
    id: str  # the page's content hash (manifest page_sha256): an opaque, stable URL id
    number: int  # in the packet
    width: int  # CSS pixels at 96 dpi, for layout before the image arrives
    height: int


@dataclass(frozen=True)
class Doc:
    id: str
    title: str
    kind: str
    section: str
    source: str
    first_page: int
    last_page: int
    content: str  # manifest content_sha256: changes exactly when the document's pages change
    pages: tuple[Page, ...]


@dataclass(frozen=True)
class Section:
    letter: str
    title: str
    docs: tuple[Doc, ...]


@dataclass(frozen=True)
class View:
    """The outcome of the latest finished build, and the documents to show."""

    build: int = 0
    state: str = "building"
    ready: bool = False
    error: dict[str, Any] | None = None
    findings: tuple[dict[str, Any], ...] = ()
    sections: tuple[Section, ...] = ()
    packet_id: str = ""
    packet_name: str = ""
    pages: int = 0
    shown_build: int = 0  # the build whose documents are shown (the last good one)
    changed: tuple[str, ...] = ()  # ids of documents that changed in this build
    seconds: float = 0.0
    rebuilt: int = 0
    agency: str = ""
    draft_stamp: bool = True

    @property
    def docs(self) -> list[Doc]:
        return [d for s in self.sections for d in s.docs]

    @property
    def counts(self) -> dict[str, int]:
        out = {"error": 0, "warning": 0, "info": 0}
        for f in self.findings:
            out[f.get("severity", "info")] = out.get(f.get("severity", "info"), 0) + 1
        return out


@dataclass
class Builder:
    """Runs draft builds (in the worker process) one at a time and publishes each outcome."""

    options: Options
    store: PageStore
    notify: Callable[[], None] = lambda: None
    quiet: bool = False
    worker: Worker = field(default_factory=Worker)
    view: View = field(default_factory=View)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _running: bool = False
    _again: bool = False
    _thread: threading.Thread | None = None

    def request(self) -> None:
        """Build now, or once more after the build under way (however many changes came)."""
        with self._lock:
            if self._running:
                self._again = True
                return
            self._running = True
            self._thread = threading.Thread(target=self._loop, name="cmpacket-serve-build")
            self._thread.daemon = True
            self._thread.start()

    def wait_idle(self, timeout: float) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self._lock:
                if not self._running:
                    return True
            time.sleep(0.05)
        return False

    def _loop(self) -> None:
        while True:
            self._publish(replace(self.view, state="building"))
            self._publish(self._build_once())
            with self._lock:
                if not self._again:
                    self._running = False
                    return
                self._again = False

    def _publish(self, view: View) -> None:
        self.view = view
        self.notify()

    def _build_once(self) -> View:
        previous = self.view
        number = previous.build + 1
        started = time.monotonic()
        outcome = self.worker.run(self.options)
        seconds = time.monotonic() - started
        if outcome.get("interrupted"):
            good = previous.build > 0 and previous.shown_build == previous.build
            return replace(previous, state="ok" if good else "error")
        if not outcome["ok"]:
            return self._failed(number, outcome, seconds)
        view = replace(self._good(number, outcome), seconds=seconds)
        changed = [d.title for d in view.docs if d.id in view.changed]
        self._log(
            f"build {number}: ok, {view.pages} pages in {seconds:.1f} s"
            + (f"; changed: {', '.join(changed)}" if changed else "")
        )
        return view

    def _log(self, text: str) -> None:
        if not self.quiet:
            print(text, file=sys.stderr, flush=True)

    # -- a good build ---------------------------------------------------------------------------

    def _good(self, number: int, result: dict[str, Any]) -> View:
        manifest = json.loads(Path(result["manifest"]).read_text(encoding="utf-8"))
        readiness = json.loads(Path(result["readiness"]).read_text(encoding="utf-8"))
        page_ids = [
            page
            for s in manifest["sections"]
            for d in s["documents"]
            for page in d.get("page_sha256", [])
        ]
        packet = manifest["packet"]
        sizes = self.store.add_packet(
            Path(result["packet"]), packet["sha256"], packet["file"], page_ids
        )
        sections = tuple(_sections(manifest, sizes))
        before = {d.id: d.content for d in self.view.docs}
        changed = tuple(d.id for s in sections for d in s.docs if before.get(d.id) != d.content)
        return View(
            build=number,
            state="ok",
            ready=bool(readiness.get("ready")),
            findings=tuple(readiness.get("findings", [])),
            sections=sections,
            packet_id=packet["sha256"][:16],
            packet_name=packet["file"],
            pages=int(packet["pages"]),
            shown_build=number,
            changed=changed if before else (),
            rebuilt=int(result.get("rebuilt", 0)),
            agency=str(manifest.get("agency", {}).get("legal_name") or ""),
        )

    # -- a failed build -------------------------------------------------------------------------

    def _failed(self, number: int, outcome: dict[str, Any], seconds: float) -> View:
        error = outcome["error"]
        found = outcome.get("findings")
        findings = tuple(found) if found is not None else self.view.findings
        where = error.get("file") or ""
        if where and error.get("line"):
            where += f":{error['line']}"
        self._log(f"build {number}: error: {where + ': ' if where else ''}{error['message']}")
        return replace(
            self.view,
            build=number,
            state="error",
            error=error,
            findings=findings,
            ready=False,
            changed=(),
            seconds=seconds,
        )


def _sections(manifest: dict[str, Any], sizes: list[tuple[float, float]]) -> list[Section]:
    """The manifest's sections and documents, each document under a stable opaque id."""
    out: list[Section] = []
    seen: dict[str, int] = {}
    for s in manifest["sections"]:
        docs = []
        for d in s["documents"]:
            key = f"{d['kind']}\0{d.get('source', '')}\0{d.get('staff_id', '')}\0{d['title']}"
            seen[key] = seen.get(key, 0) + 1
            key += f"\0{seen[key]}"
            pages = tuple(
                Page(pid, n, *_pixels(sizes[n - 1]))
                for n, pid in enumerate(d.get("page_sha256", []), start=d["first_page"])
            )
            docs.append(
                Doc(
                    id=hashlib.sha256(key.encode()).hexdigest()[:12],
                    title=d["title"],
                    kind=d["kind"],
                    section=s["letter"],
                    source=str(d.get("source") or ""),
                    first_page=d["first_page"],
                    last_page=d["last_page"],
                    content=d["content_sha256"],
                    pages=pages,
                )
            )
        # as the packet's outline names it: a section titled on its own (its `bookmark`: section
        # B holding the statement) as it is, the others with their letter
        title = s.get("bookmark") or (
            s["title"] if s["letter"] == "front" else f"{s['letter']}. {s['title']}"
        )
        out.append(Section(s["letter"], title, tuple(docs)))
    return out


def _pixels(size: tuple[float, float]) -> tuple[int, int]:
    return round(size[0] * 96 / 72), round(size[1] * 96 / 72)
