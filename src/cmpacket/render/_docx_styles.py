"""The look of the Word copies: python-docx's neutral default template plus the styles set up
here (fonts, heading sizes, table style, page size), so no generated template file needs to be
kept in step with anything. Colors and sizes follow packet.css."""

from __future__ import annotations

import copy
import functools
import io
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from typing import Any

from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_TAB_ALIGNMENT, WD_TAB_LEADER
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Emu, Inches, Pt, RGBColor
from lxml import etree

FONT = "Calibri"
INK, NAVY, GREY, SLATE, RULE = "1D2430", "1F3A5F", "5B6775", "34404F", "C9D3DF"


@dataclass(frozen=True)
class Fmt:
    """Run formatting; None means "as the paragraph style says"."""

    bold: bool | None = None
    italic: bool | None = None
    underline: bool | None = None
    strike: bool | None = None
    mono: bool | None = None
    sup: bool | None = None
    sub: bool | None = None
    caps: bool | None = None
    size: float | None = None
    color: str | None = None

    def merge(self, other: Fmt) -> Fmt:
        values = {f.name: getattr(other, f.name) for f in fields(other)}
        return Fmt(**{k: v if v is not None else getattr(self, k) for k, v in values.items()})


# HTML classes of packet.css that change how text looks (on spans, cells and list items)
SPAN_FORMATS = {
    "ok": Fmt(bold=True, color="1D6B35"),
    "bad": Fmt(bold=True, color="A3222B"),
    "warn": Fmt(bold=True, color="8A5A00"),
    "meta": Fmt(size=8.5, color=GREY),
    "cite": Fmt(size=8, italic=True, color=GREY),
    "lede": Fmt(size=10.5, color=SLATE),
}
# classes of packet.css that make a block a paragraph of its own style
BLOCK_STYLES = {
    "kicker": "Kicker",
    "meta": "Meta",
    "cite": "Citation",
    "lede": "Lede",
    "draft-note": "Draft Note",
}


W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"


def add_run(parent: Any, fmt: Fmt, *, text: str = "", br: bool = False, tab: bool = False) -> None:
    """Append a run to a paragraph or hyperlink element: text, a line break or a tab. Written as
    plain XML, since python-docx's run API costs a few milliseconds a run (a large roster has tens
    of thousands)."""

    run = etree.SubElement(parent, W + "r")
    rpr = _rpr(fmt)
    if rpr is not None:
        run.append(copy.deepcopy(rpr))
    if br or tab:
        etree.SubElement(run, W + ("br" if br else "tab"))
    else:
        t = etree.SubElement(run, W + "t")
        t.text = text
        if text != text.strip():
            t.set(XML_SPACE, "preserve")


@functools.lru_cache(maxsize=512)
def _rpr(fmt: Fmt) -> Any:
    """The `w:rPr` of a run format (children in schema order), or None if it sets nothing."""

    rpr = etree.Element(W + "rPr")

    def on(tag: str, value: bool | None) -> None:
        if value is not None:
            el = etree.SubElement(rpr, W + tag)
            if not value:
                el.set(W + "val", "0")

    if fmt.mono:
        fonts = etree.SubElement(rpr, W + "rFonts")
        for key in ("ascii", "hAnsi", "cs"):
            fonts.set(W + key, "Courier New")
    on("b", fmt.bold)
    on("i", fmt.italic)
    on("caps", fmt.caps)
    on("strike", fmt.strike)
    if fmt.color:
        etree.SubElement(rpr, W + "color").set(W + "val", fmt.color)
    if fmt.size:
        etree.SubElement(rpr, W + "sz").set(W + "val", str(round(fmt.size * 2)))
    if fmt.underline is not None:
        etree.SubElement(rpr, W + "u").set(W + "val", "single" if fmt.underline else "none")
    if fmt.sup or fmt.sub:
        etree.SubElement(rpr, W + "vertAlign").set(
            W + "val", "superscript" if fmt.sup else "subscript"
        )
    return rpr if len(rpr) else None


