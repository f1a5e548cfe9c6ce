"""Long tables cut into page-sized parts, each laid out and cached on its own.

The roster (a row per staff member), the readiness report's evidence table and the index (an
entry per document and staff member) grow with the agency. Each is laid out in parts so the
parts run on every core and a one-staff change lays out one part again. A part starts a new page, so a part should fill its pages without running one row
onto a page of its own: rows are packed by an estimate of the lines each takes in its template's
fixed column widths, with a margin, so a part ends a little short of its page rather than over.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")

# Lines of 7.6 pt table text on a Letter page inside packet.css's margins (662 pt high, a line
# 10.8 pt): a continued page holds the repeated header row; the first page also the title and
# the explanatory paragraph. Kept a little under what fits, since the estimate is rough.
PAGE_LINES = 56.0
FIRST_PAGE_LINES = 46.0
ROW_PADDING = 0.6  # a row's padding and rule, in lines


def chunk(
    first: bool, rows: Sequence[Any], heading: bool | None = None, last: bool = True
) -> dict[str, Any]:
    """A part's `chunk` variable: `first` (the document's first part), `last` (its last part),
    `heading` (the part that begins the long list: the roster's table, the readiness report's
    evidence) and `total` (rows in the whole list); see docs/templates.md."""
    return {
        "first": first,
        "last": last,
        "heading": first if heading is None else heading,
        "total": len(rows),
    }


def manual_chunk(first: bool, chapters: Sequence[str], last: bool = True) -> dict[str, Any]:
    """The policy manual's `chunk` in a part: `first` (the title and contents come first),
    `last` and `chapters` (the keys of the chapters this part lays out)."""
    return {"first": first, "last": last, "heading": first, "total": 0, "chapters": list(chapters)}


def wrapped(text: str, per_line: int) -> int:
    """Lines `text` takes when its words are wrapped at `per_line` characters (at least 1); a
    word longer than a line is broken, as the templates' `overflow-wrap` does."""
    lines, used = 1, 0
    for word in text.split():
        size = len(word)
        if used and used + 1 + size > per_line:
            lines, used = lines + 1, 0
        if used:
            used += 1
        while size > per_line:
            lines, size = lines + 1, size - per_line
        used += size
    return lines


def pack(
    rows: Sequence[T],
    lines_of: Callable[[T], float],
    first: float = FIRST_PAGE_LINES,
    later: float = PAGE_LINES,
    padding: float = ROW_PADDING,
) -> list[list[T]]:
    """`rows` cut into parts of one page each (the first part's page has less room); at least one
    part, possibly empty, so a table with no rows still renders its header."""
    parts: list[list[T]] = [[]]
    room = first
    for row in rows:
        need = lines_of(row) + padding
        if parts[-1] and need > room:
            parts.append([])
            room = later
        parts[-1].append(row)
        room -= need
    return parts


def roster_row_lines(s: dict[str, Any]) -> float:
    """Lines one roster row takes (staff-roster.html.j2's column widths at 7.6 pt)."""
    licenses = s.get("licenses") or []
    # characters per line: each column's width less its padding, over DejaVu Sans's mean advance
    cells = [
        wrapped(str(s.get("name") or ""), 12) + 1,  # name (bold), id
        wrapped(str(s.get("position_title") or ""), 11) + 1,  # position, hire date
        sum(wrapped(str(d), 15) for d in s.get("degrees") or []) or 1,
        sum(wrapped(f"{lic['type']} {lic['number']}", 12) + 1 for lic in licenses) or 1,
        # registry, prints, result; the re-check, the APS search and the exclusion screening
        3 + sum(1 for x in (*_searches(s), s.get("exclusion_check")) if x),
        3,  # hours [required], mandated reporter, its date
    ]
    return float(max(cells))


def _searches(s: dict[str, Any]) -> tuple[Any, Any]:
    background = s.get("background") or {}
    return background.get("recheck"), background.get("aps")


def roster_parts(staff: Sequence[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The roster's rows in page-sized parts."""
    return pack(staff, roster_row_lines)


# The readiness report's evidence list: a line or two of 8 pt text per staff member.
EVIDENCE_INLINE = 40  # up to this many staff, the list follows the report on its pages
EVIDENCE_PAGE_LINES = 58.0  # lines of 8 pt on a continued page (63 fit)
EVIDENCE_FIRST_LINES = 48.0  # the first page also holds the heading and the key


def evidence_line_chars(row: dict[str, Any]) -> int:
    """About how many characters one staff member's evidence line prints."""
    size = len(str(row.get("staff") or "")) + len(str(row.get("staff_id") or "")) + 16
    for p in row.get("proofs") or []:
        size += len(str(p.get("proof") or "")) + 5  # mark, separator
        if not p.get("complete"):  # the fields listed, and the proof's page
            size += sum(len(str(f)) + 2 for f in (p.get("matched") or [])) + 24
            size += sum(len(str(f)) + 2 for f in (p.get("mismatched") or []))
    return size


def evidence_parts(rows: Sequence[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The evidence list in page-sized parts, or one part when it is short enough to follow
    the report on its own pages."""
    if len(rows) <= EVIDENCE_INLINE:
        return [list(rows)]
    return pack(
        rows,
        lambda r: float(-(-evidence_line_chars(r) // 125)),  # ~135 fit a line at 8 pt
        EVIDENCE_FIRST_LINES,
        EVIDENCE_PAGE_LINES,
        padding=0.2,
    )


# The index: an entry of 10 pt text (line height 1.42) with 2.5 pt padding above and below and
# a rule; a section's entry has 7 pt more above it. Heights in points, on a Letter page inside
# packet.css's margins (662 pt): a continued page holds the running title; the first page also
# a draft's note, the title, the explanatory paragraphs (the second when the packet follows a
# base) and the header row, whether or not this packet has them. An entry's room for its title
# always leaves space for a change mark ("replaced"): the index of a packet built after a base
# is cut exactly as the base's was, so no page after it moves because of the marks.
INDEX_INLINE = 60  # up to this many entries (about two pages), the index is laid out whole
INDEX_PAGE_POINTS = 630.0
INDEX_FIRST_POINTS = 460.0
INDEX_LINE_POINTS = 14.2
INDEX_TEXT_POINTS = 350.0  # the text column less the page numbers and a change mark
INDEX_CHAR_POINTS = 5.2  # DejaVu Sans's mean advance at 10 pt, a little over


def index_entry_points(row: dict[str, Any]) -> float:
    """The height one index entry takes, in points (index.html.j2 at packet.css's 10 pt)."""
    indent = {"doc": 16.0, "staff": 30.0}.get(str(row.get("level")), 0.0)
    text = str(row.get("title") or "")
    if row.get("part"):
        text += f" (part {row['part']})"
    per_line = int((INDEX_TEXT_POINTS - indent) / INDEX_CHAR_POINTS)
    extra = 7.0 if row.get("level") == "section" else 0.0
    return wrapped(text, per_line) * INDEX_LINE_POINTS + 5.8 + extra


def index_parts(rows: Sequence[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The index's entries in page-sized parts, or one part when the index is short."""
    if len(rows) <= INDEX_INLINE:
        return [list(rows)]
    return pack(rows, index_entry_points, INDEX_FIRST_POINTS, INDEX_PAGE_POINTS, padding=0.0)
