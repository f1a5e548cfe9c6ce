"""Searchable uploads: a text layer by OCR (OCRmyPDF + Tesseract) on upload pages that have none.

`--ocr auto` (default) OCRs when an engine is installed, `always` requires one (a usage error
without it), `never` leaves pages as they are. Only pages with no font anywhere in their
resources are sent to OCR, and OCRmyPDF runs with options that keep every page looking exactly
as it did (see OCR_ARGS); results are cached by the sanitized upload's key plus these settings.

A page that is nothing but one upright image (an image upload, most scanners' pages) is read by
Tesseract itself, its text laid over the image (`_tesseract`); all the other pages waiting for OCR
in a build go through one OCRmyPDF run (in batches of BATCH_PAGES). Both run one Tesseract per
core, so a folder of one-page phone photos uses every core as well as one long scan does.
"""

from __future__ import annotations

import functools
import importlib.util
import io
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pikepdf

from cmpacket.errors import UsageError
from cmpacket.intake import _tesseract
from cmpacket.intake._pdf import _has_font, _inherited

MODES = ("auto", "always", "never")
LANGUAGE = "eng"
BATCH_PAGES = 200
PLUGIN = Path(__file__).with_name("_ocr_plugin.py")  # page-by-page progress from the child
MARK = "cmpacket-ocr"  # its lines' mark (the plugin imports nothing of cmpacket: it says it too)
PAGE_TIMEOUT = 180  # seconds Tesseract may spend on one page
INSTALL = (
    "Install one: pip install 'cmpacket[ocr]' (OCRmyPDF) and the system's Tesseract "
    "(apt-get install tesseract-ocr, which includes English)."
)
# What keeps the page looking the same: `--mode skip` leaves any page with text alone;
# `--output-type pdf` skips the PDF/A conversion (which may rewrite images and colours);
# `--optimize 0` keeps every image stream as it is; no --deskew, --rotate-pages, --clean-final
# or --remove-background, so the visible page is never re-rendered, turned or cleaned: OCRmyPDF
# only grafts an invisible text layer (text render mode 3) onto the original page content.
OCR_ARGS = (
    "--mode", "skip",
    "--output-type", "pdf",
    "--optimize", "0",
    "--fast-web-view", "999999",
    "--language", LANGUAGE,
    "--tesseract-timeout", str(PAGE_TIMEOUT),
)  # fmt: skip


def check_mode(mode: str | None) -> str:
    """The OCR mode to use; `always` without an engine is a usage error."""
    mode = mode or "auto"
    if mode not in MODES:
        raise UsageError(f"--ocr {mode!r}: choose one of {', '.join(MODES)}.")
    if mode == "always" and engine() is None:
        raise UsageError(
            f"--ocr always: no OCR engine is installed ({missing()}).",
            hint=f"{INSTALL} Or build with --ocr auto to build without a text layer.",
        )
    return mode


def missing() -> str:
    """What is missing for OCR, for messages ('' when nothing is)."""
    if importlib.util.find_spec("ocrmypdf") is None:
        return "the Python package ocrmypdf is not installed"
    exe = shutil.which("tesseract")
    if exe is None:
        return "tesseract is not on PATH"
    if LANGUAGE not in _languages(exe):
        return f"Tesseract has no {LANGUAGE!r} language data"
    return ""


def engine() -> str | None:
    """A description of the OCR engine (versions: part of the cache key), None if there is none."""
    if missing():
        return None
    exe = shutil.which("tesseract")
    assert exe is not None
    from importlib.metadata import version

    return f"ocrmypdf {version('ocrmypdf')}; {_tesseract_version(exe)}"


