"""Content a reviewer would accept: signatures, evidence fields and honest "Met" (release 2)."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from cmpacket import api
from cmpacket.model import load_folder
from cmpacket.validators import load_profile
from tests.conftest import copy_sample, packet_of, page_texts

NEW_CODES = (
    "signature-missing",
    "exclusion-check-missing",
    "mandated-reporter-training-missing",
    "experience-unproven",
)
SIGNED_DOCS = ("application-summary", "records-attestation", "agreement")


def _staff(data: dict[str, Any], sid: str) -> dict[str, Any]:
    return next(s for s in data["staff"] if s["id"] == sid)


def _findings(folder: Path, code: str) -> list[Any]:
    return [f for f in api.validate(folder).findings if f.code == code]


def _edit(tmp_path: Path, edit: Callable[[dict[str, Any]], None]) -> Path:
    return copy_sample(tmp_path, edit)


def _pdf(folder: Path, name: str, text: str) -> str:
    """A real one-page PDF holding `text` (WeasyPrint), written under uploads/."""
    from weasyprint import HTML

    path = folder / "uploads" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(HTML(string=f"<p>{text}</p>").write_pdf())
    return f"uploads/{name}"


# -- the sample is clean of every new code ----------------------------------------------------


def test_sample_raises_none_of_the_new_codes(sample: Path) -> None:
    report = api.validate(sample)
    assert report.ready and report.counts == {"error": 0, "warning": 0, "info": 0}
    assert not [
        f for f in report.findings if f.code in (*NEW_CODES, "caseload-increase-unsupported")
    ]


@pytest.mark.parametrize("name", ["il-guide", "il-hsp-aids-waiver", "il-fcm"])
def test_every_builtin_profile_runs_the_new_rules_with_citations(name: str) -> None:
    profile = load_profile(name)
    for code in NEW_CODES:
        spec = profile.rule(code)
        assert spec is not None, f"{name} lacks {code}"
        assert spec.citation and spec.severity in ("error", "warning")
    assert profile.rule("signature-missing").severity == "error"  # type: ignore[union-attr]
    assert profile.rule("exclusion-check-missing").severity == "warning"  # type: ignore[union-attr]


# -- signatures -------------------------------------------------------------------------------


def test_unsigned_documents_are_signature_missing_errors_and_not_ready(tmp_path: Path) -> None:
    folder = _edit(tmp_path, lambda d: d.pop("signatures"))
    report = api.validate(folder)
    hits = [f for f in report.findings if f.code == "signature-missing"]
    assert not report.ready
    assert {f.severity for f in hits} == {"error"}
    assert len(hits) == 3
    for doc in SIGNED_DOCS:
        assert any(f"({doc})" in f.message and f.path == "signatures" for f in hits)


def test_electronic_signature_needs_a_date(tmp_path: Path) -> None:
    folder = _edit(tmp_path, lambda d: d["signatures"].pop("date"))
    hits = _findings(folder, "signature-missing")
    assert len(hits) == 3 and {f.path for f in hits} == {"signatures.date"}


def test_signer_defaults_to_the_authorized_official(tmp_path: Path) -> None:
    folder = _edit(tmp_path, lambda d: d["signatures"].pop("signer"))
    assert _findings(folder, "signature-missing") == []
    folder2 = _edit(
        tmp_path / "b",
        lambda d: (d["signatures"].pop("signer"), d["agency"]["authorized_official"].pop("title")),
    )
    assert {f.path for f in _findings(folder2, "signature-missing")} == {"signatures.signer.title"}


def test_wet_ink_needs_each_documents_signed_copy(tmp_path: Path) -> None:
    def edit(d: dict[str, Any]) -> None:
        d["signatures"] = {
            "method": "wet-ink",
            "signed_copies": {"application-summary": "uploads/articles.pdf"},
        }

    hits = _findings(_edit(tmp_path, edit), "signature-missing")
    assert sorted(f.path for f in hits) == [
        "signatures.signed_copies.agreement",
        "signatures.signed_copies.records-attestation",
    ]


def test_the_departments_agreement_needs_no_generated_signature(tmp_path: Path) -> None:
    def edit(d: dict[str, Any]) -> None:
        d.pop("signatures")
        d["agreement"]["file"] = "uploads/articles.pdf"

    hits = _findings(_edit(tmp_path, edit), "signature-missing")
    assert len(hits) == 2 and not any("(agreement)" in f.message for f in hits)


def test_signature_fields_are_schema_checked_with_lines(tmp_path: Path) -> None:
    folder = _edit(tmp_path, lambda d: None)
    text = (folder / "agency.yaml").read_text()
    text = text.replace("method: electronic", "method: typed")
    text = text.replace(
        "  date: 2026-11-20\n",
        "  date: 2026-11-20\n  signed_copies: {cover-letter: uploads/articles.pdf}\n",
    )
    (folder / "agency.yaml").write_text(text)
    loaded = load_folder(folder)
    msgs = {f.path: (f.location, f.message) for f in loaded.findings if f.code == "schema-invalid"}
    line = next(i for i, x in enumerate(text.splitlines(), 1) if "method: typed" in x)
    assert msgs["signatures.method"][0] == f"agency.yaml:{line}"
    assert "'typed'" in msgs["signatures.method"][1] and "wet-ink" in msgs["signatures.method"][1]
    assert "'cover-letter'" in msgs["signatures.signed_copies"][1]
    assert "application-summary" in msgs["signatures.signed_copies"][1]


def test_a_signed_copy_outside_the_folder_is_refused(tmp_path: Path) -> None:
    def edit(d: dict[str, Any]) -> None:
        d["signatures"] = {"method": "wet-ink", "signed_copies": {"agreement": "../x.pdf"}}

    hits = _findings(_edit(tmp_path, edit), "upload-outside-folder")
    assert [f.path for f in hits] == ["signatures.signed_copies.agreement"]


# -- exclusion checks and mandated-reporter training ------------------------------------------


def test_exclusion_check_missing_per_staff_and_owner(tmp_path: Path) -> None:
    def edit(d: dict[str, Any]) -> None:
        _staff(d, "S-004").pop("exclusion_check")
        _staff(d, "S-005")["exclusion_check"]["date"] = "2025-10-01"  # 14 months before as-of
        _staff(d, "S-006")["exclusion_check"]["lists"] = ["LEIE", "SAM"]
        d["agency"]["board"][0]["exclusion_check"]["file"] = None
        d["agency"]["owners"] = [{"name": "Harold Jansen", "percent": 100}]  # a for-profit owner

    hits = {f.path: f for f in _findings(_edit(tmp_path, edit), "exclusion-check-missing")}
    assert set(hits) == {
        "staff[3].exclusion_check",
        "staff[4].exclusion_check",
        "staff[5].exclusion_check",
        "agency.board[0].exclusion_check",
        "agency.owners[0].exclusion_check",
    }
    assert {f.severity for f in hits.values()} == {"warning"}
    assert "2025-10-01" in hits["staff[4].exclusion_check"].message
    assert "HFS-OIG" in hits["staff[5].exclusion_check"].message
    assert "file" in hits["agency.board[0].exclusion_check"].message
    assert "no exclusion check" in hits["agency.owners[0].exclusion_check"].message


def test_exclusion_check_age_is_a_profile_parameter(tmp_path: Path) -> None:
    folder = _edit(tmp_path, lambda d: d.update(profile="monthly.yaml"))
    (folder / "monthly.yaml").write_text(
        yaml.safe_dump(
            {
                "extends": "il-guide",
                "rules": [{"code": "exclusion-check-missing", "params": {"max_age_months": 0}}],
            }
        )
    )
    # every check of 2026-11-16 (9 staff, 5 directors and officers) is older than a zero-month
    # window ending 2026-12-01
    assert len(_findings(folder, "exclusion-check-missing")) == 14


def test_mandated_reporter_training_missing_or_stale(tmp_path: Path) -> None:
    def edit(d: dict[str, Any]) -> None:
        _staff(d, "S-004").pop("mandated_reporter_training")
        _staff(d, "S-005")["mandated_reporter_training"] = "2023-11-30"
        _staff(d, "S-007").pop("mandated_reporter_training")  # hired 2026-04-13: no grace left

    hits = {
        f.path: f for f in _findings(_edit(tmp_path, edit), "mandated-reporter-training-missing")
    }
    assert set(hits) == {
        "staff[3].mandated_reporter_training",
        "staff[4].mandated_reporter_training",
        "staff[6].mandated_reporter_training",
    }
    assert "2023-11-30" in hits["staff[4].mandated_reporter_training"].message


def test_new_hires_have_the_grace_window_for_mandated_reporter_training(tmp_path: Path) -> None:
    def edit(d: dict[str, Any]) -> None:
        _staff(d, "S-007")["hire_date"] = "2026-10-15"
        _staff(d, "S-007")["background_check"].update(
            registry_check="2026-10-01", fingerprint="2026-10-02"
        )
        _staff(d, "S-007").pop("mandated_reporter_training")
        _staff(d, "S-004").pop("mandated_reporter_training")  # hired 2024: no grace

    hits = _findings(_edit(tmp_path, edit), "mandated-reporter-training-missing")
    assert [f.path for f in hits] == ["staff[3].mandated_reporter_training"]


# -- honest "Met": experience and caseload increases ------------------------------------------


@pytest.mark.parametrize("drop", ["date", "attested_by", "file"])
def test_undated_or_unsigned_experience_letter_does_not_qualify(tmp_path: Path, drop: str) -> None:
    folder = _edit(tmp_path, lambda d: _staff(d, "S-007")["experience_proof"].pop(drop))
    report = api.validate(folder)
    unproven = [f for f in report.findings if f.code == "experience-unproven"]
    assert [(f.path, f.severity) for f in unproven] == [("staff[6].experience_proof", "error")]
    assert drop in unproven[0].message and "20 months" in unproven[0].message
    unmet = [f for f in report.findings if f.code == "qualification-not-met"]
    assert [f.path for f in unmet] == ["staff[6]"]
    assert not report.ready


def test_unproven_experience_nobody_relies_on_is_a_warning(tmp_path: Path) -> None:
    folder = _edit(
        tmp_path, lambda d: _staff(d, "S-004").update(case_management_experience_months=30)
    )
    hits = _findings(folder, "experience-unproven")
    assert [(f.path, f.severity) for f in hits] == [("staff[3].experience_proof", "warning")]
    assert api.validate(folder).ready


def test_increase_approved_before_the_policies_were_adopted_is_unsupported(tmp_path: Path) -> None:
    folder = _edit(
        tmp_path, lambda d: _staff(d, "S-006")["caseload_increase"].update(approved="2026-06-01")
    )
    report = api.validate(folder)
    (hit,) = [f for f in report.findings if f.code == "caseload-increase-unsupported"]
    assert (hit.path, hit.severity) == ("staff[5].caseload_increase", "error")
    assert "2026-06-01" in hit.message and "2026-09-15" in hit.message
    # the increase no longer counts, so 33 customers are over the limit of 30
    assert [f.path for f in report.findings if f.code == "caseload-over-limit"] == [
        "staff[5].caseload"
    ]


def test_increase_without_its_approval_document_is_unsupported(tmp_path: Path) -> None:
    folder = _edit(tmp_path, lambda d: _staff(d, "S-006")["caseload_increase"].pop("file"))
    (hit,) = _findings(folder, "caseload-increase-unsupported")
    assert hit.severity == "error" and "approval document" in hit.message


def test_unneeded_unsupported_increase_is_a_warning(tmp_path: Path) -> None:
    def edit(d: dict[str, Any]) -> None:
        _staff(d, "S-006")["caseload"] = 29
        _staff(d, "S-006")["caseload_increase"].pop("file")

    (hit,) = _findings(_edit(tmp_path, edit), "caseload-increase-unsupported")
    assert hit.severity == "warning"


# -- staff.csv columns ------------------------------------------------------------------------


def test_staff_csv_carries_the_evidence_columns(tmp_path: Path) -> None:
    folder = _edit(tmp_path, lambda d: d.update(staff=[]))
    (folder / "staff.csv").write_text(
        "id,name,position,mandated_reporter_training,exclusion_check_date,exclusion_check_lists,"
        "exclusion_check_file,experience_proof_file,experience_proof_attested_by,"
        "experience_proof_date,caseload_increase_file\n"
        "S-100,Ann Lee,case-manager,2025-02-01,2026-11-10,LEIE; SAM; HFS-OIG,"
        'uploads/articles.pdf,uploads/articles.pdf,"Jo Roe, Director, Acme",2026-01-05,'
        "uploads/articles.pdf\n",
        encoding="utf-8",
    )
    loaded = load_folder(folder)
    assert loaded.data is not None
    (s,) = loaded.data.staff
    assert s.exclusion_check is not None and s.exclusion_check.lists == ("LEIE", "SAM", "HFS-OIG")
    assert str(s.mandated_reporter_training) == "2025-02-01"
    assert (
        s.experience_proof is not None
        and s.experience_proof.attested_by == "Jo Roe, Director, Acme"
    )
    assert s.caseload_increase is not None and s.caseload_increase.file == "uploads/articles.pdf"


def test_bad_evidence_date_in_csv_names_row_and_column(tmp_path: Path) -> None:
    folder = _edit(tmp_path, lambda d: d.update(staff=[]))
    (folder / "staff.csv").write_text(
        "id,name,position,exclusion_check_date\nS-100,Ann Lee,case-manager,Nov 10\n",
        encoding="utf-8",
    )
    (f,) = [x for x in load_folder(folder).findings if x.code == "schema-invalid"]
    assert f.location == "staff.csv:2 (column exclusion_check_date)"
    assert "'Nov 10'" in f.message


def test_init_scaffold_explains_the_new_fields(tmp_path: Path, cli: Any) -> None:
    assert cli("init", tmp_path / "new").code == 0
    text = (tmp_path / "new" / "agency.yaml").read_text()
    for field in (
        "signatures:",
        "signed_copies",
        "exclusion_check",
        "mandated_reporter_training",
        "experience_proof",
        "attested_by",
    ):
        assert field in text
    header = (tmp_path / "new" / "staff.csv").read_text().splitlines()[0].split(",")
    assert {
        "exclusion_check_lists",
        "experience_proof_attested_by",
        "caseload_increase_file",
        "mandated_reporter_training",
    } <= set(header)
    data = yaml.safe_load(text)
    assert data["signatures"]["method"] is None or data["signatures"]["method"] in (
        "electronic",
        "wet-ink",
    )


# -- builds -----------------------------------------------------------------------------------


def _pages(packet: Path) -> list[str]:
    return page_texts(packet)


def _layout(packet: Path) -> list[str]:
    """Page texts laid out as printed (poppler's pdftotext -layout keeps table rows together)."""
    out = subprocess.run(
        ["pdftotext", "-layout", str(packet), "-"], capture_output=True, text=True, check=True
    ).stdout
    return out.split("\f")


def _doc(manifest: dict[str, Any], predicate: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    return next(d for s in manifest["sections"] for d in s["documents"] if predicate(d))


@pytest.mark.e2e
def test_electronic_signature_on_every_signature_line(built: Path) -> None:
    man = json.loads((built / "manifest.json").read_text())
    pages = _pages(packet_of(built))
    for source in (
        "application-summary.html.j2",
        "records-attestation.html.j2",
        "agreement.html.j2",
    ):
        d = _doc(man, lambda x, s=source: x["source"] == s)
        text = "\n".join(pages[d["first_page"] - 1 : d["last_page"]])
        assert "/s/ Dana Whitfield" in text, source
        assert "Signed electronically" in text and "November 20, 2026" in text
        assert "Date: ____" not in text


@pytest.mark.e2e
def test_roster_says_na_where_training_does_not_apply(built: Path) -> None:
    man = json.loads((built / "manifest.json").read_text())
    d = _doc(man, lambda x: x["source"] == "staff-roster.html.j2")
    text = " ".join(_layout(packet_of(built))[d["first_page"] - 1 : d["last_page"]])
    # the administrator, QA coordinator and intake coordinator are outside the training rule
    for first_name in ("Dana", "Renee", "Grace"):
        row = next(x for x in text.splitlines() if x.strip().startswith(first_name + " "))
        assert " n/a " in row, row
    assert not re.search(r"(?<![\d.])(10|4) h \[12\]", text)  # what these three showed before
    # the caseload limit applies to case managers only: the supervisor's 8 has no "/ 30"
    bell = next(x for x in text.splitlines() if x.strip().startswith("Marcus "))
    assert " 8 " in bell and "8 / 30" not in bell
    assert "16 h [12]" in text  # the supervisor is covered


@pytest.mark.e2e
def test_policies_adopted_points_at_the_board_resolution(built: Path) -> None:
    man = json.loads((built / "manifest.json").read_text())
    resolution = _doc(man, lambda x: x["source"] == "uploads/board-resolution.pdf")
    manual = _doc(man, lambda x: x["source"] == "policy-manual.html.j2")
    readiness = _doc(man, lambda x: x["source"] == "readiness-report.html.j2")
    pages = _layout(packet_of(built))[readiness["first_page"] - 1 : readiness["last_page"]]
    lines = [x for p in pages for x in p.splitlines() if x.strip()]

    def row(title: str) -> str:  # the crosswalk's row: its cells wrap over three lines
        i = next(i for i, x in enumerate(lines) if title in x)
        return " ".join(lines[i : i + 3])

    line = row("Policies adopted")
    assert f"p. {resolution['first_page']}" in line
    assert f"p. {manual['first_page']}" not in line
    approval = _doc(man, lambda x: x["source"] == "uploads/rahman-increase.pdf")
    assert f"p. {approval['first_page']}" in row("Caseload increases based")


@pytest.mark.e2e
def test_unsigned_draft_has_blank_lines_and_is_not_submission_ready(tmp_path: Path) -> None:
    folder = _edit(tmp_path, lambda d: d.pop("signatures"))
    result = api.build(folder, api.Options(quiet=True, draft=True), out=tmp_path / "out")
    man = json.loads(result.manifest.read_text())
    pages = _pages(result.packet)
    assert "/s/" not in "\n".join(pages)
    readiness = _doc(man, lambda x: x["source"] == "readiness-report.html.j2")
    front = "\n".join(pages[readiness["first_page"] - 1 : readiness["last_page"]])
    assert "Not submission-ready" in front and "Submission-ready." not in front
    assert " ".join(front.split()).count("has a signature line but is unsigned") == 3
    letter = _doc(man, lambda x: x["source"] == "application-summary.html.j2")
    assert "Date: ____" in "\n".join(pages[letter["first_page"] - 1 : letter["last_page"]])


@pytest.mark.e2e
def test_wet_ink_scans_replace_documents_and_the_department_form_is_section_b(
    tmp_path: Path,
) -> None:
    folder = copy_sample(tmp_path)
    letter = _pdf(folder, "signed/letter.pdf", "WETINK-LETTER signed by hand")
    attest = _pdf(folder, "signed/attestation.pdf", "WETINK-ATTESTATION signed by hand")
    form = _pdf(folder, "dept-agreement.pdf", "DEPARTMENT-FORM Case Management Agreement")
    data = yaml.safe_load((folder / "agency.yaml").read_text())
    data["signatures"] = {
        "method": "wet-ink",
        "signed_copies": {"application-summary": letter, "records-attestation": attest},
    }
    data["agreement"]["file"] = form
    (folder / "agency.yaml").write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    assert api.validate(folder).ready
    result = api.build(folder, api.Options(quiet=True), out=tmp_path / "out")
    man = json.loads(result.manifest.read_text())
    pages = _pages(result.packet)
    for source, marker, letter_ in (
        (letter, "WETINK-LETTER", "A"),
        (attest, "WETINK-ATTESTATION", "F"),
    ):
        d = _doc(man, lambda x, s=source: x["source"] == s)
        assert d["kind"] == "upload" and "(signed)" in d["title"]
        assert marker in pages[d["first_page"] - 1]
        section = next(s for s in man["sections"] if any(x is d for x in s["documents"]))
        assert section["letter"] == letter_
    sources = [d["source"] for s in man["sections"] for d in s["documents"]]
    assert "application-summary.html.j2" not in sources
    assert "records-attestation.html.j2" not in sources
    assert "agreement.html.j2" not in sources
    (b,) = [s for s in man["sections"] if s["letter"] == "B"]
    assert b["documents"][0]["source"] == form
    assert "DEPARTMENT-FORM" in pages[b["first_page"] - 1]
    # the Word copies of the signed documents stay the editable generated ones
    from docx import Document

    words = {p.name for p in result.documents}
    assert {"application-summary.docx", "records-attestation.docx"} <= words
    assert "agreement.docx" not in words
    text = "\n".join(
        p.text
        for p in Document(str(result.out / "documents" / "application-summary.docx")).paragraphs
    )
    assert "Prairie Care" in text and "WETINK" not in text


@pytest.mark.e2e
def test_without_agreement_file_section_b_is_the_statement(built: Path) -> None:
    man = json.loads((built / "manifest.json").read_text())
    (b,) = [s for s in man["sections"] if s["letter"] == "B"]
    assert [d["source"] for d in b["documents"]] == ["agreement.html.j2"]
    assert b["documents"][0]["title"].startswith("Statement of assurances")
