"""A build's intake: every upload inspected and sanitized once, on the build's workers, through
the cache; each proof's text read there too and matched by the caller's matcher; the sanitized
PDF read back only when assembly needs it (so memory does not grow with the uploads)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from cmpacket.cache import Cache, file_sha256, shared
from cmpacket.errors import BuildError
from cmpacket.intake._compress import compress_scans
from cmpacket.intake._ocr import Job, add_text_layers, textless_pages_of
from cmpacket.intake._pdf import UploadFacts, facts_from_json, facts_to_json, intake_tag, take_in
from cmpacket.intake._text import FIRST_PAGES, MAX_PAGES, extractor, has_text, page_texts
from cmpacket.workers import Pool, Progress

# (pages of text, a check) -> what the text shows, as JSON-able data: a module-level function,
# so the workers find it again (`validators.match_payload` in a build)
Matcher = Callable[[tuple[str, ...], Any], Any]
# the matcher's results of a proof's pages -> whether they show every field looked for (else the
# next page is read on the worker at once: `validators.shows_every_field` in a build)
Complete = Callable[[list[Any]], bool]
Ticker = Callable[[str], Progress]
MIN_FORKED = 16  # below this many uploads, starting the workers costs more than it saves


@dataclass(frozen=True)
class Intaken:
    """One upload after intake: its facts, sha256 and the cache key of its sanitized PDF ("" when
    it cannot be used). `pdf` is held in memory only when there is no cache to read it back from.
    `matches` pairs each check the caller asked for with the matcher's result on the text."""

    facts: UploadFacts
    sha256: str
    pdf_key: str
    pdf: bytes | None
    plain_key: str = ""  # with OCR: the key of the PDF before its text layer was added
    steps: tuple[str, ...] = ()  # what was done after sanitizing: "compress", "ocr"
    compressed: int = 0  # pages re-encoded by --compress-scans
    matches: tuple[tuple[Any, Any], ...] = ()


def without_text(intaken: dict[Path, Intaken]) -> dict[Path, Intaken]:
    """The uploads with the proofs' text left out, once the rules have read it: the text of a
    2,000-staff agency's proofs (about 60 MB) is not held through layout and assembly."""
    return {
        path: replace(it, facts=replace(it.facts, text=[])) if it.facts.text else it
        for path, it in intaken.items()
    }


@dataclass(frozen=True)
class _Job:
    """One upload to take in (`facts` None) or whose text to read (`facts` cached)."""

    path: Path
    sha256: str
    facts_key: str
    pdf_key: str
    facts: UploadFacts | None
    text_pages: int  # pages of text to read: 0 for an upload that is no proof
    checks: tuple[Any, ...]  # what to match the text against
    matcher: Matcher | None
    limits: dict[str, Any]
    cache: Path | None
    texts: tuple[str, ...] | None = None  # the text, when already read: only match it
    complete: Complete | None = None  # whether the matches show every field (else read `more`)
    more: int = 0  # pages read in all when the first do not show every field


def take_in_all(
    paths: list[Path],
    limits: dict[str, Any],
    *,
    cache: Cache,
    pool: Pool,
    ticker: Ticker,
    display: Callable[[Path], str],
    proofs: dict[Path, tuple[Any, ...]] | None = None,
    matcher: Matcher | None = None,
    complete: Complete | None = None,
) -> dict[Path, Intaken]:
    """Intake of every upload, in order, on the workers; facts, sanitized PDFs and the text of
    each upload in `proofs` are cached apart, and each proof's text is matched against its
    checks (`proofs[path]`) by `matcher` on the workers too, the results cached with the text.
    A proof whose first page does not show every field (`complete`) has its next page read and
    matched in the same job, as `read_more` would (both readings are cached, as each is)."""
    proofs = proofs or {}
    done: dict[Path, Intaken] = {}
    jobs: list[_Job] = []
    limits_json = json.dumps(limits, sort_keys=True, default=str)
    for path in paths:
        sha, tag = file_sha256(path), intake_tag(path)  # tag: the converter a non-PDF goes through
        facts_key = cache.key("upload-facts", sha, limits_json, tag)
        pdf_key = cache.key("upload-pdf", sha, tag)
        hit = cache.get(facts_key, f"upload:{display(path)}")
        facts = facts_from_json(path, json.loads(hit)) if hit is not None else None
        pages = FIRST_PAGES if path in proofs else 0
        checks = proofs.get(path, ())
        matches: tuple[tuple[Any, Any], ...] = ()
        if facts is not None and pages and facts.usable:
            texts = _cached_text(cache, display(path), pdf_key, pages)
            if texts is not None:
                facts.text, pages = texts, 0
                matches = _cached_matches(cache, display(path), pdf_key, texts, checks)
        if facts is not None and not (pages and facts.usable):
            done[path] = _intaken(cache, facts, sha, pdf_key, None, matches)
        else:
            job = _Job(path, sha, facts_key, pdf_key, facts, pages, checks, matcher, limits,
                       cache.root, complete=complete, more=MAX_PAGES)  # fmt: skip
            jobs.append(job)
    tick = ticker("Uploads")
    results = pool.map(_intake_job, jobs, min_jobs=MIN_FORKED)
    for job, (facts, pdf, texts, found, first) in zip(jobs, results, strict=True):
        if job.facts is None:
            if pdf is not None:
                cache.put(job.pdf_key, pdf)
            cache.put(job.facts_key, json.dumps(facts_to_json(facts)).encode())
        matches = ()
        if texts is not None:
            if first is not None:  # the first page as a rebuild reads it first, then the rest
                _keep(cache, job, job.text_pages, *first)
            matches = _keep(cache, job, job.more if first else job.text_pages, texts, found)
            facts.text = texts
        done[job.path] = _intaken(cache, facts, job.sha256, job.pdf_key, pdf, matches)
        tick(len(done), len(paths))
    return {path: done[path] for path in paths}


