"""The Word copies hold the packet's words: each document is defined once (its HTML template) and
its Word copy is made from the HTML its packet pages were laid out from, so they cannot drift."""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pypdf
import pytest
from docx import Document

from cmpacket import api
from cmpacket.templates import BUILTIN_ROOT
from tests.conftest import copy_sample, packet_of

pytestmark = pytest.mark.e2e

STAMP = re.compile(r"\|\s*Page \d+ of \d+\s*\|")  # the footer stamp line of every packet page
WORDS_WITHOUT_COPY = {
    "cover",
    "index",
    "part-cover",
    "upload",
}  # front matter, part covers, uploads
# a response packet's own documents: `respond` writes their Word copies (tests/test_respond.py)
RESPONSE_KINDS = {"response-letter", "response-table", "change-table"}
PARITY = 0.95


def words(text: str) -> Counter[str]:
    """Word tokens: runs of letters and digits, case-folded, after Unicode compatibility folding
    (so a ligature or a non-breaking space reads as in the other copy; punctuation, dashes and the
    underscores of blank lines are not words)."""
    return Counter(re.findall(r"[^\W_]+", unicodedata.normalize("NFKC", text).casefold()))


def coverage(packet: Counter[str], word: Counter[str]) -> float:
    """The share of the packet's words, counted with repeats, that the Word copy holds: a word
    the packet shows three times must be in the Word copy three times to count three times."""
    total = sum(packet.values())
    return sum(min(n, word[w]) for w, n in packet.items()) / total if total else 1.0


def docx_blocks(path: Path) -> Iterator[str]:
    """Every paragraph of a Word file, in body order, table cells (and tables in them) included;
    a picture (the organization chart) by its alternative text, which holds the drawing's words."""
    doc = Document(str(path))

    def walk(container: Any) -> Iterator[str]:
        for block in container.iter_inner_content():
            if hasattr(block, "rows"):
                for row in block.rows:
                    seen: set[int] = set()
                    for cell in row.cells:
                        if id(cell._tc) not in seen:  # a merged cell is listed once per column
                            seen.add(id(cell._tc))
                            yield from walk(cell)
            else:
                yield block.text
                for pr in block._p.xpath(".//wp:docPr"):
                    yield pr.get("descr") or ""

    yield from walk(doc)


def heading(path: Path) -> str:
    doc = Document(str(path))
    return next(p.text for p in doc.paragraphs if p.style.name == "Heading 1")


def packet_text(reader: pypdf.PdfReader, doc: dict[str, Any], title: str) -> str:
    """The text of a document's packet pages without the stamp line and, from its second page
    on, the running header (the document's title, which the Word copy shows in its page header)."""
    lines = []
    for number in range(doc["first_page"], doc["last_page"] + 1):
        page = reader.pages[number - 1].extract_text().splitlines()
        page = [line for line in page if not STAMP.search(line)]
        if number > doc["first_page"]:
            for header in (title, f"{title} (continued)"):
                if header in page:
                    page.remove(header)
        lines += page
    return "\n".join(lines)


def documents(out: Path) -> list[tuple[dict[str, Any], Path]]:
    """Each generated document of the packet with its Word copy (job descriptions by title)."""
    man = json.loads((out / "manifest.json").read_text())
    copies = {p.name: p for p in (out / "documents").glob("*.docx")}
    pairs = []
    for doc in (d for s in man["sections"] for d in s["documents"]):
        if doc["kind"] in WORDS_WITHOUT_COPY:
            continue
        if doc["kind"] == "job-description":
            name = next(
                n
                for n, p in copies.items()
                if n.startswith("job-description-")
                and doc["title"] == f"Job description: {heading(p)}"
            )
        elif doc["title"] == "Crosswalk of program requirements":  # a final packet's report
            name = "crosswalk.docx"
        else:
            name = f"{doc['kind']}.docx"
        pairs.append((doc, copies.pop(name)))
    assert not copies, f"Word copies with no packet document: {sorted(copies)}"
    return pairs


