"""Spreadsheet rosters (SPEC §17): staff.xlsx / staff.ods read like staff.csv, every problem
naming its cell; hostile workbooks refused within bounded memory; `init --roster xlsx`."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import os
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cmpacket.model import load_folder
from cmpacket.model._csv import flatten
from cmpacket.model._headers import aliases, canonical, column_kind, fixed_columns, normalize
from tests import roster_files as rf
from tests.conftest import ROOT, SAMPLE, Result, copy_sample

STAFF = yaml.safe_load((SAMPLE / "agency.yaml").read_text())["staff"]
COLS, ROWS = flatten(STAFF)


def _folder(tmp_path: Path) -> Path:
    """The sample agency with its staff taken out of agency.yaml (a roster file brings them)."""
    return copy_sample(tmp_path, lambda d: d.update(staff=[]))


def _typed(col: str, text: str) -> Any:
    """A cell as a person's spreadsheet holds it: date columns dates, number columns numbers,
    the rest text (license numbers included)."""
    kind = column_kind(col)
    if kind == "date":
        return dt.date.fromisoformat(text)
    if kind == "number":
        return float(text)
    return text


def _write_csv(folder: Path) -> Path:
    with (folder / "staff.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, COLS)
        writer.writeheader()
        writer.writerows(ROWS)
    return folder / "staff.csv"


def _write_xlsx(folder: Path, decorate: bool = False) -> Path:
    rows: list[list[Any]] = []
    if decorate:  # a title, an empty row, then the header
        rows += [["Prairie Care Coordination - staff roster, November 2026"], []]
    rows.append(COLS)
    for row in ROWS:
        rows.append([_typed(c, row[c]) if c in row else None for c in COLS])
        rows.append([])  # blank rows between people
    path = rf.xlsx(folder / "staff.xlsx", rows, title="Staff")
    if decorate:
        wb = openpyxl.load_workbook(path)
        wb.active.merge_cells("A1:H1")
        wb.save(path)
    return path


def _write_ods(folder: Path) -> Path:
    rows = [rf.ods_row(COLS)]
    for row in ROWS:
        cells = [_typed(c, row[c]) if c in row else None for c in COLS]
        rows += [rf.ods_row(cells), rf.ods_row([None] * 3)]
    other = [rf.ods_row(["not", "the", "roster"])]
    return rf.ods(folder / "staff.ods", {"Notes": other, "STAFF": rows})


@pytest.fixture(scope="module")
def csv_staff(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, ...]:
    folder = _folder(tmp_path_factory.mktemp("csv"))
    _write_csv(folder)
    loaded = load_folder(folder)
    assert loaded.findings == [] and loaded.data is not None
    assert len(loaded.data.staff) == len(STAFF)
    return loaded.data.staff


@pytest.mark.parametrize("writer", [_write_xlsx, _write_ods], ids=["xlsx", "ods"])
def test_workbook_roster_gives_the_same_staff_as_csv(
    tmp_path: Path, writer: Callable[[Path], Path], csv_staff: tuple[Any, ...]
) -> None:
    folder = _folder(tmp_path)
    roster = writer(folder)
    loaded = load_folder(folder)
    assert loaded.findings == []
    assert loaded.data is not None
    assert loaded.data.staff == csv_staff
    assert loaded.data.source_files == ("agency.yaml", roster.name)


def test_title_rows_above_the_header_are_skipped(tmp_path: Path, csv_staff: tuple) -> None:
    folder = _folder(tmp_path)
    _write_xlsx(folder, decorate=True)
    loaded = load_folder(folder)
    assert loaded.data is not None and loaded.data.staff == csv_staff


@pytest.mark.parametrize("ext", ["xlsx", "ods"])
def test_libreoffice_saved_roster_gives_the_same_staff(
    tmp_path: Path, ext: str, csv_staff: tuple[Any, ...]
) -> None:
    """The CSV opened and saved by LibreOffice Calc, license numbers imported as text (as a
    person would format that column), everything else as Calc detects it (dates, numbers)."""
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    folder = _folder(tmp_path)
    source = _write_csv(folder)
    work = tmp_path / "lo"
    work.mkdir()
    shutil.move(source, work / "roster.csv")
    formats = "/".join(f"{i}/{2 if c.endswith('_number') else 1}" for i, c in enumerate(COLS, 1))
    run = subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}", "--headless",
         "--norestore", f"--infilter=CSV:44,34,76,1,{formats}", "--convert-to", ext,
         "--outdir", str(work), str(work / "roster.csv")],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    made = work / f"roster.{ext}"
    if not made.is_file():
        pytest.skip(f"LibreOffice could not write {ext} here (is Calc installed?): {run.stderr}")
    shutil.move(made, folder / f"staff.{ext}")
    loaded = load_folder(folder)
    assert loaded.findings == []
    assert loaded.data is not None and loaded.data.staff == csv_staff


# --- cells as a person means them ---------------------------------------------------------------


def _one(tmp_path: Path, header: list[str], *rows: list[Any]) -> Any:
    folder = _folder(tmp_path)
    rf.xlsx(folder / "staff.xlsx", [header, *rows])
    return load_folder(folder)


def test_cells_are_read_as_a_person_means_them(tmp_path: Path) -> None:
    header = ["id", "hire_date", "fte", "caseload", "license1_number", "license2_number",
              "license1_expires", "mandated_reporter_training", "degree1_year"]  # fmt: skip
    rows = [
        ["S-1", 45352, "0.5", 28.0, 150123456.0, "041.412087", "11/30/2027", dt.datetime(2025, 1, 14), 2019.0],
        [],
        ["S-2", "2024-03-01", 1, "28", "00123", 150.123456, dt.date(2027, 11, 30), "1/2/2025", "2019"],
    ]  # fmt: skip
    loaded = _one(tmp_path, header, *rows)
    assert loaded.findings == []
    one, two = loaded.data.staff
    assert one.hire_date == two.hire_date == dt.date(2024, 3, 1)  # serial 45352 and ISO text
    assert (one.fte, two.fte, one.caseload, two.caseload) == (0.5, 1.0, 28, 28)
    assert [lic.number for lic in one.licenses] == ["150123456", "041.412087"]
    assert [lic.number for lic in two.licenses] == ["00123", "150.123456"]
    assert one.licenses[0].expires == two.licenses[0].expires == dt.date(2027, 11, 30)
    assert one.mandated_reporter_training == dt.date(2025, 1, 14)
    assert two.mandated_reporter_training == dt.date(2025, 1, 2)  # US order: January 2
    assert one.degrees[0].year == two.degrees[0].year == 2019


def test_zero_padded_number_format_keeps_leading_zeros(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    path = rf.xlsx(folder / "staff.xlsx", [["id", "license1_number"], [7, 41412087]])
    wb = openpyxl.load_workbook(path)
    wb.active["A2"].number_format = "000"
    wb.active["B2"].number_format = "000000000"
    wb.save(path)
    (person,) = load_folder(folder).data.staff
    assert (person.id, person.licenses[0].number) == ("007", "041412087")


def test_empty_trailing_columns_and_rows_are_ignored(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    path = rf.xlsx(folder / "staff.xlsx", [["id", "name"], ["S-1", "Ann Lee"]])
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    ws["F1"].number_format = "@"  # formatted but empty header and cells
    ws["F40"].font = openpyxl.styles.Font(bold=True)
    ws["C7"] = "   "  # only spaces: blank
    wb.save(path)
    loaded = load_folder(folder)
    assert loaded.findings == [] and [p.id for p in loaded.data.staff] == ["S-1"]


def test_header_aliases(tmp_path: Path) -> None:
    header = ["Employee ID", "Employee Name", "License #", "License Type", "Hire Date",
              "LICENSE_EXPIRATION", "License 2 Type", "Degree", "Date of Hire "]  # fmt: skip
    assert [canonical(h) for h in header] == [
        "id", "name", "license1_number", "license1_type", "hire_date", "license1_expires",
        "license2_type", "degree1_level", "hire_date",
    ]  # fmt: skip
    loaded = _one(
        tmp_path,
        header[:8],
        ["S-9", "Ann Lee", "150.000001", "LSW", dt.date(2024, 1, 2), dt.date(2027, 11, 30), "RN", "master"],
    )  # fmt: skip
    (person,) = loaded.data.staff
    assert (person.id, person.name, person.hire_date) == ("S-9", "Ann Lee", dt.date(2024, 1, 2))
    assert [(lic.type, lic.number) for lic in person.licenses] == [
        ("LSW", "150.000001"),
        ("RN", None),
    ]
    assert person.degrees[0].level == "master"


def test_alias_table_is_unambiguous() -> None:
    """Every alias names a known column and none shadows another column's own name."""
    fixed = fixed_columns()
    for alias, col in aliases().items():
        assert canonical(col) == col, col
        assert fixed.get(alias, col) == col, f"alias {alias!r} is also the column {fixed[alias]}"
    assert canonical("License") is None and canonical("Title") is None  # ambiguous on purpose
    assert normalize("License #") == "licensenumber"


