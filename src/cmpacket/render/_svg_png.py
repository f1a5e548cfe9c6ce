"""A drawing's picture for a Word copy: the very SVG the packet page shows, laid out by WeasyPrint
(the packet's own renderer, with the same fonts) and rasterized by PDFium, so the picture and the
page cannot differ. Deterministic: no clock, fixed resolution, PNG written without metadata.

Why not cairosvg or a Pillow drawing: cairosvg needs the system's cairo, which WeasyPrint no longer
uses, and a second drawing in Pillow would be a second source of the chart's words and layout;
WeasyPrint and pypdfium2 are already dependencies."""

from __future__ import annotations

import io
import re
from typing import Any

from lxml import etree

DPI = 200  # sharp when printed, small enough for the Word file (a chart is a few tens of KB)
#: SVG attributes an HTML parser lowercases, restored before the SVG is drawn on its own.
_CAMEL = {"viewbox": "viewBox", "preserveaspectratio": "preserveAspectRatio"}


def svg_markup(el: etree._Element) -> str:
    """An `<svg>` element of the parsed HTML as standalone SVG markup."""
    text = str(etree.tostring(el, encoding="unicode", method="xml", with_tail=False))
    for low, camel in _CAMEL.items():
        text = re.sub(rf"\b{low}=", f"{camel}=", text)
    if "xmlns=" not in text.split(">", 1)[0]:
        text = text.replace("<svg", '<svg xmlns="http://www.w3.org/2000/svg"', 1)
    return text


def _points(value: str | None) -> float:
    m = re.fullmatch(r"\s*([0-9.]+)\s*(pt|px)?\s*", value or "")
    if not m:
        return 0.0
    return float(m.group(1)) * (0.75 if m.group(2) == "px" else 1.0)


def svg_size(el: etree._Element) -> tuple[float, float]:
    """The drawing's size in points, from its width and height (else its viewBox)."""
    w, h = _points(el.get("width")), _points(el.get("height"))
    if not (w and h):
        box = (el.get("viewbox") or el.get("viewBox") or "").split()
        if len(box) == 4:
            w, h = float(box[2]), float(box[3])
    return w or 400.0, h or 300.0


def svg_to_png(svg: str, width_pt: float, height_pt: float) -> bytes:
    """The SVG drawn on a page of its own size and rasterized at `DPI`."""
    import pypdfium2 as pdfium
    from weasyprint import HTML

    page = (
        f"<html><head><style>@page {{ size: {width_pt}pt {height_pt}pt; margin: 0 }} "
        f"html, body {{ margin: 0 }} svg {{ display: block }}</style></head>"
        f"<body>{svg}</body></html>"
    )
    pdf = HTML(string=page).write_pdf()
    doc = pdfium.PdfDocument(pdf)
    try:
        image = doc[0].render(scale=DPI / 72, fill_color=(255, 255, 255, 255)).to_pil()
    finally:
        doc.close()
    out = io.BytesIO()
    image.convert("RGB").save(out, format="PNG", optimize=False, compress_level=6)
    return out.getvalue()


def add_svg_picture(para: Any, el: etree._Element, usable: int) -> None:
    """Put the picture of the SVG `el` in the Word paragraph `para`, centred, as wide as on the
    page (at most `usable` EMU), the drawing's words as its alternative text."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Emu, Pt

    width, height = svg_size(el)
    png = svg_to_png(svg_markup(el), width, height)
    para.alignment = WD_ALIGN_PARAGRAPH.CENTER
    para.add_run().add_picture(io.BytesIO(png), width=Emu(min(int(Pt(width)), usable)))
    words = [" ".join("".join(t.itertext()).split()) for t in el.iter("text")]
    for pr in para._p.xpath(".//wp:docPr"):
        pr.set("descr", "\n".join(w for w in words if w))