def test_every_word_copy_holds_its_packet_documents_words(built: Path) -> None:
    reader = pypdf.PdfReader(packet_of(built))
    pairs = documents(built)
    kinds = {doc["kind"] for doc, _ in pairs}
    assert kinds == {
        "readiness-report",
        "application-summary",
        "agreement",
        "job-description",
        "policy-manual",
        "service-settings",
        "records-attestation",
        "staff-roster",
        # SPEC §19: the board roster, the organization chart, the on-call schedule and the forms
        "board-roster",
        "organization-chart",
        "on-call-schedule",
        "release-of-information",
        "consent-for-services",
        "customer-rights",
        "grievance-appeal-notice",
        "incident-report",
        "assessment-template",
        "service-plan-template",
    }
    builtin_kinds = {p.name.split(".")[0] for p in BUILTIN_ROOT.glob("*.html.j2")}
    partials = {"_base", "_placeholder", "_signature", "_empty-section", "_form"}
    assert builtin_kinds - partials <= kinds | WORDS_WITHOUT_COPY | RESPONSE_KINDS
    assert sum(doc["kind"] == "job-description" for doc, _ in pairs) == 6
    shortfalls = []
    for doc, copy in pairs:
        packet = words(packet_text(reader, doc, heading(copy)))
        word = words("\n".join(docx_blocks(copy)))
        assert sum(packet.values()) > 40, doc["title"]
        share = coverage(packet, word)
        if share < PARITY:
            missing = sorted((packet - word).elements())[:40]
            shortfalls.append(f"{copy.name}: {share:.1%} of the packet's words; missing {missing}")
    assert not shortfalls, "\n".join(shortfalls)


def test_the_measure_catches_a_missing_clause(built: Path) -> None:
    """The old kind of drift (a Word copy without its last clauses and signature) fails it."""
    reader = pypdf.PdfReader(packet_of(built))
    doc, copy = next(pair for pair in documents(built) if pair[0]["kind"] == "agreement")
    packet = words(packet_text(reader, doc, heading(copy)))
    blocks = list(docx_blocks(copy))
    cut = (
        len(blocks) * 6 // 10
    )  # the last clauses and the signature lost, as the old copy lost them
    assert coverage(packet, words("\n".join(blocks))) >= PARITY
    assert coverage(packet, words("\n".join(blocks[:cut]))) < PARITY


def test_page_references_in_word_copies_match_the_packet(built: Path) -> None:
    man = json.loads((built / "manifest.json").read_text())
    reader = pypdf.PdfReader(packet_of(built))
    pieces = [d for s in man["sections"] for d in s["documents"]]
    # not \b: two boxes on one line read "p. 81p. 77" in the extracted text
    pattern = re.compile(r"(?<![A-Za-z])pp?\. \d+(?:\u2013\d+)?")

    def refs_in_packet(kind: str) -> Counter[str]:
        doc = next(d for d in pieces if d["kind"] == kind)
        pages = range(doc["first_page"], doc["last_page"] + 1)
        return Counter(
            pattern.findall("\n".join(reader.pages[n - 1].extract_text() for n in pages))
        )

    # the final packet's crosswalk: the "Answered on" column, the pages of the section or the
    # documents (a board resolution, an approval, each proof) that answer each requirement
    assert not (built / "documents" / "readiness-report.docx").exists()  # named as its title
    report = Document(str(built / "documents" / "crosswalk.docx"))
    table = report.tables[0]
    header = [c.text for c in table.rows[0].cells]
    rows = {r.cells[0].text: r.cells[header.index("Answered on")].text for r in table.rows[1:]}
    agreement = rows["Assurances and intent to execute the Department's written agreement"]
    (b,) = [s for s in man["sections"] if s["letter"] == "B"]
    span = f"{b['first_page']}\u2013{b['last_page']}"
    assert agreement == f"Section B. Statement of assurances, pp. {span}"
    starts = {d["first_page"] for d in pieces}
    cited = [int(m) for v in rows.values() for m in re.findall(r"pp?\. (\d+)", v)]
    assert len(rows) >= 20 and set(cited) <= starts | {s["first_page"] for s in man["sections"]}
    # every page reference of the crosswalk as in the packet
    cells = "\n".join(c.text for t in report.tables for r in t.rows for c in r.cells)
    lines = "\n".join(p.text for p in report.paragraphs)
    shown = Counter(pattern.findall(cells)) + Counter(pattern.findall(lines))
    assert shown == refs_in_packet("readiness-report")

    # roster: the Proofs column, each the pages of that person's proofs
    spans: dict[str, tuple[int, int]] = {}
    for d in pieces:
        if d.get("staff_id"):
            first, last = spans.get(d["staff_id"], (d["first_page"], d["last_page"]))
            spans[d["staff_id"]] = (min(first, d["first_page"]), max(last, d["last_page"]))
    table = Document(str(built / "documents" / "staff-roster.docx")).tables[0]
    proofs = {}
    for row in table.rows[1:]:
        staff_id = row.cells[0].text.split("\n")[-1]
        proofs[staff_id] = row.cells[-1].text
    assert len(proofs) == 9  # every row in one table, though the packet lays it out in parts
    for staff_id, (first, last) in spans.items():
        expected = f"p. {first}" if first == last else f"pp. {first}\u2013{last}"
        assert proofs[staff_id] == expected, staff_id
    assert Counter(v for v in proofs.values() if v != "\u2014") == refs_in_packet("staff-roster")


