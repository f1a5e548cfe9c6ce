"""The reviewer's checks over a finished packet (SPEC §8); the build runs them on its own output.

A received packet is untrusted input: every stream is decoded in bounded chunks under the caps of
`VerifyLimits`, the manifest is parsed with a bounded parser and checked against a schema before
use, and every walk over the PDF's structure is bounded. Whatever the file, the result is a list of
findings (exit 1) or a PacketError (exit 2) -- never an exception of another kind.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pikepdf
from pikepdf import Dictionary

from cmpacket.assemble._pdfops import page_digest, read_stamp
from cmpacket.errors import PacketError
from cmpacket.findings import Finding
from cmpacket.verify._limits import DEFAULT_LIMITS, VerifyLimits, limits_from_options
from cmpacket.verify._manifest import ManifestInvalid, parse_manifest
from cmpacket.verify._streams import StreamTooLarge, StreamUnreadable, read_bounded
from cmpacket.verify._structure import OutlineTooLarge, large_images, page_numbers, read_outline

__all__ = [
    "DEFAULT_LIMITS",
    "ManifestInvalid",
    "VerifyLimits",
    "VerifyResult",
    "limits_from_options",
    "open_packet",
    "read_manifest",
    "verify_packet",
    "verify_source",
]

CITE = "SPEC §8"
_PAGE_RE = re.compile(r"Page (\d+) of (\d+)")
_STAMP_MARK = b"%cmpacket-stamp"
_STAMP_PARENS = 64  # more "(" than this in a stamp stream: not a cmpacket stamp (and slow to scan)
_SHOWN = 20  # findings of one kind listed one by one; the rest are counted
_PER_CODE = 50  # whatever a hostile manifest claims, at most this many findings of one code
# What reading a damaged or hostile PDF can raise from pikepdf (qpdf errors, wrong object types).
_PDF_ERRORS = (pikepdf.PdfError, AttributeError, TypeError, ValueError, KeyError, IndexError)


@dataclass
class VerifyResult:
    """Every failed check as an error finding; `ok` when there are none."""

    findings: list[Finding] = field(default_factory=list)
    manifest: dict[str, Any] | None = None
    pages: int = 0
    _counts: dict[str, int] = field(default_factory=dict, repr=False)

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def summary(self) -> str:
        if self.ok:
            return f"verified: {self.pages} pages, every check passed"
        return f"FAILED: {len(self.findings)} problem(s) in {self.pages} pages"

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "pages": self.pages,
            "counts": {"error": len(self.findings), "warning": 0, "info": 0},
            "findings": [f.as_dict() for f in self.findings],
        }

    def fail(self, code: str, path: str, message: str, location: str = "") -> None:
        """Record a failed check; past _PER_CODE findings of one code, only count them."""
        seen = self._counts.get(code, 0) + 1
        self._counts[code] = seen
        if seen <= _PER_CODE:
            self.findings.append(Finding(code, "error", path, message, CITE, location))

    def close(self) -> None:
        """Add one finding per code that had more findings than were listed."""
        for code, seen in sorted(self._counts.items()):
            if seen > _PER_CODE:
                self.findings.append(
                    Finding(
                        code, "error", "packet", f"{seen - _PER_CODE} more like the above.", CITE
                    )
                )
        self._counts.clear()


_QPDF_SOURCE = re.compile(
    r"^(?:stream )?<_io\.\w+ object at 0x[0-9a-f]+>:? ?|^[^:]*\.pdf:? ?", re.I
)


def _first_line(exc: BaseException) -> str:
    """The first line of an error, without qpdf's name for the file (a path or `stream <...>`)."""
    line = (str(exc).splitlines() or [type(exc).__name__])[0]
    return _QPDF_SOURCE.sub("", line)[:160] or type(exc).__name__


def _open(data: bytes | Path, name: str, inherit: bool) -> pikepdf.Pdf:
    source = data if isinstance(data, Path) else io.BytesIO(data)
    return pikepdf.open(source, inherit_page_attributes=inherit)


