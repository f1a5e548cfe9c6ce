"""Long lists laid out in page-sized parts: the roster, the readiness report's evidence list and
the index (plan/_pages.py). Parts fill their page without running a row onto a page of its own,
later parts keep the running head, and the Word copy holds the whole list."""

from __future__ import annotations

import json
import re
import shutil
import sys
from collections import Counter
from pathlib import Path

import pytest

from cmpacket.plan import evidence_parts, index_parts, pack, roster_parts, wrapped
from cmpacket.plan._pages import (
    EVIDENCE_INLINE,
    INDEX_FIRST_POINTS,
    INDEX_INLINE,
    INDEX_PAGE_POINTS,
    index_entry_points,
    roster_row_lines,
)
from tests.conftest import packet_of
from tests.plugins.fake_renderer import faked

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def test_wrapped_counts_lines_by_words() -> None:
    assert wrapped("", 10) == 1
    assert wrapped("Case Manager", 11) == 2  # the words do not fit one line together
    assert wrapped("Case Manager", 12) == 1
    assert wrapped("x" * 25, 10) == 3  # a word longer than a line is broken


def test_pack_fills_each_part_to_its_budget() -> None:
    parts = pack(list(range(10)), lambda _: 2.0, first=5, later=9, padding=0.5)
    assert [len(p) for p in parts] == [2, 3, 3, 2]
    assert pack([], lambda _: 1.0) == [[]]  # a list with no rows still has its (empty) part
    big = pack([1], lambda _: 100.0)  # a row taller than a page still gets a part
    assert big == [[1]]


def _row(name: str, degrees: int = 1, licenses: int = 1) -> dict:
    return {
        "name": name,
        "position_title": "Case Manager",
        "degrees": ["Bachelor's in social work, Illinois State University 2018"] * degrees,
        "licenses": [{"type": "LSW", "number": "150.100000"}] * licenses,
        "exclusion_check": {"date": "2026-11-16"},
    }


def test_roster_rows_with_more_credentials_take_more_room() -> None:
    assert roster_row_lines(_row("A B", degrees=3)) > roster_row_lines(_row("A B"))
    plain = roster_parts([_row(f"Staff {i}") for i in range(60)])
    heavy = roster_parts([_row(f"Staff {i}", degrees=2, licenses=2) for i in range(60)])
    assert len(heavy) > len(plain) > 1
    assert len(plain[0]) < len(plain[1])  # the first page also holds the title


def _evidence_row(i: int) -> dict:
    proofs = [
        {
            "proof": "LSW 150.100000",
            "checked": True,
            "complete": True,
            "matched": [],
            "mismatched": [],
        },
        {
            "proof": "Registry printout",
            "checked": True,
            "complete": True,
            "matched": [],
            "mismatched": [],
        },
    ]
    return {"staff": f"Staff {i}", "staff_id": f"S-{i:04d}", "proofs": proofs}


def test_a_short_evidence_list_stays_with_the_report() -> None:
    rows = [_evidence_row(i) for i in range(EVIDENCE_INLINE)]
    assert evidence_parts(rows) == [rows]
    long = [_evidence_row(i) for i in range(300)]
    parts = evidence_parts(long)
    assert len(parts) > 3 and [r for p in parts for r in p] == long


def _entry(i: int, level: str = "staff", title: str = "") -> dict:
    title = title or f"Staff {i} \u2014 qualifications and licensure proofs (3)"
    return {"level": level, "title": title, "ref": f"staff/S-{i:04d}", "part": 0, "key": ""}


def test_a_short_index_is_laid_out_whole_and_a_long_one_in_page_sized_parts() -> None:
    short = [_entry(i) for i in range(INDEX_INLINE)]
    assert index_parts(short) == [short]
    long = [_entry(i, "section" if i % 40 == 0 else "staff") for i in range(400)]
    parts = index_parts(long)
    assert [r for p in parts for r in p] == long and len(parts) > 10
    assert len(parts[0]) < len(parts[1])  # the first page also holds the title
    for k, part in enumerate(parts[:-1]):  # each part fills its page, never more
        room = INDEX_FIRST_POINTS if k == 0 else INDEX_PAGE_POINTS
        used = sum(index_entry_points(r) for r in part)
        assert room - index_entry_points(_entry(0, "section")) < used <= room
    # a title that wraps, a section's space above it, a part name: each takes more room
    plain = index_entry_points(_entry(1))
    assert index_entry_points(_entry(1, title="Proofs of " + "a long name " * 12)) > plain
    assert index_entry_points(_entry(1, "section")) > plain
    assert index_entry_points(dict(_entry(1), part=3)) >= plain
    # a change mark never moves a row: a packet after a base is cut as the base was
    marked = [dict(r, change="replaced") for r in long]
    assert [len(p) for p in index_parts(marked)] == [len(p) for p in parts]


