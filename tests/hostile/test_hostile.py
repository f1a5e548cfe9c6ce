"""Hostile inputs: every case ends in a finding or a clear error and a non-zero exit, never a
traceback or a hang; inputs are never modified; Ctrl-C leaves nothing partial."""

from __future__ import annotations

import hashlib
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pikepdf
import pytest
import yaml

from cmpacket import api
from tests.conftest import CORPUS, CORPUS_GLOB, EPOCH, copy_sample, corpus, packet_of


def with_upload(tmp_path: Path, body: bytes, name: str = "hostile.pdf") -> Path:
    def edit(data: dict[str, Any]) -> None:
        data["attachments"].append(
            {"title": "Hostile upload", "file": f"uploads/{name}", "section": "agency"}
        )

    folder = copy_sample(tmp_path, edit)
    (folder / "uploads" / name).write_bytes(body)
    return folder


def finding(folder: Path, path: str = "attachments[3].file") -> list[Any]:
    return [f for f in api.validate(folder).findings if f.path == path]


def pdf_bytes(pdf: pikepdf.Pdf, **save: Any) -> bytes:
    buf = io.BytesIO()
    pdf.save(buf, **save)
    return buf.getvalue()


def test_truncated_pdf(tmp_path: Path) -> None:
    body = corpus("004-").read_bytes()
    folder = with_upload(tmp_path, body[: len(body) // 2])
    (f,) = finding(folder)
    assert f.code in ("upload-unreadable", "upload-repaired")


def test_page_tree_without_its_count_is_unreadable_not_a_crash(tmp_path: Path) -> None:
    # qpdf raises its own runtime error (not a PdfError) when a /Pages node has lost its /Count
    # and a page its /Parent: found by the fuzz test on this real PDF with these two bytes changed
    body = corpus("014-").read_bytes()
    for was, now in [
        (b"/Type /Pages\n/Count 4", b"/Type /Pages\n\x00Count 4"),
        (b" 25 0 R 26 0 R 27 0 R]\n/Parent 6", b" 2% 0 R 26 0 R 27 0 R]\n/Parent 6"),
    ]:
        assert body.count(was) == 1
        body = body.replace(was, now)
    folder = with_upload(tmp_path, body)
    (f,) = finding(folder)
    assert f.code == "upload-unreadable" and "/Count is wrong" in f.message


def test_broken_cross_reference_table_is_repaired_with_a_warning(tmp_path: Path) -> None:
    body = bytearray(corpus("001-").read_bytes())
    at = body.rfind(b"startxref")
    body[at + 10 : at + 14] = b"9999"
    folder = with_upload(tmp_path, bytes(body))
    (f,) = finding(folder)
    assert f.code == "upload-repaired" and f.severity == "warning"
    result = api.build(folder, api.Options(quiet=True), out=tmp_path / "out")
    assert api.verify(result.packet).ok


def test_user_password_is_refused_and_owner_only_accepted(tmp_path: Path) -> None:
    (f,) = finding(with_upload(tmp_path / "a", corpus("005-").read_bytes()))
    assert f.code == "upload-encrypted"
    pdf = pikepdf.open(corpus("001-"))
    owner_only = pdf_bytes(pdf, encryption=pikepdf.Encryption(owner="secret", user=""))
    folder = with_upload(tmp_path / "b", owner_only)
    assert finding(folder) == []
    result = api.build(folder, api.Options(quiet=True), out=tmp_path / "out")
    with pikepdf.open(result.packet) as out:
        assert not out.is_encrypted


def test_thousands_of_pages_hit_the_page_limit_quickly(tmp_path: Path) -> None:
    pdf = pikepdf.new()
    for _ in range(3000):
        pdf.add_blank_page()
    folder = with_upload(tmp_path, pdf_bytes(pdf))
    start = time.monotonic()
    (f,) = finding(folder)
    assert f.code == "upload-too-large" and "3000 pages" in f.message
    assert time.monotonic() - start < 60


def test_deeply_nested_objects_do_not_crash_or_hang(tmp_path: Path) -> None:
    body = corpus("001-").read_bytes()
    nested = b"[" * 20000 + b"]" * 20000
    evil = body.replace(b"/Type /Catalog", b"/Type /Catalog /Evil " + nested, 1)
    folder = with_upload(tmp_path, evil)
    findings = finding(folder)
    assert all(f.code in ("upload-unreadable", "upload-repaired") for f in findings)


def test_a_100_mb_upload_is_refused_without_being_read(tmp_path: Path) -> None:
    folder = with_upload(tmp_path, b"%PDF-1.7\n")
    with (folder / "uploads" / "hostile.pdf").open("r+b") as fh:
        fh.truncate(100 * 2**20)
    (f,) = finding(folder)
    assert f.code == "upload-too-large" and "100.0 MB" in f.message


@pytest.mark.parametrize("given", ["../outside.pdf", "/etc/passwd", "uploads/../../outside.pdf"])
def test_paths_out_of_the_folder(tmp_path: Path, given: str) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["attachments"][0]["file"] = given

    (tmp_path / "outside.pdf").write_bytes(corpus("001-").read_bytes())
    (f,) = finding(copy_sample(tmp_path, edit), "attachments[0].file")
    assert f.code == "upload-outside-folder"


def test_symlink_out_of_the_folder(tmp_path: Path) -> None:
    folder = copy_sample(tmp_path)
    (tmp_path / "secret.pdf").write_bytes(corpus("001-").read_bytes())
    target = folder / "uploads" / "articles.pdf"
    target.unlink()
    target.symlink_to(tmp_path / "secret.pdf")
    (f,) = finding(folder, "attachments[0].file")
    assert f.code == "upload-outside-folder"


def test_wrong_types_everywhere_are_collected(tmp_path: Path, cli: Any) -> None:
    doc = {
        "schema_version": "one",
        "submission": {"date": [2026], "medicaid": "maybe", "certifying_body": "FBI"},
        "agency": {"legal_name": {"x": 1}, "counties_served": {"a": 1}, "owners": "all"},
        "positions": {"key": "x"},
        "staff": [
            {
                "id": "S",
                "hire_date": 5,
                "caseload": "lots",
                "fte": "full",
                "degrees": "BSW",
                "licenses": [{"expires": True}],
            },
            "just text",
        ],
        "records_system": {"encryption_at_rest": "yes please", "retention_years": "seven"},
        "service_settings": "everywhere",
    }
    (tmp_path / "agency.yaml").write_text(yaml.safe_dump(doc))
    r = cli("validate", tmp_path, "--format", "json")
    assert r.code == 1 and "Traceback" not in r.err
    paths = {f["path"] for f in r.json()["findings"] if f["code"] == "schema-invalid"}
    assert {
        "schema_version",
        "submission.date",
        "submission.medicaid",
        "submission.certifying_body",
        "agency.legal_name",
        "positions",
        "staff[0].hire_date",
        "staff[0].caseload",
        "staff[1]",
        "records_system.retention_years",
        "service_settings",
    } <= paths


def test_roster_of_2000_rows_validates(tmp_path: Path, cli: Any) -> None:
    folder = copy_sample(tmp_path, lambda d: d.pop("staff"))
    lines = [
        "id,name,position,hire_date,caseload,bg_registry_check,bg_status,training1_date,training1_hours"
    ]
    lines += [
        f"S-{i},Person {i},case-manager,2024-01-02,20,2023-12-01,clear,2026-06-01,12"
        for i in range(2000)
    ]
    (folder / "staff.csv").write_text("\n".join(lines) + "\n")
    r = cli("validate", folder, "--format", "json")
    codes = {f["code"] for f in r.json()["findings"]}
    assert "qualification-not-met" in codes and "Traceback" not in r.err


def test_inputs_are_never_modified_by_a_build(tmp_path: Path) -> None:
    folder = copy_sample(tmp_path)

    def digest() -> dict[str, str]:
        return {
            str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*"))
            if p.is_file() and "out" not in p.parts
        }

    before = digest()
    api.build(folder, api.Options(quiet=True))
    assert digest() == before


def test_ctrl_c_exits_130_and_leaves_nothing_partial(tmp_path: Path) -> None:
    folder = copy_sample(tmp_path)
    out, tmp = tmp_path / "out", tmp_path / "tmp"
    tmp.mkdir()
    env = dict(os.environ, SOURCE_DATE_EPOCH=EPOCH, TMPDIR=str(tmp))
    proc = subprocess.Popen(
        [sys.executable, "-m", "cmpacket", "build", str(folder), "-o", str(out), "--no-cache"],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not list(tmp.iterdir()):
        time.sleep(0.05)
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert not out.exists() or not [p for p in out.rglob("*") if p.is_file()]
    assert list(tmp.iterdir()) == []


@pytest.mark.parametrize("pdf", sorted(CORPUS.glob(CORPUS_GLOB)), ids=lambda p: p.name[:12])
def test_verify_on_every_corpus_pdf_exits_1_or_2(pdf: Path, cli: Any) -> None:
    r = cli("verify", pdf)
    assert r.code in (1, 2) and (r.out or r.err) and "Traceback" not in r.err


def test_verify_on_garbage_exits_2(tmp_path: Path, cli: Any) -> None:
    for name, body in {
        "empty.pdf": b"",
        "text.pdf": b"hello",
        "half.pdf": corpus("004-").read_bytes()[:300],
    }.items():
        (tmp_path / name).write_bytes(body)
        r = cli("verify", tmp_path / name)
        assert r.code in (1, 2) and "Traceback" not in r.err


def test_packet_with_hostile_attachment_still_verifies(built: Path) -> None:
    assert api.verify(packet_of(built)).ok
