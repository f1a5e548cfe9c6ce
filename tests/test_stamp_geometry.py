"""Upload page geometry and the stamp in any script, checked with pdftotext, pypdf and pikepdf."""

from __future__ import annotations

import io
import json
import math
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pikepdf
import pypdf
import pytest

from cmpacket import api
from cmpacket.assemble._blocks import fit_upload_page
from cmpacket.assemble._geometry import multiply
from cmpacket.assemble._pdfops import (
    band_height,
    display_box,
    display_matrix,
    stamp_font,
    stamp_page,
    stamp_size,
)
from cmpacket.pdfread import read_stamp
from cmpacket.plan import slug
from tests.conftest import copy_sample, corpus
from tests.plugins.fake_renderer import faked

NAMES = [
    "Łączność Cộng Đồng Services",
    "شركة الرعاية المنزلية",
    "华夏护理服务有限公司",
]
needs_poppler = pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler not installed")


def text_page(
    size: tuple[float, float], lines: list[tuple[float, float, str]], rotate: int = 0
) -> pikepdf.Pdf:
    """A page of upright Helvetica text lines (x, baseline y, text) in display coordinates,
    stored as scanners store landscape pages: a user-space box and a /Rotate."""
    pdf = pikepdf.new()
    w, h = size if rotate in (0, 180) else size[::-1]
    pdf.add_blank_page(page_size=(w, h))
    pdf.pages[0].obj.Rotate = rotate
    font = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica
        )
    )
    pdf.pages[0].obj.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
    ops = b"".join(
        b"BT /F1 10 Tf %.2f %.2f Td (%s) Tj ET\n" % (x, y, t.encode()) for x, y, t in lines
    )
    matrix = " ".join(f"{v:g}" for v in display_matrix(0, 0, w, h, rotate)).encode()
    pdf.pages[0].obj.Contents = pdf.make_stream(b"q " + matrix + b" cm\n" + ops + b"Q\n")
    return pdf


def stamped(pdf: pikepdf.Pdf, name: str = "Prairie Care", draft: bool = False) -> Path:
    """Fit and stamp every page as the build does for uploads; returns the saved file."""
    font = stamp_font(pdf, name + "PC")
    for n, page in enumerate(pdf.pages, start=1):
        text = f"{'DRAFT — ' if draft else ''}{name}  |  Section G  |  Page {n} of 9  |  PC-{n:06d}"
        fit_upload_page(pdf, page, font, text)
        stamp_page(pdf, page, font, text, draft)
    out = Path(pytest_tmp) / f"stamped-{id(pdf)}.pdf"
    pdf.save(out)
    return out


pytest_tmp = ""


@pytest.fixture(autouse=True)
def _tmp(tmp_path: Path) -> None:
    global pytest_tmp
    pytest_tmp = str(tmp_path)


def words(pdf: Path, page: int = 1) -> list[tuple[float, float, float, float, str]]:
    """pdftotext -bbox words (xMin, yMin, xMax, yMax, text), top-left origin, as displayed."""
    html = subprocess.run(
        ["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = re.findall(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>', html
    )
    return [(float(a), float(b), float(c), float(d), t) for a, b, c, d, t in found]


def shown_size(path: Path, index: int = 0) -> tuple[float, float]:
    with pikepdf.open(path) as pdf:
        _, _, w, h, rotate = display_box(pdf.pages[index])
        return (h, w) if rotate in (90, 270) else (w, h)


def stamp_box_top(path: Path, index: int = 0) -> float:
    """The stamp band's top edge, in top-left display coordinates."""
    with pikepdf.open(path) as pdf:
        text = read_stamp(pdf.pages[index])
        assert text
        font = stamp_font(pdf, "Prairie CarePC")
    dw, dh = shown_size(path, index)
    return dh - band_height(stamp_size(font, text, dw))


@needs_poppler
def test_a_real_tiny_page_is_scaled_onto_letter_with_a_readable_stamp(tmp_path: Path) -> None:
    src = corpus("007-")  # ImageMagick: one 3.84 x 3.84 pt page
    with pikepdf.open(src) as pdf:
        out = stamped(pdf)
    assert shown_size(out) == pytest.approx((612, 792))
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True).stdout
    assert "Prairie Care | Section G | Page 1 of 9" in re.sub(r"\s+", " ", text)
    stamp_words = [w for w in words(out) if w[4] == "Page"]
    assert stamp_words and stamp_words[0][3] - stamp_words[0][1] >= 5  # readable, not 0.2 pt


