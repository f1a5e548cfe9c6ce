"""SPEC §19: the forms the policies describe are in the packet (section D, with Word copies); the
organization chart is drawn from `positions[].reports_to`, the on-call schedule made from
`policies.on_call` and the board roster from `agency.board`; every owner, director and officer is
screened as a person (`exclusion-check-missing`)."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pypdf
import pytest
from docx import Document

from cmpacket import api
from tests.conftest import copy_sample, packet_of, page_texts

FORM_TITLES = {  # kind -> the form's heading on its page
    "release-of-information": "Authorization for Release of Information",
    "consent-for-services": "Consent for Case Management Services",
    "customer-rights": "Customer Rights and Responsibilities",
    "grievance-appeal-notice": "Grievance and Appeal Notice",
    "incident-report": "Incident Report",
    "assessment-template": "Comprehensive Assessment",
    "service-plan-template": "Person-Centered Service Plan",
}
# 740 ILCS 110/5(b)(1)-(7), the signature witnessed, and (c)-(d): each element in the form's words
ROI_ELEMENTS = {
    "(b)(1) recipient": "only the person or agency named here",
    "(b)(2) purpose": "may be used only for this purpose",
    "(b)(3) nature of the information": "only the information ticked and described here",
    "(b)(4) right to inspect and copy": "may inspect and copy the information to be disclosed",
    "(b)(5) consequences of refusing": "consequences of refusing",
    "(b)(6) calendar expiry date": "expires on the calendar date written below",
    "(b)(7) right to revoke": "revoke this authorization at any time, in writing",
    "witnessed signature": "witness (attests to the signer's identity)",
    "(c) no blanket consent": "blanket release of unspecified information is not valid",
    "(d) redisclosure": "may not be redisclosed by the recipient unless i specifically consent",
}


def _pdftotext(pdf: Path, first: int, last: int) -> str:
    return " ".join(" ".join(page_texts(pdf, first, last)).split())


def _docs(out: Path) -> dict[str, dict[str, Any]]:
    man = json.loads((out / "manifest.json").read_text())
    return {
        d["kind"]: dict(d, section=s["letter"]) for s in man["sections"] for d in s["documents"]
    }


def _outline(reader: pypdf.PdfReader) -> list[tuple[int, str]]:
    def walk(items: list[Any], depth: int) -> list[tuple[int, str]]:
        out: list[tuple[int, str]] = []
        for item in items:
            out += walk(item, depth + 1) if isinstance(item, list) else [(depth, item.title)]
        return out

    return walk(reader.outline, 0)


def _word_text(path: Path) -> str:
    doc = Document(str(path))
    parts = [p.text for p in doc.paragraphs]
    parts += [c.text for t in doc.tables for r in t.rows for c in r.cells]
    return " ".join(" ".join(parts).split())


@pytest.mark.e2e
def test_forms_chart_and_schedule_are_in_section_d_with_word_copies(built: Path) -> None:
    pdf = packet_of(built)
    docs = _docs(built)
    reader = pypdf.PdfReader(pdf)
    outline = _outline(reader)
    section_d = [t for _, t in outline[outline.index((0, "D. Policies and procedures")) + 1 :]]
    section_d = section_d[: next(i for i, t in enumerate(section_d) if t.startswith("E. "))]
    manual = docs["policy-manual"]
    for kind, heading in FORM_TITLES.items():
        doc = docs[kind]
        assert doc["section"] == "D" and doc["first_page"] > manual["last_page"], kind
        assert doc["title"] in section_d, (doc["title"], section_d)
        text = _pdftotext(pdf, doc["first_page"], doc["last_page"])
        assert heading in text and "Prairie Care Coordination, Inc." in text, kind
        word = _word_text(built / "documents" / f"{kind}.docx")
        assert heading in word and "Prairie Care Coordination, Inc." in word, kind
    roi = docs["release-of-information"]
    for where, text in (
        ("packet", _pdftotext(pdf, roi["first_page"], roi["last_page"])),
        ("word", _word_text(built / "documents" / "release-of-information.docx")),
    ):
        for element, words in ROI_ELEMENTS.items():
            assert words in text.lower().replace("\u2019", "'"), (where, element)

    chart = docs["organization-chart"]
    assert chart["section"] == "D" and "Organization chart" in section_d
    text = _pdftotext(pdf, chart["first_page"], chart["first_page"])
    drawn = text[: text.index("Positions and reporting lines")]  # the drawing's own words
    for name in ("Board of Directors", "Program Administrator", "Case Management Supervisor",
                 "Dana Whitfield", "Marcus Bell", "Renee Okafor", "Grace Kim", "Lena Novak"):  # fmt: skip
        assert name in drawn, name
    page = reader.pages[chart["first_page"] - 1]
    assert "/XObject" not in str(page["/Resources"].keys()) or not any(
        x.get_object().get("/Subtype") == "/Image"
        for x in page["/Resources"].get("/XObject", {}).values()
    ), "the chart is drawn as vectors and text, not a picture"
    copy = Document(str(built / "documents" / "organization-chart.docx"))
    (shape,) = copy.inline_shapes
    assert shape.width > 3_000_000  # EMU: about half the text width or more
    with zipfile.ZipFile(built / "documents" / "organization-chart.docx") as z:
        (media,) = [n for n in z.namelist() if n.startswith("word/media/")]
        assert z.read(media)[:8] == b"\x89PNG\r\n\x1a\n"
        alt = re.search(r'descr="([^"]*)"', z.read("word/document.xml").decode())
    assert alt and "Marcus Bell" in alt.group(1) and "Board of Directors" in alt.group(1)
    assert "Reports to" in _word_text(built / "documents" / "organization-chart.docx")

    on_call = docs["on-call-schedule"]
    assert on_call["section"] == "D" and "On-call schedule" in section_d
    text = _pdftotext(pdf, on_call["first_page"], on_call["last_page"])
    # policies.on_call: weekly shifts from 2027-01-04, primaries S-003, S-006, S-009 in turn
    assert "January 4, 2027 – January 10, 2027 Marcus Bell" in text
    assert "January 11, 2027 – January 17, 2027 Aisha Rahman" in text
    assert "Dana Whitfield, Executive Director / Program Administrator" in text

    roster = docs["board-roster"]
    assert roster["section"] == "A"
    text = _pdftotext(pdf, roster["first_page"], roster["last_page"])
    for name in ("Harold Jansen", "Patricia Oyelaran", "Alicia Grant", "Robert Lindqvist"):
        assert name in text
    titles = [
        d["title"]
        for d in json.loads((built / "manifest.json").read_text())["sections"][1]["documents"]
    ]
    assert "Alicia Grant, Secretary: Exclusion screening (LEIE, SAM, HFS-OIG)" in titles


@pytest.mark.e2e
def test_on_call_schedule_and_chart_follow_the_data(tmp_path: Path) -> None:
    def edit(d: dict[str, Any]) -> None:
        d["policies"]["on_call"] = {
            "starts": "2027-03-01",
            "shift_days": 1,
            "shifts": 3,
            "primary": ["S-004", "S-005"],
            "backup": ["S-005", "S-004"],
        }
        intake = next(p for p in d["positions"] if p["key"] == "intake-coordinator")
        intake["reports_to"] = "quality-assurance-coordinator"  # intake moves

    folder = copy_sample(tmp_path, edit)
    result = api.build(folder, api.Options(quiet=True), out=tmp_path / "out")
    docs = _docs(result.out)
    pdf = packet_of(result.out)
    text = _pdftotext(
        pdf, docs["on-call-schedule"]["first_page"], docs["on-call-schedule"]["last_page"]
    )
    assert "March 1, 2027 Maria Lopez" in text and "March 2, 2027 James Thornton" in text
    assert "March 3, 2027 Maria Lopez" in text and "March 4, 2027" not in text
    assert "Marcus Bell" not in text.split("Schedule", 2)[-1]
    table = Document(str(result.out / "documents" / "organization-chart.docx")).tables[0]
    rows = {r.cells[0].text: r.cells[1].text for r in table.rows[1:]}
    assert rows["Intake Coordinator"] == "Quality Assurance and Records Coordinator"
    assert rows["Case Manager"] == "Case Management Supervisor"


def _findings(folder: Path, code: str) -> list[Any]:
    return [f for f in api.validate(folder).findings if f.code == code]


def test_reports_to_naming_no_position_is_located(tmp_path: Path) -> None:
    folder = copy_sample(
        tmp_path, lambda d: d["positions"][2].update(reports_to="Lead Case Manager")
    )
    (hit,) = _findings(folder, "reports-to-invalid")
    assert hit.path == "positions[2].reports_to" and hit.severity == "warning"
    assert "'Lead Case Manager'" in hit.message and "case-management-supervisor" in hit.message
    lines = (folder / "agency.yaml").read_text().splitlines()
    file, line = hit.location.split(":")
    assert file == "agency.yaml" and "Lead Case Manager" in lines[int(line) - 1]


def test_reports_to_cycle_is_found(tmp_path: Path) -> None:
    def edit(d: dict[str, Any]) -> None:
        d["positions"][0]["reports_to"] = "case-manager"  # administrator -> case manager -> ...

    folder = copy_sample(tmp_path, edit)
    (hit,) = _findings(folder, "reports-to-invalid")
    assert hit.path == "positions[0].reports_to" and hit.location.startswith("agency.yaml:")
    assert (
        "program-administrator → case-manager → case-management-supervisor → program-administrator"
        in hit.message
    )


def test_reports_to_by_title_and_board_are_accepted(tmp_path: Path) -> None:
    def edit(d: dict[str, Any]) -> None:
        d["positions"][1]["reports_to"] = "Executive Director / Program Administrator"
        d["positions"][0]["reports_to"] = "the Board"

    assert _findings(copy_sample(tmp_path, edit), "reports-to-invalid") == []


def test_a_collective_owner_is_not_screened_as_a_person(tmp_path: Path) -> None:
    def edit(d: dict[str, Any]) -> None:
        check = {
            "date": "2026-11-16",
            "lists": ["LEIE", "SAM", "HFS-OIG"],
            "file": "uploads/articles.pdf",
        }
        d["agency"]["owners"] = [
            {
                "name": "Prairie Care Board of Directors (nonprofit)",
                "percent": 100,
                "exclusion_check": check,
            }
        ]

    hits = _findings(copy_sample(tmp_path, edit), "exclusion-check-missing")
    assert [h.path for h in hits] == ["agency.owners[0].name"]
    assert "names a group, not a person" in hits[0].message and "agency.board" in hits[0].message
    assert hits[0].location.startswith("agency.yaml:")


def test_directors_without_a_check_or_a_name_are_found(tmp_path: Path) -> None:
    def edit(d: dict[str, Any]) -> None:
        d["agency"]["board"][1].pop("exclusion_check")  # Patricia Oyelaran, never screened
        d["agency"]["board"][2]["exclusion_check"]["date"] = "2025-06-01"  # stale
        d["agency"]["board"].append({"name": "Board of Directors", "title": "Directors"})

    hits = {f.path: f for f in _findings(copy_sample(tmp_path, edit), "exclusion-check-missing")}
    assert set(hits) == {
        "agency.board[1].exclusion_check",
        "agency.board[2].exclusion_check",
        "agency.board[5].name",
    }
    assert "Patricia Oyelaran, Vice President" in hits["agency.board[1].exclusion_check"].message
    assert "2025-06-01" in hits["agency.board[2].exclusion_check"].message
    assert "not a person's name" in hits["agency.board[5].name"].message


def test_on_call_schedule_naming_unknown_staff_is_found(tmp_path: Path) -> None:
    def edit(d: dict[str, Any]) -> None:
        d["policies"]["on_call"]["primary"] = ["S-003", "S-099"]
        d["policies"]["on_call"]["backup"] = ["S-003"]

    hits = {f.path: f for f in _findings(copy_sample(tmp_path, edit), "on-call-schedule-invalid")}
    assert set(hits) == {"policies.on_call.primary[1]", "policies.on_call.backup"}
    assert "'S-099'" in hits["policies.on_call.primary[1]"].message


def test_the_sample_raises_none_of_the_new_findings(sample: Path) -> None:
    report = api.validate(sample)
    assert report.ready
    codes = {"reports-to-invalid", "on-call-schedule-invalid", "exclusion-check-missing"}
    assert not [f for f in report.findings if f.code in codes]


def _overlap(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return (
        a["x"] < b["x"] + b["w"]
        and b["x"] < a["x"] + a["w"]
        and a["y"] < b["y"] + b["h"]
        and b["y"] < a["y"] + a["h"]
    )


@pytest.mark.parametrize("extra", [0, 3, 8, 40])
def test_the_chart_layout_has_no_overlaps_and_stays_readable(extra: int) -> None:
    """Wide organizations hang their leaf positions as columns instead of shrinking the text."""
    import dataclasses

    from cmpacket.model import load_folder
    from cmpacket.model._types import Position
    from cmpacket.render._orgchart import org_chart
    from tests.conftest import SAMPLE

    data = load_folder(SAMPLE).data
    more = [
        Position(f"p{i}", f"Program Coordinator {i}", "program-administrator") for i in range(extra)
    ]
    more += [
        Position(f"w{i}", f"Outreach Worker {i}", "case-management-supervisor")
        for i in range(extra)
    ]
    data = dataclasses.replace(data, positions=data.positions + tuple(more))
    chart = org_chart(data)
    boxes = chart["boxes"]
    assert len(boxes) == len(data.positions) + 1  # and the board
    assert not [
        (a["key"], b["key"]) for i, a in enumerate(boxes) for b in boxes[i + 1 :] if _overlap(a, b)
    ]
    assert chart["width"] <= 480 and chart["height"] <= 540  # fits the page
    if extra <= 8:  # text at about three quarters of its size or more (8.6 pt titles: 6.4 pt;
        # the sample's chart, four boxes wide with the provisional case manager, is at 0.745)
        assert chart["width"] / chart["view_w"] >= 0.74
    assert len(chart["links"]) == len(data.positions)  # one connector to every position


def test_a_cycle_still_draws_every_position(tmp_path: Path) -> None:
    from cmpacket.model import load_folder
    from cmpacket.render._orgchart import org_chart

    folder = copy_sample(tmp_path, lambda d: d["positions"][0].update(reports_to="case-manager"))
    chart = org_chart(load_folder(folder).data)
    assert {b["key"] for b in chart["boxes"]} >= {"program-administrator", "case-manager"}
    assert not chart["board"]  # nothing reports to the board any more
