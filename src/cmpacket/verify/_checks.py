"""The checks a packet file must pass: section and document ranges, required sections, the
outline, the stamp on every page, image sizes and each document's content hash."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import pikepdf

from cmpacket.verify._limits import VerifyLimits
from cmpacket.verify._pages import PageFacts, Sharing, page_facts
from cmpacket.verify._result import SHOWN, VerifyResult
from cmpacket.verify._structure import OutlineTooLarge, page_numbers, read_outline

_PAGE_RE = re.compile(r"Page (\d+) of (\d+)")
_ID_RE = re.compile(r"-(\d{6})\s*$")  # the page id ends the stamp: PCC-000041, PCC-R1-000041


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


def _check_stamps(
    facts: list[PageFacts],
    result: VerifyResult,
    offset: int = 0,
    total: int | None = None,
) -> None:
    bad: list[tuple[int, str]] = []
    total = total or len(facts)
    for i, fact in enumerate(facts, start=1 + offset):
        text, why = fact.stamp, fact.why
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


def _check_images(facts: list[PageFacts], result: VerifyResult, limits: VerifyLimits) -> None:
    shown = 0
    for i, fact in enumerate(facts, start=1):
        for name, w, h in fact.images:
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
    facts: list[PageFacts],
    sections: list[dict[str, Any]],
    checkable: set[int],
    result: VerifyResult,
    known: dict[int, str],
) -> None:
    n = len(facts)
    reported: set[int] = set()  # pages whose digest could not be computed, reported once

    def digest(p: int) -> str | None:
        fact = facts[p - 1]
        if fact.problem is not None and p not in reported:
            reported.add(p)
            result.fail(fact.problem[0], f"page {p}", fact.problem[1])
        return known.get(p) or fact.digest

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
    sharing: Sharing | None = None,
) -> None:
    """The checks of one file; for a part, `manifest` is its view (pages rebased to the file)
    and stamps read `Page offset+i of total`. A large file's pages are read on the workers of
    `sharing` when given (`page_facts`)."""
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
    skip = frozenset(p for p in known if 1 <= p <= n)
    facts = page_facts(pdf, n, limits, _digest_version(manifest), skip, sharing)
    _check_stamps(facts, result, offset, total or n)
    _check_images(facts, result, limits)
    _check_content(facts, sections, checkable, result, known)
    if isinstance(manifest.get("response"), dict):
        check_exhibits(manifest, sections, n, result)
