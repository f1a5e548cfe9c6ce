"""Defensive intake of uploads: recognise the file by its bytes, turn images and documents into
PDF (`_convert`), inspect the PDF (for findings) and sanitize it (for the packet)."""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pikepdf

from cmpacket.intake._active import message, scan
from cmpacket.intake._bounded import (
    check_image_file,
    check_pages,  # bounded decoding of every stream
)
from cmpacket.intake._convert import ConvertError, converter_name, to_pdf
from cmpacket.intake._filetype import detect

DEFAULT_LIMITS = {"max_upload_mb": 50, "max_upload_pages": 500, "max_total_pages": 6000}
# Page keys kept from an upload; everything else (annotations, actions, structure) is dropped.
PAGE_KEYS = ("/MediaBox", "/CropBox", "/Rotate", "/Resources", "/Contents", "/UserUnit")
INHERITED = ("/MediaBox", "/CropBox", "/Rotate", "/Resources")


@dataclass
class UploadFacts:
    """What inspecting one upload found; `problems` are (kind, message) pairs."""

    path: Path
    size: int = 0
    pages: int = 0
    problems: list[tuple[str, str]] = field(default_factory=list)
    kind: str = ""  # what the bytes are: "pdf", "jpeg", "docx", "zip" ... (see _filetype)
    textless: int = 0  # pages with no text layer (no font anywhere in their resources)
    converter: str = ""  # what made the PDF for a non-PDF upload ("img2pdf", "libreoffice" ...)
    # evidence: the text of each page read (intake/_text.py), [] when none was read
    text: list[str] = field(default_factory=list)
    # what the packet drops that changes nothing (e.g. an open action showing a page): a note
    dropped: list[str] = field(default_factory=list)

    @property
    def usable(self) -> bool:
        return not any(k in ("unreadable", "encrypted", "too-large") for k, _ in self.problems)


def _limit(limits: dict[str, Any] | None, key: str) -> float:
    return float((limits or {}).get(key) or DEFAULT_LIMITS[key])


ACCEPTED = (
    "cmpacket takes in PDFs, images (JPEG, PNG, TIFF, HEIC/HEIF, WebP) and documents (DOCX, DOC, "
    "ODT, RTF)"
)
ADVICE = {
    "zip": "Unpack it and refer to each document inside on its own.",
    "rar": "Unpack it and refer to each document inside on its own.",
    "7z": "Unpack it and refer to each document inside on its own.",
    "tar": "Unpack it and refer to each document inside on its own.",
    "gzip": "Unpack it and refer to the document inside.",
    "xlsx": "Print or export it to PDF and upload that.",
    "xls": "Print or export it to PDF and upload that.",
    "ods": "Print or export it to PDF and upload that.",
    "pptx": "Print or export it to PDF and upload that.",
    "ppt": "Print or export it to PDF and upload that.",
    "odp": "Print or export it to PDF and upload that.",
    "gif": "Save it as PNG or JPEG, or scan the document as PDF.",
    "bmp": "Save it as PNG or JPEG, or scan the document as PDF.",
    "avif": "Save it as JPEG or PNG.",
    "office-encrypted": "Remove the password, then save it as PDF.",
}


def _source(path: Path, facts: UploadFacts, limits: dict[str, Any] | None) -> Path | bytes | None:
    """The upload as a PDF (the file itself, or converted bytes); None after adding a problem."""

    max_mb = _limit(limits, "max_upload_mb")
    if facts.size == 0:
        facts.problems.append(("unreadable", "the file is empty. Upload the document again."))
        return None
    if facts.size > max_mb * 2**20:
        facts.problems.append(
            (
                "too-large",
                f"{facts.size / 2**20:.1f} MB is over the {max_mb:g} MB limit. Scan at a lower "
                f"resolution (200 dpi grayscale is enough) or raise limits.max_upload_mb.",
            )
        )
        return None
    ftype = detect(path)
    facts.kind = ftype.name
    if ftype.kind == "pdf":
        return path
    if not ftype.accepted:
        advice = ADVICE.get(ftype.name, "Save or scan it as PDF and upload that.")
        facts.problems.append(("unreadable", f"the file is {ftype.label}; {ACCEPTED}. {advice}"))
        return None
    if ftype.kind == "image":  # the pixel cap, from the header, before anything is decoded
        over = check_image_file(path, limits)
        if over:
            facts.problems.extend(over)
            return None
    try:
        pdf, facts.converter = to_pdf(path, ftype, _limit(limits, "max_upload_pages"))
    except ConvertError as exc:
        facts.problems.append((exc.kind, exc.message))
        return None
    return pdf


