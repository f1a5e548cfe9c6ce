"""`staff.xlsx`: the roster sheet streamed with openpyxl in read-only mode, after expat scans
that bound what openpyxl will build (parts it reads whole, and the roster sheet itself)."""

from __future__ import annotations

import datetime as dt
import re
import warnings
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
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
    column_index,
    column_letter,
)
from cmpacket.model._package import (
    count_elements,
    damaged,
    refused,
    scan_xml,
)

SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
EXCEL_MAX_COLUMNS = 16_384  # XFD: more cells than this in one row is not a worksheet
_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d{1,7})$")
_ZERO_PAD = re.compile(r"^0+$")


@dataclass
class _Bounds:
    """What the scan of the roster sheet found: the last row and column holding a value and the
    formulas without a saved value."""

    rows: int = 0
    columns: int = 0
    formulas: dict[int, dict[int, str]] = field(default_factory=dict)


def read_xlsx(path: Path, zf: zipfile.ZipFile, display: str) -> Sheet:
    """The roster sheet of `path` (the sheet named staff, else the first visible worksheet)."""
    _check_parts(zf, display)
    from openpyxl import load_workbook

    try:
        with warnings.catch_warnings():  # openpyxl warns about features it drops; not ours
            warnings.simplefilter("ignore")
            wb = load_workbook(path, read_only=True, data_only=True, keep_links=False)
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - an untrusted file: any parser failure means damaged
        raise damaged(display, f"{type(exc).__name__}: {exc}") from None
    try:
        ws = _choose(wb, display)
        # openpyxl keeps the sheet's part name privately; pinned to openpyxl 3 in pyproject.toml
        part = str(ws._worksheet_path).lstrip("/")
        bounds = _scan(zf, part, display, ws.title)
        epoch = wb.epoch.date() if isinstance(wb.epoch, dt.datetime) else dt.date(1899, 12, 30)
    except BaseException:
        wb.close()
        raise
    return Sheet(ws.title, _rows(wb, ws, bounds, display), epoch)


def _check_parts(zf: zipfile.ZipFile, display: str) -> None:
    """Cap the XML elements of every part openpyxl reads whole: all but the worksheets, and a
    worksheet too when it does not declare its used range (openpyxl then reads it to its end
    to find its size). The roster sheet's rows are streamed and scanned later."""
    types: dict[str, str] = {}
    defaults: dict[str, str] = {}

    def start(name: str, attrs: dict[str, str]) -> None:
        local = name.rpartition(" ")[2]
        if local == "Override":
            types[attrs.get("PartName", "").lstrip("/")] = attrs.get("ContentType", "")
        elif local == "Default":
            defaults[attrs.get("Extension", "").lower()] = attrs.get("ContentType", "")

    count_elements(zf, "[Content_Types].xml", display)
    scan_xml(zf, "[Content_Types].xml", display, {"StartElementHandler": start})
    for info in zf.infolist():
        name = info.filename
        if name == "[Content_Types].xml" or info.is_dir():
            continue
        kind = types.get(name) or defaults.get(name.rpartition(".")[2].lower(), "")
        if kind == SHEET_TYPE:
            count_elements(zf, name, display, until="dimension")
        elif kind.endswith("xml") or name.lower().endswith((".xml", ".rels")):
            count_elements(zf, name, display)


def _choose(wb: Any, display: str) -> Any:
    sheets = list(wb.worksheets)
    for ws in sheets:
        if ws.title.strip().casefold() == "staff":
            return ws
    visible = [ws for ws in sheets if getattr(ws, "sheet_state", "visible") == "visible"]
    if not visible:
        raise InputError(
            f"{display}: the workbook has no worksheet.",
            hint="Put the roster on a sheet named 'staff'.",
        )
    return visible[0]


def _scan(zf: zipfile.ZipFile, part: str, display: str, title: str) -> _Bounds:
    """Stream the sheet's XML once: refuse a declared or real size over the caps, a cell over
    MAX_CELL_CHARS, a row with more cells than a worksheet has columns; note formulas without a
    saved value."""
    if part not in zf.namelist():
        raise damaged(display, f"sheet '{title}' has no part {part!r}")
    scan = _SheetScan(display, title)
    handlers: dict[str, Callable[..., Any]] = {"StartElementHandler": scan.start}
    handlers.update(CharacterDataHandler=scan.text, EndElementHandler=scan.end)
    scan_xml(zf, part, display, handlers)
    return scan.out


