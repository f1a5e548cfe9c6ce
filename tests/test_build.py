"""End-to-end builds of the sample agency: the packet's structure, checked with independent tools."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pikepdf
import pypdf
import pytest
import yaml

from cmpacket import api
from tests.conftest import copy_sample, corpus, packet_of, page_texts

pytestmark = pytest.mark.e2e


def flatten(outline: list[Any], depth: int = 1) -> list[tuple[int, str, Any]]:
    out = []
    for item in outline:
        if isinstance(item, list):
            out += flatten(item, depth + 1)
        else:
            out.append((depth, item.title, item))
    return out


def test_outputs_exist(built: Path) -> None:
    pdf = packet_of(built)
    assert pdf.name == "prairie-care-coordination-inc-packet.pdf"
    assert (built / "manifest.json").is_file() and (built / "readiness.json").is_file()
    docs = sorted(p.name for p in (built / "documents").glob("*.docx"))
    assert "policy-manual.docx" in docs and "job-description-case-manager.docx" in docs
    assert len(docs) >= 8
    assert not [p for p in built.iterdir() if p.name.startswith(".cmpacket-")]


def test_manifest_agrees_with_the_pdf(built: Path) -> None:
    pdf = packet_of(built)
    man = json.loads((built / "manifest.json").read_text())
    reader = pypdf.PdfReader(pdf)
    assert man["packet"]["pages"] == len(reader.pages)
    assert man["packet"]["sha256"] == hashlib.sha256(pdf.read_bytes()).hexdigest()
    assert [s["letter"] for s in man["sections"]] == ["front", *"ABCDEFG"]
    embedded = json.loads(reader.attachments["manifest.json"][0])
    man["packet"]["sha256"] = None
    assert embedded == man
    assert list(man) == sorted(man)
    assert {i["path"] for i in man["inputs"]} >= {"agency.yaml", "uploads/lopez-lsw.pdf"}
    assert man["converter"]["html"] == "weasyprint"
    templates = {t["name"]: t for t in man["templates"]}
    assert templates["policy-manual.html.j2"]["origin"] == "built-in"


@pytest.mark.skipif(not shutil.which("qpdf"), reason="qpdf not installed")
def test_qpdf_check_passes(built: Path) -> None:
    result = subprocess.run(
        ["qpdf", "--check", str(packet_of(built))], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout[-500:]


def test_outline_has_sections_documents_and_staff_proofs(built: Path) -> None:
    reader = pypdf.PdfReader(packet_of(built))
    items = flatten(reader.outline)
    top = [t for d, t, _ in items if d == 1]
    for letter in "ABCDEFG":
        assert any(t.startswith(f"{letter}. ") for t in top), top
    level2 = [t for d, t, _ in items if d == 2]
    assert "Policies and procedures manual" in level2
    assert "Maria Lopez (S-004)" in level2
    level3 = [t for d, t, _ in items if d == 3]
    assert "LSW license 150.123456" in level3
    # the section bookmark points at the manifest's first page of the section
    man = json.loads((built / "manifest.json").read_text())
    g = next(s for s in man["sections"] if s["letter"] == "G")
    (node,) = [o for d, t, o in items if d == 1 and t.startswith("G. ")]
    assert reader.get_destination_page_number(node) + 1 == g["first_page"]


def test_every_page_is_stamped_with_its_label(built: Path) -> None:
    reader = pypdf.PdfReader(packet_of(built))
    n = len(reader.pages)
    labels = reader.page_labels
    assert labels[0] == "1" and labels[-1] == str(n)
    texts = page_texts(packet_of(built))
    assert len(texts) == n
    for i, page in enumerate(texts):
        text = re.sub(r"\s+", " ", page)
        assert f"Page {labels[i]} of {n}" in text, f"page {i + 1}"
        assert f"PCC-{i + 1:06d}" in text


def test_index_links_land_on_the_documents_first_pages(built: Path) -> None:
    man = json.loads((built / "manifest.json").read_text())
    firsts = {d["first_page"] for s in man["sections"] for d in s["documents"]}
    index = next(d for d in man["sections"][0]["documents"] if d["kind"] == "index")
    with pikepdf.open(packet_of(built)) as pdf:
        pages = {p.objgen: i + 1 for i, p in enumerate(pdf.pages)}
        targets = set()
        for n in range(index["first_page"], index["last_page"] + 1):
            for annot in pdf.pages[n - 1].obj.get("/Annots") or []:
                if annot.get("/Subtype") == "/Link" and "/Dest" in annot:
                    targets.add(pages[annot.Dest[0].objgen])
    assert targets and targets <= set(range(1, man["packet"]["pages"] + 1))
    assert {
        d["first_page"]
        for s in man["sections"][1:]
        for d in s["documents"]
        if not d.get("staff_id")
    } <= targets
    assert targets <= firsts


def test_metadata_and_language(built: Path) -> None:
    with pikepdf.open(packet_of(built)) as pdf:
        assert (
            str(pdf.docinfo["/Title"])
            == "Prairie Care Coordination, Inc. — Case Management Agency Certification Packet"
        )
        assert str(pdf.docinfo["/Author"]) == "Prairie Care Coordination, Inc."
        assert "IDHS" in str(pdf.docinfo["/Subject"]) or "Human Services" in str(
            pdf.docinfo["/Subject"]
        )
        assert str(pdf.Root.Lang) == "en-US"
        assert str(pdf.docinfo["/CreationDate"]).startswith("D:20260101")


def test_text_reads_as_real_documents(built: Path) -> None:
    texts = page_texts(packet_of(built))
    man = json.loads((built / "manifest.json").read_text())
    docs = {d["kind"]: d for s in man["sections"] for d in s["documents"]}

    def text(kind: str) -> str:
        return " ".join(texts[docs[kind]["first_page"] - 1 : docs[kind]["last_page"]])

    manual = re.sub(r"\s+", " ", text("policy-manual"))
    for phrase in (
        "Emergency and crisis services",
        "217-555-0199",
        "no more than 30 customers",
        "7 years",
        "Sangamon",
    ):
        assert phrase in manual, phrase
    roster = re.sub(r"\s+", " ", text("staff-roster"))
    assert "Maria Lopez" in roster and "150.123456" in roster and "28 / 30" in roster
    agreement = re.sub(r"\s+", " ", text("agreement"))
    assert "Illinois Department of Human Services" in agreement and "January 1, 2027" in agreement


def test_two_builds_are_byte_identical(built: Path, tmp_path: Path) -> None:
    folder = copy_sample(tmp_path)
    again = api.build(folder, api.Options(quiet=True), out=tmp_path / "out2")
    assert again.packet.read_bytes() == packet_of(built).read_bytes()
    assert (tmp_path / "out2" / "manifest.json").read_bytes() == (
        built / "manifest.json"
    ).read_bytes()
    for docx in (built / "documents").glob("*.docx"):
        assert (tmp_path / "out2" / "documents" / docx.name).read_bytes() == docx.read_bytes()


def test_errors_stop_the_build_and_keep_the_previous_packet(tmp_path: Path, cli: Any) -> None:
    folder = copy_sample(tmp_path)
    out = tmp_path / "out"
    assert cli("build", folder, "-o", out, "-q").code == 0
    before = packet_of(out).read_bytes()
    data = yaml.safe_load((folder / "agency.yaml").read_text())
    data["staff"][3]["licenses"][0]["expires"] = "2026-01-31"  # Maria Lopez's LSW lapsed
    (folder / "agency.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    r = cli("build", folder, "-o", out, "-q")
    assert r.code == 1 and "error finding" in r.err and "Traceback" not in r.err
    assert "staff[3].licenses[0].expires" in r.err  # the findings themselves, not just a count
    assert packet_of(out).read_bytes() == before
    fresh = tmp_path / "fresh"
    assert cli("build", folder, "-o", fresh, "-q").code == 1
    assert not fresh.exists() or not list(fresh.iterdir())


def test_draft_builds_with_errors_and_stamps_every_page(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["staff"][3]["licenses"][0]["expires"] = "2026-01-31"  # an error in any profile
        data["staff"][4]["licenses"][0]["file"] = "uploads/missing.pdf"

    folder = copy_sample(tmp_path, edit)
    result = api.build(folder, api.Options(quiet=True, draft=True), out=tmp_path / "out")
    man = json.loads(result.manifest.read_text())
    assert man["draft"] is True and man["findings"]["error"] >= 2
    texts = page_texts(result.packet)
    with pikepdf.open(result.packet) as doc:
        assert len(texts) == len(doc.pages)
        for i, text in enumerate(texts):
            # the footer line starts with DRAFT; the diagonal marking is drawn as outlines
            assert "DRAFT — " in text, f"page {i + 1}"
            last = doc.pages[i].obj.Contents[-1].read_bytes()
            assert b"q 0.75 0.1 0.1 rg" in last, f"page {i + 1}: no diagonal DRAFT marking"
    assert "uploads/missing.pdf" in " ".join(texts)  # the placeholder page names it


def _add_attachments(tmp_path: Path, files: dict[str, Path | bytes]) -> Path:
    def edit(data: dict[str, Any]) -> None:
        for name in files:
            data["attachments"].append(
                {"title": f"Upload {name}", "file": f"uploads/{name}", "section": "agency"}
            )

    folder = copy_sample(tmp_path, edit)
    for name, src in files.items():
        (folder / "uploads" / name).write_bytes(src if isinstance(src, bytes) else src.read_bytes())
    return folder


def hostile_pdf() -> bytes:
    """JavaScript open action, a launch link, a form field with a value and an embedded file."""
    import io

    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(612, 792))
    page = pdf.pages[0]
    font = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica
        )
    )
    page.obj.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
    page.obj.Contents = pdf.make_stream(b"BT /F1 18 Tf 72 700 Td (Board resolution) Tj ET")
    js = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Action, S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)")
        )
    )
    widget = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Annot,
            Subtype=pikepdf.Name.Widget,
            FT=pikepdf.Name.Tx,
            T=pikepdf.String("signer"),
            V=pikepdf.String("Ruth Adebayo"),
            DA=pikepdf.String("/F1 12 Tf 0 g"),
            Rect=[72, 600, 300, 630],
            P=page.obj,
        )
    )
    launch = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Annot,
            Subtype=pikepdf.Name.Link,
            Rect=[72, 500, 300, 530],
            A=pikepdf.Dictionary(S=pikepdf.Name.Launch, F=pikepdf.String("cmd.exe")),
        )
    )
    page.obj.Annots = pdf.make_indirect(pikepdf.Array([widget, launch]))
    page.obj.AA = pikepdf.Dictionary(O=js)
    pdf.Root.OpenAction = js
    pdf.Root.AcroForm = pikepdf.Dictionary(
        Fields=[widget],
        DA=pikepdf.String("/F1 12 Tf 0 g"),
        DR=pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font)),
    )
    pdf.attachments["payload.txt"] = pikepdf.AttachedFileSpec(pdf, b"hello", filename="payload.txt")
    buf = io.BytesIO()
    pdf.save(buf)
    return buf.getvalue()


def test_uploads_arrive_flattened_and_clean(tmp_path: Path) -> None:
    folder = _add_attachments(
        tmp_path,
        {
            "hostile.pdf": hostile_pdf(),
            "forms.pdf": corpus("010-"),
            "attachment.pdf": corpus("025-"),
            "outline.pdf": corpus("006-"),
            "annotated.pdf": corpus("024-"),
        },
    )
    report = api.validate(folder)
    active = {f.path for f in report.findings if f.code == "upload-active-content"}
    assert any("attachments" in p for p in active)
    result = api.build(folder, api.Options(quiet=True), out=tmp_path / "out")
    man = json.loads(result.manifest.read_text())
    with pikepdf.open(result.packet) as pdf:
        keys, actions = set(), set()
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Dictionary):
                keys.update(str(k) for k in obj.keys())  # noqa: SIM118
                actions.add(str(obj.get("/S", "")))
        assert not ({"/JS", "/JavaScript"} & keys)
        assert "/Launch" not in actions and "/JavaScript" not in actions
        assert "/AcroForm" not in pdf.Root
        assert list(pdf.attachments) == ["manifest.json"]
        widgets = [
            a
            for p in pdf.pages
            for a in (p.obj.get("/Annots") or [])
            if a.get("/Subtype") == "/Widget"
        ]
        assert not widgets
    doc = next(
        d for s in man["sections"] for d in s["documents"] if d["source"] == "uploads/hostile.pdf"
    )
    text = pypdf.PdfReader(result.packet).pages[doc["first_page"] - 1].extract_text()
    assert "Board resolution" in text and "Ruth Adebayo" in text  # the form value stays visible
    outline_titles = [t for _, t, _ in flatten(pypdf.PdfReader(result.packet).outline)]
    assert "Upload outline.pdf" in outline_titles
    assert not [
        t for t in outline_titles if t in ("Section 1", "Introduction")
    ]  # upload's own outline gone


def test_rotated_and_odd_sized_pages_keep_orientation_and_get_a_stamp(
    tmp_path: Path, fake_renderer: None
) -> None:
    import io

    pdf = pikepdf.new()
    for size, rotate in (((612, 792), 90), ((300, 200), 0), ((842, 595), 270)):
        pdf.add_blank_page(page_size=size)
        pdf.pages[-1].obj.Rotate = rotate
    buf = io.BytesIO()
    pdf.save(buf)
    folder = _add_attachments(tmp_path, {"rotated.pdf": buf.getvalue()})
    result = api.build(folder, api.Options(quiet=True), out=tmp_path / "out")
    man = json.loads(result.manifest.read_text())
    doc = next(
        d for s in man["sections"] for d in s["documents"] if d["source"] == "uploads/rotated.pdf"
    )
    reader = pypdf.PdfReader(result.packet)
    for k, rotate in enumerate((90, 0, 270)):
        page = reader.pages[doc["first_page"] - 1 + k]
        assert page.rotation == rotate
        assert f"Page {doc['first_page'] + k} of" in page.extract_text()


def test_corpus_uploads_build(tmp_path: Path, fake_renderer: None) -> None:
    names = [
        "001-",
        "003-",
        "007-",
        "008-",
        "011-",
        "012-",
        "013-",
        "014-",
        "015-",
        "016-",
        "019-",
        "020-",
        "021-",
        "022-",
    ]
    folder = _add_attachments(tmp_path, {f"c{n}pdf": corpus(n) for n in names})
    result = api.build(folder, api.Options(quiet=True, draft=True), out=tmp_path / "out")
    assert api.verify(result.packet).ok


@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice not installed")
def test_word_documents_open_in_libreoffice(built: Path, tmp_path: Path) -> None:
    for name in ("policy-manual.docx", "staff-roster.docx", "agreement.docx"):
        shutil.copy(built / "documents" / name, tmp_path / name)
        subprocess.run(
            [
                "soffice",
                f"-env:UserInstallation=file://{tmp_path}/lo",
                "--headless",
                "--convert-to",
                "pdf",
                "--outdir",
                str(tmp_path),
                str(tmp_path / name),
            ],
            capture_output=True,
            timeout=180,
            check=False,
        )
        pdf = tmp_path / name.replace(".docx", ".pdf")
        assert pdf.is_file(), name
        assert "Prairie Care" in " ".join(p.extract_text() for p in pypdf.PdfReader(pdf).pages)


def test_word_documents_contain_the_agency_data(built: Path) -> None:
    from docx import Document

    def text(name: str) -> str:
        doc = Document(str(built / "documents" / name))
        cells = [c.text for t in doc.tables for r in t.rows for c in r.cells]
        return "\n".join([p.text for p in doc.paragraphs] + cells)

    assert "217-555-0199" in text("policy-manual.docx")
    assert "Maria Lopez" in text("staff-roster.docx") and "150.123456" in text("staff-roster.docx")
    assert "Case Manager" in text("job-description-case-manager.docx")
    assert "{{" not in text("policy-manual.docx") and "{%" not in text("staff-roster.docx")
    # what the Word copies once lacked (they were typed a second time and drifted)
    agreement = text("agreement.docx")
    assert "/s/ Dana Whitfield" in agreement and "Date: November 20, 2026" in agreement
    for row in ("Encryption at rest", "Audit log of access", "Privacy officer"):
        assert row in text("records-attestation.docx")
    assert "Currently held by" in text("job-description-case-manager.docx")
    assert re.search(r"pp\. \d+\u2013\d+", text("staff-roster.docx"))


def _user_word_template(path: Path, line: str) -> None:
    """A grant writer's own Word template (docxtpl tags), as made in Word."""
    from docx import Document

    doc = Document()
    doc.add_heading("Service Settings Capability Statement", level=1)
    doc.add_paragraph("{{ agency.legal_name }} serves {{ agency.counties | join_and }}.")
    doc.add_paragraph(line)
    doc.add_paragraph("{%p for s in settings %}")
    doc.add_paragraph("{{ s.setting | capitalize }}: {{ s.description }}")
    doc.add_paragraph("{%p endfor %}")
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))