def new_document() -> Any:
    """python-docx's default document with the packet's styles and page set up."""
    from docx import Document

    return Document(io.BytesIO(_base()))


@functools.cache
def _base() -> bytes:
    """The styled empty document, set up once per process (it takes longer than most copies)."""
    from docx import Document

    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Inches(8.5), Inches(11)
    section.top_margin, section.bottom_margin = Inches(0.85), Inches(0.95)
    section.left_margin = section.right_margin = Inches(0.9)
    section.header_distance = section.footer_distance = Inches(0.4)
    _defaults(doc)
    styles = doc.styles
    _para(styles["Normal"], size=10, color=INK, after=6)
    styles["Normal"].paragraph_format.line_spacing = 1.15
    for level, size, color, before in ((1, 18, NAVY, 0), (2, 12.5, NAVY, 14), (3, 10.5, INK, 10),
                                       (4, 10, INK, 8)):  # fmt: skip
        style = styles[f"Heading {level}"]
        _para(style, size=size, color=color, before=before, after=4, bold=True)
        style.font.italic = level == 4
    bottom_border(styles["Heading 2"], color=RULE, size=5)
    for name in ("List Bullet", "List Bullet 2", "List Bullet 3", "List Number", "List Number 2",
                 "List Number 3"):  # fmt: skip
        _para(styles[name], after=2)
    _para(_add(doc, "Kicker"), size=8, color=GREY, after=2, caps=True, spacing=0.6)
    _para(_add(doc, "Meta"), size=8.5, color=GREY)
    _para(_add(doc, "Citation"), size=8, color=GREY, italic=True)
    _para(_add(doc, "Lede"), size=10.5, color=SLATE)
    _para(_add(doc, "Draft Note"), color="A3222B", bold=True)
    _para(_add(doc, "Table Text"), size=9, after=0)
    styles["Table Text"].paragraph_format.line_spacing = 1.0
    _para(_add(doc, "Index Entry"), after=1)
    _para(_add(doc, "Index Section", "Index Entry"), bold=True, color=NAVY, before=6)
    for name in ("Index Entry", "Index Section"):
        stop = Emu(int(section.page_width - section.left_margin - section.right_margin))
        styles[name].paragraph_format.tab_stops.add_tab_stop(
            stop, WD_TAB_ALIGNMENT.RIGHT, WD_TAB_LEADER.DOTS
        )
    _table_style(doc, "Packet Table", {"top": "9FB0C4", "bottom": "9FB0C4", "insideH": "D5DDE7"})
    _table_style(doc, "Packet Box", {k: "9FB0C4" for k in ("top", "bottom", "left", "right")})
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def finish_document(doc: Any, title: str, agency: str, heading: str, as_of: date | None) -> None:
    """The document title in the page header from page 2 on (as on the packet pages), the agency
    and "Page N of M" in every page's footer, and document properties without wall-clock dates."""
    section = doc.sections[0]
    section.different_first_page_header_footer = True
    section.first_page_header.is_linked_to_previous = False  # page 1 shows its title anyway
    stop = Emu(int(section.page_width - section.left_margin - section.right_margin))
    head = section.header.paragraphs[0]
    head.style = doc.styles["Meta"]
    head.paragraph_format.tab_stops.add_tab_stop(stop, WD_TAB_ALIGNMENT.RIGHT)
    head.add_run().add_tab()
    head.add_run(heading)
    for footer in (section.footer, section.first_page_footer):
        foot = footer.paragraphs[0]
        foot.style = doc.styles["Meta"]
        foot.paragraph_format.tab_stops.add_tab_stop(stop, WD_TAB_ALIGNMENT.RIGHT)
        foot.add_run(agency)
        foot.add_run().add_tab()
        foot.add_run("Page ")
        _field(foot, "PAGE")
        foot.add_run(" of ")
        _field(foot, "NUMPAGES")
    when = datetime.combine(as_of or date(2026, 1, 1), datetime.min.time(), tzinfo=UTC)
    props = doc.core_properties
    props.title = title or heading
    props.author = props.last_modified_by = agency or "cmpacket"
    props.language = "en-US"
    props.created = props.modified = when.replace(tzinfo=None)
    props.revision = 1
    props.comments = props.subject = props.keywords = props.category = ""


