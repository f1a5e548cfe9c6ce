"""Hostile inputs, third round: what a page shows includes its fonts (a changed font program or
ToUnicode map is a changed page), the manifest's fields are typed strictly, and a signal to the
whole process group ends a build promptly and cleanly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pikepdf
import pytest

from tests.conftest import EPOCH, packet_of

pytestmark = pytest.mark.e2e


def _fonts(pdf: pikepdf.Pdf) -> list[pikepdf.Object]:
    """Every font dictionary of the first page that carries a program (a WeasyPrint font)."""
    fonts = pdf.pages[0].obj.Resources.get("/Font") or {}
    found = []
    for name in fonts:
        font = fonts[name]
        descendants = font.get("/DescendantFonts")
        target = descendants[0] if descendants is not None else font
        if "/FontDescriptor" in target:
            found.append(font)
    return found


def _changed(built: Path, tmp_path: Path, change: Any) -> Path:
    target = tmp_path / "changed.pdf"
    with pikepdf.open(packet_of(built)) as pdf:
        change(pdf)
        pdf.save(target)
    return target


def test_a_changed_tounicode_map_is_a_changed_page(built: Path, tmp_path: Path, cli: Any) -> None:
    def swap_letters(pdf: pikepdf.Pdf) -> None:
        font = next(f for f in _fonts(pdf) if "/ToUnicode" in f)
        cmap = font.ToUnicode.read_bytes()
        # copying or searching the page's text would now give other letters; the page looks alike
        changed = cmap.replace(b"<0041>", b"<0042>", 1) if b"<0041>" in cmap else cmap + b"\n"
        font.ToUnicode.write(changed)

    r = cli("verify", _changed(built, tmp_path, swap_letters))
    assert r.code == 1 and "[content-changed]" in r.out and "section front" in r.out, r.out


def test_a_changed_font_program_is_a_changed_page(built: Path, tmp_path: Path, cli: Any) -> None:
    def flip(pdf: pikepdf.Pdf) -> None:
        font = _fonts(pdf)[0]
        target = font.DescendantFonts[0] if "/DescendantFonts" in font else font
        descriptor = target.FontDescriptor
        key = next(k for k in ("/FontFile2", "/FontFile3", "/FontFile") if k in descriptor)
        data = bytearray(descriptor[key].read_bytes())
        data[len(data) // 2] ^= 0xFF
        descriptor[key].write(bytes(data))

    r = cli("verify", _changed(built, tmp_path, flip))
    assert r.code == 1 and "[content-changed]" in r.out, r.out


def test_the_stamp_font_is_covered_too(built: Path, tmp_path: Path, cli: Any) -> None:
    def widen(pdf: pikepdf.Pdf) -> None:
        page = pdf.pages[len(pdf.pages) - 1]
        for _name, font in page.obj.Resources.Font.items():
            if "/Widths" in font:
                widths = font.Widths
                widths[0] = int(widths[0]) + 100
                return
            if "/DescendantFonts" in font and "/W" in font.DescendantFonts[0]:
                font.DescendantFonts[0].DW = 999
                return
        raise AssertionError("no stamp font on the last page")

    r = cli("verify", _changed(built, tmp_path, widen))
    assert r.code == 1 and "[content-changed]" in r.out, r.out


def test_rebuilding_with_other_compression_keeps_every_hash(
    built: Path, tmp_path: Path, cli: Any
) -> None:
    """The hashes cover content, not its encoding: the same packet saved uncompressed verifies."""
    target = tmp_path / "plain.pdf"
    with pikepdf.open(packet_of(built)) as pdf:
        pdf.save(
            target, compress_streams=False, object_stream_mode=pikepdf.ObjectStreamMode.disable
        )
    r = cli("verify", target)
    assert r.code == 0, r.out


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("evidence", "not a list"),
        ("evidence", [{"path": "staff[0].licenses[0]", "file": 3, "checked": True,
                       "matched": [], "mismatched": []}]),
        ("lifecycle", {"sequence": "0", "base": None, "operations": []}),
        ("lifecycle", {"sequence": 0, "base": None,
                       "operations": [{"operation": "rewrite"}]}),
        ("page_digest", 7),
    ],
)  # fmt: skip
def test_the_manifest_is_typed_strictly(
    built: Path, tmp_path: Path, cli: Any, field: str, value: Any
) -> None:
    target = tmp_path / "bad.pdf"
    with pikepdf.open(packet_of(built)) as pdf:
        manifest = json.loads(pdf.attachments["manifest.json"].get_file().read_bytes())
        manifest[field] = value
        pdf.attachments["manifest.json"] = pikepdf.AttachedFileSpec(
            pdf, json.dumps(manifest).encode(), filename="manifest.json"
        )
        pdf.save(target)
    r = cli("verify", target)
    assert r.code == 1 and "[manifest-invalid]" in r.out and field in r.out, r.out


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if fields[0] != "Z" and int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
@pytest.mark.parametrize("during", ["Taking in", "Laying out"])
def test_sigterm_to_the_process_group_ends_the_build_promptly(tmp_path: Path, during: str) -> None:
    """`timeout` signals cmpacket and its workers together: the build must end within seconds,
    exit 143, write nothing and leave no work folder (it used to hang in a lock's acquire)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from make_agency import make

    agency = make(300, 3, 1, tmp_path / "agency", realistic=False)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = dict(os.environ, SOURCE_DATE_EPOCH=EPOCH, TMPDIR=str(tmp),
               XDG_CACHE_HOME=str(tmp_path / "cache"))  # fmt: skip
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "cmpacket", "build", str(agency), "-o", str(out), "--ocr", "never"],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env=env,
        start_new_session=True,  # its own process group, as `timeout` gives it
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stderr or []), daemon=True)
    reader.start()
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        seen = "".join(lines)
        workers = _children(proc.pid)
        if (during == "Taking in" and len(workers) >= 2) or (
            during == "Laying out" and "Rendering" in seen and len(workers) >= 2
        ):
            break
        if proc.poll() is not None:
            pytest.fail(f"the build ended before it could be signalled: {seen}")
        time.sleep(0.05)
    # the group signalled is the build's own, never the test process's: under pytest-xdist that
    # group holds the worker running this test (and possibly the other workers and pytest itself)
    assert os.getpgid(proc.pid) == proc.pid != os.getpgrp()
    os.killpg(proc.pid, signal.SIGTERM)
    start = time.monotonic()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        pytest.fail("the build did not end within 30 s of SIGTERM to its process group")
    stopped = time.monotonic() - start
    reader.join(timeout=30)
    seen = "".join(lines)
    assert proc.returncode == 143, seen
    assert stopped < 15, stopped
    assert "Traceback" not in seen and "stopped cleanly" in seen, seen
    assert not out.exists() or list(out.rglob("*")) == []
    assert list(tmp.iterdir()) == []  # no work folder left


