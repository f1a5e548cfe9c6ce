"""`staff.xlsx` / `staff.ods`: the roster sheet as the same row mappings `staff.csv` gives.

The header row is the first of the top HEADER_ROWS rows with an `id` column (rows above it are
titles); cells are read as a person means them (a date cell is a date, a license number stays
text). Problems with the file stop loading (InputError, exit 2); problems with a value are
returned, each naming its cell, to be reported as findings with everything else.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cmpacket.errors import InputError
from cmpacket.model._cells import (
    HEADER_ROWS,
    Cell,
    Row,
    Sheet,
    cell_place,
    column_letter,
    text_date,
)
from cmpacket.model._csv import CELL_LIMIT, row_to_staff
from cmpacket.model._headers import canonical, column_kind, suggest
from cmpacket.model._ods import read_ods
from cmpacket.model._package import open_package
from cmpacket.model._xlsx import read_xlsx

MAX_LISTED = 10  # problems listed in one message
_HINT = "See docs/data-format.md for the columns and their other accepted names."


@dataclass
class RosterRows:
    """Staff mappings as `read_staff_csv` gives them, where each came from (`where[i]["sheet"]`
    and `["letters"]` name the cells), and value problems as (row index, path suffix, message)."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    where: list[dict[str, Any]] = field(default_factory=list)
    problems: list[tuple[int, tuple[Any, ...], str]] = field(default_factory=list)


def read_staff_sheet(path: Path, display: str) -> RosterRows:
    """Read the roster workbook `path` (xlsx or ods, told apart by content)."""
    zf, kind = open_package(path, display)
    with zf, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl warns about features it drops; not ours
        sheet = read_ods(zf, display) if kind == "ods" else read_xlsx(path, zf, display)
        try:
            return _Roster(display, sheet).read()
        finally:
            close = getattr(sheet.rows, "close", None)
            if close is not None:  # a generator stopped early (an error): release the file now
                close()


