"""Everyday use (issue 26): what cmpacket tells people — findings where the user wrote them, a build
that tells its warnings, grouped output for big rosters, no noise from benign actions, validate
reading proofs as build does — and the rough edges."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path
from typing import Any

import openpyxl
import pikepdf
import yaml

from cmpacket import api
from cmpacket.model import load_folder
from cmpacket.pipeline._fit import cuts
from cmpacket.plan import Content, Piece
from tests.conftest import ROOT, copy_sample, corpus, packet_of


def _agency(folder: Path, yaml_text: str = "agency: {legal_name: X}\n") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "agency.yaml").write_text(yaml_text)
    return folder


# -- 2. findings where the user wrote them ----------------------------------------------------


def _line_of(folder: Path, after: str, field: str) -> int:
    """The 1-based line of the first `field:` after the line holding `after` in agency.yaml."""
    lines = (folder / "agency.yaml").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if after in line)
    return next(i for i, line in enumerate(lines) if i > start and f"{field}:" in line) + 1


def _one(report: Any, code: str, path: str) -> Any:
    (found,) = [f for f in report.findings if f.code == code and f.path == path]
    return found


def test_rule_and_upload_findings_carry_their_row_and_line(tmp_path: Path, cli: Any) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["profile"] = "il-guide"  # where a caseload over 30 is an error
        data["staff"][3]["caseload"] = 45  # Maria Lopez, written inline in agency.yaml

    folder = copy_sample(tmp_path, edit)
    inline = len(yaml.safe_load((folder / "agency.yaml").read_text())["staff"])
    (folder / "staff.csv").write_text(
        "id,name,position,hire_date,caseload,license1_type,license1_number,license1_file\n"
        "S-100,Rosa Diaz,case-manager,2025-01-06,45,LSW,150.654321,uploads/diaz-lsw.pdf\n"
        "S-101,Omar Haddad,case-manager,2025-01-06,12,LSW,150.654322,uploads/missing.pdf\n"
    )
    (folder / "uploads" / "diaz-lsw.pdf").write_bytes(
        (folder / "uploads" / "lopez-lsw.pdf").read_bytes()
    )
    report = api.validate(folder)
    lopez = _one(report, "caseload-over-limit", "staff[3].caseload")
    assert lopez.location == f"agency.yaml:{_line_of(folder, 'id: S-004', 'caseload')}"
    diaz = _one(report, "caseload-over-limit", f"staff[{inline}].caseload")
    assert diaz.location == "staff.csv:2 (column caseload)"  # the roster's first row
    missing = _one(report, "upload-missing", f"staff[{inline + 1}].licenses[0].file")
    assert missing.location == "staff.csv:3 (column license1_file)"
    proof = _one(report, "proof-mismatch", f"staff[{inline}].name")  # Lopez's license, not Diaz's
    assert proof.location == "staff.csv:2 (column name)"
    # a field the roster has no column for: its row
    assert report.findings and all(f.location for f in report.findings if f.path.startswith("st"))

    r = cli("validate", folder)
    assert (
        f"error [caseload-over-limit] staff.csv:2 (column caseload): staff[{inline}].caseload: "
        "Rosa Diaz (S-100) carries 45"
    ) in r.out
    assert f"error [caseload-over-limit] {lopez.location}: staff[3].caseload: " in r.out
    found = {
        (f["code"], f["path"]): f
        for f in cli("validate", folder, "--format", "json").json()["findings"]
    }
    assert found[("upload-missing", f"staff[{inline + 1}].licenses[0].file")]["location"] == (
        "staff.csv:3 (column license1_file)"
    )
    assert found[("caseload-over-limit", "staff[3].caseload")]["location"] == lopez.location


def test_a_finding_on_a_roster_workbook_names_its_cell(tmp_path: Path, cli: Any) -> None:
    folder = tmp_path / "agency"
    shutil.copytree(
        ROOT / "sample_inputs" / "prairie-care-xlsx", folder, ignore=shutil.ignore_patterns("out")
    )
    book = openpyxl.load_workbook(folder / "staff.xlsx")
    sheet = book["staff"]
    header = next(r for r in sheet.iter_rows(max_row=10) if r[0].value == "Employee ID")
    column = next(c.column_letter for c in header if c.value == "caseload")
    ids = [c.value for c in sheet["A"][header[0].row :] if c.value]  # the rows below, in order
    row = next(c.row for c in sheet["A"] if c.value == "S-004")
    sheet[f"{column}{row}"] = 45
    book.save(folder / "staff.xlsx")
    report = api.validate(folder)
    index = ids.index("S-004")
    found = _one(report, "caseload-over-limit", f"staff[{index}].caseload")
    assert found.location == f"staff.xlsx: sheet 'staff', cell {column}{row} (caseload)"
    r = cli("validate", folder)
    assert f"[caseload-over-limit] {found.location}: staff[{index}].caseload: " in r.out


def test_a_path_that_names_no_data_has_no_location(tmp_path: Path) -> None:
    folder = _agency(tmp_path / "a", "agency: {legal_name: X}\nstaff:\n  - id: S-1\n")
    loaded = load_folder(folder)
    assert loaded.locate("staff[0].caseload") == "agency.yaml:3"  # its nearest: the person
    assert loaded.locate("uploads/x.pdf") == "" and loaded.locate("packet") == ""
    assert loaded.locate("staff[7].name") == "agency.yaml:3"  # no such person: the list


# -- 3. a build tells its warnings; 6. grouped output for rosters of thousands ---------------


def _warned(tmp_path: Path) -> Path:
    """The sample with eight unknown-field warnings and a license expiring soon (three warnings:
    soon, off its renewal cycle, not what the proof shows)."""

    def edit(data: dict[str, Any]) -> None:
        for person in data["staff"][:8]:
            person["favourite_colour"] = "blue"
        data["staff"][3]["licenses"][0]["expires"] = "2026-12-20"

    return copy_sample(tmp_path, edit)


def test_a_build_ends_with_the_grouped_summary_validate_prints(
    tmp_path: Path, cli: Any, fake_renderer: None
) -> None:
    folder = _warned(tmp_path)
    built = cli("build", folder, "-o", tmp_path / "out", "-q")
    assert built.code == 0 and built.out == ""
    # a final build's last line names the proof that contradicts the data (Lopez's expiry)
    *head, summary, contradicted = built.err.splitlines()
    assert summary == (
        "agency: ready: 0 error(s), 11 warning(s), 0 note(s) "
        "(profile il-hsp-aids-waiver, as of 2026-12-01)"
    )
    assert contradicted.startswith("proof-mismatch: Maria Lopez, license 1 (uploads/lopez-lsw.pdf")
    warned = [line for line in head if line.startswith("warning [")]
    codes = [line.split("]")[0].removeprefix("warning [") for line in warned]
    assert codes == ["unknown-field"] * 6 + [
        "license-expiring-soon",
        "license-expiry-off-cycle",
        "proof-mismatch",
    ]
    assert warned[0].startswith("warning [unknown-field] agency.yaml:")
    more = warned[5]
    assert more.startswith("warning [unknown-field] ... and 3 more (") and "readiness.json" in more
    assert head.index(warned[0]) > head.index(next(x for x in head if x.startswith("wrote ")))
    # the summary is validate's: the same lines, and readiness.json keeps every finding
    checked = cli("validate", folder).out.splitlines()
    assert checked[:5] + checked[6:-1] == warned[:5] + warned[6:]
    assert (
        checked[5]
        == "warning [unknown-field] ... and 3 more (cmpacket validate --all lists every one)"
    )
    readiness = json.loads((tmp_path / "out" / "readiness.json").read_text())
    assert len([f for f in readiness["findings"] if f["code"] == "unknown-field"]) == 8
    every = cli("validate", folder, "--all").out.splitlines()
    assert len([x for x in every if x.startswith("warning [unknown-field] agency.yaml:")]) == 8
    assert not [x for x in every if "more (" in x]


def test_a_roster_of_ten_thousand_prints_a_screenful(tmp_path: Path, cli: Any) -> None:
    # il-guide: a caseload over 30 is an error there (one more: program-not-named)
    folder = copy_sample(tmp_path, lambda data: data.update(profile="il-guide"))
    rows = ["id,name,position,hire_date,caseload,license1_type,license1_number,license1_expires"]
    rows += [
        f"R-{i:05d},Person {i},case-manager,01/15/2025,{20 + i % 20},LSW,150.{100000 + i},"
        "11/30/2027"
        for i in range(10_000)
    ]
    (folder / "staff.csv").write_text("\n".join(rows) + "\n")
    r = cli("validate", folder)
    assert r.code == 1
    lines = r.out.splitlines()
    # six lines a code (five findings, one counting the rest) for its eleven codes, and the summary
    codes = {m for line in lines for m in re.findall(r"^\w+ \[([a-z-]+)\]", line)}
    assert len(codes) == 11 and len(lines) <= 6 * len(codes) + 1, len(lines)
    assert "error [caseload-over-limit] ... and 4,495 more (cmpacket validate --all" in r.out
    assert lines[-1].startswith("agency: not ready: 84501 error(s), 20000 warning(s)")
    every = cli("validate", folder, "--all")
    assert len(every.out.splitlines()) == 104_502
    assert len(cli("validate", folder, "--format", "json").json()["findings"]) == 104_501


# -- 4. upload-active-content only where something active matters ----------------------------


def _docx(text: str) -> bytes:
    import io

    import docx

    document = docx.Document()
    document.add_heading("Board resolution", 1)
    document.add_paragraph(text)
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def _javascript_pdf() -> bytes:
    import io

    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.Root.OpenAction = pdf.make_indirect(
        pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)"))
    )
    buf = io.BytesIO()
    pdf.save(buf)
    return buf.getvalue()


def test_only_active_content_that_matters_is_a_warning(
    built: Path, tmp_path: Path, cli: Any
) -> None:
    uploads = {
        "resolution.docx": _docx("Resolved: the board adopts the policies."),  # LibreOffice
        "writer.pdf": corpus("002-").read_bytes(),  # LibreOffice's open action: page 1
        "latex.pdf": corpus("006-").read_bytes(),  # pdfTeX's open action: GoTo a page
        "old-packet.pdf": packet_of(built).read_bytes(),  # cmpacket's own embedded manifest
        "script.pdf": _javascript_pdf(),
    }

    def edit(data: dict[str, Any]) -> None:
        for name in uploads:
            data["attachments"].append(
                {"title": name, "file": f"uploads/{name}", "section": "agency"}
            )

    folder = copy_sample(tmp_path, edit)
    for name, blob in uploads.items():
        (folder / "uploads" / name).write_bytes(blob)
    report = api.validate(folder)
    active = [f for f in report.findings if f.code == "upload-active-content"]
    assert [f.message.split("'")[1] for f in active] == ["uploads/script.pdf"]
    assert active[0].severity == "warning" and "carries JavaScript" in active[0].message
    assert "check the values on its pages" in active[0].message
    (note,) = [f for f in report.findings if f.code == "upload-actions-removed"]
    assert note.severity == "info" and note.path == "uploads" and not note.location
    assert note.message.startswith("2 uploads open at a set page or view")
    assert "uploads/writer.pdf, uploads/latex.pdf" in note.message
    assert "docx" not in note.message and "old-packet" not in note.message
    r = cli("validate", folder)
    assert len([x for x in r.out.splitlines() if "[upload-actions-removed]" in x]) == 1


def test_files_attached_inside_a_pdf_are_a_warning_saying_they_are_not_in_the_packet(
    tmp_path: Path,
) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["attachments"].append(
            {"title": "Attached", "file": "uploads/attached.pdf", "section": "agency"}
        )

    folder = copy_sample(tmp_path, edit)
    (folder / "uploads" / "attached.pdf").write_bytes(corpus("025-").read_bytes())
    (found,) = [f for f in api.validate(folder).findings if f.code == "upload-active-content"]
    assert "embedded files" in found.message and "upload each one" in found.message


# -- 5. validate reads proofs as build does -------------------------------------------------


def _scan(lines: list[str], pages: int = 1) -> bytes:
    """A photographed document: text drawn on an image, slightly turned, saved as an image-only
    PDF (no text layer) at 150 dpi."""
    import io

    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype("DejaVuSans.ttf", 34)
    frames = []
    for page in range(pages):
        img = Image.new("L", (1275, 1650), 255)
        draw = ImageDraw.Draw(img)
        for k, line in enumerate([*lines, f"Page {page + 1}"]):
            draw.text((120, 200 + 60 * k), line, fill=0, font=font)
        frames.append(img.rotate(0.6, fillcolor=255))
    buf = io.BytesIO()
    frames[0].save(buf, "PDF", resolution=150, save_all=True, append_images=frames[1:])
    return buf.getvalue()


LOPEZ_SCAN = [
    "Name: Maria Lopez",
    "License number 150.123456",
    "Expires 11/30/2027",
    "Lookup date 11/16/2026",  # the sample's licenses give this printout as their lookup too
]


def test_validate_and_build_agree_on_a_scanned_proof(
    tmp_path: Path, cli: Any, fake_renderer: None
) -> None:
    folder = copy_sample(tmp_path)
    (folder / "uploads" / "lopez-lsw.pdf").write_bytes(_scan(LOPEZ_SCAN))
    report = api.validate(folder)
    evidence = {e["path"]: e for e in report.as_dict()["evidence"]}
    lopez = evidence["staff[3].licenses[0]"]
    assert lopez["checked"] and sorted(lopez["matched"]) == [
        "expires",
        "looked_up",
        "name",
        "number",
    ]
    assert not [f for f in report.findings if f.code.startswith("proof-")]

    result = api.build(folder, api.Options(quiet=True), out=tmp_path / "out")
    readiness = json.loads(result.readiness.read_text())
    assert readiness["findings"] == report.as_dict()["findings"]
    built = {e["path"]: {**e, "page": None} for e in readiness["evidence"]}
    assert built == evidence

    # --ocr never: neither reads the scan, and both say so
    never = api.validate(folder, ocr="never")
    (unchecked,) = [f for f in never.findings if f.code == "proof-unchecked"]
    assert unchecked.path == "staff[3].licenses[0].file"
    r = cli("validate", folder, "--ocr", "never", "--format", "json")
    assert [f["code"] for f in r.json()["findings"]] == [f.code for f in never.findings]


def test_ocr_reports_progress_page_by_page() -> None:
    from cmpacket.intake._ocr import Job, add_text_layers

    told: list[tuple[int, int]] = []
    scan = Job("scan", _scan(LOPEZ_SCAN, pages=3), [0, 1, 2])
    done = add_text_layers([scan], lambda pages, total: told.append((pages, total)))
    assert list(done) == ["scan"]
    assert told[0][1] == 3 and told[-1] == (3, 3)
    assert {1, 2, 3} <= {pages for pages, _ in told}  # each page as it is done
    assert [pages for pages, _ in told] == sorted(pages for pages, _ in told)


# -- 7. rough edges ----------------------------------------------------------------------------


def test_inspect_prints_finding_counts_in_words(built: Path, cli: Any) -> None:
    r = cli("inspect", packet_of(built))
    assert r.code == 0
    assert "findings: 0 errors, 0 warnings, 0 notes" in r.out.splitlines()
    assert "{" not in r.out.splitlines()[1]


def test_inspect_reads_a_received_manifests_evidence_whatever_it_holds(
    built: Path, tmp_path: Path, cli: Any
) -> None:
    """A fuzz-found case: a received manifest whose evidence names a field as null was an
    internal error in `inspect`'s text; the manifest schema now refuses it, naming the fields."""
    changed = tmp_path / "changed.pdf"
    with pikepdf.open(packet_of(built)) as pdf:
        manifest = json.loads(pdf.attachments["manifest.json"].get_file().read_bytes())
        manifest["evidence"][2]["matched"][0] = None
        manifest["evidence"][1]["page"] = "seven"
        del pdf.attachments["manifest.json"]
        pdf.attachments["manifest.json"] = pikepdf.AttachedFileSpec(
            pdf, json.dumps(manifest).encode(), filename="manifest.json"
        )
        pdf.save(changed)
    r = cli("inspect", changed)
    # the manifest's fields are typed strictly (issue 27): a clear refusal naming each field
    assert r.code == 2 and "internal error" not in r.err, r.err
    assert "evidence[2].matched[0]: is null" in r.err and "evidence[1].page" in r.err
    assert cli("inspect", changed, "--format", "json").code == 2


