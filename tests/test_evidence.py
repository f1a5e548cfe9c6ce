"""Evidence: proofs (license, registry printout, diploma) read and checked against the data.

Proofs are real PDFs made here with WeasyPrint (text layer) or pikepdf (an image-only scan), put
into a copy of the sample agency and validated or built like any upload.
"""

from __future__ import annotations

import html
import io
import json
import random
import zlib
from pathlib import Path
from typing import Any

import pikepdf
import pytest
import yaml

from cmpacket import api
from cmpacket.intake import page_texts
from cmpacket.validators import EVIDENCE_RULES
from cmpacket.validators._match import ProofText, degree_levels, find_date, find_name, find_number
from tests.conftest import copy_sample, packet_of

LOPEZ = 3  # staff[3] in the sample: Maria Lopez, LSW 150.123456, expires 2027-11-30


def html_pdf(body: str) -> bytes:
    from weasyprint import HTML

    css = "body{font-family:'DejaVu Sans',sans-serif;font-size:11pt} td{padding:4px 8px}"
    return HTML(
        string=f"<html><head><style>{css}</style></head><body>{body}</body></html>"
    ).write_pdf()


def license_pdf(
    name: str, number: str, expires: str, kind: str = "LSW", looked_up: str = "11/16/2026"
) -> bytes:
    """A License Lookup printout; the sample's licenses give it as `verified.file` too, looked
    up on 2026-11-16."""
    rows = [
        ("Name", name),
        ("License type", f"{kind} - Licensed Social Worker"),
        ("License number", number),
        ("Status", "ACTIVE"),
        ("Expiration date", expires),
        ("Lookup date", looked_up),
    ]
    cells = "".join(f"<tr><td>{html.escape(k)}</td><td>{html.escape(v)}</td></tr>" for k, v in rows)
    return html_pdf(
        "<h2>Illinois Department of Financial and Professional Regulation</h2>"
        f"<table>{cells}</table>"
    )


def registry_pdf(name: str, searched: str) -> bytes:
    return html_pdf(
        "<h2>Health Care Worker Registry</h2>"
        f"<p>Name: {html.escape(name)}</p><p>Registry status: Active</p>"
        f"<p>Registry search date: {html.escape(searched)}</p>"
    )


def diploma_pdf(name: str, degree: str) -> bytes:
    return html_pdf(
        f"<p>University of Illinois Springfield</p><p>has conferred upon</p>"
        f"<h1>{html.escape(name)}</h1><p>the degree of {html.escape(degree)}</p><p>2019</p>"
    )


def scan_pdf(seed: int = 1) -> bytes:
    """An image-only page (greyscale grain with a dark block, slightly off square): no text layer."""
    rng = random.Random(seed)
    width, height = 850, 1100
    rows = bytearray()
    for y in range(height):
        rows.append(0)
        for x in range(width):
            ink = 40 if 200 < y < 260 and 100 + y // 50 < x < 700 else 235
            rows.append(max(0, min(255, ink + rng.randint(-20, 20))))
    pdf = pikepdf.new()
    image = pikepdf.Stream(pdf, zlib.compress(bytes(rows)))
    image.Type, image.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
    image.Width, image.Height, image.BitsPerComponent = width, height, 8
    image.ColorSpace, image.Filter = pikepdf.Name.DeviceGray, pikepdf.Name.FlateDecode
    image.DecodeParms = pikepdf.Dictionary(Predictor=15, Columns=width, Colors=1)
    page = pdf.add_blank_page(page_size=(612, 792))
    page.obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image))
    page.obj.Contents = pdf.make_stream(b"q 1 0.02 -0.02 1 0 0 cm q 612 0 0 792 0 0 cm /Im0 Do Q Q")
    buf = io.BytesIO()
    pdf.save(buf)
    return buf.getvalue()


def agency_with(tmp_path: Path, uploads: dict[str, bytes], edit: Any = None) -> Path:
    folder = copy_sample(tmp_path, edit)
    for rel, blob in uploads.items():
        (folder / rel).write_bytes(blob)
    return folder


def findings(report: Any, code: str) -> list[Any]:
    return [f for f in report.findings if f.code == code]


def lopez_license(tmp_path: Path, name: str, number: str, expires: str) -> Any:
    folder = agency_with(tmp_path, {"uploads/lopez-lsw.pdf": license_pdf(name, number, expires)})
    return api.validate(folder)


