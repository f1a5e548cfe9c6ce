"""Cells as the sheet readers hand them over, the caps on a roster sheet, and how a cell is named."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

# Caps on the roster sheet (docs/data-format.md, "Limits"): a roster of 2,000 people with 100
# columns each is far inside them. Beyond them the workbook is refused, never half-read.
MAX_ROWS = 20_000  # the last row holding a value (and a declared used range) may be at most this
MAX_COLUMNS = 1_000  # likewise the last column (ALL)
MAX_CELLS = 200_000  # cells holding a value in the roster sheet
MAX_CELL_CHARS = 32_767  # characters in one cell (Excel's own limit)
HEADER_ROWS = 10  # the header row is looked for in this many rows from the top
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_US = re.compile(r"^(\d{1,2})[/-](\d{1,2})[/-](\d{4})$")


@dataclass(frozen=True, slots=True)
class Cell:
    """One non-empty cell.

    `kind` is "text", "number", "date" (a date, datetime or time value), "bool", "error" (the
    cell shows #N/A, #REF! ...) or "formula" (a formula with no value saved: `value` is the
    formula). `pad` is the number of digits a number is displayed with when its format pads it
    with zeros (`000123`), so a text column keeps the leading zeros a person sees.
    """

    kind: str
    value: Any
    pad: int = 0


Row = tuple[int, dict[int, Cell]]  # (1-based row number, {1-based column: cell})


@dataclass
class Sheet:
    """The roster sheet of a workbook: its name, its non-empty rows in order, and the date that
    serial day 0 stands for (1899-12-30, or 1904-01-01 for a workbook in the 1904 system)."""

    title: str
    rows: Iterator[Row]
    epoch: dt.date = dt.date(1899, 12, 30)


def column_letter(index: int) -> str:
    """1 -> 'A', 27 -> 'AA'."""
    out = ""
    while index > 0:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def column_index(letters: str) -> int:
    """'A' -> 1, 'AA' -> 27; 0 for anything else."""
    out = 0
    for ch in letters.upper():
        if not "A" <= ch <= "Z":
            return 0
        out = out * 26 + ord(ch) - 64
    return out


def cell_place(display: str, sheet: str, ref: str, column: str = "") -> str:
    """How every roster message names a cell: `staff.xlsx: sheet 'staff', cell C7 (hire_date)`
    (`ref` may also be "row 7")."""
    where = ref if ref.startswith("row ") else f"cell {ref}"
    named = f" ({column})" if column else ""
    return f"{display}: sheet '{sheet}', {where}{named}"


def text_date(text: str) -> str | None:
    """A date typed as text in a roster (a sheet's text cell, a `staff.csv` cell) as YYYY-MM-DD,
    or None when it is not one: `YYYY-MM-DD`, or `MM/DD/YYYY` / `M/D/YYYY` (also with `-`) in US
    order, always. Day-first is never guessed: `31/12/2024` (no month 31) and `2/30/2024` are
    None, and so is a two-digit year."""
    iso, us = _ISO.match(text), _US.match(text)
    try:
        if iso:
            year, month, day = (int(g) for g in iso.groups())
            return dt.date(year, month, day).isoformat()
        if us:  # US order only, never day-first: 03/01/2024 is March 1
            month, day, year = (int(g) for g in us.groups())
            return dt.date(year, month, day).isoformat()
    except ValueError:
        return None
    return None


def impossible(text: str) -> str:
    """Why a text shaped like a US date is none, for the message: `31/12/2024` -> "month 31
    does not exist", `2/30/2024` -> "February 2024 has no day 30"; '' for any other text."""
    us = _US.match(text)
    if us is None:
        return ""
    month, day, year = (int(g) for g in us.groups())
    if not 1 <= month <= 12:
        return f"month {month} does not exist"
    return f"{dt.date(2000, month, 1):%B} {year} has no day {day}"
