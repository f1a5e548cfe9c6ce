"""What the plan is made of: a piece of the packet as planned, and its content once made."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pikepdf


@dataclass(frozen=True)
class Piece:
    """One document of the packet, as planned: rendered from a template or taken in from an upload."""

    key: str
    section: str
    title: str
    kind: str
    source: str
    template: str | None = None
    word: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    upload: Path | None = None
    staff_id: str | None = None
    lineage: str = ""  # the document's key across sequences, when `key` is a list position
    stamp: str = ""  # what the footer stamp says of where the page is (default: its section)
    section_title: str = ""  # the title of its section, when it is not one of the packet's A-G

    @property
    def doc_key(self) -> str:
        """The key a document keeps from one sequence of the packet to the next (the manifest's
        `key`, SPEC §16): a generated document by its template and subject
        (`job-description:case-manager`), an upload by what it proves and for whom
        (`staff:S-003:license:0`, by staff id, never by its place in the roster)."""
        return self.lineage or self.key


@dataclass(frozen=True)
class Content:
    """What a piece holds once made: its PDF parts (or a loader for them) and page count.

    `source` and `source_sha256` name what the pages were made from (a template, a Word template
    or an upload); `cache_key` identifies the bytes, so assembly can reuse stamped blocks.
    """

    pages: int
    cache_key: str
    source: str
    source_sha256: str
    parts: tuple[bytes, ...] = ()  # PDFs laid end to end
    load: Callable[[], list[bytes]] | None = None  # fetches the parts when they are not in memory
    size: int = 0  # bytes of the PDFs, for sizing a packet's parts before it is assembled
    entry: bool = False  # the cache holds the PDF as its entry `cache_key` (an upload as taken in)

    def pdfs(self) -> list[bytes]:
        return list(self.parts) or (self.load() if self.load else [])

    def pages_between(self, first: int, last: int, key: str) -> Content:
        """The content of pages first..last (1-based) alone, e.g. for a document that must be
        split across a packet's parts."""
        import io

        def load() -> list[bytes]:
            out = pikepdf.new()
            done, buf = 0, io.BytesIO()
            for pdf in self.pdfs():
                with pikepdf.open(io.BytesIO(pdf)) as src:
                    for page in src.pages:
                        done += 1
                        if first <= done <= last:
                            out.pages.append(page)
                    if done >= last:
                        out.save(buf, deterministic_id=True)
                        out.close()
                        return [buf.getvalue()]
            out.save(buf, deterministic_id=True)
            return [buf.getvalue()]

        share = self.size * (last - first + 1) // max(1, self.pages)
        return Content(last - first + 1, key, self.source, self.source_sha256, (), load, share)