def test_a_proof_intake_refuses_is_a_placeholder_in_a_draft_and_a_finding_otherwise(
    tmp_path: Path, cli: Any
) -> None:
    """A license proof over the page limit (a bomb would do the same) used to stop even a draft
    with exit 3 ("could not be taken in on a second reading")."""
    from tests.conftest import copy_sample

    folder = copy_sample(tmp_path)
    pdf = pikepdf.new()
    for _ in range(3):
        pdf.add_blank_page()
    pdf.save(folder / "uploads" / "lopez-lsw.pdf")
    draft = cli("build", folder, "-o", tmp_path / "draft", "--draft", "--max-upload-pages", "2")
    assert draft.code == 0, draft.err
    text = subprocess.run(
        ["pdftotext", str(packet_of(tmp_path / "draft")), "-"], capture_output=True, text=True
    ).stdout
    assert "could not be included in this draft" in text and "2-page limit" in text
    final = cli("build", folder, "-o", tmp_path / "final", "--max-upload-pages", "2")
    assert final.code == 1 and "[upload-too-large]" in final.err
    assert not (tmp_path / "final").exists()


@pytest.mark.parametrize("empty", ["no positions", "an empty agency.yaml"])
def test_a_draft_shows_an_empty_section_instead_of_failing(
    tmp_path: Path, cli: Any, empty: str, fake_renderer: None
) -> None:
    from tests.conftest import copy_sample

    if empty == "no positions":
        folder = copy_sample(tmp_path, lambda d: d.update(positions=[]))
    else:
        folder = tmp_path / "agency"
        folder.mkdir()
        (folder / "agency.yaml").write_text("")
    r = cli("build", folder, "-o", tmp_path / "out", "--draft")
    assert r.code == 0, r.err
    info = cli("inspect", tmp_path / "out", "--format", "json").json()
    section_c = next(s for s in info["sections"] if s["letter"] == "C")
    assert [d["title"] for d in section_c["documents"]] == ["Job descriptions: nothing to show yet"]
    assert cli("verify", tmp_path / "out").code == 0
    final = cli("build", folder, "-o", tmp_path / "final")
    assert final.code == 1 and not (tmp_path / "final").exists()