def test_word_template_as_packet_source(tmp_path: Path) -> None:
    from docx import Document

    folder = copy_sample(
        tmp_path, lambda d: d.update(documents={"service-settings": {"source": "word"}})
    )
    line = "Our own wording, written in Word by the grant writer."
    _user_word_template(folder / "templates" / "word" / "service-settings.docx", line)
    result = api.build(folder, api.Options(quiet=True), out=tmp_path / "out")
    man = json.loads(result.manifest.read_text())
    doc = next(
        d for s in man["sections"] for d in s["documents"] if d["kind"] == "service-settings"
    )
    assert doc["source"] == "word/service-settings.docx"
    templates = {t["name"]: t["origin"] for t in man["templates"]}
    assert templates["word/service-settings.docx"] == "templates"
    assert man["converter"]["docx"] in ("libreoffice", "builtin-docx-html")
    pages = page_texts(result.packet, doc["first_page"], doc["last_page"])
    text = " ".join(" ".join(p.split()) for p in pages)
    assert "Service Settings Capability Statement" in text and line in text
    assert "Prairie Care Coordination, Inc. serves Sangamon" in text and "Home: " in text
    # the Word copy is the user's template too, rendered with the same data
    copy = Document(str(tmp_path / "out" / "documents" / "service-settings.docx"))
    paragraphs = [p.text for p in copy.paragraphs]
    assert line in paragraphs and not any("{%" in p or "{{" in p for p in paragraphs)
    # the other documents' Word copies still come from their HTML
    agreement = Document(str(tmp_path / "out" / "documents" / "agreement.docx"))
    assert "Signature" in [p.text for p in agreement.paragraphs]


