"""Loading agency folders: schema errors with file:line, dates, CSV, paths, hostile YAML."""

from __future__ import annotations

from pathlib import Path

import pytest

from cmpacket.errors import InputError
from cmpacket.model import load_folder, resolve_upload, staff_csv_header
from tests.conftest import SAMPLE


def write(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "agency.yaml").write_text(text, encoding="utf-8")
    return folder


def test_sample_loads_into_frozen_dataclasses() -> None:
    loaded = load_folder(SAMPLE)
    assert loaded.findings == []
    data = loaded.data
    assert data.agency.legal_name == "Prairie Care Coordination, Inc."
    assert len(data.staff) >= 8
    lopez = data.staff_member("S-004")
    assert lopez.licenses[0].type == "LSW" and str(lopez.licenses[0].expires) == "2027-11-30"
    assert lopez.training[1].hours == 6.0  # [0]: the APS mandated-reporter training at hire
    with pytest.raises(AttributeError):
        lopez.name = "x"  # frozen


def test_bare_and_quoted_dates_both_load(tmp_path: Path) -> None:
    folder = write(
        tmp_path,
        "staff:\n  - {id: A, hire_date: 2024-03-01}\n  - {id: B, hire_date: '2024-03-01'}\n",
    )
    data = load_folder(folder).data
    assert data.staff[0].hire_date == data.staff[1].hire_date
    assert str(data.staff[1].hire_date) == "2024-03-01"


def test_every_schema_error_is_collected_with_line_and_path(tmp_path: Path) -> None:
    text = (
        "agency:\n"
        "  legal_name: X\n"
        "staff:\n"
        "  - id: S-1\n"
        "    hire_date: March 1\n"  # line 5
        "    caseload: many\n"  # line 6
        "  - id: S-2\n"
        "    degrees: [{level: phd}]\n"  # line 8
    )
    loaded = load_folder(write(tmp_path, text))
    assert loaded.data is None
    lines = {f.path: (f.location, f.message) for f in loaded.findings}
    assert lines["staff[0].hire_date"] == (
        "agency.yaml:5",
        "'March 1' is not a date. Use YYYY-MM-DD.",
    )
    assert lines["staff[0].caseload"][0] == "agency.yaml:6"
    assert "'many'" in lines["staff[0].caseload"][1]
    assert lines["staff[1].degrees[0].level"][0] == "agency.yaml:8"
    assert (
        "'phd'" in lines["staff[1].degrees[0].level"][1]
        and "bachelor" in lines["staff[1].degrees[0].level"][1]
    )
    assert all(f.code == "schema-invalid" and f.severity == "error" for f in loaded.findings)


def test_missing_required_field_names_parent_line(tmp_path: Path) -> None:
    loaded = load_folder(write(tmp_path, "staff:\n  - name: No Id\n"))
    (f,) = loaded.findings
    assert f.path == "staff[0].id" and f.location == "agency.yaml:2" and "required" in f.message


def test_wrong_shape_is_a_finding_not_a_crash(tmp_path: Path) -> None:
    loaded = load_folder(write(tmp_path, "agency: [1, 2]\nstaff: {id: x}\n"))
    paths = {f.path for f in loaded.findings}
    assert {"agency", "staff"} <= paths


def test_unknown_field_warns_with_suggestion(tmp_path: Path) -> None:
    loaded = load_folder(write(tmp_path, "agency:\n  legal_nmae: X\n"))
    (f,) = loaded.findings
    assert f.code == "unknown-field" and f.severity == "warning"
    assert (
        f.path == "agency.legal_nmae"
        and "'legal_name'" in f.message
        and f.location == "agency.yaml:2"
    )


