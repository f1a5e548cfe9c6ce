"""The build cache: exact invalidation, corruption detection, identical output with and without."""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import yaml

from cmpacket import _cachedb, api
from cmpacket import cache as _cache
from tests.conftest import EPOCH, ROOT, copy_sample, packet_of
from tests.plugins.fake_renderer import faked

pytestmark = pytest.mark.e2e


def build(folder: Path, cache: Path, out: str = "out", **kw: Any) -> Any:
    return api.build(
        folder, api.Options(quiet=True, cache_dir=cache, **kw), out=folder.parent / out
    )


def edit_yaml(folder: Path, change: Any) -> None:
    data = yaml.safe_load((folder / "agency.yaml").read_text())
    change(data)
    (folder / "agency.yaml").write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


COLD: list[str] = []


@pytest.fixture(scope="module")
def cold(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[str]]:
    """The sample built once into an empty cache: the folder, the cache and what was made."""
    base = tmp_path_factory.mktemp("cold")
    folder = copy_sample(base)
    with pytest.MonkeyPatch.context() as env, faked():  # set up before the per-test fixtures
        env.setenv("SOURCE_DATE_EPOCH", EPOCH)
        first = build(folder, base / "cache")
    assert "packet" in first.rebuilt and any(r.startswith("upload:") for r in first.rebuilt)
    return folder, base / "cache", first.rebuilt


@pytest.fixture
def warm(
    tmp_path: Path, cold: tuple[Path, Path, list[str]], fake_renderer: None
) -> tuple[Path, Path]:
    """A copy of the sample and of the cache its cold build filled (keys hold no folder path, so
    the copy rebuilds nothing until something changes); documents are laid out by the fake
    renderer, which is all a test of what is rebuilt needs."""
    folder, cache, rebuilt = cold
    COLD[:] = rebuilt
    mine = tmp_path / "agency"
    shutil.copytree(folder, mine)
    shutil.copytree(cache, tmp_path / "cache")
    shutil.copytree(folder.parent / "out", tmp_path / "out")  # the cold build's outputs
    return mine, tmp_path / "cache"


def kinds(rebuilt: list[str]) -> set[str]:
    return set(rebuilt)


def test_nothing_changed_rebuilds_nothing(warm: tuple[Path, Path]) -> None:
    folder, cache = warm
    again = build(folder, cache, "out2")
    assert again.rebuilt == []
    assert again.packet.read_bytes() == packet_of(folder.parent / "out").read_bytes()


@pytest.mark.skipif((os.cpu_count() or 1) < 2 or not hasattr(os, "fork"), reason="one core")
def test_a_one_change_rebuild_lays_its_page_out_on_a_worker(
    warm: tuple[Path, Path], tmp_path: Path
) -> None:
    """A rebuild forks one worker that imports WeasyPrint while the agency is validated, and
    the page or two to lay out go to it: the build's own process never lays one out (it would
    import WeasyPrint first, a third of a second)."""
    from cmpacket.convert import _jobs

    folder, cache = warm
    edit_yaml(folder, lambda d: d["staff"][3].update(caseload=29))
    where = tmp_path / "pids"
    fake = _jobs.html_to_pdf  # the fake renderer (the warm fixture's)

    def recorded(html: str, registry: Any, name: str) -> bytes:
        with where.open("a") as f:
            f.write(f"{os.getpid()}\n")
        return fake(html, registry, name)

    # undone here, before the fake renderer's own fixture puts WeasyPrint back (a `monkeypatch`
    # fixture would be undone after it, and leave the fake in place for the next tests)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_jobs, "html_to_pdf", recorded)
        again = build(folder, cache, "out2")
    assert [r for r in again.rebuilt if r.startswith("pdf:")], again.rebuilt
    laid = {int(pid) for pid in where.read_text().split()}
    assert laid and os.getpid() not in laid


def test_one_staff_change_rebuilds_only_its_pieces(warm: tuple[Path, Path]) -> None:
    folder, cache = warm
    edit_yaml(folder, lambda d: d["staff"][3].update(caseload=29))
    again = build(folder, cache, "out2")
    pdfs = [r for r in again.rebuilt if r.startswith("pdf:")]
    assert pdfs == ["pdf:staff-roster.html.j2"]  # one roster part; the fingerprint is filled in
    assert not [r for r in again.rebuilt if r.startswith("upload:")]
    assert (
        "docx:staff-roster.html.j2" in again.rebuilt
        and "docx:policy-manual.html.j2" not in again.rebuilt
    )