def _intaken(
    cache: Cache,
    facts: UploadFacts,
    sha: str,
    pdf_key: str,
    pdf: bytes | None,
    matches: tuple[tuple[Any, Any], ...],
) -> Intaken:
    keep = pdf if cache.root is None else None  # with a cache, read back when a block needs it
    return Intaken(facts, sha, pdf_key if facts.usable else "", keep, matches=matches)


Read = tuple[list[str], list[Any]]  # the pages' text and each check's result


def _intake_job(
    job: _Job,
) -> tuple[UploadFacts, bytes | None, list[str] | None, list[Any], Read | None]:
    """(facts, the sanitized PDF when made now, the text read or None, each check's result, and
    when the first pages did not show every field and more were read, their text and results):
    runs in a worker."""
    facts, pdf = job.facts, None
    if facts is None:
        facts, pdf = take_in(job.path, job.limits)
    if not (job.text_pages and facts.usable):
        return facts, pdf, None, [], None
    source = None
    if job.texts is not None:
        texts = list(job.texts)
    else:
        source = pdf or shared(job.cache).get(job.pdf_key) or take_in(job.path, job.limits)[1]
        texts = page_texts(source, job.text_pages) if source is not None else []
    found = _matched(job, texts)
    if (
        source is not None
        and job.complete is not None
        and min(facts.pages, job.more) > len(texts)
        and not (has_text(texts) and job.complete(found))
    ):
        more = page_texts(source, job.more, read=texts)  # the first page is not read again
        return facts, pdf, more, _matched(job, more), (texts, found)
    return facts, pdf, texts, found, None


def _matched(job: _Job, texts: list[str]) -> list[Any]:
    if not has_text(texts) or job.matcher is None:
        return []
    pages = tuple(texts)
    return [job.matcher(pages, check) for check in job.checks]


def _keep(
    cache: Cache, job: _Job, pages: int, texts: list[str], found: list[Any], text: bool = True
) -> tuple[tuple[Any, Any], ...]:
    """Cache the text of a proof's first `pages` pages (`text` False: it is cached already) and
    its matches; returns the matches."""
    if text:
        cache.put(_text_key(cache, job.pdf_key, pages), json.dumps(texts).encode())
    matches = tuple(zip(job.checks, found, strict=False))
    for check, result in matches:
        cache.put(_match_key(cache, job.pdf_key, texts, check), json.dumps(result).encode())
    return matches


def _match_key(cache: Cache, pdf_key: str, texts: list[str], check: Any) -> str:
    """A proof's match: keyed by its text and the values it was checked against."""
    return cache.key("proof-match", pdf_key, json.dumps([texts, check], default=str))


def _cached_matches(
    cache: Cache, shown: str, pdf_key: str, texts: list[str], checks: tuple[Any, ...]
) -> tuple[tuple[Any, Any], ...]:
    """Matches a previous build made of this text against these same values (a check whose
    data changed is matched again by the validators)."""
    out = []
    for check in checks:
        hit = cache.get(_match_key(cache, pdf_key, texts, check), f"match:{shown}")
        if hit is not None:
            out.append((check, json.loads(hit)))
    return tuple(out)


def _text_key(cache: Cache, pdf_key: str, pages: int) -> str:
    """The text of the first `pages` pages of the PDF cached at `pdf_key`."""
    return cache.key("upload-text", pdf_key, str(pages), extractor())


def _cached_text(cache: Cache, shown: str, pdf_key: str, pages: int) -> list[str] | None:
    hit = cache.get(_text_key(cache, pdf_key, pages), f"upload-text:{shown}")
    return json.loads(hit) if hit is not None else None


def packet_sizes(cache: Cache, intaken: dict[Path, Intaken]) -> dict[Path, int]:
    """What each usable upload will weigh in the packet, as intake left it."""
    return {
        path: len(i.pdf) if i.pdf is not None else cache.size(i.pdf_key)
        for path, i in intaken.items()
        if i.pdf_key
    }