def open_packet(data: bytes | Path, name: str) -> pikepdf.Pdf:
    """Open a packet from bytes or a path (a path is read lazily, not loaded whole).

    A packet whose page tree cannot be walked (a loop) is still opened, so its manifest can be
    read; `len(pdf.pages)` then raises pikepdf.PdfError.
    """
    return _open_checked(data, name)[0]


def _open_checked(data: bytes | Path, name: str) -> tuple[pikepdf.Pdf, str | None]:
    """(pdf, why its page tree is unusable or None)."""
    try:
        return _open(data, name, inherit=True), None
    except pikepdf.PasswordError:
        raise PacketError(f"{name}: the PDF is encrypted; a cmpacket packet never is.") from None
    except (pikepdf.PdfError, ValueError, RecursionError, RuntimeError) as exc:
        problem = _first_line(exc).removeprefix(f"{data}: " if isinstance(data, Path) else "")
    try:  # opening walks the page tree; without that walk, the rest may still be readable
        return _open(data, name, inherit=False), problem
    except (pikepdf.PdfError, ValueError, RecursionError, RuntimeError):
        pass
    head, tail = _ends(data)
    if b"%PDF-" in head:
        truncated = b"%%EOF" not in tail
        raise DamagedPacket(f"{name}: not a readable PDF ({problem}).", problem, truncated)
    raise PacketError(f"{name}: not a readable PDF ({problem}).")


class DamagedPacket(PacketError):
    """A file that starts as a PDF but that qpdf cannot open even with repairs."""

    def __init__(self, message: str, problem: str, truncated: bool) -> None:
        super().__init__(message)
        self.problem, self.truncated = problem, truncated


def _ends(data: bytes | Path) -> tuple[bytes, bytes]:
    """The first and last KiB of the file."""
    if isinstance(data, bytes):
        return data[:1024], data[-1024:]
    try:
        with data.open("rb") as fh:
            head = fh.read(1024)
            fh.seek(max(0, data.stat().st_size - 1024))
            return head, fh.read(1024)
    except OSError:
        return b"", b""


def read_manifest(pdf: pikepdf.Pdf, limits: VerifyLimits = DEFAULT_LIMITS) -> dict[str, Any] | None:
    """The embedded manifest.json, checked, or None if absent.

    Raises ManifestInvalid (a ValueError) when it is too large, too deep, not JSON or not shaped
    like a manifest; the exception names the field path of each problem.
    """
    try:
        spec = pdf.attachments.get("manifest.json")
        stream = spec.get_file().obj if spec is not None else None
    except (*_PDF_ERRORS, RecursionError):
        return None
    if stream is None:
        return None
    try:
        data = read_bounded(stream, limits.manifest_bytes)
    except StreamTooLarge as exc:
        raise ManifestInvalid([("", f"the embedded file {exc}.")]) from None
    except StreamUnreadable as exc:
        raise ManifestInvalid([("", f"the embedded file cannot be decoded ({exc}).")]) from None
    return parse_manifest(data, limits)


def read_sidecar(path: Path, limits: VerifyLimits = DEFAULT_LIMITS) -> dict[str, Any]:
    """A sidecar manifest.json from disk, bounded and checked; raises PacketError or ManifestInvalid."""
    try:
        size = path.stat().st_size
        if size > limits.manifest_bytes:
            raise ManifestInvalid(
                [("", f"it is {size:,} bytes; the limit is {limits.manifest_bytes:,}.")]
            )
        data = path.read_bytes()
    except OSError as exc:
        raise PacketError(f"{path}: cannot read the manifest ({exc.strerror or exc}).") from None
    return parse_manifest(data, limits)


