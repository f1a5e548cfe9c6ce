"""`cmpacket respond` (SPEC §16): response packets for an RFI and a CAP, their tables, stamps,
page ids and bookmarks, the findings that stop them, and `validate` on response folders."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pikepdf
import pytest
import yaml

from cmpacket import api
from tests.conftest import EPOCH, copy_sample
from tests.test_evidence import html_pdf

pytestmark = pytest.mark.e2e

REF = "HSP-CM-2027-014"
RECEIVED = date(2027, 1, 8)


def text_of(pdf: Path, first: int = 1, last: int = 0) -> str:
    args = ["pdftotext", "-layout", "-f", str(first)]
    args += ["-l", str(last)] if last else []
    return subprocess.run([*args, str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def pages_of(pdf: Path) -> list[str]:
    with pikepdf.open(pdf) as doc:
        count = len(doc.pages)
    return [text_of(pdf, n, n) for n in range(1, count + 1)]


def write_response(folder: Path, name: str, data: dict[str, Any]) -> Path:
    where = folder / "responses" / name
    where.mkdir(parents=True, exist_ok=True)
    (where / "response.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    return where


def rfi(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": "rfi",
        "date": "2027-01-26",
        "letter": {
            "from": "Illinois Department of Human Services, Division of Rehabilitation Services",
            "reference": REF,
            "dated": "2027-01-05",
            "received": RECEIVED.isoformat(),
            "file": "uploads/dept/rfi-2027-01-05.pdf",
        },
        "base": "sent/prairie-care-coordination-inc-packet.pdf",
        "items": [
            {
                "id": "1",
                "request": "Provide dated evidence of Tomás Herrera's case management experience.",
                "citation": "89 Ill. Adm. Code 686.920",
                "answer": "The enclosed letter dates his case manager role.",
                "exhibits": ["uploads/herrera-experience-2027.pdf"],
            },
            {
                "id": "2",
                "request": "Describe how the agency closes a case.",
                "answer": "The closure chapter now sets when the closure letter is mailed.",
                "exhibits": [{"document": "policy-manual", "chapter": "closure-transfer"}],
            },
            {
                "id": "3a",
                "request": "Provide the case manager job description.",
                "answer": "Enclosed, unchanged.",
                "exhibits": [{"document": "job-description:case-manager"}],
            },
            {
                "id": "4",
                "request": "Confirm the privacy officer's training.",
                "answer": "Completed on January 12, 2027; the certificate is enclosed.",
                "exhibits": ["uploads/privacy-training.pdf", "uploads/herrera-experience-2027.pdf"],
            },
        ],
    }
    data.update(changes)
    return data


@pytest.fixture(scope="module")
def agency(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample as sent (its packet kept in sent/), then changed as the Department asked: a new
    experience letter for Herrera and a sentence in the closure chapter; with an RFI and a CAP."""
    base = tmp_path_factory.mktemp("respond")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SOURCE_DATE_EPOCH", EPOCH)
        folder = copy_sample(base)
        sent = api.build(folder, api.Options(quiet=True), out=base / "first")
    (folder / "sent").mkdir()
    shutil.copyfile(sent.packet, folder / "sent" / sent.packet.name)
    uploads = folder / "uploads"
    letter = html_pdf(
        "<p>Acme Services</p><p>Tomás Herrera worked for us as a case aide from 2019-06-01 to "
        "2022-02-28 and as a case manager from 2022-03-01 to 2024-02-29.</p>"
        "<p>Jane Roe, Director, 2027-01-20</p>"
    )
    (uploads / "herrera-experience-2027.pdf").write_bytes(letter)
    shutil.copyfile(uploads / "board-resolution.pdf", uploads / "privacy-training.pdf")
    (uploads / "dept").mkdir()
    shutil.copyfile(uploads / "articles.pdf", uploads / "dept" / "rfi-2027-01-05.pdf")
    data = yaml.safe_load((folder / "agency.yaml").read_text())
    herrera = next(s for s in data["staff"] if s["id"] == "S-007")
    herrera["experience_proof"]["file"] = "uploads/herrera-experience-2027.pdf"
    herrera["experience_proof"]["roles"] = [  # as the new letter gives them
        {"title": "Case Aide", "from": "2019-06-01", "to": "2022-02-28", "case_management": False},
        {
            "title": "Case Manager",
            "from": "2022-03-01",
            "to": "2024-02-29",
            "case_management": True,
        },
    ]
    data["policies"].setdefault("additions", {})["closure-transfer"] = (
        "The closure letter is mailed within five business days of the closing visit."
    )
    (folder / "agency.yaml").write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    write_response(folder, "rfi-2027-01", rfi())
    write_response(
        folder,
        "cap-2027-02",
        {
            "kind": "cap",
            "date": "2027-02-20",
            "letter": {"from": "IDHS", "reference": "CAP-77", "received": "2027-02-02"},
            "base": "sent/prairie-care-coordination-inc-packet.pdf",
            "items": [
                {
                    "id": "F-1",
                    "request": "Two case files lacked a signed release of information.",
                    "answer": "Both releases were obtained and filed.",
                    "cause": "Intake checklist did not list the release.",
                    "correction": "The checklist now lists it; files audited.",
                    "owner": {"name": "Dana Whitfield", "title": "Executive Director"},
                    "target": "2027-03-15",
                    "sustain": "Quarterly audit of ten files by the QA coordinator.",
                    "exhibits": [{"document": "policy-manual", "chapter": "confidentiality"}],
                }
            ],
        },
    )
    return folder