def test_an_upload_change_retakes_only_that_upload(warm: tuple[Path, Path]) -> None:
    folder, cache = warm
    from tests.conftest import corpus

    (folder / "uploads" / "lopez-lsw.pdf").write_bytes(corpus("001-").read_bytes())
    again = build(folder, cache, "out2")
    assert [r for r in again.rebuilt if r.startswith("upload:")] == ["upload:uploads/lopez-lsw.pdf"]
    # the new file is not Maria Lopez's license: only the readiness report (its evidence table
    # and findings) is laid out again
    assert [r for r in again.rebuilt if r.startswith("pdf:")] == ["pdf:readiness-report.html.j2"]


def test_a_template_change_rerenders_only_its_document(warm: tuple[Path, Path]) -> None:
    folder, cache = warm
    (folder / "templates" / "policies").mkdir()
    (folder / "templates" / "policies" / "grievances.txt.j2").write_text(
        "Complaints go to {{ agency.display_name }}.\n"
    )
    again = build(folder, cache, "out2")
    assert [r for r in again.rebuilt if r.startswith("pdf:")] == ["pdf:policy-manual.html.j2"]
    assert [r for r in again.rebuilt if r.startswith("docx:")] == ["docx:policy-manual.html.j2"]


def test_a_profile_parameter_change_rerenders_what_reads_it(warm: tuple[Path, Path]) -> None:
    folder, cache = warm
    (folder / "p.yaml").write_text(
        "extends: il-hsp-aids-waiver\nname: il-hsp-aids-waiver\nrules:\n"
        "  - code: training-hours-short\n    params: {hours: 11}\n"
    )
    edit_yaml(folder, lambda d: d.update(profile="p.yaml"))
    again = build(folder, cache, "out2")
    pdfs = {r for r in again.rebuilt if r.startswith("pdf:")}
    assert {
        "pdf:policy-manual.html.j2",
        "pdf:job-description.html.j2",
        "pdf:staff-roster.html.j2",
    } <= pdfs
    assert "pdf:agreement.html.j2" not in pdfs and "pdf:service-settings.html.j2" not in pdfs


def test_a_new_tool_version_rebuilds_everything(
    warm: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, cache = warm
    monkeypatch.setattr(_cache, "tool_version", lambda: "99.0-test")
    again = build(folder, cache, "out2")
    assert again.rebuilt == COLD  # everything made afresh, as in the first build


def test_corrupted_entries_are_detected_and_rebuilt(warm: tuple[Path, Path]) -> None:
    import sqlite3

    folder, cache = warm
    database = cache / _cachedb.DATABASE
    entries = sorted(
        p for p in cache.rglob("*") if p.is_file() and not p.name.startswith(database.name)
    )
    assert entries  # the large entries are files
    for entry in entries:
        data = bytearray(entry.read_bytes())
        data[-1] ^= 0xFF
        entry.write_bytes(bytes(data))
    with sqlite3.connect(database) as db:  # the small ones rows: the last byte of each changed
        rows = db.execute("SELECT key, stored FROM entries").fetchall()
        assert len(rows) > len(entries)
        for key, stored in rows:
            db.execute(
                "UPDATE entries SET stored = ? WHERE key = ?",
                (stored[:-1] + bytes([stored[-1] ^ 0xFF]), key),
            )
    again = build(folder, cache, "out2")
    assert again.rebuilt == COLD
    assert again.packet.read_bytes() == packet_of(folder.parent / "out").read_bytes()
    assert build(folder, cache, "out3").rebuilt == []


def test_a_cache_database_that_is_not_one_is_put_aside_and_made_again(
    warm: tuple[Path, Path],
) -> None:
    folder, cache = warm
    database = cache / _cachedb.DATABASE
    for journal in cache.glob(f"{database.name}-*"):
        journal.unlink()
    database.write_bytes(b"not a database" * 1000)
    again = build(folder, cache, "out2")
    assert any(r.startswith("upload:") for r in again.rebuilt)  # its rows were lost: made again
    assert again.packet.read_bytes() == packet_of(folder.parent / "out").read_bytes()
    assert (cache / f"{database.name}.damaged").read_bytes().startswith(b"not a database")
    assert build(folder, cache, "out3").rebuilt == []


def test_the_cache_keeps_its_entries_private(warm: tuple[Path, Path]) -> None:
    _, cache = warm
    modes = {p.name: p.stat().st_mode & 0o777 for p in cache.rglob("*") if p.is_file()}
    assert modes and set(modes.values()) == {0o600}, modes


def test_with_and_without_cache_are_byte_identical(tmp_path: Path, built: Path) -> None:
    folder, cache = copy_sample(tmp_path), tmp_path / "cache"
    build(folder, cache)  # real layouts, into an empty cache
    cached = build(folder, cache, "out2")
    assert cached.rebuilt == []
    assert cached.packet.read_bytes() == packet_of(built).read_bytes()
    assert cached.manifest.read_bytes() == (built / "manifest.json").read_bytes()
    for doc in (built / "documents").glob("*.docx"):
        assert (cached.out / "documents" / doc.name).read_bytes() == doc.read_bytes()


def test_unwritable_cache_only_costs_speed(tmp_path: Path, fake_renderer: None) -> None:
    folder = copy_sample(tmp_path)
    blocker = tmp_path / "cache-file"
    blocker.write_text("not a folder")
    result = build(folder, blocker)
    assert result.packet.is_file()


def test_a_stylesheet_change_rerenders_every_document(warm: tuple[Path, Path]) -> None:
    from cmpacket.templates import BUILTIN_ROOT

    folder, cache = warm
    css = (BUILTIN_ROOT / "packet.css").read_text() + "\nh1 { color: #000; }\n"
    (folder / "templates" / "packet.css").write_text(css)
    again = build(folder, cache, "out2")
    pdfs = {r for r in again.rebuilt if r.startswith("pdf:")}
    assert {"pdf:cover.html.j2", "pdf:policy-manual.html.j2", "pdf:index.html.j2"} <= pdfs
    assert not [r for r in again.rebuilt if r.startswith("upload:")]


def test_concurrent_builds_share_a_cache_safely(tmp_path: Path) -> None:
    import subprocess
    import sys

    folder = copy_sample(tmp_path)
    cache = tmp_path / "cache"  # its own: documents are laid out by the fake renderer
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1767225600", "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.plugins.fake_cli",
                "build",
                str(folder),
                "-o",
                str(tmp_path / f"o{i}"),
                "-q",
                "--cache-dir",
                str(cache),
            ],
            env=env,
        )
        for i in range(2)
    ]
    assert [p.wait(timeout=300) for p in procs] == [0, 0]
    assert packet_of(tmp_path / "o0").read_bytes() == packet_of(tmp_path / "o1").read_bytes()
    with faked():  # the renderer the two builds used
        assert build(folder, cache, "o2").rebuilt == []


