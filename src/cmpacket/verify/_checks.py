"""The checks a packet file must pass: section and document ranges, required sections, the
outline, the stamp on every page, image sizes and each document's content hash."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import pikepdf

from cmpacket.assemble import (
    StreamTooLarge,
    StreamUnreadable,
    page_digest,
    read_bounded,
    read_stamp,
)
from cmpacket.verify._limits import VerifyLimits
from cmpacket.verify._result import PDF_ERRORS, SHOWN, VerifyResult, first_line
from cmpacket.verify._structure import OutlineTooLarge, large_images, page_numbers, read_outline

_PAGE_RE = re.compile(r"Page (\d+) of (\d+)")
_ID_RE = re.compile(r"-(\d{6})\s*$")  # the page id ends the stamp: PCC-000041, PCC-R1-000041
_STAMP_MARK = b"%cmpacket-stamp"
_STAMP_PARENS = 64  # more "(" than this in a stamp stream: not a cmpacket stamp (and slow to scan)


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
                if shown <= SHOWN:
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
    if shown > SHOWN:
        result.fail(
            "section-range-mismatch", "packet", f"{shown - SHOWN} more documents are out of place."
        )
    return checkable


def check_required(
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
    for problem in problems[:SHOWN]:
        result.fail("outline-invalid", "outline", problem + ".")
    loose: list[str] = []

    def visit(nodes: list[dict[str, Any]]) -> None:
        for node in nodes:
            if node["page"] is None:
                loose.append(node["title"])
            visit(node["children"])

    visit(tree)
    for title in loose[:SHOWN]:
        result.fail(
            "outline-invalid",
            f"bookmark '{title[:60]}'",
            "it does not point to a page of this packet.",
        )
    if len(loose) > SHOWN:
        result.fail(
            "outline-invalid", "outline", f"{len(loose) - SHOWN} more bookmarks point nowhere."
        )
    top = {node["title"].split(".", 1)[0]: node for node in tree if "." in node["title"][:3]}
    titled = {node["title"]: node for node in tree}
    for s in sections:
        if s["letter"] == "front":
            continue
        node = titled.get(s["bookmark"]) if "bookmark" in s else top.get(s["letter"])
        if node is None:
            result.fail(
                "outline-mismatch", f"section {s['letter']}", "no bookmark for this section."
            )
        elif node["page"] is None:
            result.fail(
                "outline-mismatch",
                f"section {s['letter']}",
                f"the bookmark '{node['title'][:60]}' opens no page of this packet (its "
                f"destination is missing, named or in another file); it should open page "
                f"{s['first_page']}, where the section starts.",
            )
        elif node["page"] != s["first_page"]:
            result.fail(
                "outline-mismatch",
                f"section {s['letter']}",
                f"the bookmark points to page {node['page']}; the section starts on page {s['first_page']}.",
            )


def _stamp_of(
    page: pikepdf.Page, limits: VerifyLimits, maps: dict[Any, dict[int, str]] | None = None
) -> tuple[str | None, str]:
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
    return read_stamp(page, maps, data), "no cmpacket stamp"


def _check_stamps(
    pdf: pikepdf.Pdf,
    count: int,
    result: VerifyResult,
    limits: VerifyLimits,
    offset: int = 0,
    total: int | None = None,
) -> None:
    bad: list[tuple[int, str]] = []
    total = total or count
    maps: dict[Any, dict[int, str]] = {}  # the stamp font's ToUnicode map, parsed once
    for i, page in enumerate(pdf.pages, start=1 + offset):
        try:
            text, why = _stamp_of(page, limits, maps)
        except PDF_ERRORS as exc:
            text, why = None, f"no readable cmpacket stamp ({first_line(exc)})"
        match = _PAGE_RE.search(text or "")
        page_id = _ID_RE.search(text or "")
        if not match:
            bad.append((i, why))
        elif (int(match.group(1)), int(match.group(2))) != (i, total):
            bad.append((i, f"stamped 'Page {match.group(1)} of {match.group(2)}'"))
        elif page_id is not None and int(page_id.group(1)) != i:
            bad.append((i, f"its page id ends in {page_id.group(1)}, not {i:06d}"))
    for i, line in bad[:SHOWN]:
        result.fail("stamp-wrong", f"page {i}", line + ".")
    if len(bad) > SHOWN:
        result.fail(
            "stamp-wrong",
            "packet",
            f"{len(bad) - SHOWN} more pages have a missing or wrong stamp.",
        )


def _check_images(pdf: pikepdf.Pdf, result: VerifyResult, limits: VerifyLimits) -> None:
    shown = 0
    for i, page in enumerate(pdf.pages, start=1):
        try:
            found = large_images(page, limits.image_pixels)
        except PDF_ERRORS:
            continue  # the content check reports a damaged page
        for name, w, h in found:
            shown += 1
            if shown <= SHOWN:
                result.fail(
                    "packet-image-too-large",
                    f"page {i}",
                    f"image {name} is {w:,} x {h:,} pixels ({w * h / 1e6:,.0f} megapixels); "
                    f"the limit is {limits.image_pixels / 1e6:,.0f} megapixels. Viewers may "
                    f"run out of memory opening this page.",
                )


def _check_content(
    pdf: pikepdf.Pdf,
    manifest: dict[str, Any],
    sections: list[dict[str, Any]],
    checkable: set[int],
    result: VerifyResult,
    known: dict[int, str],
    limits: VerifyLimits,
) -> None:
    all_pages = list(pdf.pages)  # indexing pdf.pages costs a walk each time; a list does not
    n = len(all_pages)
    digests: dict[int, str | None] = {}  # page number -> digest, None when it cannot be computed
    memo: dict[tuple[int, int], bytes] = {}  # fonts and images the pages share, hashed once
    version = _digest_version(manifest)

    def digest(p: int) -> str | None:
        if p not in digests:
            got = known.get(p) or _page_digest(all_pages[p - 1], p, result, limits, memo, version)
            digests[p] = got
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


def _digest_version(manifest: dict[str, Any]) -> int:
    """How the packet's page hashes were made: 2 covers every resource a page reaches; a packet
    made before the manifest said (version 1) is checked the way it was made."""
    value = manifest.get("page_digest")
    return value if isinstance(value, int) and value in (1, 2) else 1


def _page_digest(
    page: pikepdf.Page,
    p: int,
    result: VerifyResult,
    limits: VerifyLimits,
    memo: dict[tuple[int, int], bytes],
    version: int,
) -> str | None:
    try:
        return page_digest(page, limits.stream_bytes, limits.page_bytes, memo, version)
    except StreamTooLarge as exc:
        what = "its content streams together" if exc.scope == "page" else "a content stream"
        result.fail(
            "packet-stream-too-large",
            f"page {p}",
            f"{what} {exc} (a decompression bomb, or not a cmpacket page); its content was "
            f"not checked.",
        )
    except (StreamUnreadable, *PDF_ERRORS, RecursionError) as exc:
        result.fail(
            "page-unreadable",
            f"page {p}",
            f"its content cannot be read ({first_line(exc)}); the page is damaged or was altered.",
        )
    return None


def _where(section: dict[str, Any], doc: dict[str, Any]) -> str:
    title = doc["title"] if len(doc["title"]) <= 80 else doc["title"][:77] + "..."
    return (
        f"section {section['letter'][:20]}: {title} (pages {doc['first_page']}-{doc['last_page']})"
    )


def check_exhibits(
    manifest: dict[str, Any], sections: list[dict[str, Any]], n: int, result: VerifyResult
) -> None:
    """A response packet: each item's exhibits stand where its manifest says, on the pages of
    a document of the packet that is that exhibit (`response-exhibit-misplaced`)."""
    docs = {(d["first_page"], d["last_page"]): d for s in sections for d in s["documents"]}
    items = manifest["response"].get("items")
    for item in items if isinstance(items, list) else []:
        exhibits = item.get("exhibits") if isinstance(item, dict) else None
        for e in exhibits if isinstance(exhibits, list) else []:
            if not isinstance(e, dict):
                continue
            where = f"item {str(item.get('id'))[:20]}"
            span = (e.get("first_page"), e.get("last_page"))
            doc = docs.get(span)
            named = e.get("file") or e.get("document")
            if doc is None or not (1 <= int(span[0] or 0) <= n):
                result.fail(
                    "response-exhibit-misplaced",
                    where,
                    f"its exhibit {str(named)[:80]!r} is said to be on pages {span[0]}-{span[1]}, "
                    f"where no document of this response starts and ends.",
                )
            elif e.get("file") and doc.get("source") != e["file"]:
                result.fail(
                    "response-exhibit-misplaced",
                    where,
                    f"pages {span[0]}-{span[1]} hold {str(doc.get('source'))[:80]!r}, not the "
                    f"exhibit {str(e['file'])[:80]!r}.",
                )


def check_structure(
    pdf: pikepdf.Pdf,
    manifest: dict[str, Any],
    n: int,
    result: VerifyResult,
    known: dict[int, str],
    limits: VerifyLimits,
    offset: int = 0,
    total: int | None = None,
) -> None:
    """The checks of one file; for a part, `manifest` is its view (pages rebased to the file)
    and stamps read `Page offset+i of total`."""
    declared = manifest["packet"]["pages"]
    if declared != n:
        result.fail(
            "page-count-mismatch",
            "packet",
            f"the packet has {n} pages; the manifest says {declared}.",
        )
    sections = manifest["sections"]
    checkable = _check_ranges(sections, n, result)
    check_required(manifest, sections, result)
    _check_outline(pdf, sections, result, limits)
    _check_stamps(pdf, n, result, limits, offset, total or n)
    _check_images(pdf, result, limits)
    _check_content(pdf, manifest, sections, checkable, result, known, limits)
    if isinstance(manifest.get("response"), dict):
        check_exhibits(manifest, sections, n, result)