@pytest.fixture(scope="module")
def answered(agency: Path, tmp_path_factory: pytest.TempPathFactory) -> api.RespondResult:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SOURCE_DATE_EPOCH", EPOCH)
        out = tmp_path_factory.mktemp("rfi-out")
        return api.respond(agency, Path("rfi-2027-01"), api.Options(quiet=True), out=out)


def test_the_response_packet_passes_qpdf_and_verify(answered: api.RespondResult) -> None:
    assert answered.response.name == "prairie-care-coordination-inc-response-hsp-cm-2027-014.pdf"
    subprocess.run(["qpdf", "--check", str(answered.response)], check=True, capture_output=True)
    assert api.verify(answered.response).ok
    assert api.verify(answered.packet.packet).ok
    manifest = json.loads(answered.manifest.read_text())
    assert manifest["response"]["reference"] == REF and manifest["kind"] == "response"


def test_the_cover_letter_names_the_letter_and_its_due_date(answered: api.RespondResult) -> None:
    cover = text_of(answered.response, 1, 2)
    due = RECEIVED + timedelta(days=30)  # the profile's 30 calendar days after receipt
    assert f"{due:%B} {due.day}, {due.year}" in cover and "Response due" in cover
    assert "Division of Rehabilitation Services" in cover and REF in cover
    assert "/s/ Dana Whitfield" in cover and "January 26, 2027" in cover  # signed on its date


def test_the_table_lists_every_item_with_its_exhibits_page_ids(answered: api.RespondResult) -> None:
    manifest = json.loads(answered.manifest.read_text())
    table = " ".join(text_of(answered.response, 2, 4).split())
    for item in manifest["response"]["items"]:
        assert f"Item {item['id']}" in table
        assert item["exhibits"], item
        for e in item["exhibits"]:
            assert f"PCC-R1-{e['first_page']:06d}" in table, (item["id"], e)


def test_exhibit_pages_carry_the_response_stamp_and_their_items(
    answered: api.RespondResult,
) -> None:
    manifest = json.loads(answered.manifest.read_text())
    pages = pages_of(answered.response)
    for n, text in enumerate(pages, start=1):
        assert f"Response to {REF}" in text and f"PCC-R1-{n:06d}" in text, n
    for item in manifest["response"]["items"]:
        for e in item["exhibits"]:
            for n in range(e["first_page"], e["last_page"] + 1):
                stamp = pages[n - 1]
                assert f"Item {item['id']}" in stamp or "Items " in stamp, (item["id"], n)
    # one exhibit answers items 1 and 4: placed once, naming both
    shared = [e for i in manifest["response"]["items"] for e in i["exhibits"]
              if e.get("file") == "uploads/herrera-experience-2027.pdf"]  # fmt: skip
    assert len({(e["first_page"], e["last_page"]) for e in shared}) == 1
    assert "Items 1, 4" in pages[shared[0]["first_page"] - 1]