# --- problems name the cell -------------------------------------------------------------------


def test_impossible_month_is_a_finding_naming_the_cell(
    tmp_path: Path, cli: Callable[..., Result]
) -> None:
    header = ["id", "name", "hire_date"]
    rows = [[f"S-{i}", f"P {i}", dt.date(2024, 1, i)] for i in range(1, 5)]
    rows[3][2] = "13/45/2024"  # row 6 after the header and a title row
    folder = _folder(tmp_path)
    rf.xlsx(folder / "staff.xlsx", [["Roster"], header, *rows[:3], [], rows[3]])
    loaded = load_folder(folder)
    (finding,) = loaded.findings
    assert finding.location == "staff.xlsx: sheet 'staff', cell C7 (hire_date)"
    assert finding.path == "staff[3].hire_date"
    assert f"{finding.location}: {finding.message}" == (
        "staff.xlsx: sheet 'staff', cell C7 (hire_date): '13/45/2024' is not a date. "
        "Use a date cell or YYYY-MM-DD."
    )
    result = cli("validate", folder)
    assert result.code == 1
    assert (
        "staff.xlsx: sheet 'staff', cell C7 (hire_date): staff[3].hire_date: '13/45/2024'"
        in result.out
    )
    assert "Traceback" not in result.err


@pytest.mark.parametrize("text", ["31/12/2024", "2/30/2024", "2024-13-01", "March 1", "1/2/24"])
def test_dates_never_guessed(tmp_path: Path, text: str) -> None:
    loaded = _one(tmp_path, ["id", "hire_date"], ["S-1", text])
    (finding,) = loaded.findings
    assert finding.location == "staff.xlsx: sheet 'staff', cell B2 (hire_date)"
    assert finding.message == f"{text!r} is not a date. Use a date cell or YYYY-MM-DD."
    assert loaded.data is None