@needs_poppler
def test_a_made_tiny_page_and_a_huge_page_are_scaled_uniformly(tmp_path: Path) -> None:
    tiny = text_page((3.84, 3.84), [(0.2, 1.5, "x")])
    huge = text_page((40 * 72, 60 * 72), [(100, 4000, "HUGE PAGE HEADING")])
    out_tiny, out_huge = stamped(tiny), stamped(huge)
    assert shown_size(out_tiny) == pytest.approx((612, 792))
    assert shown_size(out_huge) == pytest.approx((612, 792))
    heading = [w for w in words(out_huge) if w[4] in ("HUGE", "PAGE", "HEADING")]
    assert len(heading) == 3
    # 10 pt text scaled by 792 / 4320 (height-bound): about 1.8 pt tall, same factor both ways
    height = heading[0][3] - heading[0][1]
    assert 1.2 < height < 2.6


@needs_poppler
@pytest.mark.parametrize("rotate", [0, 90, 180, 270])
def test_text_at_the_bottom_edge_stays_clear_of_the_stamp(tmp_path: Path, rotate: int) -> None:
    lines = [(72, 760, "Top line of the scan"), (40, 2, "BOTTOM EDGE TEXT 0123456789")]
    lines += [(300, 6, "RIGHTMOST"), (72, 400, "Middle")]
    pdf = text_page((612, 792), lines, rotate)
    out = stamped(pdf)
    limit = stamp_box_top(out)
    upload = [
        w
        for w in words(out)
        if w[4] in {"BOTTOM", "EDGE", "TEXT", "0123456789", "RIGHTMOST", "Top", "Middle"}
    ]
    assert len(upload) == 7
    for word in upload:
        assert word[3] <= limit + 0.01, (
            f"{word[4]} reaches {word[3]:.2f}, the stamp starts at {limit:.2f}"
        )
    # shrunk just enough: the page content keeps at least 90 % of its size
    top = next(w for w in upload if w[4] == "Top")
    assert top[1] < 40
    with pikepdf.open(out) as doc:
        assert int(doc.pages[0].obj.get("/Rotate", 0)) == rotate
        assert "Page 1 of 9" in (read_stamp(doc.pages[0]) or "")


@needs_poppler
@pytest.mark.parametrize("form", [False, True])
def test_text_in_a_form_or_after_an_inline_image_is_found(tmp_path: Path, form: bool) -> None:
    pdf = text_page((612, 792), [(72, 700, "Heading"), (40, 1, "FOOT (with (nested) parens)")])
    page = pdf.pages[0]
    ops = page.obj.Contents.read_bytes()
    if form:  # the text lives in a form XObject drawn with its own matrix
        xobject = pdf.make_stream(ops, Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Form)
        xobject.BBox = [0, 0, 612, 792]
        xobject.Resources = page.obj.Resources
        page.obj.Resources.XObject = pikepdf.Dictionary(Fx=xobject)
        page.obj.Contents = pdf.make_stream(b"q 1 0 0 1 0 0 cm /Fx Do Q")
    else:  # an inline image (binary data) before the text: the exact parser reads it
        image = b"BI /W 2 /H 1 /BPC 8 /CS /G ID \x28\x29 EI\n"
        page.obj.Contents = pdf.make_stream(b"q 10 0 0 10 0 0 cm " + image + b"Q\n" + ops)
    out = stamped(pdf)
    limit = stamp_box_top(out)
    foot = [w for w in words(out) if w[4] == "FOOT"]
    assert foot and foot[0][3] <= limit + 0.01


def test_a_page_clear_of_the_band_is_left_as_it_was(tmp_path: Path) -> None:
    pdf = text_page((612, 792), [(72, 700, "Nothing near the foot")])
    before = pdf.pages[0].obj.Contents.read_bytes()
    font = stamp_font(pdf, "Prairie CarePC")
    fit_upload_page(
        pdf, pdf.pages[0], font, "Prairie Care  |  Section G  |  Page 1 of 9  |  PC-000001"
    )
    assert pdf.pages[0].obj.Contents.read_bytes() == before
    assert [float(v) for v in pdf.pages[0].mediabox] == [0, 0, 612, 792]


