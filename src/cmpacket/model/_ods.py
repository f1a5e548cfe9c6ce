"""`staff.ods`: the roster table read from content.xml with expat, a row at a time.

No DOM is built (odfpy would build one for the whole document), and repeated rows and columns
(`number-rows-repeated="1048553"`, LibreOffice's way of saying "empty to the end") are counted,
never expanded, unless they hold values - and then only within the caps of `_cells`.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Iterator
from typing import Any

from cmpacket.errors import InputError
from cmpacket.model._cells import (
    MAX_CELL_CHARS,
    MAX_CELLS,
    MAX_COLUMNS,
    MAX_ROWS,
    Cell,
    Row,
    Sheet,
    column_letter,
)
from cmpacket.model._package import CHUNK, ZIP_ERRORS, damaged, refused, scan_xml

TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0 "
OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0 "
TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0 "
CALCEXT = "urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0 "
CELLS = (TABLE + "table-cell", TABLE + "covered-table-cell")


def read_ods(zf: zipfile.ZipFile, display: str) -> Sheet:
    """The roster table of an ODS package (the table named staff, else the first)."""
    if "content.xml" not in zf.namelist():
        raise damaged(display, "it has no content.xml")
    names = _table_names(zf, display)
    if not names:
        raise InputError(
            f"{display}: the spreadsheet has no sheet.",
            hint="Put the roster on a sheet named 'staff'.",
        )
    index = next((i for i, n in enumerate(names) if n.strip().casefold() == "staff"), 0)
    return Sheet(names[index], _Reader(zf, display, index, names[index]).rows())


def _table_names(zf: zipfile.ZipFile, display: str) -> list[str]:
    names: list[str] = []
    depth = 0

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal depth
        if name == TABLE + "table":
            if depth == 0:
                names.append(attrs.get(TABLE + "name", f"Sheet{len(names) + 1}"))
            depth += 1

    def end(name: str) -> None:
        nonlocal depth
        if name == TABLE + "table":
            depth -= 1

    scan_xml(zf, "content.xml", display, {"StartElementHandler": start, "EndElementHandler": end})
    return names


class _Reader:
    """expat handlers that turn the rows of table number `index` into (row, {column: Cell})."""

    def __init__(self, zf: zipfile.ZipFile, display: str, index: int, title: str) -> None:
        self.zf, self.display, self.index, self.title = zf, display, index, title
        self.tables = -1  # tables started so far at depth 0
        self.depth = 0  # table nesting (a table inside a cell is part of that cell)
        self.active = False
        self.row = 0  # rows passed, repeats counted
        self.col = 0
        self.cells: dict[int, Cell] = {}
        self.repeat = 1
        self.cell: dict[str, Any] | None = None  # the cell being read
        self.skip = 0  # depth inside an annotation (a comment), whose text is not the value
        self.total = 0
        self.out: list[Row] = []

    def rows(self) -> Iterator[Row]:
        from xml.parsers import expat

        parser = expat.ParserCreate(namespace_separator=" ")
        parser.buffer_text = True
        parser.StartDoctypeDeclHandler = self._doctype
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        parser.CharacterDataHandler = self._text
        try:
            with self.zf.open("content.xml") as part:
                while chunk := part.read(CHUNK):
                    parser.Parse(chunk, False)
                    yield from self.out
                    self.out.clear()
                parser.Parse(b"", True)
        except (expat.ExpatError, *ZIP_ERRORS) as exc:
            raise damaged(self.display, f"content.xml: {exc}") from None
        yield from self.out

    def _doctype(self, *_: Any) -> None:
        raise refused(self.display, "content.xml declares a DOCTYPE")

    def _start(self, name: str, attrs: dict[str, str]) -> None:
        if name == TABLE + "table":
            if self.depth == 0:
                self.tables += 1
                self.active = self.tables == self.index
            self.depth += 1
        if not self.active or self.depth != 1 and self.cell is None:
            return
        if self.cell is not None:
            self._inside(name, attrs)
        elif name == TABLE + "table-row":
            self.col, self.cells = 0, {}
            self.repeat = self._count(attrs, TABLE + "number-rows-repeated")
        elif name in CELLS:
            repeat = self._count(attrs, TABLE + "number-columns-repeated")
            self.cell = {"attrs": attrs, "repeat": repeat, "paras": [], "chars": 0}

    def _inside(self, name: str, attrs: dict[str, str]) -> None:
        assert self.cell is not None
        paras: list[str] = self.cell["paras"]
        if name == OFFICE + "annotation" or self.skip:
            self.skip += 1
        elif name == TEXT + "p" or name == TEXT + "h":
            paras.append("")
        elif name == TEXT + "s":
            self._add(" " * min(self._count(attrs, TEXT + "c"), MAX_CELL_CHARS + 1))
        elif name == TEXT + "tab":
            self._add("\t")
        elif name == TEXT + "line-break":
            self._add("\n")

    def _text(self, data: str) -> None:
        if self.cell is not None and not self.skip and self.cell["paras"]:
            self._add(data)

    def _add(self, data: str) -> None:
        assert self.cell is not None
        if not self.cell["paras"]:
            return
        self.cell["chars"] += len(data)
        if self.cell["chars"] > MAX_CELL_CHARS:
            ref = f"{column_letter(self.col + 1)}{self.row + 1}"
            raise refused(self.display, f"cell {ref} holds more than {MAX_CELL_CHARS:,} characters")
        self.cell["paras"][-1] += data

    def _end(self, name: str) -> None:
        if name == TABLE + "table":
            self.depth -= 1
            if self.depth == 0:
                self.active = False
            return
        if not self.active:
            return
        if self.cell is not None and name not in CELLS:
            if self.skip:
                self.skip -= 1
            return
        if name in CELLS and self.cell is not None and self.depth == 1:
            self._end_cell()
        elif name == TABLE + "table-row" and self.depth == 1:
            self._end_row()

    def _end_cell(self) -> None:
        assert self.cell is not None
        repeat, cell = self.cell["repeat"], _cell(self.cell, self.display, self._where())
        self.cell = None
        if cell is None:
            self.col += repeat
            return
        if self.col + repeat > MAX_COLUMNS:
            self._beyond(f"{column_letter(max(self.col + 1, MAX_COLUMNS + 1))}{self.row + 1}")
        for _ in range(repeat):
            self.col += 1
            self.cells[self.col] = cell

    def _end_row(self) -> None:
        if not self.cells:
            self.row += self.repeat
            return
        if self.row + self.repeat > MAX_ROWS:
            self._beyond(f"{column_letter(min(self.cells))}{max(self.row + 1, MAX_ROWS + 1)}")
        self.total += len(self.cells) * self.repeat
        if self.total > MAX_CELLS:
            raise refused(
                self.display, f"sheet '{self.title}' has more than {MAX_CELLS:,} cells with values"
            )
        for _ in range(self.repeat):
            self.row += 1
            self.out.append((self.row, self.cells))

    def _beyond(self, ref: str) -> None:
        raise refused(
            self.display,
            f"sheet '{self.title}' has a value in cell {ref}, beyond {MAX_ROWS:,} rows or "
            f"{MAX_COLUMNS:,} columns",
        )

    def _where(self) -> str:
        return f"cell {column_letter(self.col + 1)}{self.row + 1}"

    def _count(self, attrs: dict[str, str], key: str) -> int:
        raw = attrs.get(key, "1")
        if not (raw.isascii() and raw.isdigit()) or int(raw) < 1:
            raise damaged(self.display, f"{self._where()}: {key.split()[-1]}={raw!r}")
        return int(raw)


def _cell(cell: dict[str, Any], display: str, where: str) -> Cell | None:
    """A Cell from an ODF table cell's attributes and paragraphs; None when it is empty."""
    attrs: dict[str, str] = cell["attrs"]
    shown = "\n".join(cell["paras"])
    kind = attrs.get(OFFICE + "value-type")
    if attrs.get(CALCEXT + "value-type") == "error":
        return Cell("error", shown)
    try:
        if kind in ("float", "percentage", "currency"):
            value = float(attrs[OFFICE + "value"])
            pad = len(shown) if shown.isdigit() and shown[0] == "0" and int(shown) == value else 0
            return Cell("number", int(value) if value.is_integer() else value, pad)
        if kind == "date":
            return _date(attrs[OFFICE + "date-value"], shown)
        if kind == "boolean":
            return Cell("bool", attrs.get(OFFICE + "boolean-value") == "true")
        if kind == "string":
            return Cell("text", attrs.get(OFFICE + "string-value", shown))
    except (KeyError, ValueError, OverflowError) as exc:
        raise damaged(display, f"{where}: {kind} cell without a readable value ({exc})") from None
    if kind is None and TABLE + "formula" in attrs:
        return Cell("formula", attrs[TABLE + "formula"])
    return Cell("text", shown) if shown else None  # time values and untyped text: as shown


def _date(value: str, shown: str) -> Cell:
    try:
        return Cell("date", dt.datetime.fromisoformat(value))
    except ValueError:  # a date Python cannot hold (year 0, BC): the text, judged as typed
        return Cell("text", shown or value)
