"""OCR of a page that is nothing but one upright image, by Tesseract itself.

This is what image uploads become in intake (img2pdf: `q W 0 0 H X Y cm /Im0 Do Q`) and how most
scanners write a page. Tesseract reads the image as it is stored, without rendering the page: a
PNG predictor-coded Flate stream is already a PNG's image data, so the file Tesseract reads is the
stream's bytes with a PNG header around them (a JPEG stream is a JPEG file); other encodings are
decoded once and written as a fast PNG. Tesseract's text-only PDF (`textonly_pdf=1`: invisible
text, render mode 3, in its glyphless font) is then placed over the image, scaled to the image's
rectangle, as OCRmyPDF's sandwich renderer does. The visible page is unchanged.

For the same page, this does Tesseract's work alone: no rendering of the page to an image, no
OCRmyPDF process to start (about 1 s of a run) and no hOCR rendering, so the step runs at
Tesseract's own speed. Any other page (rotated, drawn with more than one image, vector content,
masks, CMYK) goes to OCRmyPDF, as does a page Tesseract fails on here.
"""

from __future__ import annotations

import io
import os
import struct
import subprocess
import tempfile
import threading
import zlib
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import pikepdf

LANGUAGE = "eng"  # as `_ocr.LANGUAGE`
SETTINGS = "image pages: tesseract textonly_pdf"  # part of the OCR cache key (`_ocr.settings`)
DPI_SKEW = 0.01  # pixels this much wider than tall (or taller) are not square: OCRmyPDF's case
GRAY, RGB = 0, 2  # PNG colour types
PNG = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class Picture:
    """A page's one image as a file Tesseract reads, and where the page draws it."""

    data: bytes
    suffix: str  # ".png" or ".jpg"
    dpi: int
    rect: tuple[float, float, float, float]  # x0, y0, x1, y1 in the page's user space


def picture(page: pikepdf.Page) -> Picture | None:
    """The page's image for Tesseract when the page draws nothing else, upright and with square
    pixels; None for any other page (OCRmyPDF renders those)."""
    if int(page.obj.get("/Rotate", 0)) % 360:
        return None
    try:
        ops = [(list(i.operands), str(i.operator)) for i in pikepdf.parse_content_stream(page)]
    except pikepdf.PdfError:
        return None
    if [op for _, op in ops] == ["q", "cm", "Do", "Q"]:
        ops = ops[1:3]
    if [op for _, op in ops] != ["cm", "Do"] or len(ops[0][0]) != 6 or len(ops[1][0]) != 1:
        return None
    try:
        a, b, c, d, x, y = (float(v) for v in ops[0][0])
    except (TypeError, ValueError):
        return None
    image = _xobjects(page).get(str(ops[1][0][0]))
    if b or c or a <= 0 or d <= 0 or not isinstance(image, pikepdf.Stream):
        return None
    if image.get("/Subtype") != "/Image" or any(
        k in image for k in ("/ImageMask", "/SMask", "/Mask", "/Decode")
    ):
        return None
    width, height = int(image.get("/Width", 0)), int(image.get("/Height", 0))
    if width <= 0 or height <= 0:
        return None
    dpi_x, dpi_y = width * 72 / a, height * 72 / d
    if abs(dpi_x - dpi_y) > DPI_SKEW * dpi_x:
        return None
    dpi = max(1, round(dpi_x))
    data = _stored(image, width, height, dpi) or _decoded(image, dpi)
    if data is None:
        return None
    return Picture(data[0], data[1], dpi, (x, y, x + a, y + d))


def _xobjects(page: pikepdf.Page) -> pikepdf.Dictionary:
    """The XObjects of the page's own resources; empty if it has none (resources inherited from
    the page tree are not looked at: the text layer is added to the page's own)."""
    resources = page.obj.get("/Resources")
    found = resources.get("/XObject") if isinstance(resources, pikepdf.Dictionary) else None
    return found if isinstance(found, pikepdf.Dictionary) else pikepdf.Dictionary()


def _stored(image: pikepdf.Stream, width: int, height: int, dpi: int) -> tuple[bytes, str] | None:
    """The image's stored bytes as a file, when they already are one (no decoding)."""
    filters = image.get("/Filter")
    if isinstance(filters, pikepdf.Array):
        filters = filters[0] if len(filters) == 1 else None
    colours = _colours(image.get("/ColorSpace"))
    bits = int(image.get("/BitsPerComponent", 0))
    if filters == "/DCTDecode" and colours in (1, 3) and bits == 8:
        return image.read_raw_bytes(), ".jpg"
    params = image.get("/DecodeParms")
    if isinstance(params, pikepdf.Array):
        params = params[0] if len(params) == 1 else None
    if filters != "/FlateDecode" or not isinstance(params, pikepdf.Dictionary):
        return None
    if int(params.get("/Predictor", 1)) < 10:  # 10-15: PNG rows, each with its filter byte
        return None
    if int(params.get("/Colors", 1)) != colours or int(params.get("/Columns", 1)) != width:
        return None
    if int(params.get("/BitsPerComponent", 8)) != bits:
        return None
    if (colours, bits) not in {(1, 1), (1, 2), (1, 4), (1, 8), (1, 16), (3, 8), (3, 16)}:
        return None
    kind = GRAY if colours == 1 else RGB
    return _png(width, height, bits, kind, dpi, image.read_raw_bytes()), ".png"