class _Roster:
    def __init__(self, display: str, sheet: Sheet) -> None:
        self.display, self.sheet = display, sheet
        self.errors: list[str] = []  # file problems, raised together at the end

    def place(self, col: int, row: int, name: str = "") -> str:
        return cell_place(self.display, self.sheet.title, f"{column_letter(col)}{row}", name)

    def read(self) -> RosterRows:
        rows = self.sheet.rows
        columns = self._header(rows)
        out = RosterRows()
        letters = {name: column_letter(col) for col, name in columns.items()}
        for number, cells in rows:
            values: dict[str, str] = {}
            bad: dict[str, str] = {}
            for col, cell in sorted(cells.items()):
                name = columns.get(col)
                if name is None:
                    self._orphan(col, number, cell)
                    continue
                text, problem = self._value(cell, name, col, number)
                if text:
                    values[name] = text
                if problem:
                    bad[name] = problem
            if not values:
                continue
            staff, cols = row_to_staff(values)
            suffix = {name: path for path, name in cols.items()}
            out.problems += [(len(out.rows), suffix[n], m) for n, m in bad.items() if n in suffix]
            out.rows.append(staff)
            out.where.append(
                {"line": number, "columns": cols, "sheet": self.sheet.title, "letters": letters}
            )
        self._raise(f"{self.display}: sheet '{self.sheet.title}' cannot be read:")
        return out

    def _header(self, rows: Iterator[Row]) -> dict[int, str]:
        """{column: staff.csv column} from the first row with an id column; rows above it are
        titles and are skipped."""
        seen = ""
        for number, cells in rows:
            if number > HEADER_ROWS:
                break
            named = {col: canonical(_as_text(c)) for col, c in cells.items() if c.kind == "text"}
            if "id" not in named.values():
                shown = ", ".join(repr(_as_text(c)) for _, c in sorted(cells.items())[:4])
                seen = seen or (f" Row {number} holds {shown}." if shown else "")
                continue
            return self._columns(number, cells, named)
        first = seen or " The sheet is empty."
        raise InputError(
            f"{self.display}: sheet '{self.sheet.title}': no header row with an 'id' column in "
            f"rows 1-{HEADER_ROWS}.{first}",
            hint="Put the column names in one row: id, name, position, ... (docs/data-format.md); "
            "`cmpacket init DIR --roster xlsx` writes such a sheet.",
        )

    def _columns(
        self, number: int, cells: dict[int, Cell], named: dict[int, str | None]
    ) -> dict[int, str]:
        columns: dict[int, str] = {}
        first: dict[str, int] = {}
        for col, cell in sorted(cells.items()):
            name = named.get(col)
            if name is None:
                shown = _as_text(cell)
                self.errors.append(
                    f"{self.place(col, number)}: unknown column {shown!r}.{suggest(shown)}"
                )
            elif name in first:
                self.errors.append(
                    f"{self.place(col, number)}: a second {name} column "
                    f"(the first is {column_letter(first[name])}{number})."
                )
            else:
                columns[col], first[name] = name, col
        self._raise(f"{self.display}: sheet '{self.sheet.title}', header row {number}:")
        return columns

    def _orphan(self, col: int, row: int, cell: Cell) -> None:
        if cell.kind == "text" and not str(cell.value).strip():
            return
        self.errors.append(
            f"{self.place(col, row)}: {_as_text(cell)!r} is in a column without a header. "
            f"Name the column in the header row, or clear the cell."
        )

    def _value(self, cell: Cell, name: str, col: int, row: int) -> tuple[str, str]:
        if cell.kind == "formula":
            self.errors.append(
                f"{self.place(col, row, name)}: the formula {str(cell.value)[:60]!r} has no "
                f"saved value."
            )
            return "", ""
        if cell.kind == "error":
            shown = str(cell.value)
            return (
                shown,
                f"the cell shows the error {shown}. Correct its formula or type the value.",
            )
        kind = column_kind(name)
        if kind == "date":
            return _as_date(cell, self.sheet.epoch)
        if kind == "number":
            return _as_number(cell), ""
        text = _as_text(cell)
        if len(text) > CELL_LIMIT:
            self.errors.append(
                f"{self.place(col, row, name)}: the cell holds {len(text):,} characters; a cell "
                f"may hold at most {CELL_LIMIT:,} (one value: a name, a date, a file path)."
            )
            return "", ""
        return text, ""

    def _raise(self, lead: str) -> None:
        if not self.errors:
            return
        listed = self.errors[:MAX_LISTED]
        more = len(self.errors) - len(listed)
        lines = [lead, *listed] + ([f"... and {more} more."] if more else [])
        formulas = any("has no saved value" in e for e in self.errors)
        hint = (
            "Open the file in Excel or LibreOffice Calc and save it: that stores each formula's "
            "value (cmpacket never calculates formulas)."
            if formulas
            else _HINT
        )
        raise InputError("\n  ".join(lines), hint=hint)


def _as_text(cell: Cell) -> str:
    value = cell.value
    if cell.kind == "number":
        digits = _number(value)
        return digits.zfill(cell.pad) if cell.pad and digits.isdigit() else digits
    if cell.kind == "date":
        return _iso(value) or str(value)
    if cell.kind == "bool":
        return "true" if value else "false"
    return str(value).strip()


def _as_number(cell: Cell) -> str:
    if cell.kind == "number":
        return _number(cell.value)
    return _as_text(cell)


def _as_date(cell: Cell, epoch: dt.date) -> tuple[str, str]:
    if cell.kind == "date":
        iso_day = _iso(cell.value)
        if iso_day:
            return iso_day, ""
    elif cell.kind == "number" and 1 <= cell.value < 2958466:  # serial day: 1900-01-01 .. 9999
        return (epoch + dt.timedelta(days=int(cell.value))).isoformat(), ""
    elif cell.kind == "text":
        text = str(cell.value).strip()
        if not text:
            return "", ""
        day = text_date(text)
        if day:
            return day, ""
    shown = _as_text(cell)
    return shown, f"{shown!r} is not a date. Use a date cell or YYYY-MM-DD."


def _iso(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return ""


def _number(value: Any) -> str:
    """1.0 -> '1', 150123456.0 -> '150123456', 150.123456 -> '150.123456'."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value) if isinstance(value, int) else repr(float(value))
