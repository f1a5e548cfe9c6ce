"""The packet's file written a source at a time, never whole in memory.

qpdf's page concatenation, like any save of a pikepdf document, holds every object of the packet
at once (636 MB at 2,000 staff, growing with the page count). `PacketWriter` copies each source
PDF's objects into the packet's file as it reads them, renumbered, and the caller closes the
source before opening the next: memory holds one source's objects and one number per page.

Objects are written as qpdf unparses them, their references renumbered by a scan that skips
strings (qpdf escapes parentheses in literal strings and writes the rest as hex, so no string
can pass for a reference). Dictionaries and arrays go into compressed object streams, 100 to a
stream, and the cross-reference table is a stream, as qpdf's `object_stream_mode=generate`
writes them; a stream not yet compressed is (Flate), as `compress_streams` does. An image a
source before carried (the same bytes and dictionary: a letterhead, a scan uploaded twice) is
written once. The file's /ID is the MD5 of what precedes its cross-reference stream, so the
same packet has the same bytes.

Numbers: 1 the catalogue, 2 the page tree, then one per page in packet order (known before any
source is read, so a link can point at a page not yet written), then objects as they come.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from collections import deque
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pikepdf
from pikepdf import Dictionary, Name

from cmpacket.assemble._lossless import image_key

# a literal string (qpdf escapes the parentheses inside), a hex string, or a reference
TOKENS = re.compile(rb"\((?:[^\\)]|\\.)*\)|<[0-9A-Fa-f]*>|(\d+) (\d+) R")
PER_STREAM = 100  # objects in one object stream, as qpdf packs them
CATALOG, PAGE_TREE, FIRST_PAGE = 1, 2, 3
OFFSET_BYTES = 5  # in the cross-reference stream: files up to 1 TB

ObjGen = tuple[int, int]


class PacketWriter:
    """A PDF of `pages` pages written to `path` source by source (`copy`), then `close`d with its
    catalogue."""

    def __init__(self, path: Path, pages: int) -> None:
        self.pages = pages
        self._file = path.open("wb")
        self._md5 = hashlib.md5()  # noqa: S324 - the file identifier, as qpdf computes it
        self._at = 0
        self._next = FIRST_PAGE + pages
        self._where: dict[int, tuple[int, int, int]] = {}  # number -> cross-reference entry
        self._batch: list[tuple[int, bytes]] = []
        self._page_batch: list[tuple[int, bytes]] = []  # page dictionaries: streams of their own
        self._images: dict[str, int] = {}
        self._emit(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")

    def __enter__(self) -> PacketWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self._file.close()

    @staticmethod
    def page(n: int) -> int:
        """The object number of packet page `n` (1-based)."""
        return FIRST_PAGE + n - 1

    def number(self) -> int:
        """A new object number."""
        self._next += 1
        return self._next - 1

    def copy(
        self, pdf: pikepdf.Pdf, roots: list[tuple[int, Any]], preset: dict[ObjGen, int]
    ) -> dict[ObjGen, int]:
        """Write each root (its number, an indirect object of `pdf`) and every object it
        reaches that `preset` (objects of `pdf` already numbered: its pages, page tree nodes,
        shared fonts) does not number; returns the numbers given."""
        numbers = dict(preset)
        queue: deque[tuple[int, Any]] = deque(roots)
        numbers.update((obj.objgen, n) for n, obj in roots)

        def renumber(match: re.Match[bytes]) -> bytes:
            if match.group(1) is None:
                return match.group(0)
            key = (int(match.group(1)), int(match.group(2)))
            n = numbers.get(key)
            if n is None:
                obj = pdf.get_object(key)
                image = _image_key(obj)
                n = self._images.get(image) if image else None
                if n is None:
                    n = self.number()
                    queue.append((n, obj))
                    if image:
                        self._images[image] = n
                numbers[key] = n
            return b"%d 0 R" % n

        while queue:
            n, obj = queue.popleft()
            if isinstance(obj, pikepdf.Stream):
                self._stream(n, obj, renumber)
            else:
                self._object(n, TOKENS.sub(renumber, _unparse(obj)))
        return numbers

    def close(self, info: int) -> None:
        """Write the page tree, the last object stream and the cross-reference stream (with the
        catalogue, number 1, and `info` as the trailer's), and close the file."""
        kids = b" ".join(b"%d 0 R" % self.page(n) for n in range(1, self.pages + 1))
        tree = b"<< /Type /Pages /Count %d /Kids [ %s ] >>" % (self.pages, kids)
        self._object(PAGE_TREE, tree)
        self._flush(self._page_batch)
        self._flush(self._batch)
        xref = self.number()
        self._where[xref] = (1, self._at, 0)
        size = self._next
        width = (1, OFFSET_BYTES, 2)
        rows = bytearray()
        for n in range(size):
            kind, a, b = self._where.get(n, (0, 0, 65535 if n == 0 else 0))
            rows += bytes([kind]) + a.to_bytes(width[1], "big") + b.to_bytes(width[2], "big")
        data = zlib.compress(bytes(rows))
        ident = self._md5.hexdigest().encode()
        head = (
            b"<< /Type /XRef /Size %d /W [ %d %d %d ] /Root %d 0 R /Info %d 0 R"
            b" /ID [ <%s> <%s> ] /Filter /FlateDecode /Length %d >>"
            % (size, *width, CATALOG, info, ident, ident, len(data))
        )
        at = self._at
        self._emit(b"%d 0 obj\n%s\nstream\n%s\nendstream\nendobj\n" % (xref, head, data))
        self._emit(b"startxref\n%d\n%%%%EOF\n" % at)
        self._file.close()

    def _emit(self, data: bytes) -> None:
        self._file.write(data)
        self._md5.update(data)
        self._at += len(data)

    def _object(self, n: int, body: bytes) -> None:
        """Object `n`, to be written in an object stream. Page dictionaries share streams only
        with each other: a reader walking the page tree (qpdf parses and keeps every object of
        each object stream it opens) then reads the pages, not every font and annotation of
        the packet (100 MB at 16,679 pages when they were mixed)."""
        page = FIRST_PAGE <= n < FIRST_PAGE + self.pages
        batch = self._page_batch if page else self._batch
        batch.append((n, body))
        if len(batch) >= PER_STREAM:
            self._flush(batch)

    def _flush(self, batch: list[tuple[int, bytes]]) -> None:
        """The objects waiting in `batch`, as one compressed object stream."""
        if not batch:
            return
        number, index, bodies, at = self.number(), [], [], 0
        for i, (n, body) in enumerate(batch):
            index.append(b"%d %d" % (n, at))
            bodies.append(body)
            at += len(body) + 1
            self._where[n] = (2, number, i)
        head = b" ".join(index) + b"\n"
        data = zlib.compress(head + b"\n".join(bodies) + b"\n")
        self._where[number] = (1, self._at, 0)
        self._emit(
            b"%d 0 obj\n<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d >>\n"
            b"stream\n%s\nendstream\nendobj\n" % (number, len(bodies), len(head), len(data), data)
        )
        batch.clear()

    def _stream(self, n: int, obj: pikepdf.Stream, renumber: Callable[..., bytes]) -> None:
        raw = obj.read_raw_bytes()
        entries: dict[str, Any] = dict(obj.stream_dict.items())
        if "/Filter" not in entries:
            raw = zlib.compress(raw)
            entries["/Filter"] = Name.FlateDecode
        entries["/Length"] = len(raw)  # a /Length given by reference is written in place
        head = TOKENS.sub(renumber, Dictionary(entries).unparse(resolved=True))
        self._where[n] = (1, self._at, 0)
        self._emit(b"%d 0 obj\n%s\nstream\n%s\nendstream\nendobj\n" % (n, head, raw))


def _image_key(obj: Any) -> str | None:
    if not isinstance(obj, pikepdf.Stream) or obj.get("/Subtype") != Name.Image:
        return None
    return image_key(obj)


def _unparse(obj: Any) -> bytes:
    """An object as PDF syntax; what pikepdf hands back as a Python value (an indirect number or
    truth value, or null for an object the file lacks) written as qpdf writes it."""
    if isinstance(obj, pikepdf.Object):
        return bytes(obj.unparse(resolved=True))
    if obj is None:
        return b"null"
    if isinstance(obj, bool):
        return b"true" if obj else b"false"
    if isinstance(obj, Decimal):
        return format(obj, "f").encode()
    return b"%d" % int(obj)