def test_a_section_bookmark_to_no_page_says_so(built: Path, tmp_path: Path, cli: Any) -> None:
    broken = tmp_path / "broken.pdf"
    with pikepdf.open(packet_of(built)) as pdf:
        item = pdf.Root.Outlines.First
        while not str(item.Title).startswith("C."):
            item = item.Next
        if "/A" in item:
            del item["/A"]
        item.Dest = pikepdf.String("nowhere")  # a named destination the packet does not have
        pdf.save(broken)
    r = cli("verify", broken)
    assert r.code == 1
    (line,) = [x for x in r.out.splitlines() if "[outline-mismatch] section C" in x]
    assert "None" not in line
    assert "opens no page of this packet" in line and "should open page" in line


def test_non_utf8_agency_yaml_names_line_and_column(tmp_path: Path, cli: Any) -> None:
    folder = tmp_path / "a"
    folder.mkdir()
    text = "schema_version: 1\nagency:\n  legal_name: Café Care\n"
    (folder / "agency.yaml").write_bytes(text.encode("cp1252"))
    r = cli("validate", folder)
    assert r.code == 2 and "Traceback" not in r.err
    assert "agency.yaml:3:18: not UTF-8 text: the byte 0xe9 ('é' in Windows-1252" in r.err
    assert "offset" not in r.err and "Save the file as UTF-8" in r.err