def bottom_border(target: Any, *, color: str = INK, size: int = 6, space_before: int = 0) -> None:
    """A rule under a paragraph or paragraph style (signature lines, headings, `<hr>`)."""
    ppr = (target._p if hasattr(target, "_p") else target.element).get_or_add_pPr()
    borders = ppr.find(qn("w:pBdr"))
    if borders is None:
        borders = OxmlElement("w:pBdr")
        insert(ppr, borders, PPR_ORDER)
    edge = OxmlElement("w:bottom")
    for key, value in (("val", "single"), ("sz", str(size)), ("space", "1"), ("color", color)):
        edge.set(qn(f"w:{key}"), value)
    borders.append(edge)
    if space_before:
        target.paragraph_format.space_before = Pt(space_before)


def hyperlink(paragraph: Any, url: str) -> Any:
    """An external link in `paragraph`; runs appended to it are the link text."""
    from docx.opc.constants import RELATIONSHIP_TYPE as RT

    rid = paragraph.part.relate_to(url, RT.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), rid)
    paragraph._p.append(link)
    return link


def new_numbering(doc: Any, level: int) -> int:
    """A fresh numbering instance (restarting at 1) of the List Number style of `level`."""
    style = doc.styles["List Number" + (f" {level + 1}" if level else "")]
    num_id = int(style.element.pPr.numPr.numId.val)
    numbering = doc.part.numbering_part.element
    abstract = numbering.num_having_numId(num_id).abstractNumId.val
    num = numbering.add_num(abstract)
    override = num.add_lvlOverride(ilvl=0)
    override.add_startOverride(1)
    return int(num.numId)


def set_style(p: Any, style_id: str) -> None:
    """Give a new paragraph element (`w:p`) a paragraph style."""

    ppr = p.find(W + "pPr")
    if ppr is None:
        ppr = etree.Element(W + "pPr")
        p.insert(0, ppr)
    style = ppr.find(W + "pStyle")
    if style is None:
        style = etree.Element(W + "pStyle")
        ppr.insert(0, style)
    style.set(W + "val", style_id)


def number(para: Any, num: int) -> None:
    ppr = para._p.get_or_add_pPr()
    numpr = ppr.get_or_add_numPr()
    numpr.get_or_add_ilvl().val = 0
    numpr.get_or_add_numId().val = num


# Word requires the children of these property elements in schema order.
PPR_ORDER = ("pStyle", "keepNext", "keepLines", "pageBreakBefore", "framePr", "widowControl",
             "numPr", "suppressLineNumbers", "pBdr", "shd", "tabs", "suppressAutoHyphens",
             "kinsoku", "wordWrap", "overflowPunct", "topLinePunct", "autoSpaceDE", "autoSpaceDN",
             "bidi", "adjustRightInd", "snapToGrid", "spacing", "ind", "contextualSpacing",
             "mirrorIndents", "suppressOverlap", "jc", "textDirection", "textAlignment",
             "textboxTightWrap", "outlineLvl", "divId", "cnfStyle", "rPr", "sectPr",
             "pPrChange")  # fmt: skip
RPR_ORDER = ("rStyle", "rFonts", "b", "bCs", "i", "iCs", "caps", "smallCaps", "strike", "dstrike",
             "outline", "shadow", "emboss", "imprint", "noProof", "snapToGrid", "vanish",
             "webHidden", "color", "spacing", "w", "kern", "position", "sz", "szCs", "highlight",
             "u", "effect", "bdr", "shd", "fitText", "vertAlign", "rtl", "cs", "em", "lang",
             "eastAsianLayout", "specVanish", "oMath")  # fmt: skip