def evidence_of(report: Any, path: str) -> dict[str, Any]:
    return next(e for e in report.as_dict()["evidence"] if e["path"] == path)


# --- the sample's proofs all match ------------------------------------------------------------


def test_sample_proofs_all_match(sample: Path) -> None:
    report = api.validate(sample)
    assert not [f for f in report.findings if f.code.startswith(("proof-", "license-"))]
    evidence = report.as_dict()["evidence"]
    # per person: licenses, Registry printouts (before hire and the yearly re-check), APS Registry
    # printouts, Herrera's experience letter, diplomas
    assert len(evidence) == 42 and all(e["checked"] and not e["mismatched"] for e in evidence)
    assert evidence_of(report, "staff[3].licenses[0]") == {
        "path": "staff[3].licenses[0]",
        "file": "uploads/lopez-lsw.pdf",
        "checked": True,
        "matched": ["number", "name", "expires", "looked_up"],
        "mismatched": [],
        "page": None,
    }
    assert evidence_of(report, "staff[3].background_check")["matched"] == ["name", "registry_check"]
    assert evidence_of(report, "staff[3].documents[0]")["matched"] == ["name", "degree"]


# --- each wrong field its own finding, quoting both values ------------------------------------


def test_wrong_number_is_a_mismatch_even_one_digit_off(tmp_path: Path) -> None:
    report = lopez_license(tmp_path, "Maria Lopez", "150.123457", "11/30/2027")
    (f,) = findings(report, "proof-mismatch")
    assert (f.severity, f.path) == ("warning", f"staff[{LOPEZ}].licenses[0].number")
    assert "'150.123457'" in f.message and "'150.123456'" in f.message
    assert "uploads/lopez-lsw.pdf" in f.message
    e = evidence_of(report, "staff[3].licenses[0]")
    assert e["mismatched"] == ["number"] and e["matched"] == ["name", "expires", "looked_up"]


def test_wrong_name_is_a_mismatch(tmp_path: Path) -> None:
    report = lopez_license(tmp_path, "Marta Lopez", "150.123456", "2027-11-30")
    (f,) = findings(report, "proof-mismatch")
    assert f.path == f"staff[{LOPEZ}].name"
    assert "'Marta Lopez'" in f.message and "'Maria Lopez'" in f.message


def test_wrong_expiry_is_a_mismatch(tmp_path: Path) -> None:
    report = lopez_license(tmp_path, "Maria Lopez", "150.123456", "November 30, 2025")
    (f,) = findings(report, "proof-mismatch")
    assert f.path == f"staff[{LOPEZ}].licenses[0].expires"
    assert "'November 30, 2025'" in f.message and "2027-11-30" in f.message


def test_someone_elses_license_gives_one_finding_per_field(tmp_path: Path) -> None:
    report = lopez_license(tmp_path, "James Thornton", "041.412087", "05/31/2028")
    paths = sorted(f.path for f in findings(report, "proof-mismatch"))
    assert paths == [
        "staff[3].licenses[0].expires",
        "staff[3].licenses[0].number",
        "staff[3].name",
    ]


# --- forgiving where people are -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "number", "expires"),
    [
        ("LOPEZ, MARIA", "150-123456", "11/30/2027"),
        ("María A. López", "150123456", "November 30, 2027"),
        ("Lopez, Maria Anne", "150.123456", "NOV 30 2027"),
        ("maria lopez", "150 123456", "2027-11-30"),
    ],
)
def test_forgiving_spellings_match(tmp_path: Path, name: str, number: str, expires: str) -> None:
    report = lopez_license(tmp_path, name, number, expires)
    assert not findings(report, "proof-mismatch"), [f.message for f in report.findings]
    assert evidence_of(report, "staff[3].licenses[0]")["matched"] == [
        "number",
        "name",
        "expires",
        "looked_up",
    ]


def test_accented_data_name_matches_a_plain_capital_proof(tmp_path: Path) -> None:
    # Tomás Herrera (staff[6]) in the data; the registry printout in capitals without accents
    folder = agency_with(
        tmp_path, {"uploads/herrera-registry.pdf": registry_pdf("HERRERA, TOMAS", "03/30/2026")}
    )
    report = api.validate(folder)
    assert not findings(report, "proof-mismatch")
    assert evidence_of(report, "staff[6].background_check")["matched"] == ["name", "registry_check"]