def test_non_utf8_staff_csv_names_its_line(tmp_path: Path, cli: Any) -> None:
    folder = _agency(tmp_path / "a")
    (folder / "staff.csv").write_bytes("id,name\nS-1,Ann\nS-2,José\n".encode("cp1252"))
    r = cli("validate", folder)
    assert r.code == 2 and "staff.csv:3:8: not UTF-8 text" in r.err and "CSV UTF-8" in r.err


def test_a_tab_in_yaml_indentation_says_tab(tmp_path: Path, cli: Any) -> None:
    folder = _agency(tmp_path / "a", "agency:\n  legal_name: X\n\tphone: '217-555-0142'\n")
    r = cli("validate", folder)
    assert r.code == 2 and "Traceback" not in r.err
    assert "agency.yaml:3:1: a tab in the indentation; YAML indents with spaces only." in r.err
    assert "Replace the tab with spaces" in r.err


def test_us_dates_in_staff_csv_are_read_month_first(tmp_path: Path) -> None:
    folder = _agency(tmp_path / "a")
    (folder / "staff.csv").write_text(
        "id,name,hire_date,license1_expires,training1_date,training1_hours\n"
        "S-1,Ann,01/15/2025,11/30/2027,2/3/2025,6\n"
        "S-2,Bea,2024-03-01,2027-11-30,2025-02-03,6\n"
    )
    loaded = load_folder(folder)
    assert loaded.findings == [] and loaded.data is not None
    ann, bea = loaded.data.staff
    assert ann.hire_date == dt.date(2025, 1, 15) and bea.hire_date == dt.date(2024, 3, 1)
    assert ann.licenses[0].expires == dt.date(2027, 11, 30)
    assert ann.training[0].date == dt.date(2025, 2, 3)