@pytest.fixture(scope="module")
def long_built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic agency of 45 staff (benchmarks/make_agency.py), built once as a draft: the
    long evidence list is the draft's readiness report's (a final packet has the crosswalk).
    Built into an empty cache of its own (CACHE beside OUT), which a rebuild with an overridden
    template reuses for every document the override does not change."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        from make_agency import make
    finally:
        sys.path.remove(str(BENCHMARKS))
    from cmpacket import api

    base = tmp_path_factory.mktemp("long")
    agency = make(45, 3, 1, base / "agency", realistic=False)
    options = api.Options(quiet=True, cache_dir=base / "cache", ocr="never", draft=True)
    with faked(real={"staff-roster.html.j2", "readiness-report.html.j2", "index.html.j2"}):
        result = api.build(agency, options, out=base / "out")  # what the tests read laid out
    (base / "rebuilt.json").write_text(json.dumps(result.rebuilt))
    return base / "out"


def _pages_of(out: Path, kind: str) -> list[str]:
    from pypdf import PdfReader

    manifest = json.loads((out / "manifest.json").read_text())
    doc = next(d for s in manifest["sections"] for d in s["documents"] if d["kind"] == kind)
    reader = PdfReader(packet_of(out))
    return [
        reader.pages[n - 1].extract_text() for n in range(doc["first_page"], doc["last_page"] + 1)
    ]


@pytest.mark.e2e
def test_roster_parts_fill_their_pages(long_built: Path) -> None:
    pages = _pages_of(long_built, "staff-roster")
    rows = [len(re.findall(r"\bS-\d{4}\b", text)) for text in pages]
    assert sum(rows) == 45
    # no page of a row or two between parts (a row is six lines: the re-check and APS search too)
    assert all(n >= 6 for n in rows[:-1]), rows
    assert all("Staff Qualifications Roster" in text for text in pages)  # the running head


@pytest.mark.e2e
def test_a_long_index_is_laid_out_in_parts_that_fill_their_pages(long_built: Path) -> None:
    import pikepdf

    laid_out = json.loads((long_built.parent / "rebuilt.json").read_text())
    parts = laid_out.count("pdf:index.html.j2")
    pages = _pages_of(long_built, "index")
    assert parts > 1 and len(pages) == parts, (parts, len(pages))  # a part a page
    staff = re.findall(
        r"(\S+ \S+ \d+) \u2014 qualifications and licensure proofs", "\n".join(pages)
    )
    assert staff == [f"{name.rsplit(' ', 1)[0]} {i}" for i, name in enumerate(staff, 1)]
    assert len(staff) == 45  # every staff member once, in the packet's order
    assert all("Index" in p.splitlines() for p in pages[1:])  # the running head
    assert sum("Section and document" in p for p in pages) == 1  # the header row once
    # every entry links to its first page; no part leaves half its page empty
    manifest = json.loads((long_built / "manifest.json").read_text())
    doc = next(d for s in manifest["sections"] for d in s["documents"] if d["kind"] == "index")
    first = {f"staff/{d['staff_id']}": d["first_page"] for s in manifest["sections"]
             for d in reversed(s["documents"]) if d.get("staff_id")}  # fmt: skip
    targets: list[list[int]] = []
    with pikepdf.open(packet_of(long_built)) as pdf:
        for n in range(doc["first_page"], doc["last_page"] + 1):
            annots = [a for a in pdf.pages[n - 1].obj.get("/Annots") or [] if a.get("/Dest")]
            targets.append([pdf.pages.index(pikepdf.Page(a.Dest[0])) + 1 for a in annots])
    entries = [len(t) for t in targets]
    assert entries[0] >= 12 and all(n >= 24 for n in entries[1:-1]), entries
    linked = {page for t in targets for page in t}
    assert set(first.values()) <= linked  # each staff member's line links to their proofs