def _colours(space: object) -> int | None:
    """Components of a grey or RGB colour space (ICC-based included); None for any other."""
    if space == "/DeviceGray":
        return 1
    if space == "/DeviceRGB":
        return 3
    if isinstance(space, pikepdf.Array) and len(space) == 2 and space[0] == "/ICCBased":
        n = space[1].get("/N") if isinstance(space[1], pikepdf.Stream) else None
        return int(n) if n in (1, 3) else None
    return None


def _png(width: int, height: int, bits: int, kind: int, dpi: int, idat: bytes) -> bytes:
    """A PNG file around zlib data already coded as PNG rows."""
    per_metre = round(dpi / 0.0254)
    return b"".join(
        (
            PNG,
            _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, bits, kind, 0, 0, 0)),
            _chunk(b"pHYs", struct.pack(">IIB", per_metre, per_metre, 1)),
            _chunk(b"IDAT", idat),
            _chunk(b"IEND", b""),
        )
    )


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _decoded(image: pikepdf.Stream, dpi: int) -> tuple[bytes, str] | None:
    """Any other grey, black-and-white or RGB image, decoded and written as a fast PNG."""
    if _colours(image.get("/ColorSpace")) is None and image.get("/ColorSpace") is not None:
        return None
    try:
        pil = pikepdf.PdfImage(image).as_pil_image()
        if pil.mode not in ("1", "L", "RGB"):
            return None
        out = io.BytesIO()
        pil.save(out, format="PNG", compress_level=1, dpi=(dpi, dpi))
    except Exception:  # noqa: BLE001 (any decoding problem: OCRmyPDF is the fallback)
        return None
    return out.getvalue(), ".png"


def read_pictures(
    pictures: list[Picture],
    jobs: int,
    timeout: float,
    on_page: Callable[[], None],
) -> list[bytes | None]:
    """Tesseract's one-page text-only PDF for each picture, `jobs` Tesseracts at a time; None
    where Tesseract failed. `on_page` is called in this thread each time a page is done; it may
    raise (Ctrl-C at a safe point), which stops the Tesseracts running and starts no more."""
    out: list[bytes | None] = [None] * len(pictures)
    if not pictures:
        return out
    stop = threading.Event()
    live: set[subprocess.Popen[bytes]] = set()
    lock = threading.Lock()
    with tempfile.TemporaryDirectory(prefix="cmpacket-ocr-") as tmp:
        env = dict(os.environ, OMP_THREAD_LIMIT="1", TMPDIR=tmp)

        def read(i: int) -> bytes | None:
            if stop.is_set():
                return None
            pic = pictures[i]
            src, base = Path(tmp) / f"{i}{pic.suffix}", Path(tmp) / str(i)
            src.write_bytes(pic.data)
            cmd = ["tesseract", str(src), str(base), "-l", LANGUAGE, "--dpi", str(pic.dpi),
                   "-c", "textonly_pdf=1", "pdf"]  # fmt: skip
            with lock:
                if stop.is_set():
                    return None
                child = subprocess.Popen(
                    cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL, env=env, cwd=tmp,
                )  # fmt: skip
                live.add(child)
            try:
                code = child.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
                code = -1
            finally:
                with lock:
                    live.discard(child)
            made = base.with_suffix(".pdf")
            src.unlink()
            if code != 0 or not made.is_file():
                return None
            data = made.read_bytes()
            made.unlink()
            return data

        pool = ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="cmpacket-ocr")
        try:
            futures: dict[Future[bytes | None], int] = {
                pool.submit(read, i): i for i in range(len(pictures))
            }
            for future in as_completed(futures):
                out[futures[future]] = future.result()
                on_page()
        except BaseException:
            stop.set()
            with lock:
                for child in live:
                    child.kill()
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
    return out


def lay_over(pdf: pikepdf.Pdf, index: int, text: bytes, rect: tuple[float, ...]) -> bool:
    """Tesseract's text-only page over page `index`'s image, scaled to the image's rectangle
    (`rect`), named /OCR, /OCR1 ... among the page's XObjects (never a random name: the same
    input gives the same bytes); False if `text` is not one page."""
    try:
        with pikepdf.open(io.BytesIO(text)) as layer:
            if len(layer.pages) != 1:
                return False
            form = pdf.copy_foreign(layer.pages[0].as_form_xobject())
    except pikepdf.PdfError:
        return False
    page = pdf.pages[index]
    taken = set(_xobjects(page).keys())
    name = next(n for n in (f"/OCR{k or ''}" for k in range(len(taken) + 1)) if n not in taken)
    placed = page.add_resource(form, pikepdf.Name.XObject, pikepdf.Name(name))
    where = page.calc_form_xobject_placement(form, placed, pikepdf.Rectangle(*rect))
    page.contents_add(b"q\n", prepend=True)
    page.contents_add(b"Q\n" + where)
    page.contents_coalesce()
    return True