def test_schema_errors_on_sheet_rows_name_the_cell(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    rf.ods(
        folder / "staff.ods",
        {"staff": [rf.ods_row(["id", "name", "degree1_level", "caseload"]),
                   rf.ods_row(["S-1", "Ann", "phd", 4]),
                   rf.ods_row([None, "No Id", "master", "many"])]},
    )  # fmt: skip
    found = {f.path: f for f in load_folder(folder).findings}
    assert found["staff[0].degrees[0].level"].location == (
        "staff.ods: sheet 'staff', cell C2 (degree1_level)"
    )
    assert found["staff[1].caseload"].location == "staff.ods: sheet 'staff', cell D3 (caseload)"
    assert found["staff[1].id"].location == "staff.ods: sheet 'staff', row 3"


def test_error_cell_is_a_finding(tmp_path: Path) -> None:
    loaded = _one(tmp_path, ["id", "name"], ["S-1", "#N/A"])
    (finding,) = loaded.findings
    assert finding.location == "staff.xlsx: sheet 'staff', cell B2 (name)"
    assert "shows the error #N/A" in finding.message


@pytest.mark.parametrize("kind", ["xlsx", "ods"])
def test_formula_without_a_saved_value_says_to_save(
    tmp_path: Path, cli: Callable[..., Result], kind: str
) -> None:
    folder = _folder(tmp_path)
    if kind == "xlsx":  # openpyxl writes formulas without calculating them
        rf.xlsx(folder / "staff.xlsx", [["id", "hire_date"], ["S-1", "=TODAY()"]])
    else:
        cell = rf.ods_cell(raw='<table:table-cell table:formula="of:=TODAY()"/>')
        rf.ods(
            folder / "staff.ods",
            {"staff": [rf.ods_row(["id", "hire_date"]), rf.ods_row(["S-1", cell])]},
        )
    result = cli("validate", folder)
    assert result.code == 2
    assert f"staff.{kind}: sheet 'staff', cell B2 (hire_date): the formula" in result.err
    assert "has no saved value" in result.err
    assert "save it" in result.err and "Traceback" not in result.err


def test_header_problems_name_the_cells(tmp_path: Path, cli: Callable[..., Result]) -> None:
    folder = _folder(tmp_path)
    rf.xlsx(
        folder / "staff.xlsx",
        [["id", "Notes", "name", "Full Name"], ["S-1", "x", "A", "B", None, "stray"]],
    )
    result = cli("validate", folder)
    assert result.code == 2
    assert "staff.xlsx: sheet 'staff', cell B1: unknown column 'Notes'." in result.err
    assert "cell D1: a second name column (the first is C1)." in result.err
    rf.xlsx(folder / "staff.xlsx", [["id", "name"], ["S-1", "A", None, "stray"]])
    result = cli("validate", folder)
    assert result.code == 2
    assert "cell D2: 'stray' is in a column without a header" in result.err


def test_no_header_row(tmp_path: Path, cli: Callable[..., Result]) -> None:
    folder = _folder(tmp_path)
    rf.xlsx(folder / "staff.xlsx", [["Name", "Position"], ["Ann", "case-manager"]])
    result = cli("validate", folder)
    assert result.code == 2
    assert "no header row with an 'id' column in rows 1-10" in result.err


# --- files that are refused -------------------------------------------------------------------


@pytest.mark.parametrize("pair", [("staff.csv", "staff.xlsx"), ("staff.xlsx", "staff.ods")])
def test_two_rosters_are_an_input_error(
    tmp_path: Path, cli: Callable[..., Result], pair: tuple[str, str]
) -> None:
    folder = _folder(tmp_path)
    writers = {"staff.csv": _write_csv, "staff.xlsx": _write_xlsx, "staff.ods": _write_ods}
    for name in pair:
        writers[name](folder)
    result = cli("validate", folder)
    assert result.code == 2
    assert f"two rosters, {pair[0]} and {pair[1]}" in result.err


def _refused(cli: Callable[..., Result], folder: Path, *expected: str) -> None:
    result = cli("validate", folder)
    assert result.code == 2, result.err
    for text in expected:
        assert text in result.err
    assert "Traceback" not in result.err and "internal error" not in result.err


def test_password_protected_workbooks(tmp_path: Path, cli: Callable[..., Result]) -> None:
    folder = _folder(tmp_path)
    plain = rf.xlsx(tmp_path / "plain.xlsx", [["id"], ["S-1"]])
    rf.encrypted(folder / "staff.xlsx", plain)
    _refused(cli, folder, "staff.xlsx: the workbook is password-protected")
    (folder / "staff.xlsx").unlink()
    rf.ods(folder / "staff.ods", {}, encrypted=True)
    _refused(cli, folder, "staff.ods: the workbook is password-protected")


def test_old_excel_files(tmp_path: Path, cli: Callable[..., Result]) -> None:
    folder = _folder(tmp_path)
    cfb = rf.encrypted(tmp_path / "e.xlsx", rf.xlsx(tmp_path / "p.xlsx", [["id"]])).read_bytes()
    (folder / "staff.xlsx").write_bytes(
        cfb.replace("EncryptionInfo".encode("utf-16-le"), b"x" * 28)
    )
    _refused(cli, folder, "an Excel 97-2003 workbook")
    (folder / "staff.xlsx").unlink()
    (folder / "staff.xls").write_bytes(cfb)
    _refused(cli, folder, "staff.xls: Excel 97-2003 workbooks are not read")


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda p: p.write_bytes(b"id,name\nS-1,Ann\n"), "the workbook is damaged (it is not a zip package)"),
        (lambda p: p.write_bytes(rf.xlsx(p, [["id"]]).read_bytes()[:-200]), "the workbook is damaged"),
        (lambda p: rf.replace_parts(rf.xlsx(p, [["id"]]), {rf.SHEET_PART: b"<worksheet><sheetData>"}), "the workbook is damaged"),
        (lambda p: rf.replace_parts(rf.xlsx(p, [["id"]]), {}, drop=(rf.SHEET_PART,)), "the workbook has no worksheet"),
        (lambda p: rf.replace_parts(rf.xlsx(p, [["id"]]), {}, drop=("[Content_Types].xml",)), "a zip file without a workbook"),
    ],
    ids=["csv-text", "truncated", "bad-xml", "missing-sheet", "not-a-workbook"],
)  # fmt: skip
def test_damaged_workbooks(
    tmp_path: Path, cli: Callable[..., Result], make: Callable[[Path], Any], expected: str
) -> None:
    folder = _folder(tmp_path)
    make(folder / "staff.xlsx")
    _refused(cli, folder, f"staff.xlsx: {expected}" if expected.startswith("the") else expected)


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda p: rf.zip_bomb(p, 300), "its parts expand to more than 256 MB"),
        (lambda p: rf.zip_bomb(p, 40), "expands 1,"),
        (lambda p: rf.far_cell(p, declare=True), "declares its used range as A1:XFD1048576"),
        (lambda p: rf.far_cell(p, declare=False), "has a value in cell XFD1048576, beyond 20,000 rows"),
        (lambda p: rf.million_rows(p, 20_050, declare=False), "has a value in cell A20001"),
        (lambda p: rf.million_rows(p, 20_050, declare=True), "declares its used range as A1:F20050"),
        (lambda p: rf.shared_strings(p, 300_000), "holds more than 500,000 XML elements"),
        (lambda p: rf.entity_bomb(p), "declares a DOCTYPE"),
        (lambda p: rf.many_entries(p, 6_000), "it holds 6,009 parts (at most 5,000)"),
    ],
    ids=["zip-bomb-total", "zip-bomb-ratio", "huge-dimension", "far-cell", "rows", "declared-rows",
         "shared-strings", "entities", "entries"],
)  # fmt: skip
def test_bomb_workbooks_are_refused(
    tmp_path: Path, cli: Callable[..., Result], make: Callable[[Path], Any], expected: str
) -> None:
    folder = _folder(tmp_path)
    make(folder / "staff.xlsx")
    _refused(cli, folder, "staff.xlsx: refused: ", expected)


