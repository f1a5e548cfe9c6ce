"""Every generated document's HTML laid out once through the cache (WeasyPrint on the build's
workers), or converted from a Word template the agency chose."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cmpacket.cache import Cache, digest
from cmpacket.convert import count_pages, docx_to_pdf
from cmpacket.plan import (
    Content,
    Piece,
    chunk,
    evidence_parts,
    index_parts,
    manual_chunk,
    roster_parts,
)
from cmpacket.render._context import piece_context
from cmpacket.render._copies import render_word
from cmpacket.render._jinja import render_template
from cmpacket.render._layout import lay_out
from cmpacket.render._word import require_word_template
from cmpacket.templates import TemplateRegistry
from cmpacket.workers import Pool, Progress


@dataclass
class Part:
    """One HTML document waiting for layout; `pdf` is set from the cache or after rendering."""

    name: str
    html: str
    key: str
    pdf: bytes | None


@dataclass
class Renderer:
    """Renders documents for one build: the registry, the context, the resources' digest and the
    converters that ran (for the manifest)."""

    cache: Cache
    pool: Pool
    registry: TemplateRegistry
    context: dict[str, Any]
    resources: str
    wanted: dict[str, Any]  # agency.yaml's `documents:` choices (kind -> {source: word})
    progress: Progress | None = None
    converters: set[str] = field(default_factory=set)
    html: dict[str, str] = field(default_factory=dict)  # piece key -> its HTML, for its Word copy

    def render(
        self,
        pieces: list[Piece],
        singles: dict[str, tuple[str, dict[str, Any]]] | None = None,
        meanwhile: Callable[[], None] = lambda: None,
    ) -> dict[str, Content]:
        """Content for every document piece, and for each of `singles` (key -> template and its
        whole context, e.g. a draft's placeholder page), laid out together on the workers;
        `meanwhile` runs while the workers lay out."""
        pending: dict[str, list[Part]] = {}
        made: dict[str, Content] = {}
        for piece in pieces:
            if self._from_word(piece):
                made[piece.key] = self._word_source(piece)
            else:
                pending[piece.key] = self._prepare_piece(piece)
        sources = {piece.key: piece.source for piece in pieces}
        for key, (name, ctx) in (singles or {}).items():
            pending[key], sources[key] = [self._prepare(name, ctx)], name
        todo = [part for parts in pending.values() for part in parts if part.pdf is None]
        rendered = lay_out(
            [(p.name, p.html) for p in todo],
            self.registry,
            self.pool,
            meanwhile=meanwhile,
            progress=self.progress,
        )
        for part, pdf in zip(todo, rendered, strict=True):
            part.pdf = pdf
            self.cache.put(part.key, pdf)
        for key, parts in pending.items():
            source = sources[key]
            made[key] = self._content(source, self.registry.find(source).sha256, parts)
        return made

    def _from_word(self, piece: Piece) -> bool:
        choice = self.wanted.get(piece.kind) if isinstance(self.wanted, dict) else None
        return bool(piece.word and isinstance(choice, dict) and choice.get("source") == "word")

    def _prepare_piece(self, piece: Piece) -> list[Part]:
        """Render a piece's template(s) to HTML and look each up in the cache."""
        assert piece.template is not None
        self.registry.find(piece.source)  # recorded as used, like every template
        ctx = piece_context(self.context, piece)
        if piece.kind == "staff-roster":  # page-sized parts, each laid out and cached alone
            return self._in_parts(piece.template, ctx, "staff", roster_parts(ctx["staff"]))
        if piece.kind == "policy-manual" and self._reads_chunk(piece.template):
            # a chapter a part (each starts a page): laid out in parallel and cached apart, and
            # a chapter can be an exhibit of a response on the very pages the manual has
            keys = [ch["key"] for ch in ctx["chapters"]]
            whole = dict(ctx, chunk=manual_chunk(True, keys))
            self.html[piece.key] = render_template(self.registry, piece.template, whole)
            groups = [keys[:1], *([k] for k in keys[1:])] if keys else [[]]
            return [
                self._prepare(
                    piece.template,
                    dict(ctx, chunk=manual_chunk(i == 0, group, last=i == len(groups) - 1)),
                )
                for i, group in enumerate(groups)
            ]
        if piece.kind == "readiness-report":
            rows = ctx["evidence"]
            whole = dict(ctx, chunk=chunk(True, rows))
            parts = evidence_parts(rows)
            if len(parts) == 1 or not self._reads_chunk(piece.template):
                part = self._prepare(piece.template, whole)
                self.html[piece.key] = part.html
                return [part]
            # a long evidence list: the report, then the list in page-sized parts laid out apart;
            # the Word copy is made from the whole document's HTML
            self.html[piece.key] = render_template(self.registry, piece.template, whole)
            report = dict(ctx, evidence=[], chunk=chunk(True, rows, heading=False, last=False))
            return [self._prepare(piece.template, report)] + [
                self._prepare(
                    piece.template,
                    dict(ctx, evidence=part, chunk=chunk(False, rows, i == 0, i == len(parts) - 1)),
                )
                for i, part in enumerate(parts)
            ]
        if piece.kind == "index" and self._reads_chunk(piece.template):
            # a long index (an entry per staff member) in page-sized parts, on every core; it has
            # no Word copy, so its whole HTML is never needed
            return self._in_parts(piece.template, ctx, "toc", index_parts(ctx["toc"]))
        part = self._prepare(piece.template, ctx)
        self.html[piece.key] = part.html
        return [part]

    def _in_parts(
        self, name: str, ctx: dict[str, Any], field: str, groups: list[list[dict[str, Any]]]
    ) -> list[Part]:
        """A long list's document in parts: the list `field` of `ctx` cut into `groups`, each
        part rendered with its rows and its `chunk`."""
        rows = ctx[field]
        return [
            self._prepare(
                name,
                dict(ctx, **{field: group}, chunk=chunk(i == 0, rows, last=i == len(groups) - 1)),
            )
            for i, group in enumerate(groups)
        ]

    def _reads_chunk(self, name: str) -> bool:
        """Whether a template lays itself out in parts (reads `chunk`); one that does not (an
        older override) is laid out whole."""
        return "chunk" in self.registry.find(name).path.read_text(encoding="utf-8")

    def _prepare(self, name: str, ctx: dict[str, Any]) -> Part:
        html = render_template(self.registry, name, ctx)
        key = self.cache.key("pdf", name, html, self.resources)
        self.converters.add("weasyprint")
        return Part(name, html, key, self.cache.get(key, f"pdf:{name}"))

    def _word_source(self, piece: Piece) -> Content:
        """A document whose packet pages come from the agency's Word template."""
        assert piece.word is not None
        require_word_template(self.registry, piece.word, piece.kind)
        docx = render_word(
            self.cache, self.registry, piece.word, piece_context(self.context, piece)
        )
        key = self.cache.key("word-pdf", hashlib.sha256(docx).hexdigest(), self.resources)
        pdf = self.cache.get(key, f"word-pdf:{piece.word}")
        converter = (
            "libreoffice"
            if pdf is not None and b"LibreOffice" in pdf[:4000]
            else "builtin-docx-html"
        )
        if pdf is None:
            pdf, converter = docx_to_pdf(docx, self.registry, piece.word)
            self.cache.put(key, pdf)
        self.converters.add(converter)
        sha = self.registry.find(piece.word).sha256
        return self._content(piece.word, sha, [Part(piece.word, "", key, pdf)])

    @staticmethod
    def _content(source: str, sha: str, parts: list[Part]) -> Content:
        pdfs = tuple(p.pdf or b"" for p in parts)
        return Content(
            pages=sum(count_pages(pdf) for pdf in pdfs),
            cache_key=digest(*(p.key for p in parts)),
            source=source,
            source_sha256=sha,
            parts=pdfs,
            size=sum(len(pdf) for pdf in pdfs),
        )


def resources_digest(registry: TemplateRegistry) -> str:
    """A digest of every file a stylesheet or page could load (CSS, images, fonts) and WeasyPrint;
    also records each as used, so the manifest lists every file a page could load whether or not
    this build had to lay any page out."""
    from importlib.metadata import version

    parts = [version("weasyprint")]  # not `import weasyprint`: a warm rebuild never needs it
    for name in registry.names(suffixes=None):
        if not name.endswith((".j2", ".docx")):
            parts += [name, registry.find(name).sha256]
    return digest("resources", *parts)