TCPR_ORDER = ("cnfStyle", "tcW", "gridSpan", "hMerge", "vMerge", "tcBorders", "shd", "noWrap",
              "tcMar", "textDirection", "tcFitText", "vAlign", "hideMark")  # fmt: skip
TBLPR_ORDER = ("tblStyle", "tblpPr", "tblOverlap", "bidiVisual", "tblStyleRowBandSize",
               "tblStyleColBandSize", "tblW", "jc", "tblCellSpacing", "tblInd", "tblBorders",
               "shd", "tblLayout", "tblCellMar", "tblLook")  # fmt: skip


def insert(parent: Any, child: Any, order: tuple[str, ...]) -> None:
    """Insert `child` into `parent` before the first sibling that must follow it."""
    name = child.tag.rsplit("}", 1)[-1]
    after = order[order.index(name) + 1 :]
    parent.insert_element_before(child, *(f"w:{n}" for n in after))


def _defaults(doc: Any) -> None:
    """Font and language of every run unless a style says otherwise."""
    rpr = doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in list(fonts.attrib):
        del fonts.attrib[attr]
    for key in ("ascii", "hAnsi", "cs", "eastAsia"):
        fonts.set(qn(f"w:{key}"), FONT)
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    for key in ("val", "eastAsia", "bidi"):
        lang.set(qn(f"w:{key}"), "en-US")


def _add(doc: Any, name: str, base: str = "Normal") -> Any:
    style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = doc.styles[base]
    style.quick_style = True
    return style


def _para(style: Any, **kw: Any) -> Any:
    font, pf = style.font, style.paragraph_format
    fonts = style.element.rPr.find(qn("w:rFonts")) if style.element.rPr is not None else None
    if fonts is not None:  # theme fonts (Calibri Light headings) would win over the default
        style.element.rPr.remove(fonts)
    if "size" in kw:
        font.size = Pt(kw["size"])
    if "color" in kw:
        font.color.rgb = RGBColor.from_string(kw["color"])
    for key in ("bold", "italic"):
        if key in kw:
            setattr(font, key, kw[key])
    if kw.get("caps"):
        font.all_caps = True
    if "spacing" in kw:
        rpr = style.element.get_or_add_rPr()
        spacing = OxmlElement("w:spacing")
        spacing.set(qn("w:val"), str(int(kw["spacing"] * 20)))
        insert(rpr, spacing, RPR_ORDER)
    if "before" in kw:
        pf.space_before = Pt(kw["before"])
    if "after" in kw:
        pf.space_after = Pt(kw["after"])
    return style


def _table_style(doc: Any, name: str, edges: dict[str, str]) -> None:
    style = doc.styles.add_style(name, WD_STYLE_TYPE.TABLE)
    style.base_style = doc.styles["Normal Table"]
    tblpr = OxmlElement("w:tblPr")
    style.element.insert_element_before(tblpr, "w:trPr", "w:tcPr", "w:tblStylePr")
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{edge}")
        color = edges.get(edge)
        el.set(qn("w:val"), "single" if color else "nil")
        if color:
            el.set(qn("w:sz"), "4")
            el.set(qn("w:space"), "0")
            el.set(qn("w:color"), color)
        borders.append(el)
    tblpr.append(borders)
    margins = OxmlElement("w:tblCellMar")
    for edge, width in (("top", 50), ("left", 90), ("bottom", 50), ("right", 90)):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:w"), str(width))
        el.set(qn("w:type"), "dxa")
        margins.append(el)
    tblpr.append(margins)


def _field(paragraph: Any, code: str) -> None:
    """A Word field (PAGE, NUMPAGES) Word and LibreOffice compute when the file is opened."""
    run = paragraph.add_run()
    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {code} "
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    run._r.append(begin)
    run._r.append(instr)
    run._r.append(end)