def test_ods_repeats(tmp_path: Path, cli: Callable[..., Result]) -> None:
    folder = _folder(tmp_path)
    header = rf.ods_row(["id", "name"])
    tail = rf.ods_row([], repeat=1_048_573)  # LibreOffice's "empty to the end"
    wide = rf.ods_cell(None, repeat=16_000)
    rf.ods(folder / "staff.ods", {"staff": [header, rf.ods_row(["S-1", "Ann", wide]), tail]})
    assert [p.id for p in load_folder(folder).data.staff] == ["S-1"]
    rf.ods(folder / "staff.ods", {"staff": [header, rf.ods_row(["S-1", "Ann"], repeat=1_000_000)]})
    _refused(cli, folder, "has a value in cell A20001, beyond 20,000 rows")
    many = rf.ods_cell("x", repeat=5000)
    rf.ods(folder / "staff.ods", {"staff": [header, rf.ods_row(["S-1", many])]})
    _refused(cli, folder, "has a value in cell ALM2, beyond")


def test_a_workbook_is_known_by_its_content(tmp_path: Path) -> None:
    """An ODS saved under the name staff.xlsx is read as ODS."""
    folder = _folder(tmp_path)
    rf.ods(folder / "staff.xlsx", {"staff": [rf.ods_row(["id"]), rf.ods_row(["S-1"])]})
    assert [p.id for p in load_folder(folder).data.staff] == ["S-1"]


