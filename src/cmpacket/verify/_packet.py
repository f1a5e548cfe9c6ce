"""The checks of one packet file (a whole packet or one of its parts); the build runs them on its
own output.

A received packet is untrusted input: every stream is decoded in bounded chunks under the caps of
`VerifyLimits`, the manifest is parsed with a bounded parser and checked against a schema before
use, and every walk over the PDF's structure is bounded. Whatever the file, the result is a list of
findings (exit 1) or a PacketError (exit 2) -- never an exception of another kind.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import pikepdf
from pikepdf import Dictionary

from cmpacket.cache import file_sha256
from cmpacket.errors import PacketError
from cmpacket.pdfread import StreamTooLarge, StreamUnreadable, read_bounded
from cmpacket.verify._active import check_active_content
from cmpacket.verify._checks import check_structure
from cmpacket.verify._limits import DEFAULT_LIMITS, VerifyLimits
from cmpacket.verify._manifest import ManifestInvalid, parse_manifest
from cmpacket.verify._pages import Sharing, file_identity
from cmpacket.verify._parts import part_of_file, part_view
from cmpacket.verify._result import PDF_ERRORS, SHOWN, VerifyResult, first_line
from cmpacket.verify._signatures import check_signatures
from cmpacket.workers import Pool


def _open(data: bytes | Path, name: str, inherit: bool) -> pikepdf.Pdf:
    source = data if isinstance(data, Path) else io.BytesIO(data)
    return pikepdf.open(source, inherit_page_attributes=inherit)


MANIFEST_NAMES = ("manifest.json", "response-manifest.json")


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
        problem = first_line(exc).removeprefix(f"{data}: " if isinstance(data, Path) else "")
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
    try:  # a packet embeds manifest.json, a response packet response-manifest.json
        names = [n for n in MANIFEST_NAMES if n in pdf.attachments]
        spec = pdf.attachments[names[0]] if names else None
        stream = spec.get_file().obj if spec is not None else None
    except (*PDF_ERRORS, RecursionError):
        return None
    if stream is None:
        return None
    # an honest manifest grows with the packet: its caps too (VerifyLimits.for_pages)
    limits = limits.for_pages(honest_pages(pdf))
    return parse_manifest(_embedded_bytes(stream, limits), limits)  # the bytes not held here


def _embedded_bytes(stream: pikepdf.Object, limits: VerifyLimits) -> bytes:
    try:
        return read_bounded(stream, limits.manifest_bytes)
    except StreamTooLarge as exc:
        raise ManifestInvalid([("", f"the embedded file {exc}.")]) from None
    except StreamUnreadable as exc:
        raise ManifestInvalid([("", f"the embedded file cannot be decoded ({exc}).")]) from None


def read_sidecar(
    path: Path, limits: VerifyLimits = DEFAULT_LIMITS, pages: int = 0
) -> dict[str, Any]:
    """A sidecar manifest.json from disk, bounded (for a packet of `pages` pages, when known)
    and checked; raises PacketError or ManifestInvalid."""
    limits = limits.for_pages(pages)
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
    path: Path,
    manifest_file: Path | None = None,
    limits: VerifyLimits | None = None,
    trust: list[Any] | None = None,
    pool: Pool | None = None,
) -> VerifyResult:
    """Verify a packet file; raises PacketError (exit 2) if it cannot be read at all. A large
    packet's pages are read on `pool`'s workers when given."""
    limits = limits or DEFAULT_LIMITS
    if not path.is_file():
        raise PacketError(f"{path}: no such file.")
    sidecar: dict[str, Any] | None = None
    bad_sidecar: ManifestInvalid | None = None
    if manifest_file is not None:
        try:
            sidecar = read_sidecar(manifest_file, limits, page_allowance(path))
        except ManifestInvalid as exc:
            bad_sidecar = exc
    result = verify_source(path, path.name, sidecar, limits=limits, trust=trust, pool=pool)
    if bad_sidecar is not None and manifest_file is not None:
        _manifest_findings(result, bad_sidecar, f"sidecar {manifest_file.name}")
        result.close()
    return result


def page_allowance(path: Path) -> int:
    """The pages a sidecar manifest's caps may grow with, from the packet file's size alone
    (BYTES_A_PAGE a page), without opening the packet a second time; 0 when it cannot be read:
    the caps stay as set, and the packet's own checks say what is wrong with it."""
    try:
        return path.stat().st_size // BYTES_A_PAGE
    except OSError:
        return 0


BYTES_A_PAGE = 512  # no page of a cmpacket packet takes less (a packet averages 4-5 KB a page)


