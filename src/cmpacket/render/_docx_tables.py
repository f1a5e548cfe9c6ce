"""Tables of the Word copies: column widths laid out as a browser would, shading, borders,
repeated header rows."""

from __future__ import annotations

import re
from typing import Any

from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Emu

from cmpacket.render._docx_styles import TBLPR_ORDER, TCPR_ORDER, insert


def cell_shading(cell: Any, fill: str) -> None:
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    insert(cell._tc.get_or_add_tcPr(), shd, TCPR_ORDER)


def repeat_header(tr: Any) -> None:
    """Repeat this row (a `w:tr` element) at the top of every page the table runs onto."""
    trpr = tr.get_or_add_trPr()
    trpr.append(OxmlElement("w:tblHeader"))


def no_borders(table: Any) -> None:
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "nil")
        borders.append(el)
    insert(table._tbl.tblPr, borders, TBLPR_ORDER)


def rows_of(table: Any) -> list[tuple[Any, list[Any]]]:
    """Each row of a table made here as (its `w:tr` element, its cells), listed in one pass
    (python-docx's own `table.rows[i]` and `table.cell(r, c)` walk the whole grid on every call,
    quadratic in the rows: a 2,000-row roster took minutes)."""
    from docx.table import _Cell

    return [(tr, [_Cell(tc, table) for tc in tr.tc_lst]) for tr in table._tbl.tr_lst]


def set_widths(table: Any, shares: list[float], usable: int) -> None:
    """Fixed column widths (shares of `usable` EMU), written where Word and LibreOffice look."""
    table.autofit = False
    total = sum(shares) or 1.0
    widths = [Emu(int(usable * s / total)) for s in shares]
    for col, width in zip(table.columns, widths, strict=True):
        col.width = width
    twips = [str(int(w.twips)) for w in widths]
    for tr in table._tbl.tr_lst:
        cant = OxmlElement("w:cantSplit")  # like `tr { break-inside: avoid }`
        tr.get_or_add_trPr().append(cant)
        for tc, tw in zip(tr.tc_lst, twips, strict=False):
            tcw = tc.get_or_add_tcPr().get_or_add_tcW()
            tcw.set(qn("w:type"), "dxa")
            tcw.set(qn("w:w"), tw)


def cells(tr: Any) -> list[Any]:
    return [c for c in tr if isinstance(c.tag, str) and c.tag in ("td", "th")]


def span(cell: Any) -> int:
    value = cell.get("colspan") or "1"
    return max(1, int(value)) if value.isdigit() else 1


def column_widths(
    rows: list[tuple[Any, bool]], ncols: int, kv: bool, size: float, usable: int
) -> list[float]:
    """Column shares, as a browser lays out an automatic table: a `width:NN%` given in the HTML
    wins; the other columns get at least their longest word and share what is left in proportion
    to how much wider their longest line would like to be."""
    given: list[float | None] = [0.34 if kv and i == 0 else None for i in range(ncols)]
    char, pad = size * 0.6, 10.0  # points: an average character, the cell's margins
    least, most = [pad] * ncols, [pad] * ncols
    for tr, head in rows:
        col = 0
        for cell in cells(tr):
            match = re.search(r"width:\s*([\d.]+)%", cell.get("style") or "")
            if col < ncols and span(cell) == 1:
                if match:
                    given[col] = float(match.group(1)) / 100
                lines = _lines(cell)
                wide = char * (1.1 if head or cell.tag == "th" else 1.0)
                words = max((len(w) for line in lines for w in line.split()), default=1)
                least[col] = max(least[col], words * wide + pad)
                most[col] = max(most[col], max(map(len, lines), default=1) * wide + pad)
            col += span(cell)
    free = [i for i in range(ncols) if given[i] is None]
    room = max(0.0, 1.0 - sum(g for g in given if g)) * usable / 12700  # points left
    low, high = sum(least[i] for i in free), sum(most[i] for i in free)
    widths = [(g or 0.0) * usable / 12700 for g in given]
    for i in free:
        if high <= room:  # every line fits unbroken: share the room as the lines would
            widths[i] = room * most[i] / high
        elif low >= room or high == low:
            widths[i] = room * least[i] / low
        else:
            widths[i] = least[i] + (room - low) * (most[i] - least[i]) / (high - low)
    return widths


# the widest text a page reference of each style can get (`pp. 123-456`), kept on one line
REF_CHARS = {"pageref-pp": 11, "pageref-page": 6}


def _lines(cell: Any) -> list[str]:
    """A cell's text, line by line (`<br>` and blocks end a line)."""
    parts: list[str] = []

    def walk(el: Any) -> None:
        parts.append(el.text or "")
        for child in el:
            classes = (child.get("class") or "").split() if isinstance(child.tag, str) else []
            if "pageref" in classes:
                parts.append("0" * max([9] + [REF_CHARS.get(c, 0) for c in classes]))
            elif isinstance(child.tag, str):
                if child.tag in ("br", "p", "div", "li"):
                    parts.append("\n")
                walk(child)
            parts.append(child.tail or "")

    walk(cell)
    return [" ".join(line.split()) for line in "".join(parts).split("\n")]


def usable_width(target: Any) -> int:
    """The width (EMU) content can use inside `target`."""
    width = getattr(target, "width", None)
    if width:
        return int(width) - 2 * 57150  # cell margins
    section = target.sections[-1]
    return int(section.page_width - section.left_margin - section.right_margin)
