"""DOCX to PDF: LibreOffice when installed (isolated profile, timeout), else a plain rendering of
the document's headings, paragraphs, lists and tables through WeasyPrint. Used for a user's Word
template as a packet source (render) and for Word uploads (intake)."""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from cmpacket.convert._pdf import html_to_pdf
from cmpacket.errors import BuildError
from cmpacket.templates import TemplateRegistry


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def docx_to_pdf(docx: bytes, registry: TemplateRegistry, name: str) -> tuple[bytes, str]:
    """Convert .docx to PDF: LibreOffice when installed, else docx -> HTML -> WeasyPrint.

    Returns (pdf, converter name).
    """
    exe = soffice()
    if exe:
        return _libreoffice(exe, docx, name), "libreoffice"

    return html_to_pdf(docx_to_html(docx), registry, name), "builtin-docx-html"


def _libreoffice(exe: str, docx: bytes, name: str) -> bytes:
    try:
        pdf = soffice_pdf(exe, docx, "docx", 180)
    except subprocess.TimeoutExpired:
        raise BuildError(f"{name}: LibreOffice did not finish converting within 180 s.") from None
    if pdf is None:
        raise BuildError(f"{name}: LibreOffice could not convert the Word document to PDF.")
    return pdf


def soffice_pdf(exe: str, document: bytes, suffix: str, timeout: int) -> bytes | None:
    """`document` (a .docx, .doc, .odt or .rtf, by `suffix`) converted to PDF by LibreOffice with
    an isolated profile (never the user's); None when it made no PDF. Raises
    subprocess.TimeoutExpired after `timeout` seconds."""
    with tempfile.TemporaryDirectory(prefix="cmpacket-lo-") as tmp:
        src = Path(tmp) / f"document.{suffix}"
        src.write_bytes(document)
        profile = Path(tmp) / "profile"
        cmd = [exe, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
               "--nolockcheck", "--convert-to", "pdf", "--outdir", tmp, str(src)]  # fmt: skip
        subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
        out = Path(tmp) / "document.pdf"
        return out.read_bytes() if out.is_file() and out.stat().st_size else None


def docx_to_html(docx: bytes) -> str:
    """A plain rendering of a .docx (headings, paragraphs, lists, tables) for WeasyPrint."""
    import html

    from docx import Document

    doc = Document(io.BytesIO(docx))
    parts = ['<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
             '<link rel="stylesheet" href="packet.css"></head><body>']  # fmt: skip
    body = doc.element.body
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            parts.append(_paragraph_html(child, doc, html.escape))
        elif tag == "tbl":
            parts.append(_table_html(child, html.escape))
    parts.append("</body></html>")
    return "".join(p for p in parts if p)


def _paragraph_html(element: Any, doc: Any, esc: Any) -> str:
    from docx.text.paragraph import Paragraph

    p = Paragraph(element, doc)
    text = esc(p.text)
    if not text.strip():
        return ""
    style = (p.style.name if p.style is not None else "") or ""
    if style.startswith("Heading"):
        level = min(int(style.split()[-1]) if style.split()[-1].isdigit() else 2, 3)
        return f"<h{level}>{text}</h{level}>"
    if style == "Title":
        return f"<h1>{text}</h1>"
    if "List" in style:
        return f"<ul><li>{text}</li></ul>"
    return f"<p>{text}</p>"


def _table_html(element: Any, esc: Any) -> str:
    ns = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    rows = []
    for tr in element.iter(f"{ns}tr"):
        cells = []
        for tc in tr.iter(f"{ns}tc"):
            text = " ".join(
                "".join(t.text or "" for t in p.iter(f"{ns}t")) for p in tc.iter(f"{ns}p")
            )
            cells.append(f"<td>{esc(text.strip())}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return "<table>" + "".join(rows) + "</table>"