def test_bookmarks_go_cover_table_changes_then_exhibits_by_item(
    answered: api.RespondResult,
) -> None:
    with pikepdf.open(answered.response) as pdf:
        pages = {p.objgen: i for i, p in enumerate(pdf.pages, start=1)}
        with pdf.open_outline() as outline:
            top = [(item.title, item) for item in outline.root]
            titles = [t for t, _ in top]
            assert titles[:3] == ["Cover letter", "Response table", "Changes since the base packet"]
            assert titles[3] == "The Department's letter"
            assert titles[4:8] == [f"Item {i}: exhibits" for i in ("1", "2", "3a", "4")]
            for _, item in top:
                dest = item.destination
                assert dest is not None and pages[dest[0].objgen] >= 1


def test_changes_name_exactly_what_changed_and_enclose_it(answered: api.RespondResult) -> None:
    m = json.loads((answered.packet.manifest).read_text())
    changed = {op["key"] for op in m["lifecycle"]["operations"] if op["operation"] != "unchanged"}
    # the manual and the letter changed; the final packet's crosswalk, which lists no responses
    # (a draft's readiness report does), did not
    assert changed == {"policy-manual", "staff:S-007:experience-proof"}
    changes = " ".join(text_of(answered.response, 1, 0).split())
    assert "Replaced Policies and procedures manual" in changes
    assert "Replaced Tomás Herrera: Case management" in changes  # the title wraps in its cell


def test_a_cap_shows_cause_correction_owner_date_and_how_it_is_sustained(
    agency: Path, tmp_path: Path, cli: Any
) -> None:
    r = cli("respond", agency, "cap-2027-02", "-o", tmp_path / "out", "-q")
    assert r.code == 0, r.err
    (pdf,) = (tmp_path / "out").glob("*-response-cap-77.pdf")
    table = " ".join(text_of(pdf, 2, 3).split())
    for words in ("Root cause", "Intake checklist did not list the release", "Owner",
                  "Dana Whitfield", "Target date", "March 15, 2027", "Quarterly audit"):  # fmt: skip
        assert words in table, words
    assert api.verify(pdf).ok


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda d: d["items"][0].update(answer=""), "response-item-unanswered"),
        (lambda d: d["items"][0].update(exhibits=["uploads/nowhere.pdf"]),
         "response-exhibit-missing"),
        (lambda d: d["items"][1].update(exhibits=[{"document": "policy-manual",
                                                   "chapter": "no-such-chapter"}]),
         "response-exhibit-missing"),
        (lambda d: d.update(kind="cap"), "cap-item-incomplete"),
    ],
)  # fmt: skip
def test_what_the_response_lacks_stops_it_and_nothing_is_written(
    agency: Path, tmp_path: Path, cli: Any, change: Any, code: str
) -> None:
    folder = tmp_path / "agency"
    shutil.copytree(agency, folder)
    data = rfi()
    change(data)
    write_response(folder, "rfi-2027-01", data)
    out = tmp_path / "out"
    r = cli("respond", folder, "rfi-2027-01", "-o", out)
    assert r.code == 1 and code in r.err, r.err
    assert "response.yaml:" in r.err  # the line the problem is on
    assert not out.exists()


def test_another_agency_s_base_is_refused(agency: Path, tmp_path: Path, cli: Any) -> None:
    folder = tmp_path / "agency"
    shutil.copytree(agency, folder)
    other = copy_sample(tmp_path / "other", lambda d: d["agency"].update(fein="36-1234567"))
    built = api.build(other, api.Options(quiet=True), out=tmp_path / "other-out")
    shutil.copyfile(built.packet, folder / "sent" / "other.pdf")
    write_response(folder, "rfi-2027-01", rfi(base="sent/other.pdf"))
    r = cli("respond", folder, "rfi-2027-01", "-o", tmp_path / "out")
    assert r.code == 1 and "response-base-mismatch" in r.err and "36-1234567" in r.err
    assert not (tmp_path / "out").exists()


