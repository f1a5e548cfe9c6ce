"""Page images and page text of the built packets, rendered on demand with PDFium and cached.

A page is addressed by its content hash from the manifest (`page_sha256`), never by a file path:
an unchanged page keeps its id (and its image in the browser) from one build to the next.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

SCALE = 2.0  # 144 dpi: sharp on high-density screens, about 100-200 KB a text page
KEEP_PACKETS = 4  # recent packets kept so pages of documents that did not change stay servable


@dataclass(frozen=True)
class Packet:
    """One built packet kept by the store, under an opaque id (its sha256, shortened)."""

    id: str
    name: str
    path: Path
    pages: int


class PageStore:
    """Packets by id, pages by content hash; PNG and text made on first request, then cached."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "packets").mkdir(parents=True, exist_ok=True)
        (root / "pages").mkdir(parents=True, exist_ok=True)
        self._pdfium = threading.Lock()  # PDFium is not thread-safe
        self._lock = threading.Lock()
        self._packets: OrderedDict[str, Packet] = OrderedDict()
        self._where: dict[str, tuple[str, int]] = {}  # page id -> (packet id, 0-based index)
        self._text: dict[str, str] = {}

    def add_packet(
        self, source: Path, sha256: str, name: str, page_ids: list[str]
    ) -> list[tuple[float, float]]:
        """Keep a copy of a finished packet; returns each page's (width, height) in points."""
        pid = sha256[:16]
        target = self.root / "packets" / f"{pid}.pdf"
        if not target.exists():
            tmp = target.with_suffix(".tmp")
            shutil.copyfile(source, tmp)
            os.replace(tmp, target)
        sizes = self._sizes(target)
        with self._lock:
            self._packets[pid] = Packet(pid, name, target, len(sizes))
            self._packets.move_to_end(pid)
            for index, page in enumerate(page_ids):
                self._where[page] = (pid, index)
            self._prune()
        return sizes

    def _prune(self) -> None:
        while len(self._packets) > KEEP_PACKETS:
            old, packet = self._packets.popitem(last=False)
            self._where = {k: v for k, v in self._where.items() if v[0] != old}
            with contextlib.suppress(OSError):
                packet.path.unlink()

    def packet(self, pid: str) -> Packet | None:
        with self._lock:
            return self._packets.get(pid)

    def has_page(self, page: str) -> bool:
        with self._lock:
            return page in self._where

    def _sizes(self, path: Path) -> list[tuple[float, float]]:
        import pypdfium2 as pdfium

        with self._pdfium:
            doc = pdfium.PdfDocument(path)
            try:
                return [doc.get_page_size(i) for i in range(len(doc))]
            finally:
                doc.close()

    def png(self, page: str) -> Path | None:
        """The page's image file (rendered now if it is not cached); None for an unknown id."""
        with self._lock:
            where = self._where.get(page)
            packet = self._packets.get(where[0]) if where else None
        if where is None or packet is None:
            return None  # only pages of the packets this server built, whatever is on disk
        target = self.root / "pages" / f"{page}.png"
        if target.is_symlink() or (target.exists() and not target.is_file()):
            target.unlink()  # never follow a link planted in the cache
        elif target.is_file():
            return target
        import pypdfium2 as pdfium

        with self._pdfium:
            doc = pdfium.PdfDocument(packet.path)
            try:
                image = doc[where[1]].render(scale=SCALE).to_pil()
            finally:
                doc.close()
        tmp = target.with_name(f".{page}.{threading.get_ident()}.tmp")
        image.save(tmp, format="PNG", compress_level=3)
        os.replace(tmp, target)
        return target

    def text(self, page: str) -> str | None:
        """The page's text as PDFium extracts it; None for an unknown id."""
        if page in self._text:
            return self._text[page]
        with self._lock:
            where = self._where.get(page)
            packet = self._packets.get(where[0]) if where else None
        if where is None or packet is None:
            return None
        import pypdfium2 as pdfium

        with self._pdfium:
            doc = pdfium.PdfDocument(packet.path)
            try:
                textpage = doc[where[1]].get_textpage()
                text = textpage.get_text_range()
            finally:
                doc.close()
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        self._text[page] = str(text)
        return str(text)
