"""Low-level packet operations on a pikepdf document: stamps, links, outline, labels, hashes."""

from __future__ import annotations

import contextlib
import hashlib
import re
from typing import Any

import pikepdf
from pikepdf import Array, Dictionary, Name

STAMP_FONT = Name("/CmpStampF")
STAMP_MARK = b"%cmpacket-stamp"
LINK_PREFIX = "cmpacket:page/"
_STAMP_RE = re.compile(rb"%cmpacket-stamp.*?\((.*?)\) Tj", re.S)


def pdf_string(text: str) -> bytes:
    """A PDF literal string body in WinAnsi (cp1252), escaped; unknown characters become '?'."""
    raw = text.encode("cp1252", errors="replace")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


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


def stamp_font(pdf: pikepdf.Pdf) -> pikepdf.Object:
    return pdf.make_indirect(
        Dictionary(
            Type=Name.Font,
            Subtype=Name.Type1,
            BaseFont=Name.Helvetica,
            Encoding=Name.WinAnsiEncoding,
        )
    )


def stamp_page(pdf: pikepdf.Pdf, page: pikepdf.Page, font: Any, text: str, draft: bool) -> None:
    """Isolate the page's own content in q/Q and draw the footer stamp (and DRAFT) on top."""
    x0, y0, w, h, rotate = display_box(page)
    dw, dh = (h, w) if rotate in (90, 270) else (w, h)
    size = max(4.0, min(7.5, (dw - 30) / (len(text) * 0.5 + 1)))
    matrix = " ".join(f"{v:g}" for v in display_matrix(x0, y0, w, h, rotate))
    ops = [
        STAMP_MARK,
        b"q /Artifact BMC",
        f"{matrix} cm".encode(),
        f"1 1 1 rg 0 0 {dw:.2f} {size * 2.6:.2f} re f".encode(),
        b"0.2 0.26 0.34 rg",
        b"BT /CmpStampF "
        + f"{size:.2f} Tf 15 {size:.2f} Td (".encode()
        + pdf_string(text)
        + b") Tj ET",
    ]
    if draft:
        big = max(10.0, min(dw, dh) / 12)
        ops += [
            b"q 0.75 0.1 0.1 rg",
            f"0.7071 0.7071 -0.7071 0.7071 {dw * 0.18:.2f} {dh * 0.3:.2f} cm".encode(),
            b"BT /CmpStampF "
            + f"{big:.2f} Tf 0 0 Td (".encode()
            + pdf_string("DRAFT \u2014 NOT SUBMISSION-READY")
            + b") Tj ET Q",
        ]
    ops.append(b"EMC Q")
    _add_font(page, font)
    page.contents_add(pdf.make_stream(b"q\n"), prepend=True)
    page.contents_add(pdf.make_stream(b"\nQ\n" + b"\n".join(ops) + b"\n"), prepend=False)


def read_stamp(page: pikepdf.Page) -> str | None:
    """The stamp text cmpacket drew on a page, or None."""
    contents = page.obj.get("/Contents")
    if contents is None:
        return None
    last = contents[-1] if isinstance(contents, Array) and len(contents) else contents
    try:
        data = last.read_bytes()
    except (pikepdf.PdfError, AttributeError, TypeError):
        return None
    match = _STAMP_RE.search(data)
    if not match:
        return None
    raw = re.sub(rb"\\(.)", rb"\1", match.group(1))
    return raw.decode("cp1252", errors="replace")


REF_PREFIX = "cmpacket:ref/"
FILL_PREFIX = "cmpacket:fill/"
# Helvetica advance widths (1/1000 em) for the characters page references use.
_WIDTHS = {".": 278, " ": 278, "-": 333, "\u2013": 556}


def text_width(text: str, size: float) -> float:
    return sum(_WIDTHS.get(ch, 556) for ch in text) * size / 1000


def ref_text(style: str, first: int, last: int) -> str:
    span = str(first) if first == last else f"{first}\u2013{last}"
    if style == "pp":
        return ("p. " if first == last else "pp. ") + span
    if style == "page":
        return f"p. {first}"
    return span