# --- cmpacket init --roster xlsx ----------------------------------------------------------------


def test_init_writes_a_workbook_to_fill_in(tmp_path: Path, cli: Callable[..., Result]) -> None:
    from cmpacket.model._csv import header

    result = cli("init", tmp_path / "new", "--roster", "xlsx")
    assert result.code == 0, result.err
    assert not (tmp_path / "new" / "staff.csv").exists()
    wb = openpyxl.load_workbook(tmp_path / "new" / "staff.xlsx")
    ws = wb["staff"]
    assert wb.sheetnames[0] == "staff" and wb["lists"].sheet_state == "hidden"
    cols = [c.value for c in ws[1]]
    assert cols == header()
    assert ws.freeze_panes == "B2"
    letter = {c: openpyxl.utils.get_column_letter(i) for i, c in enumerate(cols, 1)}
    assert all(ws[f"{letter[c]}1"].comment is not None for c in cols)
    assert "YYYY-MM-DD" in ws[f"{letter['hire_date']}1"].comment.text
    assert "license 2" in ws[f"{letter['license2_number']}1"].comment.text.lower()
    assert ws["A2"].value == "EXAMPLE-1" and "delete this row" in ws["B2"].value
    assert ws[f"{letter['hire_date']}2"].is_date
    assert ws.column_dimensions[letter["hire_date"]].number_format == "yyyy-mm-dd"
    assert ws.column_dimensions[letter["license1_number"]].number_format == "@"
    assert ws[f"{letter['license1_number']}2"].value == "150.123456"
    lists = {c[0].value: [v.value for v in c[1:] if v.value] for c in wb["lists"].iter_cols()}
    assert lists["position"][:3] == [
        "program-administrator",
        "case-management-supervisor",
        "case-manager",
    ]
    assert {"LSW", "LCSW", "RN", "LPC", "LCPC"} <= set(lists["license_type"])
    assert lists["degree_level"] == ["associate", "bachelor", "master", "doctorate"]
    assert lists["bg_status"] == ["clear", "waiver-granted", "pending", "disqualified"]
    rules = {}
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            rules[rng.coord.split(":")[0].rstrip("0123456789")] = dv
    assert rules[letter["position"]].type == "list"
    assert rules[letter["position"]].formula1.startswith("lists!$A$2")
    assert rules[letter["license2_type"]].formula1 == rules[letter["license1_type"]].formula1
    assert rules[letter["degree1_level"]].errorStyle == "stop"
    assert rules[letter["bg_status"]].type == "list"
    assert rules[letter["hire_date"]].type == "date"
    assert rules[letter["caseload"]].type == "whole"
    assert rules[letter["fte"]].type == "decimal"
    assert letter["name"] not in rules