@needs_poppler
@pytest.mark.parametrize("name", NAMES)
def test_the_legal_name_is_in_every_page_text_in_any_script(tmp_path: Path, name: str) -> None:
    pdf = pikepdf.new()
    for size, rotate in (((612, 792), 0), ((612, 792), 90), ((300, 900), 270), ((1224, 400), 0)):
        pdf.add_blank_page(page_size=size)
        pdf.pages[-1].obj.Rotate = rotate
    out = stamped(pdf, name, draft=True)
    reader = pypdf.PdfReader(out)
    for n in range(1, 5):
        poppler = subprocess.run(
            ["pdftotext", "-f", str(n), "-l", str(n), str(out), "-"], capture_output=True, text=True
        ).stdout
        assert name in poppler, f"page {n}: {poppler!r}"
        assert name in reader.pages[n - 1].extract_text(), f"page {n}"
        assert "DRAFT" in poppler and "DRAFT" in reader.pages[n - 1].extract_text()
    with pikepdf.open(out) as doc:
        for n, page in enumerate(doc.pages, start=1):
            assert (
                read_stamp(page) == f"DRAFT — {name}  |  Section G  |  Page {n} of 9  |  PC-{n:06d}"
            )
        fonts = {p.obj.Resources.Font.CmpStampF.objgen for p in doc.pages}
        assert len(fonts) == 1  # one embedded font object for every page
        font = doc.pages[0].obj.Resources.Font.CmpStampF
        assert font.Subtype == "/Type0" and font.Encoding == "/Identity-H"
        descendant = font.DescendantFonts[0]
        assert descendant.Subtype == "/CIDFontType2"
        assert re.fullmatch(r"/[A-Z]{6}\+\w+", str(descendant.BaseFont))  # a subset
        assert len(descendant.FontDescriptor.FontFile2.read_bytes()) < 200_000


@needs_poppler
def test_a_character_no_font_has_still_extracts_as_itself(tmp_path: Path) -> None:
    name = "Ugarit \U00010380\U00010381 Care"  # Ugaritic: in neither DejaVu Sans nor Noto Sans SC
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(612, 792))
    out = stamped(pdf, name)
    poppler = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True).stdout
    assert name in poppler
    assert name in pypdf.PdfReader(out).pages[0].extract_text()
    with pikepdf.open(out) as doc:
        assert (read_stamp(doc.pages[0]) or "").startswith(name)


def test_slugs_are_ascii_transliterations() -> None:
    assert slug("Łączność Cộng Đồng") == "lacznosc-cong-dong"
    assert slug("Łączność Cộng Đồng Services") == "lacznosc-cong-dong-services"
    for name in NAMES:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug(name)), slug(name)


def diagonal_points(content: bytes) -> list[tuple[float, float]]:
    """Every path point of the DRAFT diagonal, through the matrices the stamp emits."""
    match = re.search(
        rb"q 0\.75 0\.1 0\.1 rg ((?:[-\d.]+ ){6})cm ((?:[-\d.]+ ){6})cm ((?:[-\d.]+ ){6})cm (.*?) f Q",
        content,
        re.S,
    )
    assert match, "no DRAFT diagonal"
    rotate, scale, place = (tuple(float(v) for v in match.group(k).split()) for k in (1, 2, 3))
    full = multiply(multiply(place, scale), rotate)  # type: ignore[arg-type]
    numbers = [float(v) for v in re.findall(rb"-?[\d.]+", match.group(4))]
    return [
        (x * full[0] + y * full[2] + full[4], x * full[1] + y * full[3] + full[5])
        for x, y in zip(numbers[::2], numbers[1::2], strict=False)
    ]


@pytest.mark.parametrize(
    ("size", "rotate"),
    [((612, 792), 0), ((612, 792), 90), ((216, 1584), 0), ((1584, 216), 270), ((3.84, 3.84), 0)],
)
def test_the_draft_diagonal_fits_inside_the_page(
    tmp_path: Path, size: tuple[float, float], rotate: int
) -> None:
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=size)
    pdf.pages[0].obj.Rotate = rotate
    out = stamped(pdf, draft=True)
    dw, dh = shown_size(out)
    with pikepdf.open(out) as doc:
        content = doc.pages[0].obj.Contents[-1].read_bytes()
    points = diagonal_points(content)
    assert len(points) > 100
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    assert min(xs) >= 0 and max(xs) <= dw and min(ys) >= 0 and max(ys) <= dh
    # and it is large: it spans at least half of the page
    assert math.hypot(max(xs) - min(xs), max(ys) - min(ys)) > 0.5 * max(dw, dh)


# -- real builds -----------------------------------------------------------------------------


def _pages_text(pdf: Path) -> list[str]:
    out = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    return out.split("\f")[:-1]