def test_fetch_gives_a_small_entry_and_copies_a_large_one(tmp_path: Path) -> None:
    """What assembly's workers read uploads with: rows as bytes, large entries copied out."""
    cache = _cache.Cache(tmp_path / "cache")
    small, large = b"%PDF small", b"x" * (_cache.SMALL + 1)
    cache.put("a" * 64, small)
    cache.put("b" * 64, large)
    cache.flush()
    reader = _cache.Cache(tmp_path / "cache")  # another process's view
    assert reader.fetch("a" * 64, tmp_path / "a.pdf") == small
    assert reader.fetch("b" * 64, tmp_path / "b.pdf") == tmp_path / "b.pdf"
    assert (tmp_path / "b.pdf").read_bytes() == large
    assert reader.fetch("c" * 64, tmp_path / "c.pdf") is None
    assert reader.hits == 2 and len(reader.missed) == 1


def test_a_block_reads_its_uploads_from_the_cache(tmp_path: Path) -> None:
    """Upload blocks are stamped from the uploads' cache entries (never copied by the build's
    process first); an entry gone meanwhile stops the build with a message, not a traceback."""
    import io

    import pikepdf

    from cmpacket.assemble._blocks import BlockJob, build_block
    from cmpacket.assemble._placed import PacketInfo
    from cmpacket.errors import BuildError
    from cmpacket.pdfread import read_stamp

    buf = io.BytesIO()
    with pikepdf.new() as pdf:
        pdf.add_blank_page(page_size=(612, 792))
        pdf.save(buf)
    cache = _cache.Cache(tmp_path / "cache")
    cache.put("d" * 64, buf.getvalue())
    cache.flush()
    info = PacketInfo("Prairie Care", "PCC", False, "t", "s", "D:20260101000000Z", "cmpacket")
    stamp = "Prairie Care  |  Section D  |  Page 7 of 9  |  PCC-000007"
    out = tmp_path / "block.pdf"
    job = BlockJob(("d" * 64,), (stamp,), info, out, 7, tmp_path / "cache")
    assert len(build_block(job)) > 2
    with pikepdf.open(out) as block:
        assert len(block.pages) == 1
        assert read_stamp(block.pages[0]) == stamp
    gone = BlockJob(("e" * 64,), (stamp,), info, tmp_path / "gone.pdf", 7, tmp_path / "cache")
    with pytest.raises(BuildError, match="vanished during assembly; build again"):
        build_block(gone)