def test_untouched_example_row_is_an_error(tmp_path: Path, cli: Callable[..., Result]) -> None:
    folder = _folder(tmp_path)
    assert cli("init", tmp_path / "new", "--roster", "xlsx").code == 0
    shutil.copy(tmp_path / "new" / "staff.xlsx", folder / "staff.xlsx")
    result = cli("validate", folder, "--format", "json")
    assert result.code == 1
    (example,) = [f for f in result.json()["findings"] if f["code"] == "example-row"]
    assert example["location"] == "staff.xlsx: sheet 'staff', row 2"


def test_init_workbook_filled_in_and_saved_validates(
    tmp_path: Path, cli: Callable[..., Result], csv_staff: tuple[Any, ...]
) -> None:
    """Round trip: the example row replaced by the sample's staff, saved, loaded, validated."""
    folder = _folder(tmp_path)
    assert cli("init", tmp_path / "new", "--roster", "xlsx").code == 0
    path = folder / "staff.xlsx"
    shutil.copy(tmp_path / "new" / "staff.xlsx", path)
    wb = openpyxl.load_workbook(path)
    ws = wb["staff"]
    column = {c.value: c.column for c in ws[1]}
    ws.delete_rows(2)
    for r, row in enumerate(ROWS, start=2):
        for col, text in row.items():
            if col not in column:  # the sample's third training: add the group's columns
                column[col] = ws.max_column + 1
                ws.cell(row=1, column=column[col], value=col)
            ws.cell(row=r, column=column[col], value=_typed(col, text))
    wb.save(path)
    loaded = load_folder(folder)
    assert loaded.findings == []
    assert loaded.data is not None and loaded.data.staff == csv_staff
    assert cli("validate", folder).code == 0


def test_init_workbook_is_reproducible(tmp_path: Path, cli: Callable[..., Result]) -> None:
    """SOURCE_DATE_EPOCH (set for every test) fixes the workbook's own dates: same bytes."""
    assert cli("init", tmp_path / "a", "--roster", "xlsx").code == 0
    assert cli("init", tmp_path / "b", "--roster", "xlsx").code == 0
    assert (tmp_path / "a" / "staff.xlsx").read_bytes() == (
        tmp_path / "b" / "staff.xlsx"
    ).read_bytes()