def test_matchers_directly() -> None:
    p = ProofText(("LOPEZ, MARIA A.\nLic # 150-123456\nExp. 30 NOV 2027\nB.S.W.",))
    assert find_number(p, "150.123456") and not find_number(p, "150.123465")
    assert find_name(p, "Maria Lopez") and find_name(p, "María Anne Lopez")
    assert not find_name(p, "Mario Lopez") and not find_name(p, "Maria Lopes")
    from datetime import date

    assert find_date(p, date(2027, 11, 30)) and not find_date(p, date(2027, 11, 29))
    assert degree_levels(p) == {"bachelor"}
    assert degree_levels(ProofText(("Master of Social Work",))) == {"master"}
    assert degree_levels(ProofText(("M.S.W. conferred",))) == {"master"}
    assert degree_levels(ProofText(("Massachusetts, MA",))) == set()


# --- registry printouts and diplomas --------------------------------------------------------------


def test_registry_printout_with_another_date(tmp_path: Path) -> None:
    folder = agency_with(
        tmp_path, {"uploads/lopez-registry.pdf": registry_pdf("Maria Lopez", "2023-02-20")}
    )
    (f,) = findings(api.validate(folder), "proof-mismatch")
    assert f.path == "staff[3].background_check.registry_check"
    assert "'2023-02-20'" in f.message and "2024-02-20" in f.message


@pytest.mark.parametrize("degree", ["Bachelor of Social Work", "BSW", "B.S.W."])
def test_diploma_degree_spellings_match(tmp_path: Path, degree: str) -> None:
    folder = agency_with(
        tmp_path, {"uploads/lopez-diploma.pdf": diploma_pdf("Maria Lopez", degree)}
    )
    report = api.validate(folder)
    assert not findings(report, "proof-mismatch")
    assert evidence_of(report, "staff[3].documents[0]")["matched"] == ["name", "degree"]


def test_diploma_of_another_level_is_a_mismatch(tmp_path: Path) -> None:
    folder = agency_with(
        tmp_path, {"uploads/lopez-diploma.pdf": diploma_pdf("Maria Lopez", "Master of Social Work")}
    )
    (f,) = findings(api.validate(folder), "proof-mismatch")
    assert f.path == "staff[3].degrees[0].level"
    assert "master" in f.message and "bachelor" in f.message


# --- the license table: number format and renewal cycle -----------------------------------------


def _lopez_license(**changes: Any) -> Any:
    def edit(data: dict[str, Any]) -> None:
        data["staff"][LOPEZ]["licenses"][0].update(changes)

    return edit


@pytest.mark.parametrize("number", ["150.12345", "149.123456", "150.1234567", "LSW-123456"])
def test_number_off_its_types_format(tmp_path: Path, number: str) -> None:
    report = api.validate(copy_sample(tmp_path, _lopez_license(number=number)))
    (f,) = findings(report, "license-number-format")
    assert (f.severity, f.path) == ("warning", "staff[3].licenses[0].number")
    assert repr(number) in f.message and "150" in f.message and f.citation


@pytest.mark.parametrize("number", ["150-123456", "150123456"])
def test_number_spellings_fit_the_format(tmp_path: Path, number: str) -> None:
    report = api.validate(copy_sample(tmp_path, _lopez_license(number=number)))
    assert not findings(report, "license-number-format")
    assert not findings(report, "proof-mismatch")  # the proof prints 150.123456


def test_expiry_off_the_renewal_cycle(tmp_path: Path) -> None:
    folder = copy_sample(tmp_path, _lopez_license(expires="2028-11-30"))
    (folder / "uploads/lopez-lsw.pdf").write_bytes(
        license_pdf("Maria Lopez", "150.123456", "2028-11-30")
    )
    report = api.validate(folder)
    (f,) = findings(report, "license-expiry-off-cycle")
    assert (f.severity, f.path) == ("warning", "staff[3].licenses[0].expires")
    assert "2028-11-30" in f.message and "November 30 of odd-numbered years" in f.message
    assert "2027-11-30" in f.message and "1470.95" in f.citation
    assert not findings(report, "proof-mismatch")


