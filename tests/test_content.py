"""Content a reviewer would accept: program named, honest citations, the chapters a reviewer asks
for, the assurances statement instead of a self-drafted agreement, US English and no tool jargon.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from cmpacket.render._jinja import chapter_blocks
from cmpacket.templates import counties
from cmpacket.validators import load_profile
from tests.conftest import copy_sample, packet_of

PROGRAMS = {
    "il-guide": ("Case Management Services", ""),  # the guide's checklist names no program
    "il-fcm": ("Family Case Management", "77 Ill. Adm. Code 630"),
    "il-hsp-aids-waiver": (
        "Home Services Program case management for persons with HIV/AIDS",
        "89 Ill. Adm. Code 686 Subpart J",
    ),
}

# Each new chapter: its title in the manual and citations its text or basis line must carry.
CHAPTERS = {
    "Personnel policies": ["686.940(c)(2)", "salary schedule", "sick leave"],
    "Closure, transfer and discharge": ["630.70", "written notice at least 10 days"],
    "Incident, abuse, neglect and exploitation reporting": [
        "320 ILCS 20",
        "325 ILCS 5",
        "1-866-800-1409",
        "1-800-25-ABUSE",
        "1-800-368-1463",
        "59 Ill. Adm. Code 50.20(a)(2)",
        "within three months of hire",
    ],
    "Program integrity and exclusion screening": [
        "LEIE",
        "SAM.gov",
        "HFS Office of Inspector General sanctions list",
        "42 CFR 1001.1901",
        "89 Ill. Adm. Code 101.50",
    ],
    "Appeals and fair hearings": ["42 CFR 431 Subpart E", "89 Ill. Adm. Code 14"],
    "Conflict-free case management": ["441.301(c)(1)(vi)", "attests, as an entity"],
    "Language access and nondiscrimination": ["Title VI", "interpreters"],
    "Emergency preparedness and continuity of operations": ["priority list", "call tree"],
    "Confidentiality and release of information": [
        "740 ILCS 110/5",
        "calendar date on which it expires",
        "witnessed",
        "right to inspect and copy",
        "consequences, if any, of refusing",
        "42 CFR Part 2",
        "410 ILCS 305",
    ],
}

JARGON = re.compile(
    r"licence|centre|behavioural|person-centred|\bSPEC\b|il-guide|il-fcm|il-hsp-aids-waiver|"
    r"guide only|profile minimum|Requirement profile|\b17:00\b",
    re.IGNORECASE,
)


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00ad", ""))


@functools.cache  # the session's built packet is read by three tests
def _pages(pdf: Path) -> list[str]:
    return [_flat(p.extract_text() or "") for p in PdfReader(str(pdf)).pages]


def _docx_text(path: Path) -> str:
    from docx import Document

    doc = Document(str(path))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts += [c.text for c in row.cells]
    return _flat(" ".join(parts))


def _jargon(text: str) -> list[str]:
    return [m.group(0) for m in JARGON.finditer(text)]


# --- profiles -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_each_builtin_profile_names_its_program(name: str, cli: Any) -> None:
    title, citation = PROGRAMS[name]
    profile = load_profile(name)
    assert (profile.program["title"], profile.program["citation"]) == (title, citation)
    shown = cli("profiles", "show", name, "--format", "json").json()
    assert shown["program"]["title"] == title and shown["program"]["citation"] == citation
    text = cli("profiles", "show", name).out
    assert f"program: {title} ({citation})" in text if citation else "[not routable" in text


def test_a_malformed_program_is_a_profile_error(cli: Any, sample: Path) -> None:
    (sample / "p.yaml").write_text("extends: il-guide\nname: p\nprogram: Family Case Management\n")
    r = cli("validate", sample, "--profile", "p.yaml")
    assert r.code != 0 and "program" in (r.out + r.err) and "title" in (r.out + r.err)


def test_profile_citations_are_law_guide_or_docs_never_spec() -> None:
    for name in PROGRAMS:
        p = load_profile(name)
        for r in p.rules:
            assert "SPEC" not in r.citation and "guide only" not in r.citation, (name, r.code)
            assert r.title and r.title != r.code and r.section in "ABCDEFG", (name, r.code)
            assert not _jargon(r.title), (name, r.title)
        for t in p.policy_topics:
            assert "SPEC" not in t.get("citation", "") and "guide only" not in t["citation"]


def test_readiness_titles_and_sections_are_profile_data(tmp_path: Path) -> None:
    from cmpacket.render._readiness import requirements

    (tmp_path / "mine.yaml").write_text(
        "extends: il-guide\nname: mine\nrules:\n"
        "  - code: fein-invalid\n    title: Taxpayer number on file\n    section: B\n"
    )
    profile = load_profile("mine.yaml", tmp_path)
    rows = {r["code"]: r for r in requirements(profile, {"findings": []})}
    assert rows["fein-invalid"]["title"] == "Taxpayer number on file"
    assert rows["fein-invalid"]["ref"] == "section/B"
    # inherited from il-guide's shared defaults, in US English
    assert rows["license-expired"]["title"] == "Licenses current on the as-of date"
    assert rows["license-expired"]["section"] == "G"


def test_citations_fixed_where_the_rule_text_says_otherwise() -> None:
    guide, fcm, hsp = (load_profile(n) for n in ("il-guide", "il-fcm", "il-hsp-aids-waiver"))
    topics = {t["key"]: t for t in guide.policy_topics}
    # 686.940(c)(2) is the personnel-policy paragraph, not a customer grievance procedure
    assert "686.940(c)(2)" not in topics["grievances"]["citation"]
    assert "686.940(c)(2)" in topics["personnel"]["citation"]
    # FCM: the case manager is an RN; an LSW/LCSW only supervises
    assert all(p.get("licenses") == ["RN"] for p in fcm.qualification_paths["case-manager"])
    # HSP: 686.930(b)(1) - one face-to-face visit and two other contacts a month
    contact = hsp.rule("contact-frequency-missing")
    assert contact is not None and "two other contacts" in contact.params["must_mention"]
    assert "two other contacts" in contact.citation
    # HSP: provisional case managers need the same 686.920(b) entry paths, nothing looser
    assert (
        hsp.qualification_paths["provisional-case-manager"]
        == (hsp.qualification_paths["case-manager"])
    )
    # the 30-customer cap is the guide's number, never "verified", and stated as the agency's own
    # adopted standard, never as the guide's (a private publication, not the Department's)
    for p in (guide, hsp):
        cap = p.rule("caseload-over-limit")
        assert cap is not None and not cap.verified and "guide" not in cap.citation
        assert "agency's own adopted standard" in cap.citation
        assert "probably" not in cap.citation
    assert fcm.rule("caseload-over-limit") is None
    # 686.920 is marked verified only where the paths are 686.920's own
    assert guide.rule("qualification-not-met").verified is False  # type: ignore[union-attr]
    assert hsp.rule("qualification-not-met").verified is True  # type: ignore[union-attr]
    assert "686.920(b)" in hsp.rule("qualification-not-met").citation  # type: ignore[union-attr]


def test_every_builtin_profile_lists_the_chapters_a_reviewer_asks_for() -> None:
    needed = {
        "closure-transfer",
        "incident-reporting",
        "program-integrity",
        "appeals",
        "conflict-free",
        "language-access",
        "emergency-preparedness",
        "personnel",
        "confidentiality",
        "background-checks",
        "training",
        "grievances",
        "quality-assurance",
        "records-retention",
        "crisis-services",
        "caseload",
    }
    for name in PROGRAMS:
        keys = {t["key"] for t in load_profile(name).policy_topics}
        assert needed <= keys, (name, needed - keys)


# --- rendering slips ------------------------------------------------------------------------


def test_an_unindented_line_after_a_list_is_a_paragraph_not_part_of_the_last_bullet() -> None:
    blocks = chapter_blocks("- first\n- the last bullet.\nThe supervisor reviews every caseload.")
    assert blocks == [
        {"kind": "ul", "bullets": ["first", "the last bullet."]},
        {"kind": "p", "text": "The supervisor reviews every caseload."},
    ]


def test_an_indented_line_continues_its_bullet() -> None:
    blocks = chapter_blocks("- a long bullet that\n  wraps onto a second line\n- next")
    assert blocks == [
        {"kind": "ul", "bullets": ["a long bullet that wraps onto a second line", "next"]}
    ]


def _render(name: str, **context: Any) -> str:
    from cmpacket.templates import BUILTIN_ROOT, TemplateRegistry

    return TemplateRegistry([BUILTIN_ROOT]).env.get_template(name).render(context)


def test_a_grievance_contact_ending_in_a_phone_number_keeps_the_next_bullet_separate() -> None:
    text = _render(
        "policies/grievances.txt.j2",
        policies={"grievance_contact": "Renee Okafor, Coordinator, 217-555-0142"},
        administrator_title="Executive Director",
    )
    bullets = next(b for b in chapter_blocks(text) if b["kind"] == "ul")["bullets"]
    assert bullets[0].endswith("217-555-0142.")
    assert bullets[1].startswith("The complaint is logged the same day")


def test_the_crisis_addition_sits_in_the_response_list_not_after_the_crisis() -> None:
    from cmpacket.render import policy_chapters
    from cmpacket.templates import BUILTIN_ROOT, TemplateRegistry

    extra = "In Logan County the on-call staff member calls the county mobile crisis team."
    context = {
        "agency": {"display_name": "Acme", "counties": ["Logan", "Christian"]},
        "policies": {
            "crisis_line": "217-555-0199",
            "after_hours": "on-call rotation",
            "additions": {"crisis-services": extra},
        },
        "administrator_title": "Executive Director",
        "profile": {
            "topics": [{"key": "crisis-services", "title": "Emergency and crisis services"}]
        },
    }
    (chapter,) = policy_chapters(TemplateRegistry([BUILTIN_ROOT]), context)
    blocks = chapter["blocks"]
    heads = [b["text"] for b in blocks if b["kind"] == "h"]
    response = blocks[[i for i, b in enumerate(blocks) if b.get("text") == "Response"][0] + 1]
    assert extra in response["bullets"] and heads.index("Response") < heads.index(
        "After the crisis"
    )
    assert sum(extra in str(b) for b in blocks) == 1
    assert "Logan and Christian Counties" in str(blocks[0])


def test_counties_filter_names_the_counties() -> None:
    assert counties(["Sangamon", "Menard", "Logan", "Christian"]) == (
        "Sangamon, Menard, Logan and Christian Counties"
    )
    assert counties(["Sangamon County"]) == "Sangamon County"
    assert counties([]) == ""


# --- the built sample packet ----------------------------------------------------------------


@pytest.mark.e2e
def test_sample_packet_has_every_chapter_with_its_citations(built: Path) -> None:
    text = " ".join(_pages(packet_of(built)))
    for title, needles in CHAPTERS.items():
        heads = list(re.finditer(rf"\b(\d{{1,2}})\. {re.escape(title)}", text))
        assert heads, title
        number = int(heads[-1].group(1))
        after = re.compile(rf"\b{number + 1}\. [A-Z]|Board Resolution").search(
            text, heads[-1].end()
        )
        chapter = text[heads[-1].start() : after.start() if after else None]
        for needle in needles:  # spaces ignored: pdftotext keeps line breaks after hyphens
            assert needle.replace(" ", "") in chapter.replace(" ", ""), (title, needle)


@pytest.mark.e2e
def test_sample_packet_and_word_copies_are_in_us_english_without_tool_jargon(built: Path) -> None:
    for number, page in enumerate(_pages(packet_of(built)), start=1):
        assert not _jargon(page), (number, _jargon(page))
    for docx in sorted((built / "documents").glob("*.docx")):
        assert not _jargon(_docx_text(docx)), (docx.name, _jargon(_docx_text(docx)))


@pytest.mark.e2e
def test_sample_section_b_is_a_statement_of_assurances_that_binds_only_the_agency(
    built: Path,
) -> None:
    pages = _pages(packet_of(built))
    text = " ".join(pages)
    assert (
        "Statement of Assurances and Intent to Execute the Department's Written Agreement" in text
    )
    assert (
        "commits the Agency only" in text
        and "sets no term, date or duty for the Department" in text
    )
    assert "This agreement is made between" not in text and "For the Department" not in text
    assert "the written agreement with the Department (section B)" not in text
    assert (
        "statement of assurances and intent to execute the Department's written agreement" in text
    )


@pytest.fixture(scope="module")
def programs_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache for the builds of the sample under each program: what no profile changes (the
    uploads taken in, documents that do not name the program) is made once."""
    return tmp_path_factory.mktemp("programs") / "cache"


@pytest.mark.e2e
@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_cover_letter_and_readiness_name_the_program(
    name: str, tmp_path: Path, programs_cache: Path
) -> None:
    from cmpacket import api

    title, citation = PROGRAMS[name]
    folder = copy_sample(tmp_path)
    api.build(
        folder,
        api.Options(quiet=True, cache_dir=programs_cache, profile=name, draft=True),
        out=tmp_path / "out",
    )
    pages = _pages(packet_of(tmp_path / "out"))
    cover, readiness = pages[0], next(p for p in pages if "Each requirement below is checked" in p)
    letter = next(p for p in pages if "Dear Reviewer" in p)
    for page in (cover, readiness, letter):
        assert title in page and citation in page, (name, page[:300])
    assert not _jargon(" ".join(pages)), (name, _jargon(" ".join(pages)))
    manual = " ".join(p for p in pages if "Policies and Procedures" in p)
    if name == "il-hsp-aids-waiver":
        assert "is a Medicaid home and community-based services waiver program" in manual
        assert "two other contacts" in manual and "89 Ill. Adm. Code 686.910(a)(2)" in manual
    if name == "il-fcm":
        assert "carries no more than 30 customers" not in manual
        assert "follow the standard the Department sets" in manual