def test_yaml_syntax_error_names_line(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        load_folder(write(tmp_path, "agency:\n  legal_name: [unclosed\nstaff: []\n"))
    assert "agency.yaml:" in str(err.value) and "syntax" in str(err.value)


def test_python_tags_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        load_folder(write(tmp_path, "agency: !!python/object/apply:os.system ['echo hi']\n"))
    assert "agency.yaml:1" in str(err.value)


def test_alias_bomb_is_refused(tmp_path: Path) -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    prev = "a"
    for i in range(8):
        bomb += f"l{i}: &l{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
        prev = f"l{i}"
    with pytest.raises(InputError) as err:
        load_folder(write(tmp_path, bomb))
    assert "aliases" in str(err.value)


def test_bom_is_accepted_and_non_utf8_refused(tmp_path: Path) -> None:
    folder = tmp_path / "a"
    folder.mkdir()
    (folder / "agency.yaml").write_bytes("\ufeffagency: {legal_name: Café}\n".encode())
    assert load_folder(folder).data.agency.legal_name == "Café"
    (folder / "agency.yaml").write_bytes("agency: {legal_name: Caf\xe9}\n".encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8"):
        load_folder(folder)


def test_json_agency_file(tmp_path: Path) -> None:
    tmp_path.joinpath("agency.json").write_text(
        '{"agency": {"legal_name": "J"}, "staff": [{"id": "1"}]}'
    )
    assert load_folder(tmp_path).data.agency.legal_name == "J"


def test_missing_folder_and_missing_agency_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such folder"):
        load_folder(tmp_path / "nope")
    with pytest.raises(InputError, match="no agency.yaml"):
        load_folder(tmp_path)


def test_staff_csv_rows_load_with_numbered_groups(tmp_path: Path) -> None:
    write(tmp_path, "agency: {legal_name: X}\n")
    header = ",".join(staff_csv_header())
    row = {c: "" for c in staff_csv_header()}
    row.update(
        id="S-9",
        name="Ann Roe",
        position="case-manager",
        hire_date="2024-01-02",
        caseload="12",
        license1_type="LSW",
        license1_number="150.1",
        license1_expires="2027-11-30",
        license1_file="uploads/x.pdf",
        bg_registry_check="2023-12-01",
        bg_status="clear",
        training1_date="2026-01-01",
        training1_hours="6",
        training_hours_12mo="",
    )
    (tmp_path / "staff.csv").write_text(
        header + "\n" + ",".join(row[c] for c in staff_csv_header()) + "\n"
    )
    data = load_folder(tmp_path).data
    (s,) = data.staff
    assert s.licenses[0].type == "LSW" and s.background_check.status == "clear" and s.caseload == 12
    assert s.training[0].hours == 6.0


def test_staff_csv_errors_name_row_and_column(tmp_path: Path) -> None:
    write(tmp_path, "agency: {legal_name: X}\n")
    (tmp_path / "staff.csv").write_text(
        "id,name,hire_date,license1_expires\nS-1,A,2024-01-01,2027-01-01\nS-2,B,13/2/2024,soon\n"
    )
    findings = {f.path: f for f in load_folder(tmp_path).findings}
    assert findings["staff[1].hire_date"].location == "staff.csv:3 (column hire_date)"
    assert (
        findings["staff[1].licenses[0].expires"].location == "staff.csv:3 (column license1_expires)"
    )
    assert "'soon'" in findings["staff[1].licenses[0].expires"].message


def test_staff_csv_unknown_column_is_an_input_error(tmp_path: Path) -> None:
    write(tmp_path, "agency: {legal_name: X}\n")
    (tmp_path / "staff.csv").write_text("id,nmae\n1,x\n")
    with pytest.raises(InputError, match="nmae"):
        load_folder(tmp_path)


def test_large_csv_roster_loads(tmp_path: Path) -> None:
    write(tmp_path, "agency: {legal_name: X}\n")
    lines = ["id,name,position,hire_date,caseload,license1_type,license1_expires"]
    lines += [f"S-{i},Person {i},case-manager,2024-01-01,20,LSW,2027-11-30" for i in range(2000)]
    (tmp_path / "staff.csv").write_text("\n".join(lines) + "\n")
    assert len(load_folder(tmp_path).data.staff) == 2000


@pytest.mark.parametrize(
    "given", ["../secret.pdf", "/etc/passwd", "uploads/../../x.pdf", "C:/x.pdf"]
)
def test_paths_leaving_the_folder_are_refused(tmp_path: Path, given: str) -> None:
    ref = resolve_upload(tmp_path, given)
    assert ref.problem == "outside" and ref.path is None


def test_symlink_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside.pdf"
    outside.write_bytes(b"%PDF-1.4")
    folder = tmp_path / "agency"
    (folder / "uploads").mkdir(parents=True)
    (folder / "uploads" / "link.pdf").symlink_to(outside)
    assert resolve_upload(folder, "uploads/link.pdf").problem == "outside"


def test_findings_added_to_a_report_take_their_sorted_places_promoted_as_its_own() -> None:
    """`with_findings` (assembly's findings of the receiver's fit) keeps the report as if it had
    been made with every finding: errors first, `staff[10]` after `staff[9]`, a new finding after
    its equals; under --strict a new warning is an error."""
    from datetime import date

    from cmpacket.findings import Finding, Report

    def f(severity: str, path: str, code: str = "c") -> Finding:
        return Finding(code, severity, path, f"{code} at {path}")

    first = [f("warning", "staff[10].caseload"), f("error", "staff[2].name"), f("info", "x")]
    more = (f("warning", "staff[9].caseload"), f("error", "staff[2].name"), f("error", "a"))
    for strict in (False, True):
        report = Report(date(2026, 12, 1), "p", tuple(first), strict=strict)
        whole = Report(date(2026, 12, 1), "p", (*first, *more), strict=strict)
        added = report.with_findings(more)
        assert added.findings == whole.findings
        assert added.counts == whole.counts
        assert [x.severity for x in added.findings].count("warning") == (0 if strict else 2)
    paths = [x.path for x in Report(date(2026, 12, 1), "p", ()).with_findings(more).findings]
    assert paths == ["a", "staff[2].name", "staff[9].caseload"]
