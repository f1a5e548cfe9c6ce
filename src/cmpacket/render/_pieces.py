"""Every piece of a planned packet made: documents laid out (or converted from a Word template),
uploads as intake left them, a page range of an upload split across parts, and in a draft a
placeholder page for an upload that cannot be used."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cmpacket.cache import Cache, digest
from cmpacket.plan import Content, Piece, Planned
from cmpacket.render._documents import Renderer
from cmpacket.templates import TemplateRegistry
from cmpacket.workers import Pool, Progress

LATE = ("index", "part-cover")  # name the part of each document: made once the parts are known
# the content of a piece made elsewhere (an upload; a response's exhibit from the packet), or
# why it cannot be used
UploadOf = Callable[[Piece], "Content | str"]


@dataclass(frozen=True)
class Rendered:
    """Every piece made so far with its content, each document's HTML as laid out (its Word copy
    is made from it) and the converters that ran."""

    made: list[tuple[Piece, Content]]
    converters: frozenset[str]
    html: dict[str, str] = field(default_factory=dict)


def render_pieces(
    planned: Planned,
    context: dict[str, Any],
    registry: TemplateRegistry,
    upload_of: UploadOf,
    *,
    cache: Cache,
    pool: Pool,
    resources: str,
    wanted: dict[str, Any],
    late: bool = True,
    done: Rendered | None = None,
    progress: Callable[[str], None] = lambda text: None,
    ticker: Callable[[str], Progress] = lambda label: lambda done, total: None,
) -> Rendered:
    """The content of every piece not in `done`; with `late` False, all but the index and the
    part covers, which wait until the parts are known (see `LATE`). `progress` announces each
    step, `ticker(label)` follows a long one."""
    renderer = Renderer(cache, pool, registry, context, resources, wanted, ticker("Laying out"))
    reuse = {piece.key: content for piece, content in done.made} if done else {}
    todo = [p for p in planned.pieces if p.key not in reuse and (late or p.kind not in LATE)]
    docs = [p for p in todo if p.template]
    uploads = {p.key: _upload(planned, upload_of, p) for p in todo if not p.template}
    # in a draft, the page standing in for each upload that cannot be used: laid out on the
    # workers with the documents
    placeholders = {
        key: ("_placeholder.html.j2", dict(context, placeholder=got))
        for key, got in uploads.items()
        if isinstance(got, dict)
    }
    if done is None:
        progress(f"Rendering {len(docs)} documents")
    contents = renderer.render(docs, placeholders)
    if done is None:  # uploads, and a response's exhibits
        progress(f"Taking in {len(uploads)} uploads")
    contents |= {key: got for key, got in uploads.items() if isinstance(got, Content)}
    contents = reuse | contents
    made = [(p, contents[p.key]) for p in planned.pieces if p.key in contents]
    converters = renderer.converters | (done.converters if done else set())
    html = (done.html if done else {}) | renderer.html
    return Rendered(made, frozenset(converters), html)


def _upload(planned: Planned, upload_of: UploadOf, piece: Piece) -> Content | dict[str, str]:
    """An upload's content, a page range of it (split across parts), or in a draft what the
    placeholder page standing in for it says."""
    got = upload_of(piece)
    if isinstance(got, str):  # only reachable in --draft builds
        return {"title": piece.title, "file": piece.source, "reason": got}
    if piece.key in planned.split:
        _, first, last = planned.split[piece.key]
        got = got.pages_between(first, last, digest(got.cache_key, str(first), str(last)))
    return got