def verify_packet(
    path: Path, manifest_file: Path | None = None, limits: VerifyLimits | None = None
) -> VerifyResult:
    """Verify a packet file; raises PacketError (exit 2) if it cannot be read at all."""
    limits = limits or DEFAULT_LIMITS
    if not path.is_file():
        raise PacketError(f"{path}: no such file.")
    sidecar: dict[str, Any] | None = None
    bad_sidecar: ManifestInvalid | None = None
    if manifest_file is not None:
        try:
            sidecar = read_sidecar(manifest_file, limits)
        except ManifestInvalid as exc:
            bad_sidecar = exc
    result = verify_source(path, path.name, sidecar, limits=limits)
    if bad_sidecar is not None and manifest_file is not None:
        _manifest_findings(result, bad_sidecar, f"sidecar {manifest_file.name}")
        result.close()
    return result


def file_sha256(source: bytes | Path) -> str:
    if isinstance(source, bytes):
        return hashlib.sha256(source).hexdigest()
    h = hashlib.sha256()
    with source.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def verify_source(
    data: bytes | Path,
    name: str,
    sidecar: dict[str, Any] | None = None,
    known: dict[int, str] | None = None,
    limits: VerifyLimits | None = None,
) -> VerifyResult:
    """Every check of SPEC §8 on a packet (its bytes, or its path).

    `known` (build only) gives page digests already computed from the very bytes those pages were
    copied from (the build's stamped upload blocks); every other page is hashed here. Reviewers'
    `verify` passes nothing and hashes every page.
    """
    limits = limits or DEFAULT_LIMITS
    result = VerifyResult()
    try:
        pdf, tree_problem = _open_checked(data, name)
    except DamagedPacket as exc:  # a PDF, damaged beyond repair: a failed check, not a usage error
        why = "it was cut short (truncated)" if exc.truncated else "it is damaged beyond repair"
        result.fail(
            "packet-damaged",
            "packet",
            f"the file starts as a PDF but cannot be read: {why} ({exc.problem}). "
            f"Ask the sender for the original file.",
        )
        return result
    with pdf:
        try:
            manifest = _verify_pdf(pdf, tree_problem, result, known or {}, limits)
        except RecursionError:
            result.fail("packet-damaged", "packet", "the PDF nests objects too deeply to read.")
            manifest = None
        except _PDF_ERRORS as exc:
            result.fail(
                "packet-damaged",
                "packet",
                f"part of the PDF cannot be read ({_first_line(exc)}); the file is damaged "
                f"or was altered. Ask for the original file.",
            )
            manifest = None
    if sidecar is not None:
        _check_sidecar(data, manifest, sidecar, result)
    result.close()
    return result


def _manifest_findings(result: VerifyResult, exc: ManifestInvalid, where: str) -> None:
    for path, message in exc.problems[:_SHOWN]:
        result.fail("manifest-invalid", path or where, message, where if path else "")
    if len(exc.problems) > _SHOWN:
        result.fail(
            "manifest-invalid", where, f"{len(exc.problems) - _SHOWN} more field(s) are wrong."
        )


def _verify_pdf(
    pdf: pikepdf.Pdf,
    tree_problem: str | None,
    result: VerifyResult,
    known: dict[int, str],
    limits: VerifyLimits,
) -> dict[str, Any] | None:
    """The checks on an opened packet; returns the manifest when it could be read."""
    declared = pdf.trailer.get("/Size")
    if isinstance(declared, int) and declared > limits.objects:
        result.fail(
            "packet-too-large",
            "packet",
            f"the PDF declares {declared:,} objects; the limit is {limits.objects:,}. "
            f"Nothing else was checked.",
        )
        return None
    n = _page_count(pdf, tree_problem, result, limits)
    try:
        manifest = read_manifest(pdf, limits)
    except ManifestInvalid as exc:
        _manifest_findings(result, exc, "manifest.json")
        return None
    if manifest is None:
        result.fail(
            "manifest-missing",
            "manifest.json",
            "the packet has no embedded manifest.json; it was not built by cmpacket or was altered.",
        )
        return None
    result.manifest = manifest
    if n is not None:
        _check_structure(pdf, manifest, n, result, known, limits)
    return manifest


