"""Fitting the packet to its receiver: when to write parts and where to cut, and the findings
when it cannot fit (a page over the file cap, parts over the total, a page without text)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cmpacket import lifecycle
from cmpacket.assemble import Assembled, Layout, fewest_parts, place, unstamped_sha256
from cmpacket.findings import Finding
from cmpacket.pipeline import _stages as stage
from cmpacket.pipeline._stages import Validated
from cmpacket.pipeline._workspace import Workspace
from cmpacket.plan import Content, Cut, Piece, Planned, in_parts, index_entries
from cmpacket.receivers import Receiver, size_text
from cmpacket.render import Rendered, with_lifecycle, with_plan
from cmpacket.templates import TemplateRegistry
from cmpacket.verify import Base

# Bytes every part carries besides its pieces: the stamp font, the outline and the part cover
# (the manifest is counted apart, by its size); the first cut also keeps a 5 % margin. A part
# that still comes out over the cap is measured and cut again, tighter.
PART_OVERHEAD = 48 * 1024
MARGIN = 0.95


def first_budget(receiver: Receiver, manifest_bytes: int = 0) -> int | None:
    """The bytes of pieces a part may hold, or None when the receiver takes any size."""
    cap = receiver.max_file_bytes
    if not cap or receiver.split != "parts":
        return None
    return max(1, int(cap * MARGIN) - PART_OVERHEAD - manifest_bytes)


def cuts(
    made: list[tuple[Piece, Content]], budget: int, force: bool = False
) -> list[list[Cut]] | None:
    """Where to cut the packet into the fewest parts of at most `budget` bytes of pieces each,
    or None when it fits whole (unless `force`: it was measured over the cap). Only uploads are
    ever split between their pages: one alone over the budget, or one whose split saves a part."""
    total = sum(content.size for _, content in made)
    if total <= budget and not force:
        return None
    sizes = [
        (
            piece.section,
            content.pages,
            content.size if piece.kind == "upload" else min(content.size, budget),
            piece.kind == "upload",
        )
        for piece, content in made
    ]
    chosen = fewest_parts(sizes, budget)
    if len(chosen) < 2:
        half = max(1, total // 2)  # measured over the cap though the estimate fit: cut in two
        chosen = fewest_parts(sizes, half)
    if len(chosen) < 2:
        return None
    return [[Cut(s.index, s.first, s.last, s.whole) for s in part] for part in chosen]


def tighter(budget: int, files: list[Path], cap: int) -> int:
    """A smaller budget after parts came out over the cap, in proportion to the worst one."""
    worst = max(path.stat().st_size for path in files)
    return max(1, int(budget * cap / worst * MARGIN))


def over_cap(files: list[Path], receiver: Receiver) -> list[Path]:
    cap = receiver.max_file_bytes
    return [f for f in files if cap and f.stat().st_size > cap] if cap else []


def findings(receiver: Receiver, files: list[Path]) -> list[Finding]:
    """What still does not fit after the packet was written for the receiver."""
    out: list[Finding] = []
    cite = receiver.cite("max_file_mb")
    for path in over_cap(files, receiver):
        size = size_text(path.stat().st_size)
        how = (
            "a single page or document is larger than the cap and cannot be split further"
            if receiver.split == "parts"
            else "this receiver takes the packet as one file (split: none)"
        )
        out.append(
            Finding(
                "receiver-file-too-large",
                "error",
                path.name,
                f"{path.name} is {size}, over {receiver.title}'s {receiver.max_file_mb:g} MB "
                f"per file: {how}. Rebuild with --compress-scans to re-encode scanned pages as "
                f"200 dpi JPEG, or rescan the largest uploads at 200 dpi grayscale.",
                cite,
            )
        )
    total_cap = receiver.max_total_bytes
    total = sum(f.stat().st_size for f in files)
    if total_cap and total > total_cap:
        out.append(
            Finding(
                "receiver-total-too-large",
                "error",
                "packet",
                f"the packet's {len(files)} file(s) add up to {size_text(total)}, over "
                f"{receiver.title}'s {receiver.max_total_mb:g} MB in total. Rebuild with "
                f"--compress-scans, rescan large uploads at 200 dpi grayscale, or send the parts "
                f"in separate submissions if the receiver allows it.",
                receiver.cite("max_total_mb"),
            )
        )
    return out


@dataclass(frozen=True)
class Fitted:
    """The packet as written for its receiver: the plan (as parts, when cut), every piece made,
    the assembled files, their Word copies, and what still does not fit."""

    planned: Planned
    rendered: Rendered
    assembled: Assembled
    docx: dict[str, bytes]
    findings: list[Finding]


ATTEMPTS = 4  # cuts tried while a part comes out over the cap


class _Deferred:
    """Work started on the workers at a moment chosen later (`start`), its result waited for
    by calling it (which starts it if it was not)."""

    def __init__(self, start: Callable[[], Callable[[], dict[str, bytes]]]) -> None:
        self._start = start
        self._collect: Callable[[], dict[str, bytes]] | None = None

    def start(self) -> None:
        if self._collect is None:
            self._collect = self._start()

    def __call__(self) -> dict[str, bytes]:
        self.start()
        assert self._collect is not None
        return self._collect()


def assemble_to_fit(
    ws: Workspace,
    validated: Validated,
    whole: Planned,
    registry: TemplateRegistry,
    ctx: dict[str, Any],
    first: Rendered,
    receiver: Receiver,
    base: Base | None = None,
) -> Fitted:
    """Assemble the packet for its receiver from the first rendering pass: decide the parts from
    the pieces' sizes, make what depends on them (the index, the part covers), assemble while
    the workers make the Word copies; cut again, tighter, while a written part is still over
    the cap. Without a size cap this is one pass: `first` already holds every piece."""
    budget = first_budget(receiver, _manifest_bytes(first.made))
    cut = cuts(_sized(whole, first), budget) if budget else None
    before = base.documents() if base else None
    record = base.record if base else None
    for _attempt in range(ATTEMPTS):
        planned = in_parts(whole, cut) if cut else whole
        # what changed since the base, for the index (made later): each document's content
        planned_keys = {p.doc_key for p in planned.pieces}
        known = [  # the index and part covers, not made yet, are not deleted
            op
            for op in (lifecycle.operations(before, _documents(first.made)) if base else [])
            if op["operation"] != "delete" or op["key"] not in planned_keys
        ]
        here = with_lifecycle(with_plan(ctx, planned), record, known)
        rendered = stage.render(ws, validated, planned, registry, here, late=True, done=first)
        layout = place(rendered.made, planned.part_of)
        copies = _Deferred(
            functools.partial(
                stage.word_copies, ws, validated, planned, registry, rendered, here, layout
            )
        )
        ops = lifecycle.operations(before, _documents(rendered.made, layout))
        manifest = stage.manifest(ws, validated, planned, registry, rendered)
        manifest["lifecycle"] = lifecycle.record(record, ops)
        # the Word copies go to the workers once the upload blocks have (this process waits
        # for those), and are made while this process joins and stamps the packet
        done = stage.assemble_packet(
            ws, validated, layout, manifest, here, receiver, meanwhile=copies.start
        )
        cap = receiver.max_file_bytes
        if not over_cap(done.files, receiver) or not budget or not cap:
            break
        # over the cap although each part was sized to fit: cut again with a smaller budget
        # (a part holding one unsplittable piece stays over and is reported below)
        budget = tighter(budget, done.files, cap)
        again = cuts(_sized(whole, first), budget, force=True)
        if again == cut or again is None:
            break
        cut = again
    ws.progress.step(f"Writing {sum(1 for p in planned.pieces if p.word)} Word documents")
    return Fitted(planned, rendered, done, copies(), findings(receiver, done.files))


def _documents(
    made: list[tuple[Piece, Content]], layout: Layout | None = None
) -> list[lifecycle.Document]:
    """The made pieces as the lifecycle compares them (with their pages once placed)."""
    pages = {p.key: (p.first_page, p.last_page) for p in layout.placed} if layout else {}
    return [
        lifecycle.Document(
            piece.doc_key, piece.title, piece.kind, unstamped_sha256(piece, content),
            pages.get(piece.key),
        )
        for piece, content in made
    ]  # fmt: skip


def _sized(planned: Planned, first: Rendered) -> list[tuple[Piece, Content]]:
    """Every planned piece with its content from the first pass; the index, not rendered yet,
    is given its likely size (a page per 30 entries, about 30 kB a page)."""
    made = dict((p.key, c) for p, c in first.made)
    rows = len(index_entries(planned.pieces, planned.part_of))
    guess = Content(
        pages=1 + rows // 30,
        cache_key="",
        source="",
        source_sha256="",
        size=30_000 * (1 + rows // 30),
    )
    return [(p, made.get(p.key, guess)) for p in planned.pieces]


def _manifest_bytes(made: list[tuple[Piece, Content]]) -> int:
    """About what the embedded manifest adds to each part, compressed: it lists every document
    and a short hash per page."""
    pages = sum(content.pages for _, content in made)
    return 4096 + 160 * len(made) + 12 * pages