class _SheetScan:
    """expat handlers over a worksheet part: where the cells are and which hold what."""

    def __init__(self, display: str, title: str) -> None:
        self.display, self.title = display, title
        self.out = _Bounds()
        self.row = self.col = self.row_cells = self.cells = self.chars = 0
        self.inside = ""  # "v", "t" (inline text) or "f" while in one of those elements
        self.formula = ""
        self.has_f = self.has_v = self.text_result = False

    def start(self, name: str, attrs: dict[str, str]) -> None:
        local = name.rpartition(" ")[2]
        if local == "c":
            self.row_cells += 1
            if self.row_cells > EXCEL_MAX_COLUMNS:
                raise refused(
                    self.display, f"row {self.row} of sheet '{self.title}' has too many cells"
                )
            ref = _REF.match(attrs.get("r", ""))
            self.col = column_index(ref.group(1)) if ref else self.col + 1
            self.has_f = self.has_v = False
            self.chars, self.inside, self.formula = 0, "", ""
            self.text_result = attrs.get("t") == "str"  # a formula's text result: <v></v> is ""
        elif local in ("v", "t", "f"):
            self.inside = local
            self.has_f = self.has_f or local == "f"
        elif local == "row":
            r = attrs.get("r", "")
            self.row = int(r) if r.isascii() and r.isdigit() else self.row + 1
            self.col = self.row_cells = 0
        elif local == "dimension":
            _check_dimension(attrs.get("ref", ""), self.display, self.title)

    def text(self, data: str) -> None:
        if self.inside == "f":
            self.formula = (self.formula + data)[:200]
        elif self.inside:
            self.chars += len(data)
            self.has_v = self.has_v or bool(data)
            if self.chars > MAX_CELL_CHARS:
                raise refused(
                    self.display,
                    f"cell {self._ref()} holds more than {MAX_CELL_CHARS:,} characters",
                )

    def end(self, name: str) -> None:
        local = name.rpartition(" ")[2]
        if local in ("v", "t", "f"):
            self.inside = ""
        elif local == "c" and (self.has_v or self.has_f):
            self._count()

    def _count(self) -> None:
        if self.row > MAX_ROWS or self.col > MAX_COLUMNS:
            raise refused(
                self.display,
                f"sheet '{self.title}' has a value in cell {self._ref()}, beyond {MAX_ROWS:,} rows "
                f"or {MAX_COLUMNS:,} columns",
            )
        self.cells += 1
        if self.cells > MAX_CELLS:
            raise refused(
                self.display, f"sheet '{self.title}' has more than {MAX_CELLS:,} cells with values"
            )
        if self.has_f and not (self.has_v or self.text_result):  # openpyxl writes <f/><v></v>
            self.out.formulas.setdefault(self.row, {})[self.col] = "=" + self.formula
        self.out.rows = max(self.out.rows, self.row)
        self.out.columns = max(self.out.columns, self.col)

    def _ref(self) -> str:
        return f"{column_letter(self.col)}{self.row}"


def _check_dimension(ref: str, display: str, title: str) -> None:
    last = _REF.match(ref.rpartition(":")[2])
    if last and (int(last.group(2)) > MAX_ROWS or column_index(last.group(1)) > MAX_COLUMNS):
        raise refused(
            display,
            f"sheet '{title}' declares its used range as {ref}, more than {MAX_ROWS:,} rows or "
            f"{MAX_COLUMNS:,} columns",
        )


def _rows(wb: Any, ws: Any, bounds: _Bounds, display: str) -> Iterator[Row]:
    """The sheet's rows within the scanned bounds, as Cells; openpyxl streams them."""
    try:
        if not bounds.rows:
            return
        rows = ws.iter_rows(min_row=1, max_row=bounds.rows, max_col=bounds.columns)
        for number, row in enumerate(rows, start=1):
            cells = {
                col: Cell("formula", formula)
                for col, formula in bounds.formulas.get(number, {}).items()
            }
            for col, item in enumerate(row, start=1):
                if item.value is not None and col not in cells:
                    cells[col] = _cell(item)
            yield number, cells
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - an untrusted file: any parser failure means damaged
        raise damaged(display, f"{type(exc).__name__}: {exc}") from None
    finally:
        wb.close()


def _cell(item: Any) -> Cell:
    value = item.value
    if item.data_type == "e":
        return Cell("error", str(value))
    if isinstance(value, bool):
        return Cell("bool", value)
    if isinstance(value, dt.date | dt.time | dt.timedelta):
        return Cell("date", value)
    if isinstance(value, int | float):
        fmt = str(item.number_format or "")
        return Cell("number", value, len(fmt) if _ZERO_PAD.match(fmt) else 0)
    return Cell("text", str(value))