@pytest.mark.e2e
def test_a_long_index_after_a_base_marks_changes_and_ends_with_what_was_deleted(
    long_built: Path, tmp_path: Path
) -> None:
    import yaml

    from cmpacket import api

    agency, cache = tmp_path / "agency", tmp_path / "cache"
    shutil.copytree(long_built.parent / "agency", agency)
    shutil.copytree(long_built.parent / "cache", cache)
    data = yaml.safe_load((agency / "agency.yaml").read_text())
    gone = data["staff"].pop()  # they left: their proofs are deleted since the base
    (agency / "agency.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    options = api.Options(
        quiet=True, ocr="never", draft=True, cache_dir=cache, base=packet_of(long_built)
    )
    with faked(real={"index.html.j2"}):
        api.build(agency, options, out=tmp_path / "out")
    pages = _pages_of(tmp_path / "out", "index")
    before = _pages_of(long_built, "index")
    assert len(pages) == len(before)  # the marks move no entry to another part
    assert "sequence 1, built after" in pages[0]
    ending = [i for i, p in enumerate(pages) if "Deleted since" in p]
    assert ending == [len(pages) - 1], ending  # the deleted list ends the index, once
    assert pages[-1].count(gone["name"]) >= 1 and gone["name"] not in "".join(pages[:-1])


@pytest.mark.e2e
def test_a_long_evidence_list_is_laid_out_in_parts_and_links_every_staff_member(
    long_built: Path,
) -> None:
    import pikepdf
    from docx import Document

    readiness = json.loads((long_built / "readiness.json").read_text())
    evidence = readiness["evidence"]
    # per person: license, Registry printout, diploma, Registry re-check, APS Registry search
    assert len(evidence) == 225 and all(e["checked"] and not e["mismatched"] for e in evidence)
    pages = _pages_of(long_built, "readiness-report")
    text = "\n".join(pages)
    listed = re.findall(r"\((S-\d{4})\):", text[text.index("Evidence: proofs read against") :])
    assert sorted(listed) == [f"S-{i:04d}" for i in range(1, 46)]  # each staff member once
    assert len(pages) >= 3 and all("Readiness report" in p for p in pages[1:])

    manifest = json.loads((long_built / "manifest.json").read_text())
    doc = next(
        d for s in manifest["sections"] for d in s["documents"] if d["kind"] == "readiness-report"
    )
    pdf = pikepdf.open(packet_of(long_built))
    targets = Counter()
    for n in range(doc["first_page"], doc["last_page"] + 1):
        for annot in pdf.pages[n - 1].obj.get("/Annots") or []:
            dest = annot.get("/Dest")
            if dest is not None:
                targets[pdf.pages.index(pikepdf.Page(dest[0])) + 1] += 1
    first: dict[str, int] = {}  # each staff member's first proof page: their line links to it
    for e in evidence:
        sid = e["path"].split("]")[0]
        first[sid] = min(first.get(sid, e["page"]), e["page"])
    assert set(first.values()) <= set(targets)

    # the Word copy holds the whole list, with the same page numbers
    word = Document(str(long_built / "documents" / "readiness-report.docx"))
    lines = [p.text for p in word.paragraphs if re.match(r".+ \(S-\d{4}\): ", p.text)]
    assert len(lines) == 45
    # each line ends with the pages of that person's proofs, as in the packet
    shown = sorted(int(m) for ln in lines for m in re.findall(r"pp?\. (\d+)", ln))
    assert shown == sorted(first.values())