def _page_count(
    pdf: pikepdf.Pdf, tree_problem: str | None, result: VerifyResult, limits: VerifyLimits
) -> int | None:
    """The number of pages, or None (with a finding) when pages cannot be checked."""
    if tree_problem is None:
        try:
            n = len(pdf.pages)
        except (pikepdf.PdfError, RecursionError) as exc:
            tree_problem = _first_line(exc)
    if tree_problem is not None:
        result.fail(
            "page-tree-invalid",
            "packet",
            f"the page tree cannot be walked ({tree_problem}); no page was checked.",
        )
        return None
    result.pages = n
    if n > limits.pages:
        result.fail(
            "packet-too-large",
            "packet",
            f"the packet has {n:,} pages; the limit is {limits.pages:,}. No page was checked.",
        )
        return None
    pages_node = pdf.Root.get("/Pages")
    count = pages_node.get("/Count") if isinstance(pages_node, Dictionary) else None
    if not isinstance(count, int) or isinstance(count, bool) or count != n:
        result.fail(
            "page-tree-invalid",
            "packet",
            f"the page tree says it holds {count!s:.40} pages (/Count); it holds {n}. "
            f"Viewers may show a different number of pages.",
        )
    return n


def _check_structure(
    pdf: pikepdf.Pdf,
    manifest: dict[str, Any],
    n: int,
    result: VerifyResult,
    known: dict[int, str],
    limits: VerifyLimits,
) -> None:
    declared = manifest["packet"]["pages"]
    if declared != n:
        result.fail(
            "page-count-mismatch",
            "packet",
            f"the packet has {n} pages; the manifest says {declared}.",
        )
    sections = manifest["sections"]
    checkable = _check_ranges(sections, n, result)
    _check_required(manifest, sections, result)
    _check_outline(pdf, sections, result, limits)
    _check_stamps(pdf, n, result, limits)
    _check_images(pdf, result, limits)
    _check_content(pdf, sections, checkable, result, known, limits)


def _check_ranges(sections: list[dict[str, Any]], total: int, result: VerifyResult) -> set[int]:
    """Section and document ranges run on from each other; returns the ids of documents whose
    pages can be checked (inside the packet, not overlapping an earlier document)."""
    expected = 1
    for s in sections:
        if s["first_page"] != expected or s["last_page"] < s["first_page"]:
            result.fail(
                "section-range-mismatch",
                f"section {s['letter']}",
                f"pages {s['first_page']}-{s['last_page']} do not follow on from page {expected - 1}.",
            )
        expected = s["last_page"] + 1
    if expected - 1 != total:
        result.fail(
            "section-range-mismatch", "packet", f"sections end on page {expected - 1}, not {total}."
        )
    checkable: set[int] = set()
    free = 1  # the first page no earlier document has claimed
    shown = 0
    for s in sections:
        at = s["first_page"]
        for d in s["documents"]:
            first, last = d["first_page"], d["last_page"]
            if first != at or last < first or last > s["last_page"]:
                shown += 1
                if shown <= _SHOWN:
                    result.fail(
                        "section-range-mismatch",
                        _where(s, d),
                        f"the document's pages do not follow on from page {at - 1} inside its "
                        f"section (pages {s['first_page']}-{s['last_page']}).",
                    )
            if first >= free and first <= last <= total:
                checkable.add(id(d))
                free = last + 1
            at = last + 1
    if shown > _SHOWN:
        result.fail(
            "section-range-mismatch", "packet", f"{shown - _SHOWN} more documents are out of place."
        )
    return checkable


def _check_required(
    manifest: dict[str, Any], sections: list[dict[str, Any]], result: VerifyResult
) -> None:
    present = {s["letter"] for s in sections if s["documents"]}
    for letter in manifest.get("required_sections") or []:
        if letter not in present:
            result.fail(
                "section-missing",
                f"section {letter}",
                f"required section {letter} is missing or empty.",
            )


