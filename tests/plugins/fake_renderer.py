"""A renderer that lays nothing out: one Letter page per document naming its template and a
digest of its HTML, so a changed document still changes its bytes. WeasyPrint takes about half a
second a document; this takes about a millisecond."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from typing import Any

import pikepdf
import pytest
from pikepdf import Dictionary, Name


def fake_pdf(html: str, registry: object, name: str) -> bytes:
    """What `cmpacket.convert.html_to_pdf` returns, without the layout: one page, searchable."""
    text = f"{name} {hashlib.sha256(html.encode()).hexdigest()[:12]}"
    pdf = pikepdf.new()
    font = pdf.make_indirect(
        Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica)
    )
    shown = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    page = Dictionary(
        Type=Name.Page,
        MediaBox=[0, 0, 612, 792],
        Resources=Dictionary(Font=Dictionary(F1=font)),
        Contents=pdf.make_stream(f"BT /F1 12 Tf 72 720 Td ({shown}) Tj ET".encode()),
    )
    pdf.pages.append(pikepdf.Page(page))
    out = io.BytesIO()
    pdf.save(out, deterministic_id=True)
    return out.getvalue()


@contextmanager
def faked(real: Collection[str] = ()) -> Iterator[None]:
    """WeasyPrint replaced by `fake_pdf` within the block (forked workers inherit it), except for
    the templates named in `real` (a test that reads one document's words lays out that one).
    Use a cache of the block's own: a layout's cache key does not say which renderer made it."""
    from cmpacket.convert import _jobs

    def render(html: str, registry: Any, name: str) -> bytes:
        return (real_pdf if name in real else fake_pdf)(html, registry, name)

    real_pdf = _jobs.html_to_pdf
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_jobs, "html_to_pdf", render if real else fake_pdf)
        yield