def test_a_copied_license_table_changes_the_format(tmp_path: Path) -> None:
    from importlib import resources

    folder = copy_sample(tmp_path)
    table = yaml.safe_load(
        resources.files("cmpacket.profiles").joinpath("il-licenses.yaml").read_text()
    )
    table["types"]["LSW"]["number"]["prefix"] = "151"
    (folder / "my-licenses.yaml").write_text(yaml.safe_dump(table))
    (folder / "my-profile.yaml").write_text("extends: il-guide\nlicenses: my-licenses.yaml\n")
    data = yaml.safe_load((folder / "agency.yaml").read_text())
    data["profile"] = "my-profile.yaml"
    (folder / "agency.yaml").write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    report = api.validate(folder)
    paths = sorted(f.path for f in findings(report, "license-number-format"))
    assert paths == ["staff[3].licenses[0].number", "staff[8].licenses[0].number"]


# --- unreadable proofs ---------------------------------------------------------------------------


def test_image_only_proof_is_unchecked(tmp_path: Path) -> None:
    folder = agency_with(tmp_path, {"uploads/lopez-lsw.pdf": scan_pdf()})
    report = api.validate(folder)
    (f,) = findings(report, "proof-unchecked")
    assert (f.severity, f.path) == ("info", "staff[3].licenses[0].file")
    assert "no readable text" in f.message
    assert not findings(report, "proof-mismatch")
    e = evidence_of(report, "staff[3].licenses[0]")
    assert (e["checked"], e["matched"], e["mismatched"]) == (False, [], [])


@pytest.mark.e2e
def test_scanned_proof_is_checked_after_ocr(tmp_path: Path) -> None:
    """An image-only license scan (slightly skewed) is OCR'd at intake, and its text checked."""
    from PIL import Image, ImageDraw, ImageFont

    img = Image.new("L", (1275, 1650), 255)
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype("DejaVuSans.ttf", 34)
    for k, line in enumerate(
        [
            "Name: Maria Lopez",
            "License number 150.123457",
            "Expires 11/30/2027",
            "Lookup 11/16/2026",
        ]
    ):
        draw.text((120, 200 + 60 * k), line, fill=0, font=font)
    img = img.rotate(0.8, fillcolor=255)
    buf = io.BytesIO()
    img.save(buf, "PDF", resolution=150)
    folder = agency_with(tmp_path, {"uploads/lopez-lsw.pdf": buf.getvalue()})
    out = tmp_path / "out"
    api.build(folder, api.Options(quiet=True), out=out)
    readiness = json.loads((out / "readiness.json").read_text())
    (f,) = [f for f in readiness["findings"] if f["code"] == "proof-mismatch"]
    assert f["path"] == "staff[3].licenses[0].number" and "150.123457" in f["message"]


def test_text_extraction_is_bounded_and_never_raises(tmp_path: Path) -> None:
    assert page_texts(b"not a pdf") == []
    big = html_pdf(
        "".join(
            f"<p style='page-break-after:always'>page {i} " + "x" * 3000 + "</p>" for i in range(30)
        )
    )
    texts = page_texts(big, max_pages=5, max_chars=7000)
    assert len(texts) <= 5 and sum(map(len, texts)) <= 7000 and texts[0].startswith("page 0")


# --- shown in the packet, readiness.json and inspect ----------------------------------------------


@pytest.mark.e2e
def test_evidence_in_packet_readiness_json_and_inspect(built: Path, cli: Any) -> None:
    from pypdf import PdfReader

    readiness = json.loads((built / "readiness.json").read_text())
    evidence = readiness["evidence"]
    assert len(evidence) == 42
    assert all(
        set(e) == {"path", "file", "checked", "matched", "mismatched", "page"} for e in evidence
    )
    manifest = json.loads((built / "manifest.json").read_text())
    assert manifest["evidence"] == evidence
    reader = PdfReader(packet_of(built))
    lopez = evidence_of_dict(evidence, "staff[3].licenses[0]")
    # the proof stands on its page, and the final packet's crosswalk links to it (the table of
    # proofs read is the draft's readiness report's: test_a_proof_with_a_mismatch_shows_...)
    assert "150.123456" in reader.pages[lopez["page"] - 1].extract_text()
    with pikepdf.open(packet_of(built)) as pdf:
        targets = {
            pdf.pages.index(pikepdf.Page(annot["/Dest"][0])) + 1
            for page in pdf.pages[:8]
            for annot in page.obj.get("/Annots") or []
            if annot.get("/Dest") is not None
        }
    assert lopez["page"] in targets
    shown = inspect_lines(cli, packet_of(built))
    assert any(
        "Maria Lopez" in ln and f"p. {lopez['page']}" in ln and "lopez-lsw.pdf" in ln
        for ln in shown
    )
    data = cli("inspect", packet_of(built), "--format", "json").json()
    assert evidence_of_dict(data["evidence"], "staff[3].licenses[0]")["staff"] == "Maria Lopez"


