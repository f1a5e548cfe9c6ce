"""The build's intake stage: each upload inspected and sanitized once, through the cache, and the
content of each upload piece (read back from the cache only when a block must be rebuilt)."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cmpacket.errors import BuildError
from cmpacket.intake import (
    FIRST_PAGES,
    MAX_PAGES,
    UploadFacts,
    extractor,
    facts_from_json,
    facts_to_json,
    page_texts,
    take_in,
    with_text,
)
from cmpacket.intake._pdf import intake_tag
from cmpacket.pipeline._workspace import Workspace
from cmpacket.plan import Content, Piece, file_sha256


@dataclass(frozen=True)
class Intaken:
    """One upload after intake: its facts, sha256 and the cache key of its sanitized PDF ("" when
    it cannot be used). `pdf` is held in memory only when there is no cache to read it back from."""

    facts: UploadFacts
    sha256: str
    pdf_key: str
    pdf: bytes | None
    plain_key: str = ""  # with OCR: the key of the PDF before its text layer was added
    steps: tuple[str, ...] = ()  # what was done after sanitizing: "compress", "ocr"
    compressed: int = 0  # pages re-encoded by --compress-scans


@dataclass(frozen=True)
class _Job:
    """One upload to take in (`facts` None) or whose text to read (`facts` cached)."""

    path: Path
    sha256: str
    facts_key: str
    pdf_key: str
    facts: UploadFacts | None
    text_pages: int  # pages of text to read: 0 for an upload that is no proof
    checks: tuple[Any, ...]  # a proof's (kind, file, values) to match its text against
    limits: dict[str, Any]
    cache: Path | None


def take_in_all(
    ws: Workspace,
    paths: list[Path],
    limits: dict[str, Any],
    proofs: dict[Path, tuple[Any, ...]] | None = None,
) -> dict[Path, Intaken]:
    """Intake of every upload, in order, on every core; facts, sanitized PDFs and the text of
    each upload in `proofs` (for the evidence checks) are cached apart. Each proof's text is
    matched against its values (`proofs[path]`, see `validators.proof_checks`) on the workers
    too, the results kept in the cache and handed to the validators (`validators.remember`)."""
    from contextlib import closing

    from cmpacket.pipeline._parallel import forked_map

    proofs = proofs or {}

    done: dict[Path, Intaken] = {}
    jobs: list[_Job] = []
    limits_json = json.dumps(limits, sort_keys=True, default=str)
    for path in paths:
        sha, tag = file_sha256(path), intake_tag(path)  # tag: the converter a non-PDF goes through
        facts_key = ws.cache.key("upload-facts", sha, limits_json, tag)
        pdf_key = ws.cache.key("upload-pdf", sha, tag)
        hit = ws.cache.get(facts_key, f"upload:{ws.display(path)}")
        facts = facts_from_json(path, json.loads(hit)) if hit is not None else None
        pages = FIRST_PAGES if path in proofs else 0
        checks = proofs.get(path, ())
        if facts is not None and pages and facts.usable:
            texts = _cached_text(ws, path, pdf_key, pages)
            if texts is not None:
                facts.text, pages = texts, 0
                _matches_from_cache(ws, path, pdf_key, texts, checks)
        if facts is not None and not (pages and facts.usable):
            done[path] = _intaken(ws, facts, sha, pdf_key, None)
        else:
            jobs.append(
                _Job(path, sha, facts_key, pdf_key, facts, pages, checks, limits, ws.cache.root)
            )
    tick = ws.ticker("Uploads")
    with closing(forked_map(_intake_job, jobs)) as results:
        for job, (facts, pdf, texts, matches) in zip(jobs, results, strict=True):
            if job.facts is None:
                if pdf is not None:
                    ws.cache.put(job.pdf_key, pdf)
                ws.cache.put(job.facts_key, json.dumps(facts_to_json(facts)).encode())
            if texts is not None:
                ws.cache.put(_text_key(ws, job.pdf_key, job.text_pages), json.dumps(texts).encode())
                facts.text = texts
                _keep_matches(ws, job.pdf_key, texts, job.checks, matches)
            done[job.path] = _intaken(ws, facts, job.sha256, job.pdf_key, pdf)
            tick(len(done), len(paths))
    return {path: done[path] for path in paths}


def _intaken(
    ws: Workspace, facts: UploadFacts, sha: str, pdf_key: str, pdf: bytes | None
) -> Intaken:
    # With a cache, sanitized PDFs are not held in memory: they are read back only when a block
    # of the packet must be (re)built, so memory does not grow with the uploads.
    keep = pdf if ws.cache.root is None else None
    return Intaken(facts, sha, pdf_key if facts.usable else "", keep)


def _intake_job(job: _Job) -> tuple[UploadFacts, bytes | None, list[str] | None, list[Any]]:
    """(facts, the sanitized PDF when made now, the text read or None, each check's match):
    runs in a worker."""
    from cmpacket.cache import Cache
    from cmpacket.intake import has_text
    from cmpacket.validators import match_proof

    facts, pdf = job.facts, None
    if facts is None:
        facts, pdf = take_in(job.path, job.limits)
    if not (job.text_pages and facts.usable):
        return facts, pdf, None, []
    source = pdf or Cache(job.cache).get(job.pdf_key) or take_in(job.path, job.limits)[1]
    texts = page_texts(source, job.text_pages) if source is not None else []
    if not has_text(texts):
        return facts, pdf, texts, []
    pages = tuple(texts)
    return facts, pdf, texts, [match_proof(pages, *check) for check in job.checks]


def _match_key(ws: Workspace, pdf_key: str, texts: list[str], check: Any) -> str:
    """A proof's match: keyed by its text and the values it was checked against."""
    return ws.cache.key("proof-match", pdf_key, json.dumps([texts, check], default=str))


def _keep_matches(
    ws: Workspace, pdf_key: str, texts: list[str], checks: tuple[Any, ...], matches: list[Any]
) -> None:
    """Matches made on a worker: into the cache, and handed to the validators."""
    from cmpacket.validators import remember

    for check, (matched, misses) in zip(checks, matches, strict=False):
        kind, given, values = check
        remember(tuple(texts), kind, given, values, (matched, misses))
        payload = [list(matched), [[x.field, x.path, x.message] for x in misses]]
        ws.cache.put(_match_key(ws, pdf_key, texts, check), json.dumps(payload).encode())


def _matches_from_cache(
    ws: Workspace, path: Path, pdf_key: str, texts: list[str], checks: tuple[Any, ...]
) -> None:
    """Matches a previous build made of this text against these same values (a check whose data
    changed is matched again by the validators)."""
    from cmpacket.validators import remember
    from cmpacket.validators._evidence import Miss

    for check in checks:
        hit = ws.cache.get(_match_key(ws, pdf_key, texts, check), f"match:{ws.display(path)}")
        if hit is not None:
            matched, misses = json.loads(hit)
            kind, given, values = check
            found = (tuple(matched), tuple(Miss(*x) for x in misses))
            remember(tuple(texts), kind, given, values, found)


def _text_key(ws: Workspace, pdf_key: str, pages: int) -> str:
    """The text of the first `pages` pages of the PDF cached at `pdf_key`."""
    return ws.cache.key("upload-text", pdf_key, str(pages), extractor())


def _cached_text(ws: Workspace, path: Path, pdf_key: str, pages: int) -> list[str] | None:
    hit = ws.cache.get(_text_key(ws, pdf_key, pages), f"upload-text:{ws.display(path)}")
    return json.loads(hit) if hit is not None else None


def packet_sizes(ws: Workspace, intaken: dict[Path, Intaken]) -> dict[Path, int]:
    """What each usable upload will weigh in the packet, as intake left it."""
    return {
        path: len(i.pdf) if i.pdf is not None else ws.cache.size(i.pdf_key)
        for path, i in intaken.items()
        if i.pdf_key
    }


def read_more(
    ws: Workspace, intaken: dict[Path, Intaken], wanted: set[Path], limits: dict[str, Any]
) -> dict[Path, Intaken]:
    """The proofs in `wanted` read again, up to `MAX_PAGES` pages (their first page did not show
    every field the data gives)."""
    from dataclasses import replace

    out = dict(intaken)
    for path in sorted(wanted):
        it = intaken[path]
        texts = _cached_text(ws, path, it.pdf_key, MAX_PAGES)
        if texts is None:
            pdf = it.pdf or ws.cache.get(it.pdf_key, f"upload-pdf:{ws.display(path)}")
            if pdf is None and not it.steps:  # steps (OCR, compression) cannot be redone here
                pdf = _plain(ws, path, it.pdf_key, limits)
            if pdf is None:
                continue
            texts = page_texts(pdf, MAX_PAGES)
            ws.cache.put(_text_key(ws, it.pdf_key, MAX_PAGES), json.dumps(texts).encode())
        out[path] = replace(it, facts=replace(it.facts, text=texts))
    return out


def upload_content(
    ws: Workspace, piece: Piece, intaken: Intaken, limits: dict[str, Any]
) -> Content | str:
    """The content of an upload piece, or the reason it cannot be included (for a draft's
    placeholder page)."""
    if not intaken.pdf_key:
        reason = "; ".join(
            m for k, m in intaken.facts.problems if k in ("unreadable", "encrypted", "too-large")
        )
        return reason or "the file could not be taken in."
    assert piece.upload is not None
    return Content(
        pages=intaken.facts.pages,
        cache_key=intaken.pdf_key,
        source=piece.source,
        source_sha256=intaken.sha256,
        parts=(intaken.pdf,) if intaken.pdf is not None else (),
        load=_loader(ws, piece.upload, intaken, limits),
        size=len(intaken.pdf) if intaken.pdf is not None else ws.cache.size(intaken.pdf_key),
    )


def _loader(ws: Workspace, path: Path, intaken: Intaken, limits: dict[str, Any]) -> Any:
    """Read a sanitized (compressed, OCR'd) upload from the cache, or make it again the same way
    if the entry is gone."""
    key = intaken.pdf_key

    def load() -> list[bytes]:
        pdf = ws.cache.get(key, f"upload-pdf:{ws.display(path)}")
        if pdf is None:
            pdf = _remake(ws, path, intaken.steps, limits)
            ws.cache.put(key, pdf)
        return [pdf]

    return load


def _remake(ws: Workspace, path: Path, steps: tuple[str, ...], limits: dict[str, Any]) -> bytes:
    """Take an upload in again and redo each step intake did after sanitizing it."""
    _, pdf = take_in(path, limits)
    if pdf is None:
        raise BuildError(f"{ws.display(path)}: could not be taken in on a second reading.")
    if "compress" in steps:
        from cmpacket.intake._compress import compress_scans

        pdf = compress_scans(pdf)[0]
    if "ocr" in steps:
        from cmpacket.intake._ocr import Job, add_text_layers, textless_pages

        pages = textless_pages_of(pdf, textless_pages)
        made = add_text_layers([Job("again", pdf, pages)]).get("again")
        if made is None:
            raise BuildError(f"{ws.display(path)}: OCR could not be done again; build again.")
        pdf = made
    return pdf


def _plain(ws: Workspace, path: Path, key: str, limits: dict[str, Any]) -> bytes:
    """The sanitized upload: from the cache, or taken in again."""
    pdf = ws.cache.get(key, f"upload-pdf:{ws.display(path)}")
    if pdf is None:
        _, pdf = take_in(path, limits)
        if pdf is None:
            raise BuildError(f"{ws.display(path)}: could not be taken in on a second reading.")
    return pdf


def textless_pages_of(pdf: bytes, find: Any) -> list[int]:
    import io

    import pikepdf

    with pikepdf.open(io.BytesIO(pdf)) as doc:
        return list(find(doc))


def add_ocr(
    ws: Workspace, intaken: dict[Path, Intaken], mode: str, limits: dict[str, Any]
) -> dict[Path, Intaken]:
    """A text layer, by OCR, on the upload pages that have none (`--ocr auto|always`, with an
    engine installed); OCR'd copies are cached by the sanitized upload's key and the engine's
    settings, and all pages waiting in a build go through one OCR run on every core."""
    from dataclasses import replace

    from cmpacket.intake._ocr import Job, add_text_layers, engine, settings, textless_pages

    name = engine() if mode != "never" else None
    if name is None:
        return intaken
    tag = settings(name)
    out = dict(intaken)
    work: list[Any] = []
    waiting: dict[str, Path] = {}
    for path, it in intaken.items():
        if not it.pdf_key or not it.facts.textless:
            continue
        ocr_key = ws.cache.key("upload-ocr", it.pdf_key, tag)
        steps = (*it.steps, "ocr")
        known = ws.cache.get(ocr_key + "-text", f"upload-ocr-text:{ws.display(path)}")
        if known is not None and ws.cache.size(ocr_key):  # made before; read when a block needs it
            facts = replace(it.facts, text=json.loads(known))  # evidence reads the OCR'd text
            out[path] = replace(
                it, facts=facts, pdf_key=ocr_key, pdf=None, plain_key=it.pdf_key, steps=steps
            )
            continue
        pdf = it.pdf or _plain(ws, path, it.pdf_key, limits)
        work.append(Job(ocr_key, pdf, textless_pages_of(pdf, textless_pages)))
        waiting[ocr_key] = path
    if not work:
        return out
    done = add_text_layers(work, ws.ticker("OCR pages"))
    for job in work:
        path, result = waiting[job.name], done.get(job.name)
        if result is None:  # not cached, so the next build tries again
            if not ws.progress.quiet:
                print(
                    f"note: {ws.display(path)}: OCR failed; kept without a text layer.",
                    file=sys.stderr,
                )
            continue
        before = intaken[path]
        facts = with_text(replace(before.facts), result)  # evidence reads the OCR'd text
        ws.cache.put(job.name, result)
        ws.cache.put(job.name + "-text", json.dumps(facts.text).encode())
        keep = result if ws.cache.root is None else None
        out[path] = replace(
            before,
            facts=facts,
            pdf_key=job.name,
            pdf=keep,
            plain_key=before.pdf_key,
            steps=(*before.steps, "ocr"),
        )
    return out


def compress(
    ws: Workspace, intaken: dict[Path, Intaken], limits: dict[str, Any]
) -> dict[Path, Intaken]:
    """--compress-scans: image-only pages re-encoded as 200 dpi JPEG (lossy; listed in the
    manifest), cached by the sanitized upload's key."""
    import json as _json
    from dataclasses import replace

    from cmpacket.intake._compress import VERSION, compress_scans

    out = dict(intaken)
    tick = ws.ticker("Compressing scans")
    for i, (path, it) in enumerate(intaken.items(), start=1):
        tick(i, len(intaken))
        if not it.pdf_key or not it.facts.textless:
            continue
        key = ws.cache.key("upload-scan200", it.pdf_key, VERSION)
        count_key = key + "-pages"
        known = ws.cache.get(count_key, f"upload-scan200:{ws.display(path)}")
        pdf = None
        if known is None:
            pdf, pages = compress_scans(it.pdf or _plain(ws, path, it.pdf_key, limits))
            if pages:
                ws.cache.put(key, pdf)
            ws.cache.put(count_key, _json.dumps(pages).encode())
        else:
            pages = _json.loads(known)
        if pages:
            keep = pdf if ws.cache.root is None else None
            out[path] = replace(
                it, pdf_key=key, pdf=keep, steps=(*it.steps, "compress"), compressed=pages
            )
    return out