EXTRA_CLAUSE = (
    "<h2>6. Quokkaproof ledger</h2>\n<p>The Agency keeps a zephyrine ledger of every change to "
    "this agreement, signed by both parties.</p>\n"
)


@pytest.fixture(scope="module")
def overridden(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample built with its own agreement.html.j2: the built-in one plus a clause."""
    base = tmp_path_factory.mktemp("overridden")
    folder = copy_sample(base)
    text = (BUILTIN_ROOT / "agreement.html.j2").read_text()
    text = text.replace('<div class="signing">', EXTRA_CLAUSE + '<div class="signing">')
    assert "zephyrine" in text
    (folder / "templates" / "agreement.html.j2").write_text(text)
    form = (BUILTIN_ROOT / "incident-report.html.j2").read_text()
    form = form.replace(
        '"Where it happened"', '"Where it happened", "Quokkaform weather conditions"'
    )
    assert "Quokkaform" in form
    (folder / "templates" / "incident-report.html.j2").write_text(form)  # a grant writer's form
    api.build(folder, api.Options(quiet=True), out=base / "out")
    return base / "out"


def test_an_overridden_template_changes_packet_and_word_copy_alike(overridden: Path) -> None:
    man = json.loads((overridden / "manifest.json").read_text())
    templates = {t["name"]: t["origin"] for t in man["templates"]}
    assert templates["agreement.html.j2"] == "templates"
    reader = pypdf.PdfReader(packet_of(overridden))
    doc, copy = next(pair for pair in documents(overridden) if pair[0]["kind"] == "agreement")
    packet = words(packet_text(reader, doc, heading(copy)))
    word = words("\n".join(docx_blocks(copy)))
    for token in ("quokkaproof", "zephyrine", "ledger"):
        assert packet[token] >= 1 and word[token] == packet[token], token
    assert coverage(packet, word) >= PARITY
    blocks = list(docx_blocks(copy))
    assert blocks.index("6. Quokkaproof ledger") < blocks.index("Signature")


def test_the_chart_picture_is_the_same_in_every_build(built: Path, overridden: Path) -> None:
    """The organization chart's picture is made deterministically: two builds, the same PNG."""
    import zipfile

    def png(out: Path) -> bytes:
        with zipfile.ZipFile(out / "documents" / "organization-chart.docx") as z:
            (name,) = [n for n in z.namelist() if n.startswith("word/media/")]
            return z.read(name)

    assert png(built) == png(overridden)


def test_an_overridden_form_changes_packet_and_word_copy_alike(overridden: Path) -> None:
    man = json.loads((overridden / "manifest.json").read_text())
    templates = {t["name"]: t["origin"] for t in man["templates"]}
    assert templates["incident-report.html.j2"] == "templates"
    reader = pypdf.PdfReader(packet_of(overridden))
    doc, copy = next(p for p in documents(overridden) if p[0]["kind"] == "incident-report")
    packet = words(packet_text(reader, doc, heading(copy)))
    word = words("\n".join(docx_blocks(copy)))
    assert packet["quokkaform"] == word["quokkaform"] == 1