def test_day_first_dates_in_staff_csv_are_never_guessed(tmp_path: Path) -> None:
    folder = _agency(tmp_path / "a")
    (folder / "staff.csv").write_text(
        "id,name,hire_date,license1_expires\nS-1,Ann,31/12/2024,2/30/2027\nS-2,Bea,1/2/24,x\n"
    )
    found = {f.path: f for f in load_folder(folder).findings}
    hire = found["staff[0].hire_date"]
    assert (hire.code, hire.severity, hire.location) == (
        "schema-invalid",
        "error",
        "staff.csv:2 (column hire_date)",
    )
    assert hire.message.startswith("'31/12/2024' is not a date (month 31 does not exist).")
    assert "MM/DD/YYYY" in hire.message
    expires = found["staff[0].licenses[0].expires"]
    assert expires.location == "staff.csv:2 (column license1_expires)"
    assert "(February 2027 has no day 30)" in expires.message
    assert "'1/2/24' is not a date." in found["staff[1].hire_date"].message  # two-digit year
    assert len(found) == 4  # one finding per cell, not a second from the schema


def _made(sizes: list[tuple[str, int, int]]) -> list[tuple[Piece, Content]]:
    """(kind, pages, bytes) as planned pieces with their content, in section G."""
    return [
        (
            Piece(f"p{i}", "G", f"piece {i}", kind, source=f"s{i}"),
            Content(pages=pages, cache_key="", source="", source_sha256="", size=size),
        )
        for i, (kind, pages, size) in enumerate(sizes)
    ]