def test_an_unreadable_base_exits_2(agency: Path, tmp_path: Path, cli: Any) -> None:
    folder = tmp_path / "agency"
    shutil.copytree(agency, folder)
    (folder / "sent" / "broken.pdf").write_bytes(b"%PDF-1.7\n%%EOF\n")
    write_response(folder, "rfi-2027-01", rfi(base="sent/broken.pdf"))
    r = cli("respond", folder, "rfi-2027-01", "-o", tmp_path / "out")
    assert r.code == 2 and "response-base-missing" in r.err and "Traceback" not in r.err
    assert not (tmp_path / "out").exists()


def test_the_default_output_never_overwrites_the_base(
    agency: Path, tmp_path: Path, cli: Any
) -> None:
    folder = tmp_path / "agency"
    shutil.copytree(agency, folder)
    write_response(folder, "rfi-2027-01", rfi(base="out/prairie-care-coordination-inc-packet.pdf"))
    (folder / "out").mkdir()
    shutil.copyfile(folder / "sent" / "prairie-care-coordination-inc-packet.pdf",
                    folder / "out" / "prairie-care-coordination-inc-packet.pdf")  # fmt: skip
    r = cli("respond", folder, "rfi-2027-01", "-o", folder / "out")
    assert r.code == 2 and "holds the base packet" in r.err
    r = cli("respond", folder, "rfi-2027-01", "-q")
    assert r.code == 0, r.err
    assert (folder / "responses" / "rfi-2027-01" / "out" / "response-manifest.json").is_file()


def test_validate_checks_every_response_folder_with_its_line(
    agency: Path, tmp_path: Path, cli: Any
) -> None:
    folder = tmp_path / "agency"
    shutil.copytree(agency, folder)
    data = rfi()
    data["items"][2]["answer"] = None
    write_response(folder, "rfi-2027-01", data)
    r = cli("validate", folder, "--format", "json")
    report = r.json()
    found = [f for f in report["findings"] if f["code"] == "response-item-unanswered"]
    assert r.code == 1 and len(found) == 1
    assert found[0]["location"].startswith("responses/rfi-2027-01/response.yaml:")
    assert {x["name"] for x in report["responses"]} == {"rfi-2027-01", "cap-2027-02"}
    due = next(x for x in report["responses"] if x["name"] == "rfi-2027-01")["due"]
    assert due == (RECEIVED + timedelta(days=30)).isoformat()
    text = cli("validate", folder).out
    assert "Responses to the Department:" in text and f"RFI {REF}, due {due}" in text


def test_the_letter_s_own_due_date_wins_and_lateness_is_a_warning(
    agency: Path, tmp_path: Path, cli: Any
) -> None:
    folder = tmp_path / "agency"
    shutil.copytree(agency, folder)
    data = rfi(date="2027-02-20")
    data["letter"]["due"] = "2027-02-01"
    write_response(folder, "rfi-2027-01", data)
    r = cli("respond", folder, "rfi-2027-01", "-o", tmp_path / "out", "-q")
    assert r.code == 0 and "due 2027-02-01" in r.err
    report = json.loads((tmp_path / "out" / "readiness.json").read_text())
    assert any(f["code"] == "response-overdue" for f in report["findings"])


def test_the_letter_and_tables_have_word_copies_with_their_words(
    answered: api.RespondResult,
) -> None:
    """The response's own documents come with Word copies made from the same source."""
    from tests.test_word_parity import coverage, docx_blocks, words

    names = {p.name: p for p in answered.documents}
    letter = names["response-response-letter.docx"]
    assert {"response-response-table.docx", "response-change-table.docx"} <= set(names)
    assert all(p.is_file() and p.stat().st_size > 0 for p in names.values())
    said = " ".join(docx_blocks(letter))
    assert REF in said and "/s/ Dana Whitfield" in said
    packet = words(text_of(answered.response, 1, 1))
    assert coverage(packet, words(said)) >= 0.8  # page 1 is the letter (its stamp aside)


