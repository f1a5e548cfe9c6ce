"""What an upload PDF carries besides its pages, told apart by whether it matters.

Sanitizing (`_pdf.sanitize_into`) copies each page's content and resources into a new PDF and
nothing else: the document's open action and triggers (`/OpenAction`, `/AA`), its name trees
(JavaScript, embedded files), every annotation (burnt into the page when it has an appearance)
and every form field (flattened, its value kept visible) are gone. So nothing active reaches the
packet; what is worth a warning is what the agency may miss or should know of: scripts (a form
whose values they format or calculate may print otherwise), files attached inside the PDF (not in
the packet), launch actions and open or trigger actions that reach outside the file (a web
address, another file, form data sent, media). An open action that only shows a page or a view,
as LibreOffice, LaTeX and most PDF writers add, is dropped as harmlessly as the rest: a note.
"""

from __future__ import annotations

from typing import Any

import pikepdf

MAX_SCAN_OBJECTS = 2_000_000
MAX_CHAIN = 32  # actions followed through /Next
# Actions that only move the view within the file: dropping them changes nothing on the pages.
NAVIGATION = ("/GoTo", "/Named", "/Thread", "/Trans", "/SetOCGState", "/Hide", "/GoTo3DView")
REACHING = {
    "/URI": "an automatic action that opens a web address",
    "/SubmitForm": "an automatic action that sends form data",
    "/ImportData": "an automatic action that loads form data",
    "/ResetForm": "an automatic action that resets form fields",
    "/GoToR": "an automatic action that opens another file",
    "/GoToE": "an automatic action that opens another file",
    "/Sound": "an automatic action that plays media",
    "/Movie": "an automatic action that plays media",
    "/Rendition": "an automatic action that plays media",
    "/RichMediaExecute": "an automatic action that plays media",
}
BENIGN = "an open action that shows a page or view"


def scan(pdf: pikepdf.Pdf) -> tuple[set[str], set[str], bool]:
    """One pass over the objects: (the active features that matter, the harmless ones the
    packet drops, whether a digital signature is present)."""
    found: set[str] = set()
    harmless: set[str] = set()
    signed = False
    names = pdf.Root.get("/Names")
    if isinstance(names, pikepdf.Dictionary):
        if "/JavaScript" in names:
            found.add("JavaScript")
        if "/EmbeddedFiles" in names and not _own_packet(pdf, names):
            found.add("embedded files")
    for action in _automatic(pdf):
        _classify(action, found, harmless)
    for i, obj in enumerate(pdf.objects):
        if i > MAX_SCAN_OBJECTS:
            break
        if not isinstance(obj, pikepdf.Dictionary):
            continue
        if "/JS" in obj:
            found.add("JavaScript")
        kind = obj.get("/S")
        if kind == "/Launch":
            found.add("launch actions")
        elif kind == "/JavaScript":
            found.add("JavaScript")
        attached = obj.get("/Type") == "/EmbeddedFile" or "/EF" in obj
        if attached and "embedded files" not in found and not _own_packet(pdf, names):
            found.add("embedded files")
        if "/ByteRange" in obj and "/Contents" in obj:  # a signature value (PDF 32000 12.8.1)
            signed = True
    return found, harmless, signed


def message(found: set[str]) -> str:
    """The warning for the features that matter: what they are, what the packet keeps, the fix."""
    advice = []
    if "embedded files" in found:
        advice.append(
            "Files attached inside the PDF are not in the packet: upload each one that belongs "
            "there on its own."
        )
    if "JavaScript" in found:
        advice.append(
            "Scripts that fill, format or calculate form fields do not run: check the values on "
            "its pages in the packet."
        )
    if not advice:
        advice.append("Nothing on its pages depends on them; no action is needed for the packet.")
    return (
        f"carries {', '.join(sorted(found))}; the packet keeps its printed pages and drops these. "
        + " ".join(advice)
    )


def _automatic(pdf: pikepdf.Pdf) -> list[Any]:
    """The document's open action and the actions of its triggers (`/AA`), with their chains."""
    roots = [pdf.Root.get("/OpenAction")]
    triggers = pdf.Root.get("/AA")
    if isinstance(triggers, pikepdf.Dictionary):
        roots += [triggers.get(key) for key in list(triggers.keys())[:MAX_CHAIN]]
    out: list[Any] = []
    for action in roots:
        while action is not None and len(out) < MAX_CHAIN:
            out.append(action)
            following = action.get("/Next") if isinstance(action, pikepdf.Dictionary) else None
            if isinstance(following, pikepdf.Array):
                out += list(following)[:MAX_CHAIN]
                following = None
            action = following
    return out


def _classify(action: Any, found: set[str], harmless: set[str]) -> None:
    if isinstance(action, pikepdf.Array):  # a destination: open at a page
        harmless.add(BENIGN)
        return
    if not isinstance(action, pikepdf.Dictionary):
        return
    kind = str(action.get("/S", ""))
    if kind in NAVIGATION:
        harmless.add(BENIGN)
    elif kind == "/JavaScript":
        found.add("JavaScript")
    elif kind == "/Launch":
        found.add("launch actions")
    else:
        found.add(REACHING.get(kind, f"an automatic action ({kind.lstrip('/') or 'unknown'})"))


def _own_packet(pdf: pikepdf.Pdf, names: Any) -> bool:
    """A packet (or part) cmpacket wrote: its one attachment is the manifest cmpacket embeds."""
    info = pdf.trailer.get("/Info")  # not `pdf.docinfo`, which adds one when there is none
    producer = str(info.get("/Producer", "")) if isinstance(info, pikepdf.Dictionary) else ""
    if not producer.startswith("cmpacket"):
        return False
    tree = names.get("/EmbeddedFiles") if isinstance(names, pikepdf.Dictionary) else None
    listed = tree.get("/Names") if isinstance(tree, pikepdf.Dictionary) else None
    if not isinstance(listed, pikepdf.Array) or len(listed) != 2:
        return False
    return str(listed[0]) == "manifest.json"