def test_word_source_without_a_word_template_says_where_to_put_one(
    tmp_path: Path, cli: Any
) -> None:
    folder = copy_sample(
        tmp_path, lambda d: d.update(documents={"service-settings": {"source": "word"}})
    )
    r = cli("build", folder, "--out", tmp_path / "out", "--quiet")
    assert r.code == 3, r.err
    assert "documents.service-settings.source" in r.err
    assert "templates/word/service-settings.docx" in r.err
    assert "Traceback" not in r.err and not (tmp_path / "out").exists()


def _flatten_staff(s: dict[str, Any]) -> dict[str, str]:
    row = {
        k: str(s[k])
        for k in (
            "id",
            "name",
            "position",
            "hire_date",
            "fte",
            "case_management_experience_months",
            "caseload",
            "mandated_reporter_training",
        )
        if s.get(k) is not None
    }
    for prefix, key, fields in (
        ("degree", "degrees", ("level", "field", "institution", "year")),
        ("license", "licenses", ("type", "number", "state", "expires", "file")),
        ("training", "training", ("date", "hours", "topic", "provider")),
        ("document", "documents", ("kind", "title", "file")),
    ):
        for n, item in enumerate(s.get(key) or [], start=1):
            row.update(
                {f"{prefix}{n}_{f}": str(item[f]) for f in fields if item.get(f) is not None}
            )
    for n, lic in enumerate(s.get("licenses") or [], start=1):
        for f, v in (lic.get("verified") or {}).items():
            row[f"license{n}_verified_{f}"] = str(v)
    bc = s.get("background_check") or {}
    for f in ("registry_check", "fingerprint", "status", "file"):
        if bc.get(f):
            row[f"bg_{f}"] = str(bc[f])
    for search in ("registry_recheck", "aps_registry"):
        for f, v in (bc.get(search) or {}).items():
            row[f"bg_{search}_{f}"] = str(v)
    roles = (s.get("experience_proof") or {}).get("roles") or []
    for n, role in enumerate(roles, start=1):
        row.update({f"role{n}_{f}": str(v).lower() if isinstance(v, bool) else str(v)
                    for f, v in role.items()})  # fmt: skip
    for key in ("caseload_increase", "exclusion_check", "experience_proof"):
        obj = {k: v for k, v in (s.get(key) or {}).items() if k != "roles"}
        row.update(
            {
                f"{key}_{f}": "; ".join(v) if isinstance(v, list) else str(v)
                for f, v in obj.items()
                if v is not None
            }
        )
    return row