def _part_bytes(made: list[tuple[Piece, Content]], parts: list[Any]) -> list[int]:
    out = []
    for part in parts:
        total = 0
        for cut in part:
            content = made[cut.index][1]
            total += content.size * (cut.last - cut.first + 1) // content.pages
        out.append(total)
    return out


def test_the_fewest_parts_that_fit_are_cut() -> None:
    # 1,600 bytes at 1,000 a part: a document, then a 30-page scan alone over the budget. Cut in
    # runs laid out before the parts are known, the scan took parts 2 and 3; two parts fit.
    made = _made([("document", 5, 300), ("upload", 30, 1300)])
    parts = cuts(made, 1000)
    assert parts is not None and len(parts) == 2
    assert max(_part_bytes(made, parts)) <= 1000
    scan = [(c.first, c.last) for part in parts for c in part if c.index == 1]
    assert scan[0][0] == 1 and scan[-1][1] == 30 and len(scan) == 2  # one run in each part
    assert scan[0][1] + 1 == scan[1][0]


def test_an_upload_under_the_budget_is_split_only_to_save_a_part() -> None:
    # 300 + 900 + 400 bytes: whole documents need three parts; splitting the 900-byte upload
    # between its pages makes two
    made = _made([("document", 5, 300), ("upload", 30, 900), ("upload", 10, 400)])
    parts = cuts(made, 1000)
    assert parts is not None and len(parts) == 2 and max(_part_bytes(made, parts)) <= 1000
    # where whole documents already take the fewest parts, none is split
    made = _made([("upload", 10, 500), ("upload", 10, 500), ("upload", 10, 500)])
    parts = cuts(made, 1000)
    assert parts is not None and len(parts) == 2
    assert all(c.whole for part in parts for c in part)
    # a generated document is never split, even to save a part
    made = _made([("document", 5, 300), ("document", 30, 900), ("document", 10, 400)])
    parts = cuts(made, 1000)
    assert parts is not None and len(parts) == 3
    assert all(c.whole for part in parts for c in part)