def _check_outline(
    pdf: pikepdf.Pdf, sections: list[dict[str, Any]], result: VerifyResult, limits: VerifyLimits
) -> None:
    try:
        tree, problems = read_outline(pdf, page_numbers(pdf), limits)
    except OutlineTooLarge as exc:
        result.fail("outline-invalid", "outline", f"the outline is not checked: {exc}.")
        return
    for problem in problems[:_SHOWN]:
        result.fail("outline-invalid", "outline", problem + ".")
    loose: list[str] = []

    def visit(nodes: list[dict[str, Any]]) -> None:
        for node in nodes:
            if node["page"] is None:
                loose.append(node["title"])
            visit(node["children"])

    visit(tree)
    for title in loose[:_SHOWN]:
        result.fail(
            "outline-invalid",
            f"bookmark '{title[:60]}'",
            "it does not point to a page of this packet.",
        )
    if len(loose) > _SHOWN:
        result.fail(
            "outline-invalid", "outline", f"{len(loose) - _SHOWN} more bookmarks point nowhere."
        )
    top = {node["title"].split(".", 1)[0]: node for node in tree if "." in node["title"][:3]}
    for s in sections:
        if s["letter"] == "front":
            continue
        node = top.get(s["letter"])
        if node is None:
            result.fail(
                "outline-mismatch", f"section {s['letter']}", "no bookmark for this section."
            )
        elif node["page"] != s["first_page"]:
            result.fail(
                "outline-mismatch",
                f"section {s['letter']}",
                f"the bookmark points to page {node['page']}; the section starts on page {s['first_page']}.",
            )


def _stamp_of(page: pikepdf.Page, limits: VerifyLimits) -> tuple[str | None, str]:
    """(stamp text or None, why there is none) -- bounded: the stream is sized first."""
    contents = page.obj.get("/Contents")
    if contents is None:
        return None, "no cmpacket stamp"
    last = contents[-1] if isinstance(contents, pikepdf.Array) and len(contents) else contents
    if not isinstance(last, pikepdf.Stream):
        return None, "no cmpacket stamp"
    try:
        data = read_bounded(last, limits.stamp_bytes)
    except StreamTooLarge as exc:
        return None, f"no cmpacket stamp (the stream where it belongs {exc})"
    except StreamUnreadable as exc:
        return None, f"no cmpacket stamp (the stream where it belongs cannot be decoded: {exc})"
    if data.count(_STAMP_MARK) > 1 or data.count(b"(") > _STAMP_PARENS:
        return None, "no cmpacket stamp (the stream where it belongs holds something else)"
    return read_stamp(page), "no cmpacket stamp"


def _check_stamps(pdf: pikepdf.Pdf, total: int, result: VerifyResult, limits: VerifyLimits) -> None:
    bad: list[tuple[int, str]] = []
    for i, page in enumerate(pdf.pages, start=1):
        try:
            text, why = _stamp_of(page, limits)
        except _PDF_ERRORS as exc:
            text, why = None, f"no readable cmpacket stamp ({_first_line(exc)})"
        match = _PAGE_RE.search(text or "")
        if not match:
            bad.append((i, why))
        elif (int(match.group(1)), int(match.group(2))) != (i, total):
            bad.append((i, f"stamped 'Page {match.group(1)} of {match.group(2)}'"))
    for i, line in bad[:_SHOWN]:
        result.fail("stamp-wrong", f"page {i}", line + ".")
    if len(bad) > _SHOWN:
        result.fail(
            "stamp-wrong",
            "packet",
            f"{len(bad) - _SHOWN} more pages have a missing or wrong stamp.",
        )


