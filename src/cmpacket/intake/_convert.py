"""Turn an image or a word-processing document into PDF bytes for intake.

Images: upright by their EXIF orientation (a /Rotate on the page when the JPEG can stay as it is,
else the pixels are turned), transparent areas on white, JPEG and PNG embedded as they are where
the format allows (img2pdf), every TIFF frame a page, sized by the image's resolution and scaled
down to fit a Letter page when larger (an image without a resolution is taken at 96 dpi).
Documents: LibreOffice when `soffice` is installed; a DOCX also by the built-in converter.
"""

from __future__ import annotations

import contextlib
import io
import subprocess
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cmpacket.convert import docx_to_html, html_to_pdf, soffice_pdf
from cmpacket.convert import soffice as find
from cmpacket.intake._filetype import FileType
from cmpacket.templates import BUILTIN_ROOT, TemplateRegistry

LETTER = (612.0, 792.0)  # points
MIN_DPI, MAX_DPI = 50.0, 4800.0
FALLBACK_DPI = 96.0
SOFFICE_TIMEOUT = 180
MIRRORED = (2, 4, 5, 7)  # EXIF orientations a page /Rotate cannot express


class ConvertError(Exception):
    """A file intake cannot turn into PDF; `kind` is a facts problem kind."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


def converter_name(ftype: FileType) -> str:
    """What turns a file of this type into PDF here (part of the intake cache key)."""
    if ftype.kind == "image":
        import img2pdf
        import PIL

        extra = ""
        if ftype.name == "heif":
            import pillow_heif

            extra = f" pillow-heif {pillow_heif.__version__}"
        return f"img2pdf {img2pdf.__version__} pillow {PIL.__version__}{extra}"
    if ftype.kind == "document":
        exe = soffice()
        if exe:
            return f"libreoffice {exe}"
        return "builtin-docx-html" if ftype.name == "docx" else "none"
    return "pdf"


def soffice() -> str | None:

    return find()


def to_pdf(path: Path, ftype: FileType, max_pages: float) -> tuple[bytes, str]:
    """PDF bytes of an image or document upload, and the converter used; raises ConvertError."""
    if ftype.kind == "image":
        return image_to_pdf(path, ftype, max_pages), "img2pdf"
    if ftype.kind == "document":
        return document_to_pdf(path, ftype)
    raise ConvertError("unreadable", f"the file is {ftype.label}, which cannot be taken in.")


# -- images -----------------------------------------------------------------------------------


def letter_layout(wpx: float, hpx: float, ndpi: tuple[float, float]) -> tuple[float, ...]:
    """img2pdf layout: the image at its resolution, shrunk to fit Letter (either orientation)."""
    xdpi, ydpi = (d if d and MIN_DPI <= d <= MAX_DPI else FALLBACK_DPI for d in ndpi)
    w, h = wpx * 72.0 / xdpi, hpx * 72.0 / ydpi
    box_w, box_h = LETTER if w <= h else LETTER[::-1]
    scale = min(1.0, box_w / w, box_h / h)
    return (w * scale, h * scale, w * scale, h * scale)


@contextlib.contextmanager
def _pillow() -> Iterator[Any]:
    from PIL import Image

    if not getattr(_pillow, "heif", False):
        with contextlib.suppress(ImportError):
            import pillow_heif

            pillow_heif.register_heif_opener()
        _pillow.heif = True  # type: ignore[attr-defined]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        yield Image


def image_to_pdf(path: Path, ftype: FileType, max_pages: float) -> bytes:
    import img2pdf

    with _pillow() as Image:
        try:
            with Image.open(path) as im:
                frames = getattr(im, "n_frames", 1)
                if frames > max_pages:
                    raise ConvertError(
                        "too-large",
                        f"the image has {frames} pages (frames), over the {max_pages:g}-page "
                        f"limit for one upload. Split it or raise limits.max_upload_pages.",
                    )
                direct = ftype.name in ("jpeg", "png", "tiff") and not _needs_pixels(im)
        except Image.DecompressionBombError:
            raise ConvertError(
                "too-large",
                "the image has too many pixels to take in safely. Save it at a lower resolution "
                "(200-300 dpi is enough for a document).",
            ) from None
        except ConvertError:
            raise
        except Exception as exc:  # Pillow raises many types for a damaged file
            raise ConvertError(
                "unreadable",
                f"the file is {ftype.label} that cannot be opened ({_reason(exc)}). Save or scan it again.",
            ) from None
        try:
            if direct:
                data = path.read_bytes()
                return _img2pdf([data])
            return _img2pdf(list(_redrawn(path, ftype)))
        except ConvertError:
            raise
        except Image.DecompressionBombError:
            raise ConvertError(
                "too-large",
                "the image has too many pixels to take in safely. Save it at a lower resolution.",
            ) from None
        except (img2pdf.ImageOpenError, OSError, ValueError, SyntaxError) as exc:
            raise ConvertError(
                "unreadable",
                f"the file is {ftype.label} that cannot be read ({_reason(exc)}). Save or scan it again.",
            ) from None
        except Exception as exc:  # img2pdf's colour-space and format errors
            raise ConvertError(
                "unreadable",
                f"the file is {ftype.label} that cannot be converted ({_reason(exc)}). Save it as JPEG "
                f"or PDF and upload that.",
            ) from None


def _img2pdf(images: list[bytes]) -> bytes:
    import img2pdf

    out = img2pdf.convert(
        images,
        layout_fun=letter_layout,
        rotation=img2pdf.Rotation.auto,
        nodate=True,
        engine=img2pdf.Engine.pikepdf,
    )
    assert isinstance(out, bytes)
    return out


def _has_alpha(frame: Any) -> bool:
    return frame.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in frame.info


def _orientation(frame: Any) -> int:
    try:
        return int(frame.getexif().get(274, 1) or 1)
    except Exception:
        return 1


def _needs_pixels(im: Any) -> bool:
    """True when img2pdf cannot embed the file as it is: transparency, a mirrored orientation,
    or a pixel format PDF has no colour space for."""
    from PIL import ImageSequence

    for frame in ImageSequence.Iterator(im):
        if _has_alpha(frame) or _orientation(frame) in MIRRORED:
            return True
        if frame.mode not in ("1", "L", "P", "RGB", "CMYK"):
            return True
    return False


def _redrawn(path: Path, ftype: FileType) -> Iterator[bytes]:
    """Each frame upright and opaque, encoded as JPEG (photos) or PNG (lossless sources)."""
    from PIL import Image, ImageOps, ImageSequence

    lossy = ftype.name in ("jpeg", "heif") or (ftype.name == "webp" and _lossy_webp(path))
    with Image.open(path) as im:
        for frame in ImageSequence.Iterator(im):
            dpi = frame.info.get("dpi")
            page = ImageOps.exif_transpose(frame.copy())
            if _has_alpha(page):
                rgba = page.convert("RGBA")
                flat = Image.new("RGB", rgba.size, (255, 255, 255))
                flat.paste(rgba, mask=rgba.getchannel("A"))
                page = flat
            elif page.mode == "CMYK" and lossy:
                pass
            elif page.mode not in ("1", "L", "RGB"):
                page = page.convert("RGB" if page.mode not in ("I;16", "I", "F") else "L")
            buf = io.BytesIO()
            save: dict[str, Any] = {"dpi": dpi} if dpi else {}
            if lossy and page.mode != "1":
                page.save(buf, "JPEG", quality=90, **save)
            else:
                page.save(buf, "PNG", **save)
            yield buf.getvalue()


def _lossy_webp(path: Path) -> bool:
    with path.open("rb") as fh:
        head = fh.read(4096)
    return b"VP8L" not in head[12:]


def _reason(exc: BaseException) -> str:
    text = str(exc).splitlines()[0][:120] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


# -- documents --------------------------------------------------------------------------------


def document_to_pdf(path: Path, ftype: FileType) -> tuple[bytes, str]:
    exe = soffice()
    if exe:
        return libreoffice(exe, path, ftype), "libreoffice"
    if ftype.name == "docx":
        return builtin_docx(path, ftype), "builtin-docx-html"
    raise ConvertError(
        "unreadable",
        f"the file is {ftype.label}; converting it needs LibreOffice, which is not installed here. "
        f"Install LibreOffice (e.g. apt-get install libreoffice-writer-nogui) or save the "
        f"document as PDF and upload that.",
    )


def libreoffice(exe: str, path: Path, ftype: FileType, timeout: int = SOFFICE_TIMEOUT) -> bytes:
    """Convert with an isolated LibreOffice profile (never the user's), within `timeout` s."""

    try:
        pdf = soffice_pdf(exe, path.read_bytes(), ftype.name, timeout)
    except subprocess.TimeoutExpired:
        raise ConvertError(
            "unreadable",
            f"the file is {ftype.label} that LibreOffice did not finish converting within {timeout} s. "
            f"Save it as PDF and upload that.",
        ) from None
    if pdf is None:
        raise ConvertError(
            "unreadable",
            f"the file is {ftype.label} that LibreOffice could not convert (damaged, or protected by "
            f"a password). Open it in a word processor and save it as PDF.",
        )
    return pdf


def builtin_docx(path: Path, ftype: FileType) -> bytes:
    """DOCX -> simple HTML -> WeasyPrint, with the packet's own stylesheet."""

    try:
        html = docx_to_html(path.read_bytes())
    except Exception as exc:  # python-docx raises KeyError, ValueError, lxml errors ...
        raise ConvertError(
            "unreadable",
            f"the file is {ftype.label} that cannot be read ({_reason(exc)}). Open it in Word and save it "
            f"again, or save it as PDF.",
        ) from None
    return html_to_pdf(html, TemplateRegistry([BUILTIN_ROOT]), path.name)
