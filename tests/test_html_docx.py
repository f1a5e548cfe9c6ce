"""The HTML -> Word converter on its own: structure, formatting, placeholders, determinism."""

from __future__ import annotations

import io
import zipfile
from datetime import date

from docx import Document

from cmpacket.render._html_docx import html_to_docx
from cmpacket.render._word import placeholders

PAGE = """<!DOCTYPE html><html lang="en"><head><title>Test document — Example Agency</title>
<link rel="stylesheet" href="packet.css"></head><body>
<div class="agency-name" style="display:none">Example Agency</div>
<div class="kicker">Section Z · Tests</div>
<h1>Test   document</h1>
<p>Plain <strong>bold</strong>, <em>italic</em> and <u>underlined</u>
   text with a <a href="https://example.org/x">link</a>.</p>
<ul><li>one<ul><li>one-a</li></ul></li><li>two</li></ul>
<ol><li>first</li><li>second</li></ol>
<ol><li>again</li></ol>
<table class="kv"><tr><td>Label</td><td>Value<br>second line</td></tr></table>
<table><thead><tr><th style="width:30%">Name</th><th>Pages</th></tr></thead>
<tr><td>Whitfield</td><td><a class="pageref pageref-pp" href="cmpacket:ref/pp/staff/S-1">&#160;</a></td></tr>
<tr><td>Okafor</td><td><a class="pageref pageref-pp" href="cmpacket:ref/pp/staff/S-2">&#160;</a></td></tr>
<tr><td colspan="2">Evidence <a class="pageref pageref-page" href="cmpacket:ref/page/section/B">&#160;</a>
 and <a class="pageref" href="cmpacket:ref/range/doc/x">&#160;</a></td></tr>
</table>
<p>Fingerprint: <a class="fill fill-fingerprint" href="cmpacket:fill/fingerprint">&#160;</a></p>
<div class="doctitle-only">Test document (continued)</div>
<section class="chapter"><h2>1. First</h2><p>a</p></section>
<section class="chapter"><h2>2. Second</h2><p>b</p></section>
<div class="sig"><div><strong>For us</strong><div class="line"></div>Ann Lee<br>Director</div>
<div><div class="line"></div>Name: ____</div></div>
</body></html>"""

REFS = {"staff/S-1": (41, 43), "staff/S-2": (44, 44), "section/B": (11, 12), "doc/x": (7, 9)}


def convert() -> bytes:
    return html_to_docx(PAGE, refs=REFS, fills={"fingerprint": "0123abcd"}, as_of=date(2026, 12, 1))


def test_structure_styles_and_formatting() -> None:
    doc = Document(io.BytesIO(convert()))
    paras = [(p.style.name, p.text) for p in doc.paragraphs]
    assert paras[0] == ("Kicker", "Section Z · Tests")
    assert paras[1] == ("Heading 1", "Test document")
    assert paras[2][1] == "Plain bold, italic and underlined text with a link."
    runs = {r.text: r for r in doc.paragraphs[2].runs}
    assert runs["bold"].bold and runs["italic"].italic and runs["underlined"].underline
    link = doc.paragraphs[2]._p.xpath("./w:hyperlink")[0]
    assert (
        doc.part.rels[
            link.get("{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id")
        ].target_ref
        == "https://example.org/x"
    )
    assert ("List Bullet", "one") in paras and ("List Bullet 2", "one-a") in paras
    numbered = [p for p in doc.paragraphs if p.style.name == "List Number"]
    assert [p.text for p in numbered] == ["first", "second", "again"]
    nums = [p._p.pPr.numPr.numId.val for p in numbered]
    assert nums[0] == nums[1] != nums[2]  # each <ol> starts again at 1
    assert "Test document (continued)" not in [t for _, t in paras]  # a running header only
    assert "Example Agency" not in [t for _, t in paras]
    assert (
        doc.paragraphs[-2].text == "2. Second"
        and doc.paragraphs[-2].paragraph_format.page_break_before
    )
    first_chapter = next(p for p in doc.paragraphs if p.text == "1. First")
    assert not first_chapter.paragraph_format.page_break_before
    assert ("Normal", "Fingerprint: 0123abcd") in paras


def test_tables_page_references_and_signatures() -> None:
    doc = Document(io.BytesIO(convert()))
    kv, grid, sig = doc.tables
    assert [c.text for c in kv.rows[0].cells] == ["Label", "Value\nsecond line"]
    assert kv.rows[0].cells[0].paragraphs[0].runs[0].bold
    assert [c.text for c in grid.rows[0].cells] == ["Name", "Pages"]
    assert (
        grid.rows[0]._tr.trPr.find(
            "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}tblHeader"
        )
        is not None
    )
    assert [c.text for c in grid.rows[1].cells] == ["Whitfield", "pp. 41\u201343"]
    assert [c.text for c in grid.rows[2].cells] == ["Okafor", "p. 44"]
    merged = grid.rows[3].cells
    assert merged[0]._tc is merged[1]._tc and merged[0].text == "Evidence p. 11 and 7\u20139"
    widths = [c.width for c in grid.rows[1].cells]
    assert abs(widths[0] / sum(widths) - 0.30) < 0.01
    assert [c.text for c in sig.rows[0].cells] == ["For us\n\nAnn Lee\nDirector", "\nName: ____"]
    line = sig.rows[0].cells[0].paragraphs[1]
    assert (
        line._p.pPr.find("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}pBdr")
        is not None
    )


def test_properties_and_bytes_are_deterministic() -> None:
    blob = convert()
    assert blob == convert()
    doc = Document(io.BytesIO(blob))
    props = doc.core_properties
    assert props.title == "Test document — Example Agency" and props.language == "en-US"
    assert props.created.date() == date(2026, 12, 1) == props.modified.date()
    assert props.author == "Example Agency" and "python-docx" not in (props.comments or "")
    names = zipfile.ZipFile(io.BytesIO(blob)).infolist()
    assert names[0].filename == "[Content_Types].xml"
    assert {i.date_time for i in names} == {(2026, 1, 1, 0, 0, 0)}
    footer = doc.sections[0].footer.paragraphs[0]
    assert footer.text.startswith("Example Agency\tPage ")


def test_placeholders_name_what_the_html_shows() -> None:
    refs, fills = placeholders(PAGE)
    assert refs == ["doc/x", "section/B", "staff/S-1", "staff/S-2"] and fills == ["fingerprint"]
    empty = Document(io.BytesIO(html_to_docx(PAGE)))  # no page numbers known: blank, as in the PDF
    assert [c.text for c in empty.tables[1].rows[1].cells] == ["Whitfield", ""]