def read_more(
    intaken: dict[Path, Intaken],
    wanted: set[Path],
    limits: dict[str, Any],
    *,
    cache: Cache,
    display: Callable[[Path], str],
    pool: Pool | None = None,
    proofs: dict[Path, tuple[Any, ...]] | None = None,
    matcher: Matcher | None = None,
) -> dict[Path, Intaken]:
    """The proofs in `wanted` read again, up to `MAX_PAGES` pages (their first page did not show
    every field the data gives), and matched again by `matcher` against their checks
    (`proofs[path]`): on the workers, text and matches cached as intake caches them, so a
    rebuild of an agency whose proofs do not match its data does not match them all again."""
    proofs = proofs or {}
    out = dict(intaken)
    jobs: list[_Job] = []
    for path in sorted(wanted):
        it = intaken[path]
        if not it.pdf_key:  # refused at intake (unreadable, too large): there is nothing to read
            continue
        checks = proofs.get(path, ())
        texts = _cached_text(cache, display(path), it.pdf_key, MAX_PAGES)
        if texts is None and (it.pdf is not None or cache.root is None):
            texts = _read_here(path, it, limits, cache=cache, display=display)
            if texts is None:
                continue
        if texts is not None:
            matches = _cached_matches(cache, display(path), it.pdf_key, texts, checks)
            if matcher is None or len(matches) == len(checks) or not has_text(texts):
                # the validators match whatever is not here
                out[path] = replace(it, facts=replace(it.facts, text=texts), matches=matches)
                continue
        elif it.steps and cache.size(it.pdf_key) == 0:  # OCR, compression: not redone here
            continue
        job = _Job(path, it.sha256, "", it.pdf_key, it.facts, MAX_PAGES, checks, matcher, limits,
                   cache.root, tuple(texts) if texts is not None else None)  # fmt: skip
        jobs.append(job)
    cache.flush()  # the workers read the sanitized PDFs this build made
    found = pool.map(_intake_job, jobs, min_jobs=MIN_FORKED) if pool else map(_intake_job, jobs)
    for job, (_, _, texts, results, _) in zip(jobs, found, strict=True):
        if texts is None:
            continue
        it = intaken[job.path]
        matches = _keep(cache, job, MAX_PAGES, texts, results, text=job.texts is None)
        out[job.path] = replace(it, facts=replace(it.facts, text=texts), matches=matches)
    return out


def _read_here(
    path: Path, it: Intaken, limits: dict[str, Any], *, cache: Cache, display: Callable[[Path], str]
) -> list[str] | None:
    """The text of a proof held in memory (no cache to read it back from), read here."""
    pdf = it.pdf or cache.get(it.pdf_key, f"upload-pdf:{display(path)}")
    if pdf is None and not it.steps:  # steps (OCR, compression) cannot be redone here
        pdf = sanitized(path, it.pdf_key, limits, cache=cache, display=display)
    if pdf is None:
        return None
    texts = page_texts(pdf, MAX_PAGES)
    cache.put(_text_key(cache, it.pdf_key, MAX_PAGES), json.dumps(texts).encode())
    return texts


def sanitized(
    path: Path,
    key: str,
    limits: dict[str, Any],
    *,
    cache: Cache,
    display: Callable[[Path], str],
) -> bytes:
    """The sanitized upload: from the cache, or taken in again."""
    pdf = cache.get(key, f"upload-pdf:{display(path)}")
    if pdf is None:
        _, pdf = take_in(path, limits)
        if pdf is None:
            raise BuildError(f"{display(path)}: could not be taken in on a second reading.")
    return pdf


def loader(
    path: Path,
    intaken: Intaken,
    limits: dict[str, Any],
    *,
    cache: Cache,
    display: Callable[[Path], str],
) -> Callable[[], list[bytes]]:
    """A function reading the upload as the packet holds it (sanitized, compressed, OCR'd) from
    the cache, or making it again the same way if the entry is gone."""
    key = intaken.pdf_key

    def load() -> list[bytes]:
        pdf = cache.get(key, f"upload-pdf:{display(path)}")
        if pdf is None:
            pdf = _remake(path, intaken.steps, limits, display)
            cache.put(key, pdf)
        return [pdf]

    return load


def _remake(
    path: Path, steps: tuple[str, ...], limits: dict[str, Any], display: Callable[[Path], str]
) -> bytes:
    """Take an upload in again and redo each step intake did after sanitizing it."""
    _, pdf = take_in(path, limits)
    if pdf is None:
        raise BuildError(f"{display(path)}: could not be taken in on a second reading.")
    if "compress" in steps:
        pdf = compress_scans(pdf)[0]
    if "ocr" in steps:
        made = add_text_layers([Job("again", pdf, textless_pages_of(pdf))]).get("again")
        if made is None:
            raise BuildError(f"{display(path)}: OCR could not be done again; build again.")
        pdf = made
    return pdf