def test_a_roster_in_staff_csv_builds_the_same_packet_content(tmp_path: Path) -> None:
    import csv

    folder = copy_sample(tmp_path)
    data = yaml.safe_load((folder / "agency.yaml").read_text())
    rows = [_flatten_staff(s) for s in data.pop("staff")]
    (folder / "agency.yaml").write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    columns = sorted({c for r in rows for c in r}, key=lambda c: (c != "id", c))
    with (folder / "staff.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, columns)
        writer.writeheader()
        writer.writerows(rows)
    assert api.validate(folder).ready
    result = api.build(folder, api.Options(quiet=True), out=tmp_path / "out")
    man = json.loads(result.manifest.read_text())
    assert "staff.csv" in {i["path"] for i in man["inputs"]}
    titles = [d["title"] for s in man["sections"] for d in s["documents"]]
    assert (
        "Maria Lopez: LSW license 150.123456" in titles
        and "Tomás Herrera: Case management experience letter" in titles
        and "Aisha Rahman: Exclusion screening (LEIE, SAM, HFS-OIG)" in titles
    )


def test_template_dir_wins_over_the_agency_templates(tmp_path: Path) -> None:
    folder = copy_sample(tmp_path)
    (folder / "templates" / "policies").mkdir()
    (folder / "templates" / "policies" / "grievances.txt.j2").write_text("Agency folder version.\n")
    extra = tmp_path / "consultant"
    (extra / "policies").mkdir(parents=True)
    (extra / "policies" / "grievances.txt.j2").write_text(
        "Consultant version for {{ agency.display_name }}.\n"
    )
    result = api.build(
        folder, api.Options(quiet=True, template_dirs=(extra,)), out=tmp_path / "out"
    )
    text = " ".join(" ".join(p.split()) for p in page_texts(result.packet))
    assert "Consultant version for Prairie Care." in text and "Agency folder version." not in text


def test_work_folder_is_removed_unless_keep_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    folder = copy_sample(tmp_path)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    api.build(folder, api.Options(quiet=True), out=tmp_path / "out")
    assert list(scratch.iterdir()) == []
    api.build(folder, api.Options(quiet=True, keep_temp=True), out=tmp_path / "out")
    (kept,) = list(scratch.iterdir())
    assert (kept / "0000-cover-0.pdf").is_file() and list(kept.glob("*-packet.pdf"))