def test_a_database_another_build_holds_locked_is_a_miss_and_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two builds share a cache: when one holds the database's lock past the wait, the other
    reads nothing from it this time, and never puts the shared database aside as damaged (it
    did: SQLite's "database is locked" is a DatabaseError, and every entry both builds shared
    was dropped while the first was reading them)."""
    root = tmp_path / "cache"
    with _cache.Cache(root) as first:
        first.put("a" * 64, b"kept")
    holder = sqlite3.connect(root / _cachedb.DATABASE, isolation_level=None)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    monkeypatch.setattr(_cachedb, "LOCK_WAIT", 0.1)
    try:
        assert _cache.Cache(root).get("a" * 64) is None
    finally:
        holder.rollback()
        holder.close()
    assert not (root / f"{_cachedb.DATABASE}.damaged").exists()
    assert _cache.Cache(root).get("a" * 64) == b"kept"


def test_a_healthy_database_sqlite_calls_no_database_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under many processes SQLite has said "file is not a database" of the shared, healthy
    file (the test session's workers, sharing one cache, lost it twice a run): a file that
    starts as an SQLite database is never put aside, whatever the error."""
    root = tmp_path / "cache"
    with _cache.Cache(root) as first:
        first.put("a" * 64, b"kept")

    def refused(*args: Any, **kw: Any) -> Any:
        error = sqlite3.DatabaseError("file is not a database")
        error.sqlite_errorcode = sqlite3.SQLITE_NOTADB  # type: ignore[attr-defined]
        raise error

    monkeypatch.setattr(_cache.sqlite3, "connect", refused)
    assert _cache.Cache(root).get("a" * 64) is None
    monkeypatch.undo()
    assert not (root / f"{_cachedb.DATABASE}.damaged").exists()
    assert _cache.Cache(root).get("a" * 64) == b"kept"


def _database_files_open(database: Path) -> int:
    """How many of this process's file descriptors are the database or its log or index."""
    fds = Path("/proc/self/fd")
    return sum(1 for fd in fds.iterdir() if str(database) in os.path.realpath(fd))


def _entry_in(root: str) -> bytes | None:
    return _cache.Cache(Path(root)).get("a" * 64)


def test_the_cache_s_database_is_closed_before_the_process_forks(tmp_path: Path) -> None:
    """A build forks its workers with the cache open; SQLite's record of the files it holds
    locked must not be copied into them (their own connections then took locks they did not
    hold, and another process checkpointed under their reads: "file is not a database", in the
    test session's shared cache). Every connection is closed first, and opened again on use."""
    import multiprocessing

    root = tmp_path / "cache"
    cache = _cache.Cache(root)
    cache.put("a" * 64, b"one")
    cache.flush()
    database = root / _cachedb.DATABASE
    assert _database_files_open(database) > 0
    with multiprocessing.get_context("fork").Pool(1) as pool:
        assert pool.apply(_entry_in, (str(root),)) == b"one"
    assert _database_files_open(database) == 0
    assert cache.get("a" * 64) == b"one"
    cache.close()


def test_a_damaged_database_under_a_valid_header_is_a_quick_miss_and_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only another build's hold on the database (busy, locked) is waited for: a file that
    starts as a database but is damaged is a miss at once (one short wait at most, not four
    on every lookup), and is left where it is (it may be another build's, mid-change)."""
    root = tmp_path / "cache"
    root.mkdir()
    database = root / _cachedb.DATABASE
    database.write_bytes(_cachedb.SQLITE_HEADER + b"\xff" * 4096)
    waits: list[float] = []
    monkeypatch.setattr(_cachedb.time, "sleep", waits.append)
    cache = _cache.Cache(root)
    assert cache.get("a" * 64) is None and cache.get("b" * 64) is None
    assert len(waits) <= 2  # at most one a lookup
    assert database.read_bytes().startswith(_cachedb.SQLITE_HEADER)
    assert not (root / f"{_cachedb.DATABASE}.damaged").exists()


def test_a_cache_collected_unclosed_no_longer_counts_as_holding_its_database(
    tmp_path: Path,
) -> None:
    """The guard that keeps a process from reading a database file it holds open (which would
    cancel its locks) forgets a connection whose Cache was collected without `close`: a file
    damaged later is still recognised and put aside."""
    import gc

    root = tmp_path / "cache"
    first = _cache.Cache(root)
    first.put("a" * 64, b"one")
    first.flush()
    del first
    gc.collect()
    database = root / _cachedb.DATABASE
    for journal in root.glob(f"{database.name}-*"):
        journal.unlink()
    database.write_bytes(b"not a database" * 1000)
    assert _cache.Cache(root).get("a" * 64) is None
    assert (root / f"{_cachedb.DATABASE}.damaged").read_bytes().startswith(b"not a database")
