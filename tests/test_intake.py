"""Uploads as agencies have them: images, documents, scans, signed PDFs and files of other types.

Every file is made here: images with Pillow (text drawn in DejaVu Sans), Word files with
python-docx, a real digital signature with pyHanko and a self-signed certificate. Packets are
checked as a reader sees them: page boxes and /Rotate (pikepdf), pixels (pdftoppm) and text
(pdftotext).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from PIL import Image, ImageDraw, ImageFont

from cmpacket import api
from cmpacket.intake._filetype import detect
from cmpacket.intake._pdf import inspect_upload, take_in
from tests.conftest import copy_sample
from tests.plugins.fake_renderer import faked

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
needs_font = pytest.mark.skipif(not FONT.is_file(), reason="fonts-dejavu-core is not installed")
needs_soffice = pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice not installed")
needs_tesseract = pytest.mark.skipif(
    not shutil.which("tesseract"), reason="tesseract-ocr not installed"
)

# -- files made for the tests -------------------------------------------------------------------


def photo(path: Path) -> Path:
    """A portrait photo (600x800 as seen: red top half, blue bottom) stored as the camera does:
    landscape pixels (800x600) with EXIF Orientation 6 (turn 90 degrees clockwise to view)."""
    upright = Image.new("RGB", (600, 800), (0, 0, 255))
    upright.paste((255, 0, 0), (0, 0, 600, 400))
    stored = upright.rotate(90, expand=True)  # counter-clockwise: what Orientation 6 undoes
    exif = Image.Exif()
    exif[0x0112] = 6
    stored.save(path, "JPEG", quality=92, exif=exif, dpi=(72, 72))
    return path


def transparent_png(path: Path) -> Path:
    """A 300 dpi 3x3 in PNG: left half transparent, right half opaque black."""
    im = Image.new("RGBA", (900, 900), (0, 0, 0, 0))
    im.paste((0, 0, 0, 255), (450, 0, 900, 900))
    im.save(path, dpi=(300, 300))
    return path


def tiff(path: Path, frames: int = 3) -> Path:
    pages = [Image.new("L", (850, 1100), 40 * i) for i in range(frames)]
    pages[0].save(path, save_all=True, append_images=pages[1:], dpi=(100, 100))
    return path


def scan(path: Path, words: str = "LICENSE QUARTZ HARBOR 2026") -> Path:
    """An image-only scan (no text layer): a Letter page at 200 dpi with large printed words."""
    font = ImageFont.truetype(str(FONT), 72)
    im = Image.new("L", (1700, 2200), 255)
    draw = ImageDraw.Draw(im)
    for row, word in enumerate(words.split()):
        draw.text((200, 300 + row * 200), word, font=font, fill=0)
    im.save(path, dpi=(200, 200))
    return path


def scan_pdf(path: Path, words: str = "LICENSE QUARTZ HARBOR 2026") -> Path:
    png = scan(path.with_suffix(".png"), words)
    with Image.open(png) as im:
        im.save(path, "PDF", resolution=200)
    png.unlink()
    return path


def docx(path: Path, text: str) -> Path:
    from docx import Document

    doc = Document()
    doc.add_heading("Board resolution", level=1)
    doc.add_paragraph(text)
    doc.save(str(path))
    return path


def signed_pdf(path: Path, tmp: Path) -> Path:
    """A PDF signed for real: pyHanko with a self-signed RSA certificate made here."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Prairie Care Test Signer")])
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    (tmp / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    (tmp / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    signer = signers.SimpleSigner.load(str(tmp / "key.pem"), str(tmp / "cert.pem"))
    assert signer is not None
    raw = io.BytesIO()
    with Image.new("RGB", (850, 1100), "white") as im:
        im.save(raw, "PDF", resolution=100)
    base = io.BytesIO()
    with pikepdf.open(io.BytesIO(raw.getvalue())) as pdf:  # a clean cross-reference table
        pdf.save(base)
    out = io.BytesIO()
    signers.sign_pdf(
        IncrementalPdfFileWriter(io.BytesIO(base.getvalue())),
        signers.PdfSignatureMetadata(field_name="Signature1"),
        signer=signer,
        output=out,
    )
    path.write_bytes(out.getvalue())
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    (embedded,) = PdfFileReader(io.BytesIO(out.getvalue())).embedded_signatures
    trust = ValidationContext(trust_roots=[signer.signing_cert])
    status = validate_pdf_signature(embedded, trust)
    assert status.intact and status.valid  # a real signature over the document's bytes
    return path


def with_uploads(tmp_path: Path, files: dict[str, Path]) -> Path:
    """The sample agency with each file attached (title = its name), copied into uploads/."""
    names = list(files)

    def edit(data: dict[str, Any]) -> None:
        for name in names:
            data["attachments"].append(
                {"title": f"Upload {name}", "file": f"uploads/{name}", "section": "agency"}
            )

    folder = copy_sample(tmp_path, edit)
    for name, src in files.items():
        shutil.copyfile(src, folder / "uploads" / name)
    return folder


def pages_of(manifest: dict[str, Any], source: str) -> tuple[int, int]:
    for section in manifest["sections"]:
        for doc in section["documents"]:
            if doc["source"] == source:
                return doc["first_page"], doc["last_page"]
    raise AssertionError(f"{source} is not in the packet")


def text_of(packet: Path, first: int, last: int) -> str:
    out = subprocess.run(
        ["pdftotext", "-f", str(first), "-l", str(last), str(packet), "-"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return out.stdout


def render(packet: Path, page: int, tmp: Path, dpi: int = 20) -> Image.Image:
    stem = tmp / f"page-{page}"
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-f", str(page), "-l", str(page), "-png", "-singlefile",
         str(packet), str(stem)],
        check=True,
    )  # fmt: skip
    return Image.open(f"{stem}.png").convert("RGB")


def hide(tmp: Path, *tools: str) -> str:
    """A PATH with every program of the current PATH except `tools` (symlinks in one folder)."""
    bin_dir = tmp / "bin-without-" / "-".join(tools)
    bin_dir.mkdir(parents=True, exist_ok=True)
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        if not folder or not Path(folder).is_dir():
            continue
        for exe in Path(folder).iterdir():
            target = bin_dir / exe.name
            if exe.name in tools or exe.name == "libreoffice" and "soffice" in tools:
                continue
            if not target.exists() and not target.is_symlink():
                target.symlink_to(exe)
    return str(bin_dir)


# -- detection and conversion (no build) --------------------------------------------------------


def _zip(path: Path, entries: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, body in entries.items():
            zf.writestr(name, body)
    return path


def _gif(path: Path) -> Path:
    Image.new("P", (20, 20)).save(path, "GIF")
    return path


def _bmp(path: Path) -> Path:
    Image.new("RGB", (20, 20)).save(path, "BMP")
    return path


OTHER_TYPES = [
    ("a ZIP archive", lambda p: _zip(p, {"notes/license.pdf": "%PDF-1.4 ..."})),
    ("an Excel workbook", lambda p: _zip(p, {"[Content_Types].xml": "<Types/>", "xl/workbook.xml": "<w/>"})),
    ("a PowerPoint presentation", lambda p: _zip(p, {"[Content_Types].xml": "<Types/>", "ppt/presentation.xml": "<p/>"})),
    ("an OpenDocument spreadsheet", lambda p: _zip(p, {"mimetype": "application/vnd.oasis.opendocument.spreadsheet"})),
    ("a GIF image", _gif),
    ("a BMP image", _bmp),
    ("a plain text file", lambda p: (p.write_text("Dear reviewer,\nthe licence is attached.\n"), p)[1]),
    ("a web page (HTML)", lambda p: (p.write_text("<!DOCTYPE html><html><body>x</body></html>"), p)[1]),
    ("a gzip-compressed file", lambda p: (p.write_bytes(b"\x1f\x8b\x08\x00" + bytes(40)), p)[1]),
    ("a file of unknown type", lambda p: (p.write_bytes(bytes(range(256)) * 4), p)[1]),
]  # fmt: skip


@pytest.mark.parametrize(("label", "make"), OTHER_TYPES, ids=[t[0] for t in OTHER_TYPES])
def test_other_types_are_named_in_the_finding(tmp_path: Path, label: str, make: Any) -> None:
    # the name says .pdf: the type comes from the bytes, and the message names what they are
    src = make(tmp_path / "upload.pdf")
    folder = with_uploads(tmp_path, {"license.pdf": src})
    (f,) = [f for f in api.validate(folder).findings if f.path == "attachments[3].file"]
    assert f.code == "upload-unreadable" and f.severity == "error"
    assert label in f.message
    assert "\\x" not in f.message and "starts with" not in f.message
    assert "PDF" in f.message  # says what to do


def test_detection_ignores_the_extension(tmp_path: Path) -> None:
    assert detect(photo(tmp_path / "scan.pdf")).name == "jpeg"
    assert detect(docx(tmp_path / "photo.jpg", "x")).name == "docx"
    png = transparent_png(tmp_path / "seal.png")
    assert detect(png.rename(tmp_path / "minutes.docx")).name == "png"


def test_image_types_become_pdf_pages(tmp_path: Path) -> None:
    import pillow_heif

    pillow_heif.register_heif_opener()
    rgb = Image.new("RGB", (1200, 900), (20, 120, 40))
    rgb.save(tmp_path / "p.heic", quality=80)
    rgb.save(tmp_path / "p.webp", quality=80)
    rgb.save(tmp_path / "p.png", dpi=(300, 300))
    rgb.save(tmp_path / "p.jpg", dpi=(150, 150))
    expected = {  # sized by the image's resolution, in points (72 per inch)
        "p.png": (288.0, 216.0),  # 1200 px at 300 dpi = 4 in
        "p.jpg": (576.0, 432.0),  # at 150 dpi = 8 in
        "p.heic": (792.0, 594.0),  # no resolution: 96 dpi = 12.5 in, shrunk to fit Letter
        "p.webp": (792.0, 594.0),
    }
    for name, (w, h) in expected.items():
        facts, pdf = take_in(tmp_path / name, None)
        assert facts.usable and pdf is not None, (name, facts.problems)
        with pikepdf.open(io.BytesIO(pdf)) as doc:
            (page,) = doc.pages
            box = [float(v) for v in page.mediabox]
            assert box[2:] == pytest.approx([w, h], abs=0.5), name
        assert facts.textless == 1 and facts.kind == name.split(".")[1].replace(
            "jpg", "jpeg"
        ).replace("heic", "heif")


def test_a_phone_photo_is_embedded_as_it_is_and_shrunk_to_letter(tmp_path: Path) -> None:
    src = photo(tmp_path / "IMG_2231.jpg")
    facts, pdf = take_in(src, None)
    assert pdf is not None
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        (page,) = doc.pages
        (image,) = page.Resources.XObject.values()
        assert image.Filter == "/DCTDecode"
        assert image.read_raw_bytes() == src.read_bytes()  # not re-encoded
        assert int(page.obj.get("/Rotate", 0)) == 90  # EXIF 6: shown turned clockwise
        w, h = (float(v) for v in page.mediabox[2:])
        assert max(w, h) <= 792 and min(w, h) <= 612


def test_multi_frame_tiff_gives_one_page_per_frame(tmp_path: Path) -> None:
    facts, pdf = take_in(tiff(tmp_path / "scan.tif", 4), None)
    assert facts.pages == 4 and pdf is not None
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        assert len(doc.pages) == 4
        assert [float(v) for v in doc.pages[0].mediabox[2:]] == [612.0, 792.0]  # 8.5x11 at 100 dpi


def test_tiff_over_the_page_limit_is_too_large(tmp_path: Path) -> None:
    facts = inspect_upload(tiff(tmp_path / "scan.tif", 5), {"max_upload_pages": 3})
    assert [k for k, _ in facts.problems] == ["too-large"]
    assert "5 pages" in facts.problems[0][1]


def test_a_document_needs_libreoffice_except_docx(tmp_path: Path, monkeypatch: Any) -> None:
    from docx import Document

    doc = Document()
    doc.add_paragraph("x")
    odt = _zip(tmp_path / "minutes.odt", {"mimetype": "application/vnd.oasis.opendocument.text"})
    rtf = tmp_path / "minutes.rtf"
    rtf.write_text(r"{\rtf1\ansi Minutes of the board\par}")
    monkeypatch.setenv("PATH", hide(tmp_path, "soffice"))
    for src, label in ((odt, "OpenDocument text"), (rtf, "Rich Text Format")):
        facts = inspect_upload(src)
        ((kind, message),) = facts.problems
        assert kind == "unreadable" and label in message
        assert "install LibreOffice" in message.replace("Install", "install")
        assert "PDF" in message


@needs_font
def test_a_signed_pdf_is_noted_and_still_taken_in(tmp_path: Path) -> None:
    facts, pdf = take_in(signed_pdf(tmp_path / "signed.pdf", tmp_path), None)
    assert pdf is not None and facts.pages == 1
    ((kind, message),) = facts.problems
    assert kind == "signature-dropped" and "sha256" in message
    facts, _ = take_in(scan_pdf(tmp_path / "unsigned.pdf"), None)
    assert facts.problems == []


@needs_soffice
def test_rtf_and_doc_are_converted_by_libreoffice(tmp_path: Path) -> None:
    rtf = tmp_path / "minutes.rtf"
    rtf.write_text(
        r"{\rtf1\ansi\deff0 {\fonttbl {\f0 Helvetica;}} \f0 Minutes: the board met on QUORUM day.\par}"
    )
    # a DOC made from the RTF by LibreOffice itself (the Word 97 filter)
    subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless",
         "--convert-to", "doc:MS Word 97", "--outdir", str(tmp_path / "doc"), str(rtf)],
        capture_output=True, timeout=180, check=False,
    )  # fmt: skip
    doc = tmp_path / "doc" / "minutes.doc"
    for src, kind in ((rtf, "rtf"), (doc, "doc")):
        if not src.is_file():
            pytest.fail(f"LibreOffice did not make {src.name}")
        facts, pdf = take_in(src, None)
        assert facts.kind == kind and facts.converter == "libreoffice", facts
        assert pdf is not None and facts.pages == 1
        (tmp_path / f"{kind}.pdf").write_bytes(pdf)
        assert "QUORUM" in text_of(tmp_path / f"{kind}.pdf", 1, 1)


# -- builds ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """One build with a photo, a transparent PNG, a TIFF, a DOCX, a scan and a signed PDF."""
    import json

    os.environ["SOURCE_DATE_EPOCH"] = "1767225600"
    tmp = tmp_path_factory.mktemp("mixed")
    files = {
        "IMG_2231.jpg": photo(tmp / "a.jpg"),
        "seal.png": transparent_png(tmp / "b.png"),
        "roster.tif": tiff(tmp / "c.tif", 3),
        "minutes.docx": docx(tmp / "d.docx", "Resolved: the board adopts the ZEPHYR policies."),
        "license-scan.png": scan(tmp / "e.png"),
        "signed.pdf": signed_pdf(tmp / "f.pdf", tmp),
    }
    folder = with_uploads(tmp, files)
    with faked():  # the uploads' pages are what these tests read: documents a page each
        result = api.build(
            folder, api.Options(quiet=True, cache_dir=tmp / "cache"), out=tmp / "out"
        )
    manifest = json.loads(result.manifest.read_text())
    return result.packet, {"manifest": manifest, "folder": folder, "tmp": tmp, "result": result}


@pytest.mark.e2e
def test_exif_rotated_photo_is_upright_in_the_packet(mixed: Any) -> None:
    packet, info = mixed
    first, last = pages_of(info["manifest"], "uploads/IMG_2231.jpg")
    assert first == last
    with pikepdf.open(packet) as pdf:
        page = pdf.pages[first - 1]
        w, h = (float(v) for v in page.mediabox[2:])
        if int(page.obj.get("/Rotate", 0)) % 180:
            w, h = h, w
        assert h > w  # portrait as displayed
    image = render(packet, first, info["tmp"])
    assert image.height > image.width
    top = image.getpixel((image.width // 2, image.height // 4))
    bottom = image.getpixel((image.width // 2, image.height * 2 // 3))
    assert top[0] > 200 and top[2] < 80, top  # red on top
    assert bottom[2] > 200 and bottom[0] < 80, bottom  # blue below


@pytest.mark.e2e
def test_transparent_areas_are_white(mixed: Any) -> None:
    packet, info = mixed
    first, _ = pages_of(info["manifest"], "uploads/seal.png")
    image = render(packet, first, info["tmp"], dpi=30)
    with pikepdf.open(packet) as pdf:
        w, h = (float(v) for v in pdf.pages[first - 1].mediabox[2:])
    # the image fills the page (3 x 3 in, or scaled by the page geometry): sample its halves
    y = image.height // 2
    left = image.getpixel((image.width // 4, y))
    right = image.getpixel((image.width * 3 // 4, y))
    assert min(left) > 245, left  # transparent -> white, not black
    assert max(right) < 30, right
    assert w > 0 and h > 0


@pytest.mark.e2e
def test_tiff_frames_are_pages(mixed: Any) -> None:
    first, last = pages_of(mixed[1]["manifest"], "uploads/roster.tif")
    assert last - first + 1 == 3


@pytest.mark.e2e
def test_docx_text_is_on_its_pages_via_libreoffice(mixed: Any) -> None:
    packet, info = mixed
    if not shutil.which("soffice"):
        pytest.skip("LibreOffice not installed")
    first, last = pages_of(info["manifest"], "uploads/minutes.docx")
    assert "ZEPHYR policies" in text_of(packet, first, last)


@pytest.mark.e2e
@needs_tesseract
@needs_font
def test_ocr_text_is_in_the_packet(mixed: Any) -> None:
    packet, info = mixed
    first, last = pages_of(info["manifest"], "uploads/license-scan.png")
    words = text_of(packet, first, last)
    for word in ("LICENSE", "QUARTZ", "HARBOR"):
        assert word in words
    # the photo and the TIFF frames were OCR'd too, but hold no words; no finding says otherwise
    assert not [
        f for f in api.validate(info["folder"]).findings if f.code == "upload-not-searchable"
    ]


@pytest.mark.e2e
def test_signed_pdf_is_a_warning_and_its_hash_is_kept(mixed: Any) -> None:
    import hashlib

    _, info = mixed
    folder = info["folder"]
    (f,) = [f for f in api.validate(folder).findings if f.code == "upload-signature-dropped"]
    assert f.severity == "warning" and f.path.startswith("attachments[")
    assert "signature" in f.message and "sha256" in f.message
    sha = hashlib.sha256((folder / "uploads" / "signed.pdf").read_bytes()).hexdigest()
    assert {"path": "uploads/signed.pdf", "sha256": sha} in info["manifest"]["inputs"]
    first, _ = pages_of(info["manifest"], "uploads/signed.pdf")
    assert first > 0


@pytest.mark.e2e
def test_originals_and_hashes_are_in_the_manifest(mixed: Any) -> None:
    import hashlib

    _, info = mixed
    inputs = {i["path"]: i["sha256"] for i in info["manifest"]["inputs"]}
    for name in ("IMG_2231.jpg", "minutes.docx", "roster.tif", "license-scan.png"):
        body = (info["folder"] / "uploads" / name).read_bytes()
        assert inputs[f"uploads/{name}"] == hashlib.sha256(body).hexdigest()


@pytest.mark.e2e
def test_a_rebuild_converts_and_ocrs_nothing(mixed: Any) -> None:
    packet, info = mixed
    tmp = info["tmp"]
    with faked():  # the renderer the cache was filled with
        again = api.build(
            info["folder"], api.Options(quiet=True, cache_dir=tmp / "cache"), out=tmp / "out2"
        )
    assert not [m for m in again.rebuilt if m.startswith(("upload", "upload-ocr"))], again.rebuilt
    assert again.packet.read_bytes() == packet.read_bytes()


@pytest.mark.e2e
@needs_font
def test_without_soffice_and_tesseract(
    tmp_path: Path, monkeypatch: Any, fake_renderer: None
) -> None:
    """The built-in DOCX converter; no OCR engine: an info finding per textless file, and the
    build goes on; --ocr always is a usage error that says how to install one."""
    files = {
        "minutes.docx": docx(
            tmp_path / "d.docx", "Resolved: the board adopts the ZEPHYR policies."
        ),
        "license-scan.png": scan(tmp_path / "e.png"),
    }
    folder = with_uploads(tmp_path, files)
    monkeypatch.setenv("PATH", hide(tmp_path, "soffice", "tesseract"))
    assert shutil.which("soffice") is None and shutil.which("tesseract") is None
    report = api.validate(folder)
    (f,) = [f for f in report.findings if f.code == "upload-not-searchable"]
    assert f.severity == "info" and f.path == "attachments[4].file"
    assert "tesseract-ocr" in f.message and "cmpacket[ocr]" in f.message
    result = api.build(folder, api.Options(quiet=True, no_cache=True), out=tmp_path / "out")
    import json

    manifest = json.loads(result.manifest.read_text())
    first, last = pages_of(manifest, "uploads/minutes.docx")
    assert "ZEPHYR policies" in text_of(result.packet, first, last)
    first, last = pages_of(manifest, "uploads/license-scan.png")
    assert "QUARTZ" not in text_of(result.packet, first, last)


def test_ocr_always_without_an_engine_exits_2(tmp_path: Path, monkeypatch: Any, cli: Any) -> None:
    folder = copy_sample(tmp_path)
    monkeypatch.setenv("PATH", hide(tmp_path, "tesseract"))
    for command in ("build", "validate"):
        r = cli(command, folder, "--ocr", "always")
        assert r.code == 2, r.err
        assert "tesseract-ocr" in r.err and "cmpacket[ocr]" in r.err
    assert not (folder / "out").exists()


@needs_font
def test_ocr_never_reports_textless_uploads(tmp_path: Path) -> None:
    folder = with_uploads(tmp_path, {"scan.pdf": scan_pdf(tmp_path / "s.pdf")})
    report = api.validate(folder, ocr="never")
    (f,) = [f for f in report.findings if f.code == "upload-not-searchable"]
    assert "--ocr never" in f.message and f.severity == "info"


@needs_tesseract
@needs_font
def test_ocr_adds_text_and_the_page_looks_the_same(tmp_path: Path) -> None:
    from cmpacket.intake._ocr import Job, add_text_layers, textless_pages

    text_page = tmp_path / "text.pdf"
    shutil.copyfile(
        Path(__file__).parent.parent / "sample_inputs/prairie-care/uploads/articles.pdf", text_page
    )
    _, scanned = take_in(scan(tmp_path / "scan.png"), None)
    _, typed = take_in(text_page, None)
    assert scanned is not None and typed is not None
    with pikepdf.open(io.BytesIO(scanned)) as doc:
        assert textless_pages(doc) == [0]
        before = {x.read_raw_bytes() for x in doc.pages[0].Resources.XObject.values()}
    with pikepdf.open(io.BytesIO(typed)) as doc:
        assert textless_pages(doc) == []  # a page with text is never sent to OCR
    (tmp_path / "before.pdf").write_bytes(scanned)
    done = add_text_layers([Job("scan", scanned, [0])])
    (tmp_path / "after.pdf").write_bytes(done["scan"])
    words = text_of(tmp_path / "after.pdf", 1, 1)
    assert "QUARTZ" in words and "HARBOR" in words
    assert text_of(tmp_path / "before.pdf", 1, 1).strip() == ""
    # the visible page is unchanged: the same image stream, and the same pixels when rendered
    with pikepdf.open(tmp_path / "after.pdf") as doc:
        images = {
            k: v.read_raw_bytes()
            for k, v in doc.pages[0].Resources.XObject.items()
            if v.get("/Subtype") == "/Image"
        }
        inner = [
            x
            for form in doc.pages[0].Resources.XObject.values()
            if form.get("/Subtype") == "/Form" and "/XObject" in form.get("/Resources", {})
            for x in form.Resources.XObject.values()
            if x.get("/Subtype") == "/Image"
        ]
    assert before <= set(images.values()) | {x.read_raw_bytes() for x in inner}
    a = render(tmp_path / "before.pdf", 1, tmp_path, dpi=50).tobytes()
    b = render(tmp_path / "after.pdf", 1, tmp_path, dpi=50).tobytes()
    assert a == b


def test_what_qpdf_says_of_a_damaged_page_tree_is_a_problem_not_a_log(tmp_path: Path) -> None:
    """qpdf's complaints while opening a file reach pikepdf's logger, not `get_warnings()`: a
    page tree with a damaged reference (found by tests/hostile/test_fuzz.py) is `repaired`, and
    nothing is logged (the autouse fixture fails a test that logs)."""
    from tests.conftest import corpus

    body = corpus("014-").read_bytes()
    assert b"/Kids [8 0 R" in body
    path = tmp_path / "damaged.pdf"
    body = body.replace(b"/Kids [8 0 R", b"/Kids [8\xdc0 R", 1)  # a page reference broken
    at = body.rfind(b"startxref")  # and the cross-reference table lost: qpdf rebuilds the file
    path.write_bytes(body[:at] + b"startxreX" + body[at + 9 :])
    facts, clean = take_in(path, None)
    assert [kind for kind, _ in facts.problems] == ["repaired"]
    assert clean is not None