@functools.cache
def _languages(exe: str) -> frozenset[str]:
    try:
        out = subprocess.run(
            [exe, "--list-langs"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return frozenset()
    return frozenset(line.strip() for line in (out.stdout + out.stderr).splitlines()[1:])


@functools.cache
def _tesseract_version(exe: str) -> str:
    try:
        out = subprocess.run(
            [exe, "--version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return "tesseract (unknown version)"
    return (out.stdout or out.stderr).splitlines()[0].strip() if (out.stdout or out.stderr) else ""


def settings(engine_name: str) -> str:
    """Everything an OCR result depends on besides the input (its cache key part)."""
    return f"{engine_name}; {' '.join(OCR_ARGS)}; {_tesseract.SETTINGS}"


def cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def textless_pages(pdf: pikepdf.Pdf) -> list[int]:
    """Indexes of the pages with no font in their resources (nothing on them is text)."""

    return [
        i for i, page in enumerate(pdf.pages) if not _has_font(_inherited(page.obj, "/Resources"))
    ]


def textless_pages_of(pdf: bytes) -> list[int]:
    """`textless_pages` of a PDF given as bytes."""
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        return textless_pages(doc)


@dataclass
class Job:
    """One upload waiting for OCR: its sanitized PDF and the pages to OCR."""

    name: str
    pdf: bytes
    pages: list[int]


def add_text_layers(
    jobs: list[Job], progress: Callable[[int, int], None] | None = None
) -> dict[str, bytes]:
    """OCR the listed pages of each job; returns name -> PDF with text layers added. `progress`
    is told (pages done, pages in all) each time another page is done.

    Pages that are one upright image are read by Tesseract directly (`_tesseract`), the others
    by OCRmyPDF. A job whose OCR fails is left out of the result (its pages stay as they were).
    """
    results: dict[str, bytes] = {}
    total = sum(len(j.pages) for j in jobs)
    done = 0
    shown = [-1]

    def told(pages: int) -> None:  # pages done in the step running now
        now = min(total, done + pages)
        if progress and now != shown[0]:
            shown[0] = now
            progress(now, total)

    jobs, results, done = _read_pictures(jobs, told)
    batch: list[Job] = []
    for i, job in enumerate(jobs):
        batch.append(job)
        size = sum(len(j.pages) for j in batch)
        if size >= BATCH_PAGES or i == len(jobs) - 1:
            results.update(_run_batch(batch, told))
            done += size
            batch = []
            told(0)
    return results


def _read_pictures(
    jobs: list[Job], told: Callable[[int], None]
) -> tuple[list[Job], dict[str, bytes], int]:
    """The pages that are one upright image, read by Tesseract directly. Returns the jobs with
    pages left for OCRmyPDF (their PDFs holding the text added so far), the jobs finished (name
    -> PDF) and the number of pages read."""
    pictures: list[_tesseract.Picture] = []
    where: list[tuple[int, int]] = []  # (job, page) of each picture
    for j, job in enumerate(jobs):
        with pikepdf.open(io.BytesIO(job.pdf)) as pdf:
            for i in job.pages:
                pic = _tesseract.picture(pdf.pages[i])
                if pic is not None:
                    pictures.append(pic)
                    where.append((j, i))
    if not pictures:
        return jobs, {}, 0
    count = [0]

    def one_more() -> None:
        count[0] += 1
        told(count[0])

    texts = _tesseract.read_pictures(pictures, cores(), PAGE_TIMEOUT, one_more)
    read: dict[int, list[tuple[int, bytes, tuple[float, ...]]]] = {}
    for (j, i), pic, text in zip(where, pictures, texts, strict=True):
        if text is not None:
            read.setdefault(j, []).append((i, text, pic.rect))
    left: list[Job] = []
    finished: dict[str, bytes] = {}
    for j, job in enumerate(jobs):
        if j not in read:
            left.append(job)
            continue
        laid = set()
        with pikepdf.open(io.BytesIO(job.pdf)) as pdf:
            for i, text, rect in read[j]:
                if _tesseract.lay_over(pdf, i, text, rect):
                    laid.add(i)
            pdf.remove_unreferenced_resources()
            save = io.BytesIO()
            pdf.save(save, deterministic_id=True)
        rest = [i for i in job.pages if i not in laid]
        if rest:
            left.append(Job(job.name, save.getvalue(), rest))
        else:
            finished[job.name] = save.getvalue()
    return left, finished, sum(len(job.pages) for job in jobs) - sum(len(j.pages) for j in left)


def _run_batch(batch: list[Job], told: Callable[[int], None]) -> dict[str, bytes]:
    """All the batch's pages in one OCRmyPDF run; on failure, each job on its own."""
    combined = pikepdf.new()
    sources = []
    for job in batch:
        src = pikepdf.open(io.BytesIO(job.pdf))
        sources.append(src)
        for i in job.pages:
            combined.pages.append(src.pages[i])
    buf = io.BytesIO()
    combined.save(buf)
    for src in sources:
        src.close()
    ocred = run_ocrmypdf(buf.getvalue(), sum(len(j.pages) for j in batch), on_page=told)
    if ocred is None:
        if len(batch) == 1:
            return {}
        out: dict[str, bytes] = {}
        before = 0
        for job in batch:
            out.update(_run_batch([job], _after(told, before)))
            before += len(job.pages)
        return out
    results = {}
    with pikepdf.open(io.BytesIO(ocred)) as text:
        at = 0
        for job in batch:
            with pikepdf.open(io.BytesIO(job.pdf)) as pdf:
                for i in job.pages:
                    pdf.pages[i] = text.pages[at]
                    at += 1
                save = io.BytesIO()
                pdf.remove_unreferenced_resources()
                pdf.save(save, deterministic_id=True)
            results[job.name] = save.getvalue()
    return results


def _after(told: Callable[[int], None], before: int) -> Callable[[int], None]:
    """`told` for a run that starts after `before` pages of the batch."""
    return lambda pages: told(before + pages)


def run_ocrmypdf(
    pdf: bytes,
    pages: int,
    jobs: int | None = None,
    on_page: Callable[[int], None] | None = None,
) -> bytes | None:
    """OCRmyPDF on `pdf` in a child process (one Tesseract per core); None if it failed.
    `on_page` is told the pages done so far, page by page (the child's progress plugin,
    `_ocr_plugin.py`); it may raise (Ctrl-C at a safe point), which stops the child."""
    jobs = jobs or cores()
    with tempfile.TemporaryDirectory(prefix="cmpacket-ocr-") as tmp:
        src, dst = Path(tmp) / "in.pdf", Path(tmp) / "out.pdf"
        src.write_bytes(pdf)
        env = dict(os.environ, OMP_THREAD_LIMIT="1", TMPDIR=tmp)
        cmd = [sys.executable, "-m", "ocrmypdf", *OCR_ARGS, "--jobs", str(jobs), "--quiet",
               "--plugin", str(PLUGIN), str(src), str(dst)]  # fmt: skip
        child = subprocess.Popen(
            cmd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            env=env,
        )
        timer = threading.Timer(60 + PAGE_TIMEOUT * max(1, pages), child.kill)
        timer.start()
        try:
            said = _follow(child, on_page)
            code = child.wait()
        finally:
            timer.cancel()
            if child.poll() is None:
                child.kill()
                child.wait()
            if child.stderr is not None:
                child.stderr.close()
        if code != 0 or not dst.is_file():
            _last_error[0] = said[-1:] or [f"ocrmypdf ended with exit code {code}"]
            return None
        return dst.read_bytes()


def _follow(child: subprocess.Popen[bytes], on_page: Callable[[int], None] | None) -> list[str]:
    """Read the child's stderr as it comes: progress lines (`cmpacket-ocr DONE TOTAL`; OCRmyPDF
    sends what its plugins print there) go to `on_page`; returns the last other lines."""
    assert child.stderr is not None
    said: list[str] = []
    for raw in child.stderr:
        line = raw.decode("utf-8", "replace").strip()
        parts = line.split()
        if len(parts) == 3 and parts[0] == MARK and parts[1].isdigit():
            if on_page is not None:
                on_page(int(parts[1]))
        elif line:
            said = [*said[-19:], line]
    return said


_last_error: list[Any] = [[]]
