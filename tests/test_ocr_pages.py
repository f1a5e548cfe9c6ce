"""OCR a page at a time: a page that is one upright image is read by Tesseract itself (the file
it reads made from the image's stored bytes), every other page by OCRmyPDF.

Images are drawn here with Pillow (DejaVu Sans) and put in PDFs with img2pdf or pikepdf; the
text layer is read back with `pdftotext -bbox`, so where each word lands is checked too.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import img2pdf
import pikepdf
import pytest
from PIL import Image, ImageDraw, ImageFont

from cmpacket.intake import _ocr, _tesseract
from cmpacket.intake._ocr import Job, add_text_layers

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
needs_ocr = pytest.mark.skipif(
    not FONT.is_file() or _ocr.engine() is None, reason="Tesseract, OCRmyPDF or DejaVu missing"
)
WORDS = ["QUARTZ", "HARBOR", "LICENSE"]


def drawn(mode: str = "L", size: tuple[int, int] = (1700, 2200)) -> Image.Image:
    """A 200 dpi Letter scan: each word 72 px high, at x 200 px, y 300 + 200 k px."""
    im = Image.new("L", size, 255)
    draw = ImageDraw.Draw(im)
    font = ImageFont.truetype(str(FONT), 72)
    for k, word in enumerate(WORDS):
        draw.text((200, 300 + 200 * k), word, font=font, fill=0)
    return im.convert(mode)


def png_pdf(im: Image.Image, dpi: int = 200) -> bytes:
    """img2pdf's page: the PNG's image data stored as it is (Flate, PNG predictors)."""
    buf = io.BytesIO()
    im.save(buf, "PNG", dpi=(dpi, dpi))
    return img2pdf.convert(buf.getvalue(), engine=img2pdf.Engine.pikepdf)


def placed(
    image: dict[str, Any], data: bytes, content: bytes, masked: bool = False, **page: Any
) -> bytes:
    """A one-page PDF drawing one image stream with `content` (the image named /Im0); `masked`
    gives the image a soft mask."""
    pdf = pikepdf.new()
    stream = pikepdf.Stream(pdf, data)
    for key, value in image.items():
        stream[key] = value
    if masked:
        stream.SMask = pdf.make_stream(
            b"\xff" * 4, Width=2, Height=2, BitsPerComponent=8,
            ColorSpace=pikepdf.Name.DeviceGray, Subtype=pikepdf.Name.Image,
        )  # fmt: skip
    pdf.add_blank_page(page_size=(612, 792))
    pdf.pages[0].Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=stream))
    pdf.pages[0].Contents = pdf.make_stream(content)
    for key, value in page.items():
        pdf.pages[0][key] = value
    buf = io.BytesIO()
    pdf.save(buf)
    return buf.getvalue()


def gray(width: int, height: int, **more: Any) -> dict[str, Any]:
    return {
        "/Type": pikepdf.Name.XObject,
        "/Subtype": pikepdf.Name.Image,
        "/Width": width,
        "/Height": height,
        "/ColorSpace": pikepdf.Name.DeviceGray,
        "/BitsPerComponent": 8,
        **more,
    }


def first_picture(pdf: bytes) -> _tesseract.Picture | None:
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        return _tesseract.picture(doc.pages[0])


def words_at(pdf: bytes, tmp: Path) -> dict[str, tuple[float, float]]:
    """Each word of page 1's text layer and its top-left corner, in points from the top left."""
    path = tmp / "words.pdf"
    path.write_bytes(pdf)
    html = subprocess.run(
        ["pdftotext", "-bbox", "-f", "1", "-l", "1", str(path), "-"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    found = re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>([^<]+)</word>', html)
    return {word: (float(x), float(y)) for x, y, word in found}


def no_ocrmypdf(monkeypatch: Any) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("OCRmyPDF was started for a page Tesseract reads alone")

    monkeypatch.setattr(_ocr, "run_ocrmypdf", refuse)


def counted_ocrmypdf(monkeypatch: Any) -> list[int]:
    """The real OCRmyPDF run, counting the pages sent to it."""
    sent: list[int] = []
    real: Callable[..., bytes | None] = _ocr.run_ocrmypdf

    def spy(pdf: bytes, pages: int, *args: Any, **kwargs: Any) -> bytes | None:
        sent.append(pages)
        return real(pdf, pages, *args, **kwargs)

    monkeypatch.setattr(_ocr, "run_ocrmypdf", spy)
    return sent


# -- which pages Tesseract reads alone, and the file it reads ------------------------------------


@pytest.mark.parametrize("mode", ["L", "RGB", "1"])
def test_a_png_stream_is_handed_to_tesseract_as_stored(mode: str) -> None:
    im = drawn(mode, (340, 440))
    pdf = png_pdf(im, dpi=40)
    pic = first_picture(pdf)
    assert pic is not None and pic.suffix == ".png" and pic.dpi == 40
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        (stored,) = (doc.pages[0].Resources.XObject[name] for name in doc.pages[0].get_images())
        assert stored.read_raw_bytes() in pic.data  # not decoded and coded again
        expected = pikepdf.PdfImage(stored).as_pil_image()
    with Image.open(io.BytesIO(pic.data)) as read:
        assert read.size == im.size and read.info["dpi"] == pytest.approx((40, 40), abs=0.01)
        assert read.convert("L").tobytes() == expected.convert("L").tobytes()


def test_a_jpeg_stream_is_handed_over_as_a_jpeg_file() -> None:
    buf = io.BytesIO()
    drawn("RGB", (340, 440)).save(buf, "JPEG", quality=90)
    cm = b"q 244.8 0 0 316.8 0 0 cm /Im0 Do Q"
    image = gray(340, 440, **{"/Filter": pikepdf.Name.DCTDecode})
    image["/ColorSpace"] = pikepdf.Name.DeviceRGB
    pic = first_picture(placed(image, buf.getvalue(), cm))
    assert pic is not None and (pic.suffix, pic.data, pic.dpi) == (".jpg", buf.getvalue(), 100)


def test_other_codings_are_decoded_once_into_a_png() -> None:
    im = drawn("L", (170, 220))
    image = gray(170, 220, **{"/Filter": pikepdf.Name.FlateDecode})  # no predictor
    pic = first_picture(
        placed(image, zlib.compress(im.tobytes()), b"122.4 0 0 158.4 0 0 cm /Im0 Do")
    )
    assert pic is not None and pic.suffix == ".png" and pic.dpi == 100
    with Image.open(io.BytesIO(pic.data)) as read:
        assert read.tobytes() == im.tobytes()


@pytest.mark.parametrize(
    "why, content, image, page",
    [
        ("turned by /Rotate", b"q 612 0 0 792 0 0 cm /Im0 Do Q", {}, {"/Rotate": 90}),
        ("drawn turned", b"q 0 792 -612 0 612 0 cm /Im0 Do Q", {}, {}),
        ("with a line drawn", b"q 612 0 0 792 0 0 cm /Im0 Do Q 0 0 m 9 9 l S", {}, {}),
        ("drawn twice", b"q 306 0 0 792 0 0 cm /Im0 Do Q q 306 0 0 792 306 0 cm /Im0 Do Q", {}, {}),
        ("pixels not square", b"q 612 0 0 396 0 0 cm /Im0 Do Q", {}, {}),
        ("with a soft mask", b"q 612 0 0 792 0 0 cm /Im0 Do Q", {"masked": True}, {}),
        ("decoded inverted", b"q 612 0 0 792 0 0 cm /Im0 Do Q", {"/Decode": [1, 0]}, {}),
        ("in CMYK", b"q 612 0 0 792 0 0 cm /Im0 Do Q", {"/ColorSpace": "/DeviceCMYK"}, {}),
    ],
)
def test_a_page_that_is_not_one_upright_image_is_left_to_ocrmypdf(
    why: str, content: bytes, image: dict[str, Any], page: dict[str, Any]
) -> None:
    masked = image.pop("masked", False)
    more = {
        k: pikepdf.Name(v) if isinstance(v, str) else pikepdf.Array(v) for k, v in image.items()
    }
    components = 4 if "/ColorSpace" in image else 1
    body = zlib.compress(b"\x80" * (170 * 220 * components))
    props = {**gray(170, 220, **{"/Filter": pikepdf.Name.FlateDecode}), **more}
    assert first_picture(placed(props, body, content, masked, **page)) is None, why


# -- what the text layer says and where --------------------------------------------------------


@needs_ocr
def test_an_image_page_gets_its_words_where_they_are_drawn(
    tmp_path: Path, monkeypatch: Any
) -> None:
    """The image drawn in part of the page (as img2pdf centres a small image on Letter): the
    words land on the page where the image shows them, and OCRmyPDF is not started."""
    no_ocrmypdf(monkeypatch)
    im = drawn()
    buf = io.BytesIO()
    im.save(buf, "PNG")
    with pikepdf.open(io.BytesIO(png_pdf(im))) as doc:
        raw = doc.pages[0].Resources.XObject["/Im0"]
        params = pikepdf.Dictionary(Predictor=15, Colors=1, Columns=1700, BitsPerComponent=8)
        assert raw.DecodeParms == params
        image = gray(1700, 2200, **{"/Filter": pikepdf.Name.FlateDecode, "/DecodeParms": params})
        # the 1700 x 2200 px image shown 306 x 396 pt (half size), its corner at (100, 200)
        pdf = placed(image, raw.read_raw_bytes(), b"q 306 0 0 396 100 200 cm /Im0 Do Q")
    told: list[tuple[int, int]] = []
    done = add_text_layers([Job("scan", pdf, [0])], lambda n, total: told.append((n, total)))
    assert told[-1] == (1, 1)
    at = words_at(done["scan"], tmp_path)
    top = 792 - (200 + 396)  # the image's top edge, from the page's top
    for k, word in enumerate(WORDS):
        # 200 dpi pixels to points, at half size: px * 72 / 200 / 2
        x, y = 100 + 200 * 0.18, top + (300 + 200 * k) * 0.18
        assert word in at, f"{word} not in the text layer: {sorted(at)}"
        assert at[word][0] == pytest.approx(x, abs=4) and at[word][1] == pytest.approx(y, abs=6)


@needs_ocr
def test_ocrmypdf_reads_the_pages_tesseract_does_not(tmp_path: Path, monkeypatch: Any) -> None:
    """One job: a plain scan page (Tesseract alone), a page drawn with one more transformation
    and a page with a line drawn over the scan (both OCRmyPDF, in one run); each page gets its
    words."""
    sent = counted_ocrmypdf(monkeypatch)
    with pikepdf.open(io.BytesIO(png_pdf(drawn()))) as one:
        pdf = pikepdf.new()
        for _ in range(3):
            pdf.pages.append(one.pages[0])
        pdf.pages[1].contents_add(b"1 0 0 1 0 0 cm", prepend=True)
        pdf.pages[2].contents_add(b"q 1 w 0 0 m 50 50 l S Q")
        buf = io.BytesIO()
        pdf.save(buf)
    done = add_text_layers([Job("mixed", buf.getvalue(), [0, 1, 2])])
    assert sent == [2]
    path = tmp_path / "mixed.pdf"
    path.write_bytes(done["mixed"])
    for page in (1, 2, 3):
        text = subprocess.run(
            ["pdftotext", "-f", str(page), "-l", str(page), str(path), "-"],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        assert all(word in text for word in WORDS), (page, text)


@needs_ocr
def test_a_page_tesseract_fails_on_goes_to_ocrmypdf(monkeypatch: Any) -> None:
    sent = counted_ocrmypdf(monkeypatch)
    monkeypatch.setattr(_tesseract, "read_pictures", lambda pics, *a: [None] * len(pics))
    done = add_text_layers([Job("scan", png_pdf(drawn()), [0])])
    assert sent == [1] and "scan" in done


@needs_ocr
def test_the_same_scan_gets_the_same_bytes() -> None:
    pdf = png_pdf(drawn())
    first = add_text_layers([Job("a", pdf, [0])])["a"]
    assert add_text_layers([Job("a", pdf, [0])])["a"] == first


@pytest.mark.skipif(not shutil.which("tesseract"), reason="tesseract-ocr not installed")
def test_a_ctrl_c_between_pages_stops_every_tesseract() -> None:
    buf = io.BytesIO()
    drawn().save(buf, "PNG", dpi=(200, 200))
    pic = _tesseract.Picture(buf.getvalue(), ".png", 200, (0, 0, 612, 792))
    calls = []

    def stop() -> None:
        calls.append(1)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _tesseract.read_pictures([pic] * 8, 2, 60, stop)
    assert calls == [1]  # told once, then nothing more was read
    assert not [pid for pid in os.listdir("/proc") if pid.isdigit() and _parent_is_us(pid)], (
        "a Tesseract outlived the Ctrl-C"
    )


def _parent_is_us(pid: str) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return int(stat.rsplit(")", 1)[1].split()[1]) == os.getpid()


def test_a_page_whose_resources_are_inherited_is_left_to_ocrmypdf() -> None:
    """The text layer goes into the page's own resources, which would hide an inherited image."""
    body = zlib.compress(b"\x80" * (170 * 220))
    image = gray(170, 220, **{"/Filter": pikepdf.Name.FlateDecode})
    content = b"q 122.4 0 0 158.4 0 0 cm /Im0 Do Q"
    with pikepdf.open(io.BytesIO(placed(image, body, content))) as pdf:
        assert _tesseract.picture(pdf.pages[0]) is not None
        pdf.Root.Pages.Resources = pdf.pages[0].obj.Resources
        del pdf.pages[0].obj["/Resources"]
        assert _tesseract.picture(pdf.pages[0]) is None