def _open(source: Path | bytes) -> pikepdf.Pdf:
    return pikepdf.open(io.BytesIO(source) if isinstance(source, bytes) else source)


def inspect_upload(path: Path, limits: dict[str, Any] | None = None) -> UploadFacts:
    """Look at an upload without trusting it; never raises for a bad file."""
    return _take(path, limits, sanitize=False)[0]


def take_in(path: Path, limits: dict[str, Any] | None) -> tuple[UploadFacts, bytes | None]:
    """Inspect an upload and, when usable, sanitize it as a standalone PDF in the same pass."""
    return _take(path, limits, sanitize=True)


def _take(
    path: Path, limits: dict[str, Any] | None, sanitize: bool
) -> tuple[UploadFacts, bytes | None]:
    facts = UploadFacts(path, size=path.stat().st_size)
    source = _source(path, facts, limits)
    if source is None:
        return facts, None
    try:
        with _qpdf_said() as said, _open(source) as pdf:
            _inspect_pdf(pdf, facts, limits, said)
            if sanitize and facts.usable:
                return facts, _sanitized(pdf, facts)
    except pikepdf.PasswordError:
        facts.problems.append(
            (
                "encrypted",
                "the PDF needs a password to open. Upload a copy without a password.",
            )
        )
    except (pikepdf.PikepdfError, RecursionError, ValueError, OverflowError) as exc:
        reason = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
        facts.problems.append(
            ("unreadable", f"the PDF is damaged beyond repair ({reason}). Export or scan it again.")
        )
    return facts, None


def _sanitized(src: pikepdf.Pdf, facts: UploadFacts) -> bytes | None:
    try:
        out = pikepdf.new()
        sanitize_into(src, out)
        buf = io.BytesIO()
        out.save(buf, deterministic_id=True)
    except Exception as exc:  # damaged in a way inspection did not reveal
        facts.problems.append(
            ("unreadable", f"could not be taken in ({type(exc).__name__}). Export it again.")
        )
        return None
    return buf.getvalue()


@contextlib.contextmanager
def _qpdf_said() -> Iterator[list[str]]:
    """What qpdf says of a damaged file while opening it, which pikepdf logs (as errors) instead
    of listing it in `get_warnings()`: kept here for the `repaired` problem, never logged (cmpacket
    reports through findings)."""
    said: list[str] = []

    def keep(record: logging.LogRecord) -> bool:
        said.append(record.getMessage())
        return False

    logger = logging.getLogger("pikepdf._core")
    logger.addFilter(keep)
    try:
        yield said
    finally:
        logger.removeFilter(keep)


def _inspect_pdf(
    pdf: pikepdf.Pdf, facts: UploadFacts, limits: dict[str, Any] | None, said: list[str]
) -> None:
    facts.pages = len(pdf.pages)
    max_pages = _limit(limits, "max_upload_pages")
    if facts.pages == 0:
        facts.problems.append(("unreadable", "the PDF has no pages. Export it again."))
        return
    if facts.pages > max_pages:
        facts.problems.append(
            (
                "too-large",
                f"{facts.pages} pages is over the {max_pages:g}-page limit for one upload. Split "
                f"it or raise limits.max_upload_pages.",
            )
        )
        return
    active, harmless, signed = scan(pdf)
    if facts.converter:  # a PDF cmpacket made from an image or document: nothing of the upload's
        active, harmless = set(), set()
    facts.textless = sum(
        1 for page in pdf.pages if not _has_font(_inherited(page.obj, "/Resources"))
    )
    warnings = [w for w in [*said, *pdf.get_warnings()] if w.strip()]
    if warnings:
        facts.problems.append(
            (
                "repaired",
                f"the PDF was damaged and has been repaired ({warnings[0][:120]}). Check its "
                f"pages in the packet, or export it again.",
            )
        )
    if active:
        facts.problems.append(("active-content", message(active)))
    facts.dropped = sorted(harmless)
    if signed:
        facts.problems.append(
            (
                "signature-dropped",
                "the PDF carries a digital signature, which cannot stay valid once its pages are "
                "in the packet; its pages are kept and the original's sha256 is in the manifest. "
                "Keep the signed original to show a reviewer who asks for it.",
            )
        )
    # Every stream the pages use, decoded once within the caps (intake/_bounded.py).
    facts.problems.extend(check_pages(pdf, limits))