@pytest.mark.e2e
@needs_poppler
def test_a_non_latin_agency_builds_a_draft_packet_with_odd_uploads(tmp_path: Path) -> None:
    name = "Łączność Cộng Đồng Services"
    tiny = text_page((3.84, 3.84), [(0.2, 1.5, "x")])
    huge = text_page((40 * 72, 60 * 72), [(100, 4000, "HUGE")])
    bottom = text_page((792, 612), [(40, 2, "BOTTOM EDGE TEXT")], rotate=90)
    files: dict[str, bytes] = {}
    for key, doc in (("tiny.pdf", tiny), ("huge.pdf", huge), ("bottom.pdf", bottom)):
        buf = io.BytesIO()
        doc.save(buf)
        files[key] = buf.getvalue()

    def edit(data: dict[str, Any]) -> None:
        data["agency"]["legal_name"] = name
        data["staff"][3]["caseload"] = 45  # an error: only --draft builds
        for key in files:
            data["attachments"].append(
                {"title": key, "file": f"uploads/{key}", "section": "agency"}
            )

    folder = copy_sample(tmp_path, edit)
    for key, raw in files.items():
        (folder / "uploads" / key).write_bytes(raw)
    # the stamps and the odd uploads are what it reads, and the name laid out by WeasyPrint with
    # the index's page numbers drawn in the stamp font: the other documents are a page each
    options = api.Options(quiet=True, draft=True, cache_dir=tmp_path / "cache")
    with faked(real={"cover.html.j2", "index.html.j2"}):
        result = api.build(folder, options, out=tmp_path / "out")
    assert result.packet.name == "lacznosc-cong-dong-services-packet.pdf"
    texts = _pages_text(result.packet)
    reader = pypdf.PdfReader(result.packet)
    assert len(texts) == len(reader.pages)
    for n, (text, page) in enumerate(zip(texts, reader.pages, strict=True), start=1):
        assert name in text and "DRAFT" in text, f"page {n}: pdftotext"
        extracted = page.extract_text()
        assert name in extracted and "DRAFT" in extracted, f"page {n}: pypdf"
        assert f"Page {n} of {len(texts)}" in re.sub(r"\s+", " ", text)
    man = json.loads(result.manifest.read_text())
    docs = {d["source"]: d for s in man["sections"] for d in s["documents"]}
    for key in files:
        first = docs[f"uploads/{key}"]["first_page"]
        assert shown_size(result.packet, first - 1) in (
            pytest.approx((612, 792)),
            pytest.approx((792, 612)),
        )
    first = docs["uploads/bottom.pdf"]["first_page"]
    band_top = min(w[1] for w in words(result.packet, first) if w[4] in ("Page", "Section"))
    for word in words(result.packet, first):
        if word[4] in ("BOTTOM", "EDGE", "TEXT"):
            assert word[3] < band_top
    with pikepdf.open(result.packet) as doc:
        fonts = {p.obj.Resources.Font.CmpStampF.objgen for p in doc.pages}
    assert len(fonts) == 1
    assert api.verify(result.packet).ok


def test_the_stamp_fonts_subset_is_kept_in_the_cache_and_embeds_the_same_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The next build takes the stamp font's subset from its cache (fontTools neither imported
    nor run) and embeds exactly the font objects the first one made."""
    from cmpacket.assemble import _stampfont
    from cmpacket.cache import Cache

    def embedded() -> list[bytes]:
        _stampfont.stamp_font_for.cache_clear()  # a new process
        pdf = pikepdf.new()
        with Cache(tmp_path / "cache") as cache:
            font = _stampfont.stamp_font_for("Prairie Care \u0141\u00f3d\u017a").install(pdf, cache)
        top = font["/CmpStampF"]
        cid = top.DescendantFonts[0]
        return [
            cid.FontDescriptor.FontFile2.read_bytes(),
            cid.CIDToGIDMap.read_bytes(),
            top.ToUnicode.read_bytes(),
            cid.W.unparse(),
            cid.FontDescriptor.FontBBox.unparse(),
            bytes(str(top.BaseFont), "ascii"),
        ]

    first = embedded()

    def subset_again(*args: Any) -> Any:
        raise AssertionError("subset made again")

    monkeypatch.setattr(_stampfont.StampFont, "_make_subset", staticmethod(subset_again))
    assert embedded() == first
    monkeypatch.undo()
    _stampfont.stamp_font_for.cache_clear()


def test_what_a_stamp_font_embeds_does_not_depend_on_what_it_laid_out_before() -> None:
    """The subset is made at the first install (from the cache, or made then): text laid out
    before it (another build in the same process) must not add glyphs to it."""
    from cmpacket.assemble._stampfont import StampFont

    def embedded(font: StampFont) -> bytes:
        pdf = pikepdf.new()
        top = font.install(pdf)["/CmpStampF"]
        return bytes(top.DescendantFonts[0].FontDescriptor.FontFile2.read_bytes())

    used = StampFont("Prairie Care")
    used.layout("\u0141\u00f3d\u017a \u03a9\u03bc\u03ad\u03b3\u03b1")
    assert embedded(used) == embedded(StampFont("Prairie Care"))