def evidence_of_dict(entries: list[dict[str, Any]], path: str) -> dict[str, Any]:
    return next(e for e in entries if e["path"] == path)


def inspect_lines(cli: Any, packet: Path) -> list[str]:
    result = cli("inspect", packet)
    assert result.code == 0
    return str(result.out).splitlines()


@pytest.mark.e2e
def test_readiness_report_links_each_staff_members_proofs(built: Path) -> None:
    pdf = pikepdf.open(packet_of(built))
    evidence = json.loads((built / "readiness.json").read_text())["evidence"]
    first: dict[str, int] = {}  # each staff member's first proof page
    for e in evidence:
        staff = e["path"].split("]")[0]
        first[staff] = min(first.get(staff, e["page"]), e["page"])
    targets = set()
    for page in pdf.pages[:8]:
        for annot in page.obj.get("/Annots") or []:
            dest = annot.get("/Dest")
            if dest is not None:
                targets.add(pdf.pages.index(pikepdf.Page(dest[0])) + 1)
    assert set(first.values()) <= targets


def test_a_proof_with_a_mismatch_shows_and_links_its_own_page(tmp_path: Path) -> None:
    folder = agency_with(
        tmp_path, {"uploads/lopez-lsw.pdf": license_pdf("Maria Lopez", "150.123456", "2025-11-30")}
    )
    out = tmp_path / "out"
    api.build(folder, api.Options(quiet=True, draft=True), out=out)
    evidence = json.loads((out / "readiness.json").read_text())["evidence"]
    page = evidence_of_dict(evidence, "staff[3].licenses[0]")["page"]
    pdf = pikepdf.open(packet_of(out))
    text = "\n".join(
        p.extract_text() for p in __import__("pypdf").PdfReader(packet_of(out)).pages[:20]
    )
    line = next(ln for ln in text.splitlines() if "Maria Lopez (S-004)" in ln)
    assert "✗ expiration date" in line and f"p. {page}" in text  # drawn in its box on that line
    targets = {
        pdf.pages.index(pikepdf.Page(a.Dest[0])) + 1
        for p in pdf.pages[:20]
        for a in p.obj.get("/Annots") or []
        if a.get("/Dest") is not None
    }
    assert page in targets


# --- what is read, and when -----------------------------------------------------------------


def _two_pages(cover: str, second: bytes) -> bytes:
    """A proof whose first page is a cover letter and whose second page is `second`."""
    out = pikepdf.new()
    for blob in (html_pdf(f"<p>{html.escape(cover)}</p>"), second):
        with pikepdf.open(io.BytesIO(blob)) as src:
            out.pages.extend(src.pages)
    buf = io.BytesIO()
    out.save(buf)
    return buf.getvalue()


def test_the_second_page_is_read_when_the_first_does_not_show_the_fields(tmp_path: Path) -> None:
    proof = _two_pages(
        "Dear reviewer, please find the license verification of our case manager attached.",
        license_pdf("Maria Lopez", "150.123456", "11/30/2027"),
    )
    folder = agency_with(tmp_path, {"uploads/lopez-lsw.pdf": proof})
    report = api.validate(folder)
    assert not findings(report, "proof-mismatch")
    assert evidence_of(report, "staff[3].licenses[0]")["matched"] == [
        "number",
        "name",
        "expires",
        "looked_up",
    ]
    out = tmp_path / "out"
    api.build(folder, api.Options(quiet=True), out=out)
    built = json.loads((out / "readiness.json").read_text())
    lopez = evidence_of_dict(built["evidence"], "staff[3].licenses[0]")
    assert (
        lopez["matched"] == ["number", "name", "expires", "looked_up"] and not lopez["mismatched"]
    )


