"""`cmpacket init DIR --roster xlsx`: a staff.xlsx for an administrator to fill in Excel or
LibreOffice Calc: every column with a note, one example row to delete, drop-down lists, date and
text columns, a frozen header.

The example row's id is EXAMPLE-1 and its name says to delete it; loading a roster that still
holds it is an `example-row` error, so it is never built as a person.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import zipfile
from collections.abc import Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from cmpacket.model._csv import _NUMBERED, flatten, header
from cmpacket.model._headers import column_kind
from cmpacket.model._schema import CHECK_STATUSES, DEGREE_LEVELS
from cmpacket.model.defaults import builtin_positions

EXAMPLE: dict[str, Any] = {
    "id": "EXAMPLE-1",
    "name": "Maria Lopez (example: delete this row)",
    "position": "case-manager",
    "hire_date": dt.date(2024, 3, 1),
    "fte": 1,
    "email": "m.lopez@your-agency.example",
    "case_management_experience_months": 30,
    "caseload": 28,
    "mandated_reporter_training": dt.date(2024, 3, 5),
    "degrees": [
        {"level": "bachelor", "field": "social work", "institution": "University of Illinois "
         "Springfield", "year": 2019},
    ],
    "licenses": [
        {"type": "LSW", "number": "150.123456", "state": "IL", "expires": dt.date(2027, 11, 30),
         "file": "uploads/lopez-lsw.pdf"},
    ],
    "background_check": {"registry_check": dt.date(2024, 2, 20), "fingerprint": dt.date(2024, 2, 22),
                         "status": "clear", "file": "uploads/lopez-registry.pdf"},
    "exclusion_check": {"date": dt.date(2026, 11, 16), "lists": ["LEIE", "SAM", "HFS-OIG"],
                        "file": "uploads/exclusion/lopez.pdf"},
    "experience_proof": {"file": "uploads/lopez-experience.pdf", "date": dt.date(2024, 2, 1),
                         "attested_by": "Jane Roe, Director, Acme Services"},
    "training": [
        {"date": dt.date(2026, 2, 10), "hours": 6, "topic": "Crisis de-escalation",
         "provider": "NAMI Illinois"},
    ],
    "documents": [{"kind": "diploma", "title": "BSW diploma", "file": "uploads/lopez-diploma.pdf"}],
}  # fmt: skip
ROWS = 1000  # rows the drop-down lists and date checks cover
LIST_ERROR = {"position": "warning", "license_type": "warning"}  # other values allowed if confirmed
DATE_FORMAT = "yyyy-mm-dd"
_GROUP = re.compile(r"^(degree|license|training|document)\d+_")


def write_roster_xlsx(path: Path, positions: Sequence[str], license_types: Sequence[str]) -> None:
    """Write the workbook to `path`."""
    from openpyxl import Workbook

    cols = header()
    wb = Workbook()
    ws = wb.active
    ws.title = "staff"
    lists = wb.create_sheet("lists")
    lists.sheet_state = "hidden"
    _header_row(ws, cols)
    _example_row(ws, cols)
    choices = {
        "position": list(positions),
        "license_type": list(license_types),
        "degree_level": list(DEGREE_LEVELS),
        "bg_status": list(CHECK_STATUSES),
    }
    ranges = _write_lists(lists, choices)
    _validations(ws, cols, ranges)
    ws.freeze_panes = "B2"
    wb.save(path)
    stamp(path, _when())


def _when() -> dt.datetime:
    """SOURCE_DATE_EPOCH when set (reproducible output), else now."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC).replace(tzinfo=None)
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def stamp(path: Path, when: dt.datetime) -> None:
    """Give the workbook's zip entries and its created/modified properties the time `when`
    (openpyxl writes the moment of saving): the same content gives the same bytes."""
    src = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    iso = when.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>" + iso, data)
            out.writestr(
                zipfile.ZipInfo(info.filename, when.timetuple()[:6]), data, zipfile.ZIP_DEFLATED
            )


def _header_row(ws: Any, cols: list[str]) -> None:
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDE6F0")
    for i, col in enumerate(cols, start=1):
        cell = ws.cell(row=1, column=i, value=col)
        cell.font, cell.fill = bold, fill
        cell.alignment = Alignment(vertical="top")
        note = Comment(_note(col), "cmpacket")
        note.width, note.height = 300, 110
        cell.comment = note
        letter = get_column_letter(i)
        kind = column_kind(col)
        dim = ws.column_dimensions[letter]
        dim.width = max(12, min(40, len(col) + 3))
        # whole-column formats: what a person types later is a date, or text kept as typed
        dim.number_format = (
            DATE_FORMAT if kind == "date" else ("@" if kind == "text" else "General")
        )


