"""Shared helpers: run the CLI in-process, copy and edit the sample agency, build once per session."""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import weasyprint  # noqa: F401  once per test process: every build's forked workers inherit it
import yaml
from pikepdf.settings import qpdf_limit_errors

from cmpacket.cli import main
from cmpacket.convert import _jobs

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_inputs" / "prairie-care"
# Real-world PDFs from many producers, kept in the repository (see tests/resources/README.md)
CORPUS = ROOT / "tests" / "resources"
CORPUS_GLOB = "[0-9][0-9][0-9]-*.pdf"
EPOCH = "1767225600"
_REAL_RENDERER = _jobs.html_to_pdf  # conftest is imported before any test patches it


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    """Run `cmpacket ARGS` in-process; returns exit code, stdout and stderr."""

    def run(*args: str | Path) -> Result:
        capsys.readouterr()
        try:
            main([str(a) for a in args])
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


class _Logged(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(autouse=True)
def _no_unexpected_log(request: pytest.FixtureRequest) -> Any:
    """A test fails when anything logs a warning or worse (cmpacket reports through findings and
    messages, never through logging), unless it is marked `expected_log`."""
    handler = _Logged()
    root = logging.getLogger()
    root.addHandler(handler)
    inherited = qpdf_limit_errors() > 0
    yield handler
    root.removeHandler(handler)
    if request.node.get_closest_marker("expected_log") is None:
        logged = [
            f"{r.name}: {r.levelname}: {r.getMessage()}"
            for r in handler.records
            if not (inherited and _qpdf_limits_note(r))
        ]
        assert logged == [], "unexpected log records"


@pytest.fixture(autouse=True)
def _no_fake_renderer_left() -> Iterator[None]:
    """A test fails when it leaves the fake renderer in place (a patch undone in the wrong
    order): every later real build of its process would lay out fake pages and put them in the
    session's shared cache, where other tests' builds would find them. Checked when the next
    test starts, once every fixture of the test before it is torn down."""
    left = _jobs.html_to_pdf
    _jobs.html_to_pdf = _REAL_RENDERER
    assert left is _REAL_RENDERER, f"the test before this one left html_to_pdf patched: {left!r}"
    yield


def _qpdf_limits_note(record: logging.LogRecord) -> bool:
    """qpdf's "some configurable limits were exceeded" (logged by pikepdf in two records). The
    count behind it is process-wide and never falls: once an earlier test's hostile PDF (a
    Hypothesis example, say) went over a limit, every later qpdf operation of the test process
    says so. A test is not blamed for a limit another test exceeded."""
    text = record.getMessage().strip()
    return record.name.startswith("pikepdf") and (
        text in ("pikepdf", "") or "some configurable limits were exceeded" in text
    )


@pytest.fixture
def fake_renderer(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Documents laid out by tests/plugins/fake_renderer.py (a page each) instead of WeasyPrint,
    for tests of planning, assembly, parts and the cache; with a default cache of their own, so
    no real build of the session reuses a fake page."""
    from tests.plugins.fake_renderer import faked

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "fake-cache"))
    with faked():
        yield


def session_root(factory: pytest.TempPathFactory) -> Path:
    """The session's own temporary folder: shared by its xdist workers (each has a folder of
    its own inside it), the worker's folder when it runs alone."""
    base = factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def cache_home(factory: pytest.TempPathFactory) -> str:
    """XDG_CACHE_HOME for every build of the session: one cache in the session's folder, for all
    its workers (the cache is safe to share between processes; tests of the cache itself give
    their own), never the user's."""
    return str(session_root(factory) / "xdg-cache")


@pytest.fixture(scope="session", autouse=True)
def _session_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The session's cache for fixtures of a module's or the session's scope too: they run
    before a test's own environment is set."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("XDG_CACHE_HOME", cache_home(tmp_path_factory))
        yield


@pytest.fixture(autouse=True)
def _epoch(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    monkeypatch.setenv("XDG_CACHE_HOME", cache_home(tmp_path_factory))  # should a test change it


def copy_sample(
    dest: Path, edit: Callable[[dict[str, Any]], None] | None = None, *, responses: bool = False
) -> Path:
    """A copy of the sample agency (without out/), its agency.yaml changed by `edit`; its
    response to the Department (responses/, whose base is the sample's out/ packet) only when
    `responses`."""
    folder = dest / "agency"
    ignore = ("out",) if responses else ("out", "responses")
    shutil.copytree(SAMPLE, folder, ignore=shutil.ignore_patterns(*ignore))
    if edit is not None:
        data = yaml.safe_load((folder / "agency.yaml").read_text())
        edit(data)
        (folder / "agency.yaml").write_text(
            yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
        )
    return folder


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    return copy_sample(tmp_path)


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample agency built once for the session (SOURCE_DATE_EPOCH fixed), by the first
    xdist worker to ask for it while the others wait; returns OUT, which tests only read."""
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH
    from cmpacket import api

    base = session_root(tmp_path_factory) / "built"
    base.mkdir(exist_ok=True)
    with (base / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (base / "done").exists():
            folder = copy_sample(base)
            api.build(folder, api.Options(quiet=True), out=base / "out")
            (base / "done").touch()
    return base / "out"


def page_texts(pdf: Path, first: int = 1, last: int | None = None) -> list[str]:
    """The text of each page from `first` to `last` (1-based, inclusive; default to the end) as
    poppler's pdftotext reads it: an independent reader, and a whole packet in a tenth of a
    second where pypdf takes seconds."""
    pages = ["-f", str(first), *(["-l", str(last)] if last is not None else [])]
    args = ["pdftotext", "-enc", "UTF-8", *pages, str(pdf), "-"]
    out = subprocess.run(args, check=True, capture_output=True, timeout=120).stdout
    return out.decode("utf-8").split("\f")[:-1]  # each page ends with a form feed


def packet_of(out: Path) -> Path:
    (pdf,) = sorted(out.glob("*-packet.pdf"))
    return pdf


def corpus(name: str) -> Path:
    """The corpus PDF whose name starts with `name` (e.g. "001-"); a missing one is an error."""
    matches = sorted(CORPUS.glob(f"{name}*.pdf"))
    if len(matches) != 1:
        raise FileNotFoundError(f"{CORPUS}: expected one PDF named {name}*, found {matches}")
    return matches[0]