def resolve_links(
    pdf: pikepdf.Pdf,
    refs: dict[str, tuple[int, int]],
    font: Any,
    fills: dict[str, str] | None = None,
) -> int:
    """Fill page references and values, and turn cmpacket links into GoTo links.

    `cmpacket:fill/NAME` boxes get the value of NAME drawn inside them and stop being links.

    `cmpacket:ref/STYLE/KEY` boxes get the page number(s) of KEY drawn right-aligned inside them
    (Helvetica, the stamp font) and link to its first page; `cmpacket:page/N` links to page N.
    """
    count = 0
    for page in pdf.pages:
        drawn: list[bytes] = []
        annots: Any = page.obj.get("/Annots")
        for index in reversed(range(len(annots))) if annots is not None else ():
            annot = annots[index]
            action = annot.get("/A")
            uri = str(action.get("/URI", "")) if isinstance(action, Dictionary) else ""
            target = 0
            if uri.startswith(FILL_PREFIX):
                value = (fills or {}).get(uri[len(FILL_PREFIX) :], "")
                drawn.append(_ref_ops(annot.Rect, value, align="left"))
                del annots[index]
                continue
            if uri.startswith(LINK_PREFIX):
                target = int(uri[len(LINK_PREFIX) :] or 0)
            elif uri.startswith(REF_PREFIX):
                style, _, key = uri[len(REF_PREFIX) :].partition("/")
                first, last = refs.get(key, (0, 0))
                if first:
                    target = first
                    drawn.append(_ref_ops(annot.Rect, ref_text(style, first, last)))
            if 1 <= target <= len(pdf.pages):
                del annot["/A"]
                annot.Dest = Array([pdf.pages[target - 1].obj, Name.Fit])
                count += 1
        if drawn:
            _add_font(page, font)
            # the page's own content may leave a transform in place (WeasyPrint flips y): isolate it
            page.contents_add(pdf.make_stream(b"q\n"), prepend=True)
            ops = b"\nQ\nq 0.12 0.23 0.37 rg\n" + b"\n".join(drawn) + b"\nQ\n"
            page.contents_add(pdf.make_stream(ops), prepend=False)
    return count


def _ref_ops(rect: Any, text: str, align: str = "right") -> bytes:
    x0, y0, x1, y1 = (float(v) for v in rect)
    height = abs(y1 - y0)
    size = max(5.0, min(9.0, height / 1.45))
    x = min(x0, x1) if align == "left" else max(x0, x1) - text_width(text, size)
    y = min(y0, y1) + (height - size) / 2 + size * 0.22
    return (
        b"BT /CmpStampF "
        + f"{size:.2f} Tf {x:.2f} {y:.2f} Td (".encode()
        + pdf_string(text)
        + b") Tj ET"
    )


def _add_font(page: pikepdf.Page, font: Any) -> None:
    resources = page.obj.get("/Resources")
    if resources is None:
        page.obj.Resources = Dictionary()
        resources = page.obj.Resources
    fonts = resources.get("/Font")
    if fonts is None:
        resources.Font = Dictionary()
        fonts = resources.Font
    fonts[STAMP_FONT] = font


def set_page_labels(pdf: pikepdf.Pdf) -> None:
    """Labels 1..N, matching the printed `Page N of M`."""
    pdf.Root.PageLabels = Dictionary(Nums=Array([0, Dictionary(S=Name.D)]))


def page_digest(
    page: pikepdf.Page, stream_limit: int | None = None, page_limit: int | None = None
) -> str:
    """A hash over what a page shows: its boxes, rotation, content streams and XObjects.

    Content streams are decoded in chunks (never whole); past `stream_limit` decoded bytes for
    one stream or `page_limit` for the page, verify._streams.StreamTooLarge is raised.
    """
    from cmpacket.verify._streams import hash_contents

    h = hashlib.sha256()
    obj = page.obj
    for key in ("/MediaBox", "/CropBox", "/Rotate"):
        value = obj.get(key)
        h.update(
            key.encode()
            + (repr([float(v) for v in value]) if isinstance(value, Array) else str(value)).encode()
        )
    contents = obj.get("/Contents")
    streams = (
        list(contents)
        if isinstance(contents, Array)
        else ([contents] if contents is not None else [])
    )
    hash_contents(h, streams, stream_limit, page_limit)
    resources = obj.get("/Resources")
    xobjects = resources.get("/XObject") if isinstance(resources, Dictionary) else None
    if isinstance(xobjects, Dictionary):
        for name in sorted(xobjects.keys()):
            h.update(name.encode())
            with contextlib.suppress(pikepdf.PdfError, AttributeError):
                h.update(xobjects[name].read_raw_bytes())
    return h.hexdigest()


def add_outline(pdf: pikepdf.Pdf, tree: list[dict[str, Any]]) -> None:
    """tree: [{title, page (0-based), children: [...]}] -> the PDF outline."""

    def item(node: dict[str, Any]) -> pikepdf.OutlineItem:
        out = pikepdf.OutlineItem(node["title"], node["page"])
        out.children.extend(item(c) for c in node.get("children", []))
        return out

    with pdf.open_outline() as outline:
        outline.root.extend(item(n) for n in tree)
    pdf.Root.PageMode = Name.UseOutlines


def outline_tree(pdf: pikepdf.Pdf) -> list[dict[str, Any]]:
    """The outline as [{title, page (1-based), children}] for verification."""
    pages: dict[Any, int] = {p.objgen: i + 1 for i, p in enumerate(pdf.pages)}

    def node(item: pikepdf.OutlineItem) -> dict[str, Any]:
        page = None
        dest = item.destination
        if isinstance(dest, Array) and len(dest):
            page = pages.get(dest[0].objgen)
        elif item.action is not None and isinstance(item.action.get("/D"), Array):
            page = pages.get(item.action.D[0].objgen)
        return {"title": item.title, "page": page, "children": [node(c) for c in item.children]}

    with pdf.open_outline() as outline:
        return [node(i) for i in outline.root]
