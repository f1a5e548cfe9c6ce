"""A packet too large for its receiver, written as parts: where to cut, and each part's file.

Cuts are chosen from the size of every piece's own PDF, measured before assembly (a piece's
fonts and images are its own; only the stamp font, the outline and the manifest are shared, and
those count in every part). The parts are then written from the one assembled packet and
measured; the build tightens the budget and cuts again if a part came out over the cap.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pikepdf
from pikepdf import Array, Dictionary, Name

from cmpacket.assemble._pdfops import add_outline


@dataclass(frozen=True)
class Segment:
    """Pages `first`..`last` (1-based, within the piece) of the piece at `index` in the plan."""

    index: int
    first: int
    last: int
    size: int
    section: str
    whole: bool  # the piece is not split


def segments(pieces: Sequence[tuple[str, int, int]], budget: int) -> list[Segment]:
    """Each piece (section, pages, bytes) as one segment, or, when it alone is over the budget,
    as runs of whole pages that each fit (a single page over the budget stands alone)."""
    out: list[Segment] = []
    for i, (section, pages, size) in enumerate(pieces):
        if size <= budget or pages <= 1:
            out.append(Segment(i, 1, pages, size, section, True))
            continue
        per_page = size / pages
        step = max(1, int(budget // max(per_page, 1)))
        for first in range(1, pages + 1, step):
            last = min(pages, first + step - 1)
            out.append(
                Segment(i, first, last, round(per_page * (last - first + 1)), section, False)
            )
    return out


def _count(sizes: Sequence[int], limit: float) -> int:
    """How many parts greedy packing under `limit` needs (a segment over it stands alone)."""
    parts, used = 0, None
    for size in sizes:
        if used is None or used + size > limit:
            parts, used = parts + 1, size
        else:
            used += size
    return parts


def choose_parts(segs: Sequence[Segment], budget: int) -> list[list[Segment]]:
    """As few parts as fit in `budget` bytes each, balanced, cut between sections where that
    keeps the part count and the balance (within 10 %)."""
    sizes = [s.size for s in segs]
    if not segs:
        return []
    n = _count(sizes, budget)
    if n <= 1:
        return [list(segs)]
    # the smallest per-part maximum that still needs only n parts
    lo, hi = max(sizes), max(budget, max(sizes))
    while hi - lo > max(1, lo // 1000):
        mid = (lo + hi) // 2
        if _count(sizes, mid) <= n:
            hi = mid
        else:
            lo = mid
    limit = min(max(budget, max(sizes)), int(hi * 1.1))
    prefix = [0]
    for size in sizes:
        prefix.append(prefix[-1] + size)
    parts: list[list[Segment]] = []
    start = 0
    for left in range(n, 0, -1):
        if left == 1:
            parts.append(list(segs[start:]))
            break
        end = _best_end(segs, prefix, start, left, limit, hi)
        parts.append(list(segs[start : end + 1]))
        start = end + 1
    return [p for p in parts if p]


def _best_end(
    segs: Sequence[Segment], prefix: list[int], start: int, left: int, limit: int, target: int
) -> int:
    """Where the part starting at `start` ends: the remaining parts must still fit; prefer a
    section boundary near the target size, then a document boundary, else the end nearest the
    target."""
    sizes = [s.size for s in segs]
    # the furthest end that fits under the limit (at least one segment)
    furthest = max(start, bisect.bisect_right(prefix, prefix[start] + limit) - 2)
    top = min(furthest, len(segs) - left)
    # the rest fits in one part fewer from some end on, and from every end after it (packing a
    # shorter tail never takes more parts): find that end by bisection
    lo, hi = start, top + 1
    while lo < hi:
        mid = (lo + hi) // 2
        if _count(sizes[mid + 1 :], limit) <= left - 1:
            hi = mid
        else:
            lo = mid + 1
    candidates = range(lo, top + 1)
    if not candidates:
        return top

    def size(end: int) -> int:
        return prefix[end + 1] - prefix[start]

    boundary = [
        e for e in candidates if segs[e + 1].section != segs[e].section and size(e) >= 0.8 * target
    ]
    between = [e for e in candidates if segs[e + 1].index != segs[e].index]
    pool = boundary or between or list(candidates)
    return min(pool, key=lambda e: (abs(size(e) - target), -e))


def fewest_parts(pieces: Sequence[tuple[str, int, int, bool]], budget: int) -> list[list[Segment]]:
    """The fewest parts of at most `budget` bytes each for pieces (section, pages, bytes, may be
    split), balanced, each piece's pages in a part merged into one segment.

    A piece that may be split and is alone over the budget is split between whole pages where
    the parts fill up (not in runs laid out before the parts are known, which could take a part
    more); a multi-page piece under the budget is split only when that saves a part."""
    if not pieces:
        return []
    coarse = _paged(pieces, lambda size, pages, free: free and pages > 1 and size > budget)
    fine = _paged(pieces, lambda size, pages, free: free and pages > 1)
    n_coarse = _count([s.size for s in coarse], budget)
    segs = coarse if n_coarse <= _count([s.size for s in fine], budget) else fine
    return [_merged(part, pieces) for part in choose_parts(segs, budget)]


def _paged(
    pieces: Sequence[tuple[str, int, int, bool]], split: Callable[[int, int, bool], bool]
) -> list[Segment]:
    """Each piece as one segment, or as one segment per page where `split` says so (the bytes
    shared out over the pages, their sum the piece's)."""
    out: list[Segment] = []
    for i, (section, pages, size, free) in enumerate(pieces):
        if not split(size, pages, free):
            out.append(Segment(i, 1, pages, size, section, True))
            continue
        for page in range(1, pages + 1):
            share = size * page // pages - size * (page - 1) // pages
            out.append(Segment(i, page, page, share, section, False))
    return out


def _merged(part: list[Segment], pieces: Sequence[tuple[str, int, int, bool]]) -> list[Segment]:
    """Adjacent segments of one piece in a part as one segment; whole when it is all of it."""
    out: list[Segment] = []
    for seg in part:
        last = out[-1] if out else None
        if last is not None and last.index == seg.index and last.last + 1 == seg.first:
            seg = Segment(seg.index, last.first, seg.last, last.size + seg.size, seg.section, False)
            out.pop()
        whole = seg.first == 1 and seg.last == pieces[seg.index][1]
        out.append(Segment(seg.index, seg.first, seg.last, seg.size, seg.section, whole))
    return out


def write_part(
    src: pikepdf.Pdf,
    first: int,
    last: int,
    outline: list[dict[str, Any]],
    files: list[tuple[str, int, int]],
    docinfo: dict[str, str],
) -> pikepdf.Pdf:
    """Pages first..last (1-based) of the assembled packet as a new PDF: links into other parts
    become links to that part's file, page labels continue the packet's numbers, and the
    outline is the part of the packet's outline on these pages (`page` 0-based in the packet)."""
    _relink(src, first, last, files)
    part = pikepdf.new()
    part.pages.extend(src.pages[first - 1 : last])
    part.Root.PageLabels = Dictionary(Nums=Array([0, Dictionary(S=Name.D, St=first)]))
    add_outline(part, _clip(outline, first - 1, last - 1))
    for key, value in docinfo.items():
        part.docinfo[key] = value
    part.Root.Lang = pikepdf.String("en-US")
    return part


def _relink(src: pikepdf.Pdf, first: int, last: int, files: list[tuple[str, int, int]]) -> None:
    """Links on these pages that point outside them become GoToR links to the part holding the
    target page, so the index in part 1 still opens each document."""
    number: dict[Any, int] = {page.objgen: i + 1 for i, page in enumerate(src.pages)}
    for page in src.pages[first - 1 : last]:
        annots = page.obj.get("/Annots")
        if not isinstance(annots, Array):
            continue
        for annot in annots:
            dest = annot.get("/Dest")
            if not isinstance(dest, Array) or not len(dest):
                continue
            target = number.get(dest[0].objgen, 0)
            if first <= target <= last or not target:
                continue
            name, start, _ = next(f for f in files if f[1] <= target <= f[2])
            del annot["/Dest"]
            annot.A = Dictionary(
                S=Name.GoToR,
                F=pikepdf.String(name),
                D=Array([target - start, Name.Fit]),
                NewWindow=False,
            )


def _clip(tree: list[dict[str, Any]], lo: int, hi: int) -> list[dict[str, Any]]:
    """The outline nodes whose page is in lo..hi, pages rebased; a section or person begun in an
    earlier part is kept when some of its children are here, pointing at this part's first page
    (its cover, which belongs to the section it falls in)."""
    out = []
    for node in tree:
        children = _clip(node.get("children", []), lo, hi)
        if lo <= node["page"] <= hi:
            out.append({"title": node["title"], "page": node["page"] - lo, "children": children})
        elif children:
            out.append({"title": node["title"], "page": 0, "children": children})
    return out