def test_init_refuses_a_second_roster(tmp_path: Path, cli: Callable[..., Result]) -> None:
    (tmp_path / "new").mkdir()
    (tmp_path / "new" / "staff.csv").write_text("id\n")
    result = cli("init", tmp_path / "new", "--roster", "xlsx")
    assert result.code == 2 and "staff.csv: already exists" in result.err


# --- the sample agency with a workbook roster ---------------------------------------------------

XLSX_SAMPLE = ROOT / "sample_inputs" / "prairie-care-xlsx"


def test_xlsx_sample_holds_the_same_staff(csv_staff: tuple[Any, ...]) -> None:
    loaded = load_folder(XLSX_SAMPLE)
    assert loaded.findings == []
    assert loaded.data is not None and loaded.data.staff == csv_staff
    assert loaded.data.source_files == ("agency.yaml", "staff.xlsx")
    own = yaml.safe_load((XLSX_SAMPLE / "agency.yaml").read_text())
    base = yaml.safe_load((SAMPLE / "agency.yaml").read_text())
    assert {**own, "staff": None} == {**base, "staff": None}


def test_xlsx_sample_is_ready(cli: Callable[..., Result]) -> None:
    result = cli("validate", XLSX_SAMPLE)
    assert result.code == 0, result.out


@pytest.mark.e2e
def test_xlsx_sample_builds_the_same_staff_pages(tmp_path: Path, built: Path) -> None:
    """The packet lists staff.xlsx among its inputs and has the sample's documents."""
    import hashlib
    import json

    from cmpacket import api

    out = tmp_path / "out"
    api.build(XLSX_SAMPLE, api.Options(quiet=True), out=out)
    manifest = json.loads((out / "manifest.json").read_text())
    inputs = {i["path"]: i["sha256"] for i in manifest["inputs"]}
    assert "staff.xlsx" in inputs and "staff.csv" not in inputs
    assert (
        inputs["staff.xlsx"]
        == hashlib.sha256((XLSX_SAMPLE / "staff.xlsx").read_bytes()).hexdigest()
    )
    base = json.loads((built / "manifest.json").read_text())

    def documents(m: dict) -> list[tuple[str, str, int, int]]:
        docs = [d for s in m["sections"] for d in s["documents"]]
        return [(d["title"], d["source"], d["first_page"], d["last_page"]) for d in docs]

    assert documents(manifest) == documents(base)


# --- fuzz: a damaged workbook is an InputError, never a traceback ----------------------------

FUZZ_EXAMPLES = int(os.environ.get("CMPACKET_FUZZ_EXAMPLES", "40"))


def _seed_workbooks() -> dict[str, bytes]:
    with tempfile.TemporaryDirectory() as tmp:
        rows = [
            ["Roster"],
            COLS,
            *([_typed(c, r[c]) if c in r else None for c in COLS] for r in ROWS[:3]),
        ]
        books = {
            "xlsx": rf.xlsx(Path(tmp) / "a.xlsx", rows).read_bytes(),
            "ods": rf.ods(
                Path(tmp) / "a.ods", {"staff": [rf.ods_row(r) for r in rows]}
            ).read_bytes(),
        }
    return books


SEEDS = _seed_workbooks()


@settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    kind=st.sampled_from(sorted(SEEDS)),
    entry=st.integers(0, 50),
    at=st.floats(0, 1),
    junk=st.binary(min_size=1, max_size=40),
    raw=st.booleans(),
)
def test_mutated_workbooks_load_or_are_refused(
    kind: str, entry: int, at: float, junk: bytes, raw: bool
) -> None:
    """A part's XML (or the zip's own bytes, `raw`) overwritten at some place with junk."""
    from cmpacket.errors import InputError
    from cmpacket.model._sheets import read_staff_sheet

    seed = SEEDS[kind]
    if raw:
        cut = int(at * (len(seed) - 1))
        data = seed[:cut] + junk + seed[cut + len(junk) :]
    else:
        src = zipfile.ZipFile(io.BytesIO(seed))
        names = src.namelist()
        target = names[entry % len(names)]
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dest:
            for name in names:
                part = src.read(name)
                if name == target:
                    cut = int(at * max(len(part) - 1, 0))
                    part = part[:cut] + junk + part[cut + len(junk) :]
                dest.writestr(name, part)
        data = out.getvalue()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"staff.{kind}"
        path.write_bytes(data)
        with contextlib.suppress(InputError):
            read_staff_sheet(path, path.name)
