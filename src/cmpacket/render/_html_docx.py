"""The editable Word copy of a document, made from the same HTML its packet pages were laid out
from, so each document's words are written once (in its HTML template) and cannot drift.

`html_to_docx` walks the rendered HTML with lxml and writes python-docx paragraphs, lists and
tables in the styles of `_docx_styles`. Page references (`pageref()`) and packet values (`fill()`)
are placeholders in the HTML; here they are replaced by the same text the assembler draws.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from lxml import html as lhtml

from cmpacket.render._docx import normalize_zip
from cmpacket.render._docx_styles import (
    BLOCK_STYLES,
    SPAN_FORMATS,
    Fmt,
    add_run,
    bottom_border,
    finish_document,
    hyperlink,
    new_document,
    new_numbering,
    number,
    set_style,
)
from cmpacket.render._docx_tables import (
    cell_shading,
    cells,
    column_widths,
    no_borders,
    repeat_header,
    rows_of,
    set_widths,
    span,
    usable_width,
)
from cmpacket.render._svg_png import add_svg_picture
from cmpacket.templates import ref_text

__all__ = ["html_to_docx"]

REF = "cmpacket:ref/"
FILL = "cmpacket:fill/"
_SPACE = re.compile(r"[ \t\n\r\f]+")
SKIP = {"head", "script", "style", "template", "noscript", "title", "meta", "link"}
HIDDEN = {"doctitle-only", "agency-name"}  # running-header strings, not page content
BLOCKS = {
    "address", "article", "aside", "blockquote", "body", "dd", "div", "dl", "dt", "figure",
    "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p",
    "pre", "section", "table", "ul",
}  # fmt: skip
INLINE = {
    "b": Fmt(bold=True), "strong": Fmt(bold=True), "i": Fmt(italic=True), "em": Fmt(italic=True),
    "cite": Fmt(italic=True), "u": Fmt(underline=True), "ins": Fmt(underline=True),
    "s": Fmt(strike=True), "del": Fmt(strike=True), "code": Fmt(mono=True), "kbd": Fmt(mono=True),
    "small": Fmt(size=8.5), "sup": Fmt(sup=True), "sub": Fmt(sub=True),
}  # fmt: skip


def html_to_docx(
    html: str,
    *,
    refs: Mapping[str, tuple[int, int]] | None = None,
    fills: Mapping[str, str] | None = None,
    as_of: date | None = None,
) -> bytes:
    """The Word copy of a rendered HTML document (deterministic bytes; `as_of` dates it)."""

    root = lhtml.document_fromstring(html)
    body = root.find("body")
    title = " ".join((root.findtext(".//title") or "").split())
    writer = _Writer(dict(refs or {}), dict(fills or {}))
    writer.agency = " ".join("".join(root.xpath('//*[@class="agency-name"]//text()')).split())
    writer.block(writer.doc, body if body is not None else root, Block())
    writer.flush()
    finish_document(writer.doc, title, writer.agency, writer.heading, as_of)
    buf = io.BytesIO()
    writer.doc.save(buf)
    return normalize_zip(buf.getvalue())


@dataclass(frozen=True)
class Block:
    """How paragraphs started inside an element look: style, run format, list level."""

    style: str = "Normal"
    fmt: Fmt = Fmt()
    list_kind: str = ""  # "ul" / "ol" inside a list
    level: int = 0
    num: int = 0  # numbering instance of an ordered list
    cell: bool = False
    keep: bool = False  # keep with the next paragraph (`.signing`: break-inside: avoid)


@dataclass
class _Item:
    text: str
    fmt: Fmt
    link: str = ""  # external URL
    br: bool = False
    tab: bool = False


def _classes(el: Any) -> set[str]:
    return set((el.get("class") or "").split())


def _hidden(el: Any) -> bool:
    style = (el.get("style") or "").replace(" ", "").lower()
    return "display:none" in style or bool(_classes(el) & HIDDEN) or el.get("hidden") is not None


class _Writer:
    def __init__(self, refs: dict[str, tuple[int, int]], fills: dict[str, str]) -> None:
        self.doc = new_document()
        self.style_ids = {s.name: s.style_id for s in self.doc.styles}
        self.refs, self.fills = refs, fills
        self.items: list[_Item] = []
        self.target: Any = self.doc
        self.para_block = Block()
        self.break_before = False
        self.agency = ""
        self.heading = ""  # the first h1: the running header of later pages
        self.fresh_cells: set[int] = set()  # cells whose first (empty) paragraph is unused

    # -- paragraphs -------------------------------------------------------------------------

    def flush(self) -> None:
        """Write the inline content gathered so far as one paragraph (whitespace as in HTML)."""
        items, self.items = self.items, []
        for i, item in enumerate(items):
            if not (item.br or item.tab):
                item.text = _SPACE.sub(" ", item.text)
                prev = items[i - 1] if i else None
                if item.text.startswith(" ") and (
                    prev is None or prev.br or prev.tab or prev.text.endswith(" ")
                ):
                    item.text = item.text[1:]
        while items and not items[-1].br and not items[-1].text.strip(" ") and not items[-1].tab:
            items.pop()
        if items and not items[-1].br:
            items[-1].text = items[-1].text.rstrip(" ")
        for i in range(len(items) - 1):
            if items[i + 1].br:
                items[i].text = items[i].text.rstrip(" ")
        if not any(it.text for it in items):
            return
        para = self.paragraph(self.para_block)
        link, url = None, ""
        for item in items:
            if item.link != url:
                link = hyperlink(para, item.link) if item.link else None
                url = item.link
            parent = link if link is not None else para._p
            add_run(parent, item.fmt, text=item.text, br=item.br, tab=item.tab)

    def paragraph(self, block: Block) -> Any:
        target = self.target
        if id(target) in self.fresh_cells:
            self.fresh_cells.discard(id(target))
            para = target.paragraphs[0]
        else:
            para = target.add_paragraph()
        if block.style != "Normal":  # by id, as XML: python-docx's lookup by name is slow
            set_style(para._p, self.style_ids[block.style])
        if block.list_kind == "ol" and block.num:
            number(para, block.num)
        if block.keep:
            para.paragraph_format.keep_with_next = True
        if self.break_before:
            para.paragraph_format.page_break_before = True
            self.break_before = False
        return para

    def start(self, block: Block) -> None:
        self.flush()
        self.para_block = block

    # -- the walk ----------------------------------------------------------------------------

    def block(self, target: Any, el: Any, blk: Block) -> None:
        """Lay out the content of a block element into `target` (the document or a cell)."""
        self.flush()
        saved, self.target, self.para_block = self.target, target, blk
        self.text(el.text, blk.fmt)
        first_chapter = True
        for child in el:
            if not isinstance(child.tag, str) or child.tag in SKIP or _hidden(child):
                pass
            elif child.tag == "svg":  # a drawing (the organization chart): its picture
                self.flush()
                add_svg_picture(self.paragraph(blk), child, usable_width(target))
            elif child.tag in BLOCKS:
                if "chapter" in _classes(child):  # packet.css: a new page but for the first
                    self.break_before = self.break_before or not first_chapter
                    first_chapter = False
                style = (child.get("style") or "").replace(" ", "").lower()
                if "break-before:page" in style or "page-break-before:always" in style:
                    self.break_before = True
                self.child_block(target, child, blk)
                self.para_block = blk
            else:
                self.inline(child, blk.fmt)
            self.text(child.tail, blk.fmt)
        self.flush()
        self.target = saved

    def child_block(self, target: Any, el: Any, blk: Block) -> None:
        tag, classes = el.tag, _classes(el)
        fmt = blk.fmt
        if "signing" in classes:
            blk = replace(blk, keep=True)
        for cls in sorted(classes):
            fmt = fmt.merge(SPAN_FORMATS.get(cls, Fmt()))
        if tag == "table":
            self.flush()
            self.table(target, el, blk, classes)
        elif "sig" in classes:
            self.flush()
            self.signatures(target, el, blk)
        elif "toc" in classes:
            self.flush()
            self.toc(target, el, blk)
        elif "line" in classes:  # a signature line: what is written on it (`/s/ NAME`) kept
            self.start(blk)
            para = self.paragraph(blk)
            para.paragraph_format.space_before = para.paragraph_format.space_after = 0
            bottom_border(para, space_before=26)
            signed = " ".join(el.text_content().split())
            if signed:
                italic = fmt.merge(Fmt(italic=True)) if "esig" in classes else fmt
                add_run(para._p, italic, text=signed)
        elif tag == "hr":
            self.start(blk)
            bottom_border(self.paragraph(blk))
        elif tag in ("ul", "ol"):
            level = blk.level + 1 if blk.list_kind else 0
            num = new_numbering(self.doc, min(level, 2)) if tag == "ol" else 0
            self.block(target, el, replace(blk, fmt=fmt, list_kind=tag, level=level, num=num))
        elif tag == "li":
            style = ("List Number" if blk.list_kind == "ol" else "List Bullet") + (
                f" {min(blk.level + 1, 3)}" if blk.level else ""
            )
            self.block(target, el, replace(blk, style=style, fmt=fmt))
        elif tag[0] == "h" and tag[1:].isdigit():
            level = min(int(tag[1:]), 4)
            if level == 1 and not self.heading:
                self.heading = " ".join(el.text_content().split())
            self.block(target, el, replace(blk, style=f"Heading {level}", fmt=Fmt()))
        else:
            named = next((BLOCK_STYLES[c] for c in sorted(classes) if c in BLOCK_STYLES), None)
            if named and not blk.cell:
                self.block(target, el, replace(blk, style=named, fmt=blk.fmt))
            elif "box" in classes and not blk.cell:
                self.boxed(target, el, blk)
            else:
                self.block(target, el, replace(blk, fmt=fmt))

    def text(self, text: str | None, fmt: Fmt) -> None:
        if text:
            self.items.append(_Item(text, fmt))

    def inline(self, el: Any, fmt: Fmt) -> None:
        tag, classes = el.tag, _classes(el)
        if tag == "br":
            self.items.append(_Item("", fmt, br=True))
            return
        if tag == "img":
            self.text(f" [{el.get('alt')}] " if el.get("alt") else "", fmt)
            return
        fmt = fmt.merge(INLINE.get(tag, Fmt()))
        for cls in sorted(classes):
            fmt = fmt.merge(SPAN_FORMATS.get(cls, Fmt()))
        href = el.get("href") or "" if tag == "a" else ""
        if href.startswith((REF, FILL)):
            self.text(self.placeholder(href), fmt)
            return
        start = len(self.items)
        self.text(el.text, fmt)
        for child in el:
            if isinstance(child.tag, str) and child.tag not in SKIP and not _hidden(child):
                if child.tag in BLOCKS:  # a block inside inline content: a line break
                    self.items.append(_Item("", fmt, br=True))
                    self.text(child.text_content(), fmt)
                else:
                    self.inline(child, fmt)
            self.text(child.tail, fmt)
        if href.startswith(("http://", "https://", "mailto:")):
            for item in self.items[start:]:
                item.link = href

    def placeholder(self, href: str) -> str:
        if href.startswith(FILL):
            return self.fills.get(href[len(FILL) :], "")
        style, _, key = href[len(REF) :].partition("/")
        first, last = self.refs.get(key, (0, 0))
        return ref_text(style, first, last, self.fills.get("page_id_prefix", "")) if first else ""

    # -- tables ------------------------------------------------------------------------------

    def table(self, target: Any, el: Any, blk: Block, classes: set[str]) -> None:
        rows = [
            (tr, tr.getparent().tag == "thead" or all(c.tag == "th" for c in cells(tr)))
            for tr in el.iter("tr")
        ]
        rows = [(tr, head) for tr, head in rows if cells(tr)]
        if not rows:
            return
        ncols = max(sum(span(c) for c in cells(tr)) for tr, _ in rows)
        table = target.add_table(rows=len(rows), cols=ncols)
        table.style = self.doc.styles["Packet Table"]
        kv = "kv" in classes
        size = 7.5 if "roster" in classes else 9.0
        usable = usable_width(target)
        set_widths(table, column_widths(rows, ncols, kv, size, usable), usable)
        leading_head = True
        for (tr, head), (w_tr, row_cells) in zip(rows, rows_of(table), strict=True):
            leading_head = leading_head and head
            if leading_head:
                repeat_header(w_tr)
            col = 0
            for cell_el in cells(tr):
                width = min(span(cell_el), ncols - col)
                cell = row_cells[col]
                if width > 1:
                    cell = cell.merge(row_cells[col + width - 1])
                th = head or cell_el.tag == "th"
                fmt = Fmt(size=size)
                if th:
                    fmt = fmt.merge(Fmt(bold=True, color="1F3A5F"))
                    cell_shading(cell, "E8EEF5")
                elif kv and col == 0:
                    fmt = fmt.merge(Fmt(bold=True, color="34404F"))
                    cell_shading(cell, "F4F7FA")
                for cls in sorted(_classes(cell_el)):  # e.g. `td.cite`
                    fmt = fmt.merge(replace(SPAN_FORMATS.get(cls, Fmt()), size=None))
                self.fresh_cells.add(id(cell))
                self.block(cell, cell_el, Block(style="Table Text", fmt=fmt, cell=True))
                self.fresh_cells.discard(id(cell))
                col += width

    def signatures(self, target: Any, el: Any, blk: Block) -> None:
        """`.sig`: one column per signer, each with a line to sign on (a borderless table)."""
        signers = [c for c in el if isinstance(c.tag, str)]
        if not signers:
            return
        table = target.add_table(rows=1, cols=len(signers))
        no_borders(table)
        set_widths(table, [1.0 / len(signers)] * len(signers), usable_width(target))
        for cell, signer in zip(rows_of(table)[0][1], signers, strict=True):
            self.fresh_cells.add(id(cell))
            self.block(cell, signer, Block(fmt=blk.fmt, cell=True))
            self.fresh_cells.discard(id(cell))

    def toc(self, target: Any, el: Any, blk: Block) -> None:
        """The index: each entry's title, a dotted tab, its pages."""
        for entry in (c for c in el if isinstance(c.tag, str)):
            classes = _classes(entry)
            style = "Index Section" if classes & {"head", "section"} else "Index Entry"
            indent = 2 if "staff" in classes else (1 if "doc" in classes else 0)
            fmt = Fmt(bold=True) if "head" in classes else blk.fmt
            pages = [c for c in entry if "pageref" in _classes(c) or "p" in _classes(c)]
            self.start(replace(blk, style=style))
            self.text(entry.text, fmt)
            for child in entry:
                if child not in pages and isinstance(child.tag, str):
                    self.inline(child, fmt)
                    self.text(child.tail, fmt)
            self.items.append(_Item("", fmt, tab=True))
            for child in pages:
                self.inline(child, fmt)
            self.flush()
            if indent:
                self.target.paragraphs[-1].paragraph_format.left_indent = indent * 140000

    def boxed(self, target: Any, el: Any, blk: Block) -> None:
        table = target.add_table(rows=1, cols=1)
        table.style = self.doc.styles["Packet Box"]
        cell = rows_of(table)[0][1][0]
        cell_shading(cell, "F4F7FA")
        self.fresh_cells.add(id(cell))
        self.block(cell, el, replace(blk, cell=True))
        self.fresh_cells.discard(id(cell))
