"""`--compress-scans`: image-only upload pages re-encoded as JPEG at 200 dpi, so a scan-heavy
packet fits a receiver's size cap. Lossy, so never applied without the flag, and the manifest
lists every upload it changed (`compressed_scans`).

Only pages with no text (no font anywhere in their resources: scans and photos) are touched, and
on them only images that are over 200 dpi or not already JPEG, and only where the JPEG is
smaller than what it replaces. Images with transparency masks are left alone.
"""

from __future__ import annotations

import io
from typing import Any

import pikepdf
from pikepdf import Name

from cmpacket.intake._pdf import _has_font, _inherited

DPI = 200
QUALITY = 75
VERSION = "1"  # bump when the encoding changes: cached compressed copies are keyed by it


def compress_scans(pdf: bytes) -> tuple[bytes, int]:
    """The PDF with its image-only pages' images as 200 dpi JPEG; and how many pages changed."""
    changed = 0
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        for page in doc.pages:
            resources = _inherited(page.obj, "/Resources")
            if _has_font(resources) or not isinstance(resources, pikepdf.Dictionary):
                continue
            xobjects = resources.get("/XObject")
            if not isinstance(xobjects, pikepdf.Dictionary):
                continue
            size = _page_inches(page)
            done = [_recode(xobjects[name], size) for name in list(xobjects.keys())]
            changed += any(done)
        if not changed:
            return pdf, 0
        out = io.BytesIO()
        doc.save(out, deterministic_id=True)
    return out.getvalue(), changed


def _page_inches(page: pikepdf.Page) -> tuple[float, float]:
    box = [float(v) for v in page.mediabox]
    return abs(box[2] - box[0]) / 72, abs(box[3] - box[1]) / 72


def _recode(image: Any, page: tuple[float, float]) -> bool:
    """Re-encode one image XObject in place when that makes it 200 dpi JPEG and smaller."""
    if not isinstance(image, pikepdf.Stream) or image.get("/Subtype") != Name.Image:
        return False
    if "/SMask" in image or "/Mask" in image or image.get("/ImageMask"):
        return False
    try:
        pim = pikepdf.PdfImage(image)
        width, height = pim.width, pim.height
        # the image fills the page in its own orientation (a scan or a photo)
        long_in, short_in = max(page), min(page)
        dpi = max(max(width, height) / max(long_in, 0.1), min(width, height) / max(short_in, 0.1))
        is_jpeg = image.get("/Filter") == Name.DCTDecode
        if is_jpeg and dpi <= DPI * 1.05:
            return False
        picture = pim.as_pil_image()
    except (pikepdf.PikepdfError, NotImplementedError, ValueError, OSError):
        return False  # a kind of image we do not decode: leave it as it is
    scale = min(1.0, DPI / dpi)
    if scale < 1.0:
        new = (max(1, round(width * scale)), max(1, round(height * scale)))
        picture = picture.resize(new)
    gray = picture.mode in ("1", "L", "LA", "I", "I;16")
    picture = picture.convert("L" if gray else "RGB")
    buf = io.BytesIO()
    picture.save(buf, format="JPEG", quality=QUALITY, optimize=True)
    data = buf.getvalue()
    if len(data) >= len(image.read_raw_bytes()):
        return False
    image.write(data, filter=Name.DCTDecode)
    image.Width, image.Height = picture.width, picture.height
    image.ColorSpace = Name.DeviceGray if gray else Name.DeviceRGB
    image.BitsPerComponent = 8
    for key in ("/DecodeParms", "/Decode", "/Intent"):
        if key in image:
            del image[key]
    return True