def test_the_sample_s_rfi_answers_right_after_the_quick_start(
    tmp_path: Path, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README's steps on the sample: validate warns that the base is not built yet, build
    writes it, respond answers the RFI with every item, and the packet is unchanged."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    folder = copy_sample(tmp_path, responses=True)
    r = cli("validate", folder)
    assert (
        r.code == 0
        and "response-base-missing" in r.err + r.out
        and "does not exist yet" in (r.err + r.out)
    )
    assert cli("build", folder).code == 0
    r = cli("validate", folder)
    assert r.code == 0 and "response-base-missing" not in r.err + r.out
    assert "5 of 5 item(s) answered" in r.err + r.out
    r = cli("respond", folder, "rfi-2027-01")
    assert r.code == 0, r.err
    out = folder / "responses" / "rfi-2027-01" / "out"
    (response,) = out.glob("*-response-*.pdf")
    assert api.verify(response).ok
    table = " ".join(text_of(response, 2, 4).split())
    for item in ("Item 1", "Item 2", "Item 3", "Item 4", "Item 5"):
        assert item in table
    assert "No document is new, replaced or deleted since the base packet." in " ".join(
        text_of(response).split()
    )
    sent = " ".join(text_of(next((folder / "out").glob("*-packet.pdf"))).split())
    assert "0x" not in sent and "built-in method" not in sent


def test_a_base_whose_bytes_the_build_verified_is_not_verified_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_renderer: None
) -> None:
    """`respond` reads its base as untrusted input, but the page-by-page check is skipped when
    the cache says the build that wrote these very bytes verified them; a changed copy is
    checked (and fails) as before."""
    from cmpacket.cache import Cache
    from cmpacket.model import load_folder, load_response
    from cmpacket.pipeline import _responses
    from cmpacket.verify import _lifecycle

    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    folder = copy_sample(tmp_path, responses=True)
    cache_dir = tmp_path / "cache"
    api.build(folder, api.Options(quiet=True, cache_dir=cache_dir), out=folder / "out")
    data = load_folder(folder).data
    assert data is not None
    response, _ = load_response(folder, folder / "responses" / "rfi-2027-01")
    assert response is not None
    calls: list[Path] = []
    real = _lifecycle.verify_packet

    def counted(path: Path, **kw: Any) -> Any:
        calls.append(path)
        return real(path, **kw)

    monkeypatch.setattr(_lifecycle, "verify_packet", counted)
    state, _ = _responses.base_of(response, data, Cache(cache_dir))
    assert not state.problems and calls == []  # verified when built
    state, _ = _responses.base_of(response, data, Cache(tmp_path / "empty"))
    assert not state.problems and len(calls) == 1  # another cache: checked
    sent = folder / response.base
    raw = bytearray(sent.read_bytes())
    at = raw.index(b"stream\n") + 200  # a byte inside the first page's content
    raw[at] ^= 0x01
    sent.write_bytes(bytes(raw))
    state, _ = _responses.base_of(response, data, Cache(cache_dir))
    # other bytes: never taken as verified (unreadable, or checked and failing)
    assert state.unreadable or (len(calls) == 2 and state.problems)


def test_document_keys_are_the_plans_without_looking_up_a_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The keys a response's exhibits are checked against: every piece's `doc_key`, planned
    without resolving thousands of upload paths."""
    from cmpacket.model import load_folder
    from cmpacket.plan import _plan, doc_keys, plan

    data = load_folder(copy_sample(tmp_path)).data
    assert data is not None
    expected = {piece.doc_key for piece in plan(data)}

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("an upload path was looked up")

    monkeypatch.setattr(_plan, "resolve_upload", refuse)
    assert doc_keys(data) == expected and "staff-roster" in expected
    assert any(key.startswith("staff:") for key in expected)