def _check_images(pdf: pikepdf.Pdf, result: VerifyResult, limits: VerifyLimits) -> None:
    shown = 0
    for i, page in enumerate(pdf.pages, start=1):
        try:
            found = large_images(page, limits.image_pixels)
        except _PDF_ERRORS:
            continue  # the content check reports a damaged page
        for name, w, h in found:
            shown += 1
            if shown <= _SHOWN:
                result.fail(
                    "packet-image-too-large",
                    f"page {i}",
                    f"image {name} is {w:,} x {h:,} pixels ({w * h / 1e6:,.0f} megapixels); "
                    f"the limit is {limits.image_pixels / 1e6:,.0f} megapixels. Viewers may "
                    f"run out of memory opening this page.",
                )


def _check_content(
    pdf: pikepdf.Pdf,
    sections: list[dict[str, Any]],
    checkable: set[int],
    result: VerifyResult,
    known: dict[int, str],
    limits: VerifyLimits,
) -> None:
    all_pages = list(pdf.pages)  # indexing pdf.pages costs a walk each time; a list does not
    n = len(all_pages)
    digests: dict[int, str | None] = {}  # page number -> digest, None when it cannot be computed

    def digest(p: int) -> str | None:
        if p not in digests:
            digests[p] = known.get(p) or _page_digest(all_pages[p - 1], p, result, limits)
        return digests[p]

    for s in sections:
        for d in s["documents"]:
            first, last = d["first_page"], d["last_page"]
            if last > n:
                result.fail(
                    "content-changed",
                    _where(s, d),
                    f"pages {max(first, n + 1)}-{last} are missing from the packet.",
                )
                continue
            if id(d) not in checkable:
                continue  # its range overlaps another document's: reported by _check_ranges
            got = [digest(p) for p in range(first, last + 1)]
            pages = [p for p in got if p is not None]
            if len(pages) < len(got):
                continue  # a page that cannot be read or is over a cap: already reported
            if hashlib.sha256("".join(pages).encode()).hexdigest() == d["content_sha256"]:
                continue
            changed = [
                first + i
                for i, (a, b) in enumerate(zip(pages, d.get("page_sha256") or [], strict=False))
                if a[:16] != b
            ]
            shown = ", ".join(str(p) for p in changed) or f"{first}-{last}"
            result.fail(
                "content-changed",
                _where(s, d),
                f"the content of page(s) {shown} differs from what was built (changed, replaced or reordered).",
            )


def _page_digest(
    page: pikepdf.Page, p: int, result: VerifyResult, limits: VerifyLimits
) -> str | None:
    try:
        return page_digest(page, limits.stream_bytes, limits.page_bytes)
    except StreamTooLarge as exc:
        what = "its content streams together" if exc.scope == "page" else "a content stream"
        result.fail(
            "packet-stream-too-large",
            f"page {p}",
            f"{what} {exc} (a decompression bomb, or not a cmpacket page); its content was "
            f"not checked.",
        )
    except (StreamUnreadable, *_PDF_ERRORS, RecursionError) as exc:
        result.fail(
            "page-unreadable",
            f"page {p}",
            f"its content cannot be read ({_first_line(exc)}); the page is damaged or was altered.",
        )
    return None


def _where(section: dict[str, Any], doc: dict[str, Any]) -> str:
    title = doc["title"] if len(doc["title"]) <= 80 else doc["title"][:77] + "..."
    return (
        f"section {section['letter'][:20]}: {title} (pages {doc['first_page']}-{doc['last_page']})"
    )


def _check_sidecar(
    data: bytes | Path,
    manifest: dict[str, Any] | None,
    sidecar: dict[str, Any],
    result: VerifyResult,
) -> None:
    actual = file_sha256(data)
    expected = sidecar["packet"]["sha256"]
    if actual != expected:
        result.fail(
            "packet-hash-mismatch",
            "packet",
            f"the file's sha256 is {actual[:16]}…; the sidecar manifest says {str(expected)[:16]}…. "
            f"The file was changed after it was built.",
        )
    if manifest is not None:
        side = {**sidecar, "packet": {**sidecar["packet"], "sha256": None}}
        if side != manifest:
            result.fail(
                "manifest-mismatch",
                "manifest.json",
                "the sidecar and the embedded manifest differ.",
            )