def _example_row(ws: Any, cols: list[str]) -> None:
    from openpyxl.styles import Font

    _, (cells,) = flatten([EXAMPLE])
    grey = Font(italic=True, color="808080")
    for i, col in enumerate(cols, start=1):
        text = cells.get(col)
        if text is None:
            continue
        kind = column_kind(col)
        value: Any = text
        if kind == "date":
            value = dt.date.fromisoformat(text)
        elif kind == "number":
            value = float(text) if "." in text else int(text)
        cell = ws.cell(row=2, column=i, value=value)
        cell.font = grey
        cell.number_format = (
            DATE_FORMAT if kind == "date" else ("@" if kind == "text" else "General")
        )


def _write_lists(ws: Any, choices: dict[str, list[str]]) -> dict[str, str]:
    """One column per list on the hidden sheet; {list name: its absolute range}."""
    from openpyxl.utils import get_column_letter

    out = {}
    for i, (name, values) in enumerate(choices.items(), start=1):
        letter = get_column_letter(i)
        ws.cell(row=1, column=i, value=name)
        for r, value in enumerate(values, start=2):
            ws.cell(row=r, column=i, value=value)
        out[name] = f"lists!${letter}$2:${letter}${max(2, len(values) + 1)}"
    return out


def _validations(ws: Any, cols: list[str], ranges: dict[str, str]) -> None:
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    by_rule: dict[str, DataValidation] = {}
    for i, col in enumerate(cols, start=1):
        rule = _rule(col)
        if rule is None:
            continue
        if rule not in by_rule:
            by_rule[rule] = _validation(rule, ranges)
            ws.add_data_validation(by_rule[rule])
        by_rule[rule].add(f"{get_column_letter(i)}2:{get_column_letter(i)}{ROWS + 1}")


def _rule(col: str) -> str | None:
    generic = _GROUP.sub(lambda m: f"{m.group(1)}_", col)
    if generic in ("position", "license_type", "degree_level", "bg_status"):
        return generic
    kind = column_kind(col)
    if kind == "date":
        return "date"
    if kind == "number":
        whole = col in ("caseload", "case_management_experience_months", "caseload_increase_limit")
        return "whole" if whole or generic == "degree_year" else "decimal"
    return None


def _validation(rule: str, ranges: dict[str, str]) -> Any:
    from openpyxl.worksheet.datavalidation import DataValidation

    if rule in ranges:
        dv = DataValidation(type="list", formula1=ranges[rule], allow_blank=True)
        dv.errorStyle = LIST_ERROR.get(rule, "stop")
        dv.error = "Pick a value from the list."
        if dv.errorStyle == "warning":
            dv.error += " Another value is allowed if agency.yaml or the profile knows it."
    elif rule == "date":
        dv = DataValidation(type="date", operator="between", formula1="DATE(1900,1,1)",
                            formula2="DATE(2100,12,31)", allow_blank=True)  # fmt: skip
        dv.error = "Type a date, e.g. 2024-03-01 (or 3/1/2024)."
    else:
        dv = DataValidation(
            type=rule, operator="greaterThanOrEqual", formula1="0", allow_blank=True
        )
        dv.error = "Type a number." if rule == "decimal" else "Type a whole number."
    dv.errorTitle = "cmpacket"
    dv.showErrorMessage = True
    return dv


@cache
def _notes() -> dict[str, str]:
    text = resources.files("cmpacket.model").joinpath("roster-notes.yaml").read_text()
    notes: dict[str, str] = yaml.safe_load(text)
    return notes


def _note(col: str) -> str:
    m = _NUMBERED.match(col)
    if m:
        generic = f"{m.group(1)}N_{m.group(3)}"
        return re.sub(r"\bN\b", m.group(2), _notes()[generic])
    return _notes()[col]


def scaffold_positions() -> list[str]:
    """The position keys of init's agency.yaml, then the other built-in keys."""
    text = resources.files("cmpacket.templates").joinpath("scaffold", "agency.yaml").read_text()
    keys = [p["key"] for p in yaml.safe_load(text).get("positions") or [] if "key" in p]
    return keys + [k for k in builtin_positions() if k not in keys]