def test_a_csv_cell_over_the_csv_modules_limit_is_an_error_naming_row_and_column(
    tmp_path: Path, cli: Any
) -> None:
    """A 200,000-character cell used to end in "internal error: field larger than field
    limit"."""
    from tests.conftest import copy_sample

    folder = copy_sample(tmp_path)
    name = "A" * 200_000
    (folder / "staff.csv").write_text(f"id,name,position\nS-900,{name},case-manager\n")
    r = cli("validate", folder)
    assert r.code == 2, (r.code, r.err[-400:])
    assert "staff.csv:2: column name: the cell holds 200,000 characters" in r.err
    assert "internal error" not in r.err


def test_a_control_character_in_an_upload_path_is_a_finding(tmp_path: Path, cli: Any) -> None:
    """A NUL byte in a path used to end in "internal error: embedded null byte"."""
    from tests.conftest import copy_sample

    def nul(data: dict[str, Any]) -> None:
        data["staff"][0]["licenses"][0]["file"] = "uploads/lopez\x00lsw.pdf"
        data["attachments"][0]["file"] = "uploads/articles\x1b[2J.pdf"

    folder = copy_sample(tmp_path, nul)
    r = cli("validate", folder)
    assert r.code == 1, r.err
    lines = [ln for ln in r.out.splitlines() if "[upload-path-invalid]" in ln]
    assert len(lines) == 2, r.out
    assert "uploads/lopez\\x00lsw.pdf" in r.out and "\x00" not in r.out and "\x1b" not in r.out
    assert cli("build", folder, "-o", tmp_path / "draft", "--draft").code == 0


def test_an_upload_path_too_long_for_the_file_system_is_missing(tmp_path: Path, cli: Any) -> None:
    """A 100,000-character path (found by the fuzz corpus) ended in "internal error: OSError:
    File name too long"; it is a file that is not there."""
    from tests.conftest import copy_sample

    def long(data: dict[str, Any]) -> None:
        data["staff"][6]["documents"][0]["file"] = "A" * 100_000

    folder = copy_sample(tmp_path, long)
    r = cli("validate", folder)
    assert r.code == 1 and "internal error" not in r.err, r.err
    assert "[upload-missing]" in r.out and "staff[6].documents[0].file" in r.out


def _with_manifest(built: Path, target: Path, change: Any) -> Path:
    with pikepdf.open(packet_of(built)) as pdf:
        manifest = json.loads(pdf.attachments["manifest.json"].get_file().read_bytes())
        change(manifest)
        pdf.attachments["manifest.json"] = pikepdf.AttachedFileSpec(
            pdf, json.dumps(manifest).encode(), filename="manifest.json"
        )
        pdf.save(target)
    return target


def _run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """cmpacket in its own process, writing UTF-8 to a pipe as a terminal or a script would."""
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "cmpacket", *map(str, args)], capture_output=True, text=True,
        encoding="utf-8", errors="surrogateescape", env=env,
    )  # fmt: skip


def test_a_lone_surrogate_in_a_received_manifest_is_a_finding_never_a_crash(
    built: Path, tmp_path: Path
) -> None:
    """`inspect` and `diff` used to exit 3 with UnicodeEncodeError, and `verify` passed."""

    def title(manifest: dict[str, Any]) -> None:
        manifest["sections"][0]["documents"][0]["title"] = "Cover \ud800 sheet"

    bad = _with_manifest(built, tmp_path / "bad.pdf", title)
    verify = _run("verify", bad)
    assert verify.returncode == 1 and "[manifest-invalid]" in verify.stdout, verify.stdout
    assert "lone UTF-16 surrogate" in verify.stdout
    for args in (("inspect", bad), ("diff", packet_of(built), bad), ("inspect", bad, "--format",
                 "json")):  # fmt: skip
        r = _run(*args)
        assert r.returncode in (0, 1, 2), (args, r.returncode, r.stderr[-500:])
        assert "internal error" not in r.stderr and "Traceback" not in r.stderr


def test_escape_sequences_in_a_received_manifest_are_printed_escaped(
    built: Path, tmp_path: Path
) -> None:
    def title(manifest: dict[str, Any]) -> None:
        manifest["sections"][0]["documents"][0]["title"] = "Cover\x1b[2J\x1b]0;owned\x07 sheet"

    odd = _with_manifest(built, tmp_path / "odd.pdf", title)
    r = _run("inspect", odd)
    assert r.returncode == 0, r.stderr
    assert "Cover\\x1b[2J\\x1b]0;owned\\x07 sheet" in r.stdout
    assert "\x1b" not in r.stdout and "\x07" not in r.stdout