def honest_pages(pdf: pikepdf.Pdf) -> int:
    """The pages the manifest's caps may grow with (VerifyLimits.for_pages): the page count, but
    no more than the file's size allows at BYTES_A_PAGE a page. A 1 KB file whose page tree
    lists one page 100,000 times has 100,000 pages to qpdf (it copies each repeat), and two by
    its size: it cannot buy a 200 MB manifest. 0 if the tree cannot be walked or the file's size
    is not known."""
    try:
        size = os.path.getsize(pdf.filename)
        return min(len(pdf.pages), size // BYTES_A_PAGE)
    except (*PDF_ERRORS, OSError, RecursionError, RuntimeError):
        return 0


def verify_source(
    data: bytes | Path,
    name: str,
    sidecar: dict[str, Any] | None = None,
    known: dict[int, str] | None = None,
    limits: VerifyLimits | None = None,
    trust: list[Any] | None = None,
    signatures: bool = True,
    pool: Pool | None = None,
) -> VerifyResult:
    """Every check of SPEC §8 on a packet (its bytes, or its path), and of §18 on its digital
    signatures (`trust`: the reviewer's trust roots, None when none was given).

    `known` (build only) gives page digests already computed from the very bytes those pages were
    copied from (the build's stamped upload blocks); every other page is hashed here. Reviewers'
    `verify` passes nothing and hashes every page. `signatures` False (the build's check of the
    packet before it is signed) skips the signature checks. `pool`: workers to read the pages
    of a large packet file on (`page_facts`).
    """
    limits = limits or DEFAULT_LIMITS
    result = VerifyResult()
    # a file's pages may be read on the workers, from the file at its path if that is the file
    # opened here (the same before and after opening it)
    path = data if isinstance(data, Path) and pool is not None else None
    before = file_identity(path) if path is not None else None
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
    sharing = None
    if pool is not None and path is not None and before and file_identity(path) == before:
        sharing = Sharing(pool, str(path), before)
    with pdf:
        try:
            manifest = _verify_pdf(pdf, name, tree_problem, result, known or {}, limits, sharing)
        except RecursionError:
            result.fail("packet-damaged", "packet", "the PDF nests objects too deeply to read.")
            manifest = None
        except PDF_ERRORS as exc:
            result.fail(
                "packet-damaged",
                "packet",
                f"part of the PDF cannot be read ({first_line(exc)}); the file is damaged "
                f"or was altered. Ask for the original file.",
            )
            manifest = None
    # signatures: of a packet whose manifest was read and that is within the caps (pyHanko
    # reads the whole cross-reference history of what it is given)
    unsafe = {"packet-too-large", "packet-damaged"} & {f.code for f in result.findings}
    if signatures and manifest is not None and not unsafe:
        check_signatures(data, manifest, result, trust)
    if sidecar is not None:
        _check_sidecar(data, manifest, sidecar, result)
    result.close()
    return result


def _manifest_findings(result: VerifyResult, exc: ManifestInvalid, where: str) -> None:
    for path, message in exc.problems[:SHOWN]:
        result.fail("manifest-invalid", path or where, message, where if path else "")
    if len(exc.problems) > SHOWN:
        result.fail(
            "manifest-invalid", where, f"{len(exc.problems) - SHOWN} more field(s) are wrong."
        )


def _verify_pdf(
    pdf: pikepdf.Pdf,
    name: str,
    tree_problem: str | None,
    result: VerifyResult,
    known: dict[int, str],
    limits: VerifyLimits,
    sharing: Sharing | None = None,
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
    manifest = _checked_manifest(pdf, result, limits)
    view, offset, total = manifest, 0, None
    if manifest is not None and n is not None and manifest.get("parts"):
        # one part of a packet written as parts: check its pages
        part = part_of_file(pdf, name, manifest, result)
        if part is not None:
            result.part = part
            offset, total = part["first_page"] - 1, manifest["packet"]["pages"]
            view = part_view(manifest, part["first_page"], part["last_page"])
            known = {p - offset: d for p, d in known.items()}
        else:
            view = None
    # whatever else is wrong with it, a reviewer should know what a viewer would run
    check_active_content(pdf, n, manifest, result, offset)
    if view is not None and n is not None:
        check_structure(pdf, view, n, result, known, limits, offset, total, sharing)
    return manifest


def _checked_manifest(
    pdf: pikepdf.Pdf, result: VerifyResult, limits: VerifyLimits
) -> dict[str, Any] | None:
    """The embedded manifest, or None with a finding (`manifest-invalid`, `manifest-missing`)."""
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
    return manifest


def _page_count(
    pdf: pikepdf.Pdf, tree_problem: str | None, result: VerifyResult, limits: VerifyLimits
) -> int | None:
    """The number of pages, or None (with a finding) when pages cannot be checked."""
    if tree_problem is None:
        try:
            n = len(pdf.pages)
        except (pikepdf.PdfError, RecursionError) as exc:
            tree_problem = first_line(exc)
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


def _unhashed(entry: dict[str, Any], *nulled: str) -> dict[str, Any]:
    """A sidecar's packet or part entry as the embedded copy has it."""
    out = {k: v for k, v in entry.items() if k != "unsigned_sha256"}
    return out | dict.fromkeys(nulled)


def _check_sidecar(
    data: bytes | Path,
    manifest: dict[str, Any] | None,
    sidecar: dict[str, Any],
    result: VerifyResult,
) -> None:
    actual = file_sha256(data)
    expected, what = sidecar["packet"]["sha256"], "packet"
    if result.part is not None:  # a part: its own hash is among the sidecar's parts
        parts = sidecar.get("parts") or []
        entry: dict[str, Any] = next(
            (p for p in parts if p.get("first_page") == result.part["first_page"]), {}
        )
        expected, what = entry.get("sha256"), str(result.part.get("file"))
    if actual != expected:
        result.fail(
            "packet-hash-mismatch",
            what,
            f"the file's sha256 is {actual[:16]}…; the sidecar manifest says {str(expected)[:16]}…. "
            f"The file was changed after it was built.",
        )
    if manifest is not None:
        # a file cannot hold its own hash or size, nor the hash of its bytes before signing
        side = {**sidecar, "packet": _unhashed(sidecar["packet"], "sha256")}
        if side.get("parts"):
            side["parts"] = [_unhashed(p, "sha256", "bytes") for p in side["parts"]]
        if side != manifest:
            result.fail(
                "manifest-mismatch",
                "manifest.json",
                "the sidecar and the embedded manifest differ.",
            )
