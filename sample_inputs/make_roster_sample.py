"""Make `prairie-care-xlsx/`: the sample agency with its roster in staff.xlsx instead of inline
in agency.yaml (the same people, the same uploads). Run from the repository root after
installing cmpacket:

    python sample_inputs/make_roster_sample.py

The folder is committed; rerun this only when prairie-care's agency.yaml or uploads change.
The workbook looks like one an administrator keeps: a title row, friendly headers for the
first columns (docs/data-format.md lists the accepted names), date cells for dates, license
numbers as text cells.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import yaml
from openpyxl import Workbook
from openpyxl.styles import Font

from cmpacket.model import staff_rows as flatten
from cmpacket.model._headers import column_kind
from cmpacket.model._scaffold_xlsx import stamp

HERE = Path(__file__).parent
SOURCE, DEST = HERE / "prairie-care", HERE / "prairie-care-xlsx"
FRIENDLY = {"id": "Employee ID", "name": "Employee Name", "position": "Position Key",
            "hire_date": "Hire Date", "email": "Email Address"}  # fmt: skip
FIXED = dt.datetime(2026, 11, 20, 9, 0)  # the workbook's own dates, so reruns give the same file


def main() -> None:
    text = (SOURCE / "agency.yaml").read_text(encoding="utf-8")
    staff = yaml.safe_load(text)["staff"]
    if DEST.exists():
        shutil.rmtree(DEST)
    shutil.copytree(SOURCE, DEST, ignore=shutil.ignore_patterns("out", "responses"))
    block = re.compile(r"^staff:\n.*?(?=^\S)", re.M | re.S)  # the inline staff, to the next key
    note = "staff: []                       # the roster is staff.xlsx, beside this file\n\n"
    (DEST / "agency.yaml").write_text(block.sub(note, text, count=1), encoding="utf-8")
    write_workbook(staff, DEST / "staff.xlsx")
    print(f"wrote {DEST}")


def write_workbook(staff: list[dict], path: Path) -> None:
    cols, rows = flatten(staff)
    wb = Workbook()
    ws = wb.active
    ws.title = "staff"
    ws["A1"] = "Prairie Care Coordination, Inc. - staff roster (kept by Renee Okafor)"
    ws["A1"].font = Font(bold=True, size=13)
    ws.merge_cells("A1:F1")
    for i, col in enumerate(cols, start=1):
        ws.cell(row=3, column=i, value=FRIENDLY.get(col, col)).font = Font(bold=True)
    for r, row in enumerate(rows, start=4):
        for i, col in enumerate(cols, start=1):
            if col in row:
                cell = ws.cell(row=r, column=i, value=typed(col, row[col]))
                kind = column_kind(col)
                cell.number_format = {"date": "yyyy-mm-dd", "text": "@"}.get(kind, "General")
    ws.freeze_panes = "C4"
    wb.save(path)
    stamp(path, FIXED)


def typed(col: str, text: str) -> object:
    kind = column_kind(col)
    if kind == "date":
        return dt.date.fromisoformat(text)
    if kind == "number":
        return float(text) if "." in text else int(text)
    return text


if __name__ == "__main__":
    main()