def active_content(pdf: pikepdf.Pdf) -> set[str]:
    """Names of the active features a PDF carries that matter (scripts, attached files, launch
    actions, automatic actions reaching outside the file; see `_active`)."""
    return scan(pdf)[0]


def _has_font(resources: Any, seen: set[tuple[int, int]] | None = None) -> bool:
    """Whether text can be shown with these resources: a font, here or in a form XObject."""
    if not isinstance(resources, pikepdf.Dictionary):
        return False
    fonts = resources.get("/Font")
    if isinstance(fonts, pikepdf.Dictionary) and len(fonts.keys()) > 0:
        return True
    xobjects = resources.get("/XObject")
    if not isinstance(xobjects, pikepdf.Dictionary):
        return False
    seen = set() if seen is None else seen
    for key in list(xobjects.keys())[:1000]:
        xobj = xobjects.get(key)
        if not isinstance(xobj, pikepdf.Stream) or xobj.get("/Subtype") != "/Form":
            continue
        ref = xobj.objgen
        if ref in seen or len(seen) > 10_000:
            continue
        seen.add(ref)
        if _has_font(xobj.get("/Resources"), seen):
            return True
    return False


def _inherited(page: pikepdf.Dictionary, key: str) -> Any:
    node: Any = page
    depth = 0
    while isinstance(node, pikepdf.Dictionary) and depth < 64:
        if key in node:
            return node[key]
        node, depth = node.get("/Parent"), depth + 1
    return None


def sanitize_into(src: pikepdf.Pdf, dest: pikepdf.Pdf) -> int:
    """Append `src`'s pages to `dest` with forms flattened and nothing interactive left.

    Returns the number of pages appended. Widgets and annotations with appearances are burnt
    into the page content first so visible form values stay.
    """
    if isinstance(src.Root.get("/AcroForm"), pikepdf.Dictionary):
        with contextlib.suppress(pikepdf.PikepdfError):
            # qpdf only (re)generates field appearances when NeedAppearances asks for it.
            src.Root.AcroForm.NeedAppearances = True
            src.generate_appearance_streams()
    with contextlib.suppress(pikepdf.PikepdfError):
        src.flatten_annotations(mode="all")
    count = 0
    for page in src.pages:
        obj = page.obj
        clean = pikepdf.Dictionary(Type=pikepdf.Name.Page)
        for key in PAGE_KEYS:
            value = _inherited(obj, key) if key in INHERITED else obj.get(key)
            if value is not None:
                clean[key] = value
        if "/MediaBox" not in clean:
            clean["/MediaBox"] = pikepdf.Array([0, 0, 612, 792])
        if "/Resources" not in clean:
            clean["/Resources"] = pikepdf.Dictionary()
        dest.pages.append(pikepdf.Page(dest.copy_foreign(src.make_indirect(clean))))
        count += 1
    return count


def intake_tag(path: Path) -> str:
    """What intake of this file depends on besides its bytes (the converter for its type)."""

    try:
        return converter_name(detect(path))
    except OSError:
        return "unreadable"


def facts_to_json(facts: UploadFacts) -> dict[str, Any]:
    return {
        "size": facts.size,
        "pages": facts.pages,
        "problems": [list(p) for p in facts.problems],
        "kind": facts.kind,
        "textless": facts.textless,
        "converter": facts.converter,
        "dropped": facts.dropped,
    }  # the text a proof shows is cached apart, read only for proofs (build/_text.py)


def facts_from_json(path: Path, data: dict[str, Any]) -> UploadFacts:
    problems = [(str(k), str(m)) for k, m in data["problems"]]
    return UploadFacts(
        path,
        data["size"],
        data["pages"],
        problems,
        data.get("kind", ""),
        data.get("textless", 0),
        data.get("converter", ""),
        dropped=list(data.get("dropped", [])),
    )
