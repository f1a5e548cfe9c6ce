"""The text of an upload, page by page, for the evidence checks (validators/_evidence.py).

pypdfium2 (PDFium, the engine of Chromium's viewer) reads the text layer: measured on the test
corpus and on 1,500 generated proofs it was the fastest of pypdfium2, pdfminer.six, pdfplumber
and pypdf and read every layout right (benchmarks/extract_text.py, benchmarks/README.md).

The build and `validate` (the build's own validate stage) read the PDF intake produced (sanitized
and, once intake runs OCR, with the OCR text layer), so OCR text reaches the checks through this
same function.
Reading is bounded: at most MAX_PAGES pages and MAX_CHARS characters in all. A proof's first
page is read first (FIRST_PAGES); the next is read only for a proof whose first page does not show
every field the data gives, since reading a page of dense text costs 2-3 ms and nearly every proof
shows its fields on its first page. The worker that matched the first page reads the next at once
(`validators.shows_every_field`); `read_more` (validators `more_pages_wanted`) reads what is left,
e.g. a proof whose first page's text a previous build cached.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import Any

FIRST_PAGES = 1  # read for every proof
MAX_PAGES = 2  # read for a proof whose first page does not show every field
_ALNUM = re.compile(r"[^\W_]")
MAX_CHARS = 60_000  # in all, across the pages read


@cache
def extractor() -> str:
    """The extractor's name and version: part of every cache key over extracted text."""
    return f"pypdfium2 {version('pypdfium2')} (cmpacket text 1)"


def page_texts(
    pdf: bytes | Path,
    max_pages: int = MAX_PAGES,
    max_chars: int = MAX_CHARS,
    read: Sequence[str] = (),
) -> list[str]:
    """The text of each page read (at most `max_pages`, `max_chars` in all); `[]` when the PDF
    cannot be read at all. Never raises for a bad file: a proof whose text cannot be read is
    reported as unchecked, not as a failed build. `read`: the text of the first pages, as this
    function read them before: the pages after them are read (a proof read on)."""
    import pypdfium2 as pdfium

    source = str(pdf) if isinstance(pdf, Path) else pdf
    try:
        doc = pdfium.PdfDocument(source)
    except Exception:  # damaged or encrypted: intake reports it; the text is simply absent
        return list(read)
    texts = list(read)  # the first pages, read before (as this function read them): go on after
    left = max_chars - sum(map(len, texts))
    try:
        for i in range(len(texts), min(len(doc), max_pages)):
            if left <= 0:
                break
            page = doc[i]
            try:
                textpage = page.get_textpage()
                try:
                    text = textpage.get_text_range()
                finally:
                    textpage.close()
            except Exception:
                text = ""
            finally:
                page.close()
            text = text.replace("\r\n", "\n").replace("\r", "\n")[:left]
            left -= len(text)
            texts.append(text)
    finally:
        doc.close()
    return texts


def has_text(texts: list[str]) -> bool:
    """True when some page has readable text (more than stray marks)."""
    count = 0
    for text in texts:
        for _ in _ALNUM.finditer(text):
            count += 1
            if count >= 8:
                return True
    return False


def with_text(facts: Any, pdf: bytes | Path | None, max_pages: int = FIRST_PAGES) -> Any:
    """`facts` (an UploadFacts) carrying the text of the first `max_pages` pages of `pdf` when
    the upload is usable (the PDF intake produced, with its OCR text layer)."""
    if pdf is not None and facts.usable:
        facts.text = page_texts(pdf, max_pages)
    return facts