def test_a_second_page_is_read_in_the_same_pass_and_both_readings_cached(
    tmp_path: Path, fake_renderer: None
) -> None:
    """The worker that read a proof's first page reads its second at once when the first does
    not show every field: no second pass over the proofs (no text looked up again), and a
    rebuild reads no text at all."""
    proof = _two_pages(
        "Dear reviewer, please find the license verification of our case manager attached.",
        license_pdf("Maria Lopez", "150.123456", "11/30/2027"),
    )
    folder = agency_with(tmp_path, {"uploads/lopez-lsw.pdf": proof})
    options = api.Options(quiet=True, cache_dir=tmp_path / "cache")
    cold = api.build(folder, options, out=tmp_path / "cold")
    assert "upload-text:uploads/lopez-lsw.pdf" not in cold.rebuilt  # never a second pass
    warm = api.build(folder, options, out=tmp_path / "warm")
    assert not [r for r in warm.rebuilt if r.startswith(("upload-text:", "match:"))]
    for out in ("cold", "warm"):
        built = json.loads((tmp_path / out / "readiness.json").read_text())
        lopez = evidence_of_dict(built["evidence"], "staff[3].licenses[0]")
        assert lopez["matched"] == ["number", "name", "expires", "looked_up"]
        assert not lopez["mismatched"]


def test_a_profile_without_the_evidence_rules_reads_no_proof(
    tmp_path: Path, fake_renderer: None
) -> None:
    # someone else's license: it would be a mismatch, but the rules are off, so nothing is read
    folder = agency_with(
        tmp_path,
        {"uploads/lopez-lsw.pdf": license_pdf("James Thornton", "150.999999", "2027-11-30")},
    )
    (folder / "off.yaml").write_text(
        "extends: il-hsp-aids-waiver\nrules:\n"
        + "".join(f"  - {{code: {c}, enabled: false}}\n" for c in EVIDENCE_RULES)
    )
    report = api.validate(folder, profile="off.yaml")
    assert not findings(report, "proof-mismatch") and report.as_dict()["evidence"] == []
    out = tmp_path / "out"
    result = api.build(
        folder, api.Options(quiet=True, profile="off.yaml", cache_dir=tmp_path / "c"), out=out
    )
    assert not [r for r in result.rebuilt if r.startswith(("upload-text:", "match:"))]
    assert json.loads((out / "readiness.json").read_text())["evidence"] == []


def test_matches_are_cached_by_the_proof_and_the_data_it_was_checked_against(
    tmp_path: Path, fake_renderer: None
) -> None:
    folder = copy_sample(tmp_path)
    cache = tmp_path / "cache"
    first = api.build(folder, api.Options(quiet=True, cache_dir=cache), out=tmp_path / "out1")
    assert first.rebuilt
    # one staff member's license expiry changes in the data: that one proof is matched again
    data = yaml.safe_load((folder / "agency.yaml").read_text())
    data["staff"][LOPEZ]["licenses"][0]["expires"] = "2029-11-30"
    (folder / "agency.yaml").write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    again = api.build(
        folder, api.Options(quiet=True, draft=True, cache_dir=cache), out=tmp_path / "out2"
    )
    assert [r for r in again.rebuilt if r.startswith(("upload-text:", "match:"))] == [
        "match:uploads/lopez-lsw.pdf"
    ]
    report = json.loads((tmp_path / "out2" / "readiness.json").read_text())
    assert evidence_of_dict(report["evidence"], "staff[3].licenses[0]")["mismatched"] == ["expires"]


def test_reading_on_gives_the_text_a_fresh_reading_gives() -> None:
    """A proof read on after its first page (the intake job that found a field missing) holds
    the same text as one read whole, within the same character budget."""
    proof = _two_pages("A cover letter.", license_pdf("Maria Lopez", "150.123456", "11/30/2027"))
    first = page_texts(proof, 1)
    assert len(first) == 1 and "cover letter" in first[0]
    assert page_texts(proof, 2, read=first) == page_texts(proof, 2)
    assert page_texts(proof, 2, max_chars=20, read=page_texts(proof, 1, max_chars=20)) == (
        page_texts(proof, 2, max_chars=20)
    )
    assert page_texts(b"not a pdf", 2, read=first) == first  # unreadable now: what was read
