"""An OCRmyPDF plugin, loaded by path in the OCR child process (`_ocr.run_ocrmypdf`): its progress
bar prints `cmpacket-ocr DONE TOTAL` each time another page's OCR is done, so the build can show
progress page by page. OCRmyPDF keeps stdout for a PDF and sends what its plugins print to stderr,
where the parent reads it. It imports nothing of cmpacket (the child stays light)."""

from __future__ import annotations

import sys
from typing import Any

from ocrmypdf import hookimpl

MARK = "cmpacket-ocr"  # as `_ocr.MARK`


class PageProgress:
    """OCRmyPDF's progress-bar protocol; reports only its OCR step, in whole pages. OCRmyPDF
    builds its bars disabled when stderr is no terminal (a child's never is): the report is
    ours, so `disable` is ignored."""

    def __init__(
        self,
        *,
        total: float | None = None,
        desc: str | None = None,
        unit: str | None = None,
        disable: bool = False,
        **kwargs: Any,
    ) -> None:
        self.total = int(total or 0)
        self.ours = desc == "OCR" and unit == "page"
        self.done = 0.0
        self.told = -1

    def __enter__(self) -> PageProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self, n: float = 1, *, completed: float | None = None) -> None:
        if not self.ours:
            return
        self.done = completed if completed is not None else self.done + n
        pages = min(int(self.done), self.total)
        if pages != self.told:
            self.told = pages
            print(f"{MARK} {pages} {self.total}", file=sys.stderr, flush=True)


@hookimpl
def get_progressbar_class() -> type[PageProgress]:
    return PageProgress
