"""Defensive intake of uploaded PDFs: inspect (facts for validation) and sanitize (for the packet)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pikepdf

DEFAULT_LIMITS = {"max_upload_mb": 50, "max_upload_pages": 500, "max_total_pages": 6000}
# Page keys kept from an upload; everything else (annotations, actions, structure) is dropped.
PAGE_KEYS = ("/MediaBox", "/CropBox", "/Rotate", "/Resources", "/Contents", "/UserUnit")
INHERITED = ("/MediaBox", "/CropBox", "/Rotate", "/Resources")
MAX_SCAN_OBJECTS = 2_000_000


@dataclass
class UploadFacts:
    """What inspecting one upload found; `problems` are (kind, message) pairs."""

    path: Path
    size: int = 0
    pages: int = 0
    problems: list[tuple[str, str]] = field(default_factory=list)
    # evidence: the text of each page read (intake/_text.py), [] when none was read
    text: list[str] = field(default_factory=list)

    @property
    def usable(self) -> bool:
        return not any(k in ("unreadable", "encrypted", "too-large") for k, _ in self.problems)


def _limit(limits: dict[str, Any] | None, key: str) -> float:
    return float((limits or {}).get(key) or DEFAULT_LIMITS[key])


def inspect_upload(path: Path, limits: dict[str, Any] | None = None) -> UploadFacts:
    """Look at an upload without trusting it; never raises for a bad file."""
    facts = UploadFacts(path, size=path.stat().st_size)
    max_mb = _limit(limits, "max_upload_mb")
    if facts.size == 0:
        facts.problems.append(("unreadable", "the file is empty. Upload the document again."))
        return facts
    if facts.size > max_mb * 2**20:
        facts.problems.append(
            (
                "too-large",
                f"{facts.size / 2**20:.1f} MB is over the {max_mb:g} MB limit. Scan at a lower "
                f"resolution (200 dpi greyscale is enough) or raise limits.max_upload_mb.",
            )
        )
        return facts
    with path.open("rb") as fh:
        head = fh.read(1024)
    if b"%PDF-" not in head:
        shown = head[:12].decode("latin-1").encode("unicode_escape").decode()
        facts.problems.append(
            ("unreadable", f"not a PDF (it starts with {shown!r}). Save or scan it as PDF.")
        )
        return facts
    try:
        with pikepdf.open(path) as pdf:
            _inspect_pdf(pdf, facts, limits)
    except pikepdf.PasswordError:
        facts.problems.append(
            (
                "encrypted",
                "the PDF needs a password to open. Upload a copy without a password.",
            )
        )
    except (pikepdf.PdfError, RecursionError, ValueError, OverflowError) as exc:
        reason = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
        facts.problems.append(
            ("unreadable", f"the PDF is damaged beyond repair ({reason}). Export or scan it again.")
        )
    return facts


def _inspect_pdf(pdf: pikepdf.Pdf, facts: UploadFacts, limits: dict[str, Any] | None) -> None:
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
    active = active_content(pdf)
    warnings = [w for w in pdf.get_warnings() if w]
    if warnings:
        facts.problems.append(
            (
                "repaired",
                f"the PDF was damaged and has been repaired ({warnings[0][:120]}). Check its "
                f"pages in the packet, or export it again.",
            )
        )
    if active:
        facts.problems.append(
            (
                "active-content",
                f"carries {', '.join(sorted(active))}; removed in the packet. Nothing is lost "
                f"from the printed pages.",
            )
        )


def active_content(pdf: pikepdf.Pdf) -> set[str]:
    """Names of the active or interactive features a PDF carries."""
    found: set[str] = set()
    names = pdf.Root.get("/Names")
    if isinstance(names, pikepdf.Dictionary):
        if "/JavaScript" in names:
            found.add("JavaScript")
        if "/EmbeddedFiles" in names:
            found.add("embedded files")
    if "/OpenAction" in pdf.Root or "/AA" in pdf.Root:
        found.add("automatic actions")
    for i, obj in enumerate(pdf.objects):
        if i > MAX_SCAN_OBJECTS:
            break
        if not isinstance(obj, pikepdf.Dictionary):
            continue
        if "/JS" in obj:
            found.add("JavaScript")
        action = obj.get("/S")
        if action == "/Launch":
            found.add("launch actions")
        elif action == "/JavaScript":
            found.add("JavaScript")
        if obj.get("/Type") == "/EmbeddedFile" or "/EF" in obj:
            found.add("embedded files")
    return found


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
        with contextlib.suppress(pikepdf.PdfError):
            # qpdf only (re)generates field appearances when NeedAppearances asks for it.
            src.Root.AcroForm.NeedAppearances = True
            src.generate_appearance_streams()
    with contextlib.suppress(pikepdf.PdfError):
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


def take_in(path: Path, limits: dict[str, Any] | None) -> tuple[UploadFacts, bytes | None]:
    """Inspect an upload and, when usable, sanitize it as a standalone PDF in the same pass."""
    import io

    facts = inspect_upload(path, limits)
    if not facts.usable:
        return facts, None
    try:
        with pikepdf.open(path) as src:
            out = pikepdf.new()
            sanitize_into(src, out)
            buf = io.BytesIO()
            out.save(buf, deterministic_id=True)
    except Exception as exc:  # damaged in a way inspection did not reveal
        facts.problems.append(
            ("unreadable", f"could not be taken in ({type(exc).__name__}). Export it again.")
        )
        return facts, None
    return facts, buf.getvalue()


def facts_to_json(facts: UploadFacts) -> dict[str, Any]:
    out = {"size": facts.size, "pages": facts.pages, "problems": [list(p) for p in facts.problems]}
    out["text"] = list(facts.text)  # evidence
    return out


def facts_from_json(path: Path, data: dict[str, Any]) -> UploadFacts:
    facts = UploadFacts(path, data["size"], data["pages"], [tuple(p) for p in data["problems"]])
    facts.text = list(data.get("text") or [])  # evidence
    return facts