@pytest.mark.e2e
def test_an_override_that_does_not_read_chunk_is_laid_out_whole(
    long_built: Path, tmp_path: Path
) -> None:
    from cmpacket import api

    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "readiness-report.html.j2").write_text(
        '{% extends "_base.html.j2" %}{% block body %}<h1>Our readiness report</h1>'
        "{% for e in evidence %}<p>{{ e.staff_id }} listed</p>{% endfor %}{% endblock %}"
    )
    out = tmp_path / "out"
    cache = tmp_path / "cache"  # a copy: only the readiness report is laid out again
    shutil.copytree(long_built.parent / "cache", cache)
    options = api.Options(
        quiet=True, ocr="never", template_dirs=(templates,), draft=True, cache_dir=cache
    )
    with faked(real={"readiness-report.html.j2"}):  # as the cache was filled
        result = api.build(long_built.parent / "agency", options, out=out)
    assert [r for r in result.rebuilt if r.startswith("pdf:")] == ["pdf:readiness-report.html.j2"]
    pages = _pages_of(out, "readiness-report")
    text = "\n".join(pages)
    # one flow of 45 short lines: two pages, not a report part and two list parts of a page each
    assert len(pages) <= 2 and "Our readiness report" in pages[0].splitlines()[:4]
    assert sorted(re.findall(r"(S-\d{4}) listed", text)) == [f"S-{i:04d}" for i in range(1, 46)]


@pytest.mark.e2e
def test_a_first_builds_findings_are_grouped_by_code_in_the_draft(tmp_path: Path) -> None:
    """Thousands of findings are counted by kind in the packet (as validate prints them), five
    of each shown; readiness.json keeps every one."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        from make_agency import make
    finally:
        sys.path.remove(str(BENCHMARKS))
    from cmpacket import api

    agency = make(24, 3, 1, tmp_path / "agency")
    options = api.Options(quiet=True, no_cache=True, ocr="never", draft=True)
    with faked(real={"readiness-report.html.j2"}):  # the one document it reads
        api.build(agency, options, out=tmp_path / "out")
    findings = json.loads((tmp_path / "out" / "readiness.json").read_text())["findings"]
    by_code = Counter(f["code"] for f in findings)
    many = [code for code, n in by_code.items() if n > 5]
    assert many, by_code  # the realistic agency has kinds of finding seen more than five times
    text = "\n".join(_pages_of(tmp_path / "out", "readiness-report"))
    text = re.sub(r"\s+", " ", text)
    for code in many:
        assert f"… and {by_code[code] - 5} more {code} finding" in text
    for code, n in by_code.items():
        assert re.search(rf"{re.escape(code)} · {n} ", text), code
    # a kind seen more than five times shows five messages, not all of them
    code = many[0]
    messages = [f["message"] for f in findings if f["code"] == code]
    shown = [m for m in messages if re.sub(r"\s+", " ", m)[:60] in text]
    assert len(shown) <= 5 < len(messages)
    # what lapses within 90 days, likewise: by kind, ten of each shown and the rest counted
    lapsing = json.loads((tmp_path / "out" / "readiness.json").read_text())["lapsing"]
    kinds = Counter(o["kind"] for o in lapsing["obligations"])
    crowded = [kind for kind, n in kinds.items() if n > 10]
    assert crowded, kinds
    for kind in crowded:
        listed = [o for o in lapsing["obligations"] if o["kind"] == kind]
        overdue = sum(1 for o in listed if o["overdue"])
        assert f" · {len(listed)}" + (f", {overdue} overdue" if overdue else "") in text, kind
        assert f"… and {len(listed) - 10} more of this kind" in text, kind
        assert sum(1 for o in listed if o["summary"] in text) <= 10


def test_the_benchmark_agency_with_its_roster_in_staff_csv_is_the_same_agency(
    tmp_path: Path,
) -> None:
    """`make_agency.py --roster csv` (agencies of thousands: agency.yaml refuses more than
    200,000 values) writes the same staff into staff.csv: validate reads them there, with the
    same findings but the payroll field a roster cannot carry."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        from make_agency import make
    finally:
        sys.path.remove(str(BENCHMARKS))
    from cmpacket import api

    inline = make(6, 2, 1, tmp_path / "inline")
    roster = make(6, 2, 1, tmp_path / "roster", roster="csv")
    assert (roster / "staff.csv").is_file() and not (inline / "staff.csv").exists()
    found = {}
    for name, folder in (("inline", inline), ("roster", roster)):
        checked = api.check_folder(folder, ocr="never")
        assert checked.data is not None and len(checked.data.staff) == 6
        found[name] = Counter(f.code for f in checked.report.findings if f.code != "unknown-field")
    assert found["inline"] == found["roster"] and sum(found["roster"].values()) > 6
