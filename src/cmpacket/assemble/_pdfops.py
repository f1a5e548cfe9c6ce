"""Low-level packet operations on a pikepdf document: stamps, links, outline, labels, hashes."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pikepdf
from pikepdf import Array, Dictionary, Name

from cmpacket.assemble._stampdraw import outline_path
from cmpacket.assemble._stampfont import DRAFT_MARK, StampFont, stamp_font_for
from cmpacket.pdfread import STAMP_MARK
from cmpacket.templates import ref_text  # the one definition of the text drawn

LINK_PREFIX = "cmpacket:page/"


@dataclass
class PacketFont:
    """The stamp font of one packet: shaping and metrics, and its font objects in one PDF."""

    text: StampFont
    objects: dict[str, pikepdf.Object]


def display_box(page: pikepdf.Page) -> tuple[float, float, float, float, int]:
    """(x0, y0, width, height, rotate) of the visible box in default user space."""
    box = page.obj.get("/CropBox") or page.obj.get("/MediaBox") or Array([0, 0, 612, 792])
    x0, y0, x1, y1 = (float(v) for v in box)
    x0, x1 = min(x0, x1), max(x0, x1)
    y0, y1 = min(y0, y1), max(y0, y1)
    rotate = int(page.obj.get("/Rotate", 0)) % 360
    return x0, y0, x1 - x0, y1 - y0, rotate


def display_matrix(x0: float, y0: float, w: float, h: float, rotate: int) -> tuple[float, ...]:
    """The cm matrix mapping display coordinates (origin bottom-left as shown) to user space."""
    if rotate == 90:
        return (0, 1, -1, 0, x0 + w, y0)
    if rotate == 180:
        return (-1, 0, 0, -1, x0 + w, y0 + h)
    if rotate == 270:
        return (0, -1, 1, 0, x0, y0 + h)
    return (1, 0, 0, 1, x0, y0)


def stamp_font(pdf: pikepdf.Pdf, charset: str, cache: Any = None) -> PacketFont:
    """The packet's stamp font for `charset` (the agency name, prefix ...), installed in `pdf`
    (its subset from the build's `cache` when it holds it)."""
    text = stamp_font_for(charset)
    return PacketFont(text, text.install(pdf, cache))


def stamp_size(font: PacketFont, text: str, width: float) -> float:
    """The footer stamp's font size on a page `width` points wide."""
    return max(4.0, min(7.5, (width - 30) / max(font.text.width(text, 1.0), 1.0)))


def band_height(size: float) -> float:
    """The height of the white footer band under a stamp of this size."""
    return size * 2.6


def diagonal_size(font: PacketFont, dw: float, dh: float) -> float:
    """The size at which DRAFT_MARK, along the page's diagonal about its centre, fits inside."""
    c, s = math.cos(math.atan2(dh, dw)), math.sin(math.atan2(dh, dw))
    ascent, descent = font.text.extents
    width, height = font.text.width(DRAFT_MARK, 1.0), ascent - descent
    margin = 0.06 * min(dw, dh)
    fit_w = (dw - 2 * margin) / (width * c + height * s)
    fit_h = (dh - 2 * margin) / (width * s + height * c)
    return float(max(0.5, min(fit_w, fit_h, 72.0)))


def draft_ops(font: PacketFont, dw: float, dh: float) -> bytes:
    """DRAFT_MARK along the page's diagonal, centred, inside the page: filled glyph outlines, so
    text extraction sees the footer's `DRAFT`, not scattered diagonal letters."""
    path, advance, upem = outline_path(DRAFT_MARK)
    size = diagonal_size(font, dw, dh)
    c, s = math.cos(math.atan2(dh, dw)), math.sin(math.atan2(dh, dw))
    ascent, descent = font.text.extents
    k = size / upem
    x, y = -advance / 2, -(ascent + descent) / 2 * upem
    rotate = f"{c:.4f} {s:.4f} {-s:.4f} {c:.4f} {dw / 2:.2f} {dh / 2:.2f} cm"
    place = f"{k:.6f} 0 0 {k:.6f} 0 0 cm 1 0 0 1 {x:.1f} {y:.1f} cm"
    return f"q 0.75 0.1 0.1 rg {rotate} {place} ".encode() + path + b" Q"


def stamp_page(
    pdf: pikepdf.Pdf, page: pikepdf.Page, font: PacketFont, text: str, draft: bool
) -> None:
    """Isolate the page's own content in q/Q and draw the footer stamp (and DRAFT) on top."""
    x0, y0, w, h, rotate = display_box(page)
    dw, dh = (h, w) if rotate in (90, 270) else (w, h)
    size = stamp_size(font, text, dw)
    matrix = " ".join(f"{v:g}" for v in display_matrix(x0, y0, w, h, rotate))
    ops = [
        STAMP_MARK,
        b"q /Artifact BMC",
        f"{matrix} cm".encode(),
        f"1 1 1 rg 0 0 {dw:.2f} {band_height(size):.2f} re f".encode(),
        b"0.2 0.26 0.34 rg",
        font.text.show(text, size, 15, size),
    ]
    if draft:
        ops.append(draft_ops(font, dw, dh))
    ops.append(b"EMC Q")
    add_font(page, font)
    page.contents_add(pdf.make_stream(b"q\n"), prepend=True)
    page.contents_add(pdf.make_stream(b"\nQ\n" + b"\n".join(ops) + b"\n"), prepend=False)


REF_PREFIX = "cmpacket:ref/"
FILL_PREFIX = "cmpacket:fill/"


def resolve_links(
    pdf: pikepdf.Pdf,
    pages: list[pikepdf.Page],
    refs: dict[str, tuple[int, int]],
    font: PacketFont,
    fills: dict[str, str] | None,
    target_of: Callable[[int], Any],
) -> int:
    """Fill page references and values, and turn cmpacket links into GoTo links.

    `cmpacket:fill/NAME` boxes get the value of NAME drawn inside them and stop being links.

    `cmpacket:ref/STYLE/KEY` boxes get the page number(s) of KEY drawn inside them (in the stamp
    font; right-aligned for `range`, the index's column, else left-aligned, so running text has
    no gap before the number) and link to its first page; `cmpacket:page/N` links to page N.
    """

    count = 0
    pages = list(pdf.pages)  # pikepdf's pages[i] costs time in the page count: look up here
    for page in pages:
        drawn: list[bytes] = []
        annots: Any = page.obj.get("/Annots")
        for index in reversed(range(len(annots))) if annots is not None else ():
            annot = annots[index]
            action = annot.get("/A")
            uri = str(action.get("/URI", "")) if isinstance(action, Dictionary) else ""
            target = 0
            if uri.startswith(FILL_PREFIX):
                value = (fills or {}).get(uri[len(FILL_PREFIX) :], "")
                drawn.append(_ref_ops(font, annot.Rect, value, align="left"))
                del annots[index]
                continue
            if uri.startswith(LINK_PREFIX):
                target = int(uri[len(LINK_PREFIX) :] or 0)
            elif uri.startswith(REF_PREFIX):
                style, _, key = uri[len(REF_PREFIX) :].partition("/")
                first, last = refs.get(key, (0, 0))
                if first:
                    target = first
                    prefix = (fills or {}).get("page_id_prefix", "")
                    text = ref_text(style, first, last, prefix)
                    # the index's page column is right-aligned; in running text the number
                    # follows the words before it, and what the box has to spare is after it
                    align = "right" if style == "range" else "left"
                    drawn.append(_ref_ops(font, annot.Rect, text, align=align))
            dest = target_of(target) if target else None
            if dest is not None:
                del annot["/A"]
                annot.Dest = Array([dest, Name.Fit])
                count += 1
        if drawn:
            add_font(page, font)
            # the page's own content may leave a transform in place (WeasyPrint flips y): isolate it
            page.contents_add(pdf.make_stream(b"q\n"), prepend=True)
            ops = b"\nQ\nq 0.12 0.23 0.37 rg\n" + b"\n".join(drawn) + b"\nQ\n"
            page.contents_add(pdf.make_stream(ops), prepend=False)
    return count


def _ref_ops(font: PacketFont, rect: Any, text: str, align: str = "right") -> bytes:
    x0, y0, x1, y1 = (float(v) for v in rect)
    height = abs(y1 - y0)
    size = max(5.0, min(9.0, height / 1.45))
    x = min(x0, x1) if align == "left" else max(x0, x1) - font.text.width(text, size)
    y = min(y0, y1) + (height - size) / 2 + size * 0.22
    return font.text.show(text, size, x, y)


def add_font(page: pikepdf.Page, font: PacketFont) -> None:
    """Point the page's stamp font resources at the packet's (shared) font objects."""
    resources = page.obj.get("/Resources")
    if resources is None:
        page.obj.Resources = Dictionary()
        resources = page.obj.Resources
    fonts = resources.get("/Font")
    if fonts is None:
        resources.Font = Dictionary()
        fonts = resources.Font
    for name, obj in font.objects.items():
        fonts[Name(name)] = obj


def set_page_labels(pdf: pikepdf.Pdf) -> None:
    """Labels 1..N, matching the printed `Page N of M`."""
    pdf.Root.PageLabels = Dictionary(Nums=Array([0, Dictionary(S=Name.D)]))


def add_outline(
    pdf: pikepdf.Pdf, tree: list[dict[str, Any]], page_of: Callable[[int], Any] | None = None
) -> None:
    """tree: [{title, page (0-based), children: [...]}] -> the PDF outline; `page_of(i)` is
    what a bookmark to page i points at (by default the page of `pdf`)."""

    pages = [] if page_of else list(pdf.pages)  # found here, not by pikepdf's pages[i]
    find = page_of or (lambda index: pages[index].obj)

    def item(node: dict[str, Any]) -> pikepdf.OutlineItem:
        out = pikepdf.OutlineItem(node["title"], Array([find(node["page"]), Name.Fit]))
        out.children.extend(item(c) for c in node.get("children", []))
        return out

    with pdf.open_outline() as outline:
        outline.root.extend(item(n) for n in tree)
    pdf.Root.PageMode = Name.UseOutlines
