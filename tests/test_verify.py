"""Reviewer tools: verify catches tampering and names where; inspect and diff read the manifest."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pikepdf
import pytest
import yaml

from cmpacket import api
from tests.conftest import copy_sample, packet_of

pytestmark = pytest.mark.e2e


def test_fresh_packet_verifies_clean(built: Path, cli: Any) -> None:
    r = cli("verify", packet_of(built), "--manifest", built / "manifest.json")
    assert r.code == 0 and "every check passed" in r.out
    r = cli("verify", packet_of(built), "--format", "json")
    assert r.code == 0 and r.json()["ok"] is True


def tamper(built: Path, tmp_path: Path, change: Any) -> Path:
    target = tmp_path / "tampered.pdf"
    with pikepdf.open(packet_of(built)) as pdf:
        change(pdf)
        pdf.save(target)
    return target


def codes(result: Any) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for f in result.findings:
        out.setdefault(f.code, []).append(f"{f.path}: {f.message}")
    return out


def test_changed_page_content_is_named(built: Path, tmp_path: Path) -> None:
    man = json.loads((built / "manifest.json").read_text())
    doc = next(
        d
        for s in man["sections"]
        for d in s["documents"]
        if d["title"].startswith("Maria Lopez: LSW")
    )
    page = doc["first_page"]

    def change(pdf: pikepdf.Pdf) -> None:
        pdf.pages[page - 1].contents_add(
            pdf.make_stream(b"q 1 0 0 RG 10 10 m 200 200 l S Q"), prepend=False
        )

    result = api.verify(tamper(built, tmp_path, change))
    assert not result.ok
    found = codes(result)
    assert any(
        "Maria Lopez: LSW license" in m and f"page(s) {page}" in m for m in found["content-changed"]
    )


def test_removed_page_is_caught(built: Path, tmp_path: Path) -> None:
    result = api.verify(tamper(built, tmp_path, lambda pdf: pdf.pages.__delitem__(20)))
    found = codes(result)
    assert "page-count-mismatch" in found and "stamp-wrong" in found


def test_swapped_pages_are_caught_and_named(built: Path, tmp_path: Path) -> None:
    # two pages of one document (the policy manual), wherever the layout puts it
    manifest = json.loads((built / "manifest.json").read_text())
    docs = [d for sec in manifest["sections"] for d in sec["documents"]]
    first = next(d["first_page"] for d in docs if d["source"] == "policy-manual.html.j2")

    def swap(pdf: pikepdf.Pdf) -> None:
        a, b = pdf.pages[first - 1], pdf.pages[first]
        pdf.pages[first - 1], pdf.pages[first] = pikepdf.Page(b.obj), pikepdf.Page(a.obj)

    result = api.verify(tamper(built, tmp_path, swap))
    found = codes(result)
    assert any(m.startswith(f"page {first}") for m in found["stamp-wrong"])
    assert any(f"{first}, {first + 1}" in m for m in found["content-changed"])


def test_metadata_change_is_caught_with_the_sidecar(built: Path, tmp_path: Path, cli: Any) -> None:
    def retitle(pdf: pikepdf.Pdf) -> None:
        pdf.docinfo["/Title"] = "changed"

    target = tamper(built, tmp_path, retitle)
    assert api.verify(target).ok  # pages untouched
    r = cli("verify", target, "--manifest", built / "manifest.json")
    assert r.code == 1 and "packet-hash-mismatch" in r.out


def test_removed_manifest_attachment_is_caught(built: Path, tmp_path: Path, cli: Any) -> None:
    target = tamper(built, tmp_path, lambda pdf: pdf.attachments.__delitem__("manifest.json"))
    r = cli("verify", target, "--format", "json")
    assert r.code == 1 and r.json()["findings"][0]["code"] == "manifest-missing"


def test_unreadable_packets_exit_2(tmp_path: Path, cli: Any) -> None:
    assert cli("verify", tmp_path / "absent.pdf").code == 2
    (tmp_path / "junk.pdf").write_bytes(b"not a pdf at all")
    r = cli("verify", tmp_path / "junk.pdf")
    assert r.code == 2 and "not a readable PDF" in r.err and "Traceback" not in r.err


def test_foreign_pdf_fails_verify_with_a_message(tmp_path: Path, cli: Any) -> None:
    from tests.conftest import corpus

    r = cli("verify", corpus("001-"))
    assert r.code == 1 and "manifest-missing" in r.out


def test_inspect_text_and_json(built: Path, cli: Any) -> None:
    r = cli("inspect", packet_of(built), "--format", "json")
    info = r.json()
    assert r.code == 0 and info["profile"] == "il-hsp-aids-waiver" and info["draft"] is False
    assert [s["letter"] for s in info["sections"]][1:] == list("ABCDEFG")
    r = cli("inspect", packet_of(built))
    assert (
        "Policies and procedures manual" in r.out
        and "G. Staff qualifications and licensure" in r.out
    )


def test_diff_names_the_replaced_license_and_nothing_else(
    built: Path, tmp_path: Path, cli: Any
) -> None:
    folder = copy_sample(tmp_path)
    from tests.test_evidence import license_pdf

    # the renewed license: a new proof that matches the new expiry (a wrong proof would add
    # findings to the readiness report and move every later page)
    renewed = license_pdf("Maria Lopez", "150.123456", "2029-11-30")
    (folder / "uploads" / "lopez-lsw.pdf").write_bytes(renewed)
    data = yaml.safe_load((folder / "agency.yaml").read_text())
    data["staff"][3]["licenses"][0]["expires"] = "2029-11-30"
    (folder / "agency.yaml").write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    new = api.build(folder, api.Options(quiet=True), out=tmp_path / "out")
    result = api.diff(packet_of(built), new.packet)
    changed = [d["title"] for d in result["documents"]["replace"]]
    assert "Maria Lopez: LSW license 150.123456" in changed
    assert not [t for t in changed if t.startswith(("James", "Dana", "Aisha"))]
    assert "Policies and procedures manual" in [
        d["title"] for d in result["documents"]["unchanged"]
    ]
    assert any(
        "Maria Lopez (S-004)" in c and "2027-11-30 -> 2029-11-30" in c for c in result["data"]
    )
    r = cli("diff", packet_of(built), new.packet)
    assert r.code == 0 and "Maria Lopez: LSW license" in r.out


def test_the_manifest_caps_grow_with_the_packets_pages(built: Path, tmp_path: Path) -> None:
    """A manifest lists every page: an honest one of a 16,700-page packet (2,000 staff) is
    15 MB, near the 16 MiB cap. The default caps grow with the pages (2 KiB and 60 values a
    page, to 64 MiB and 2.5 million values), so a 17 MB manifest is read for a 10,000-page
    packet and refused for a small one; a cap the reviewer set stays as set."""
    from cmpacket.verify import DEFAULT_LIMITS, ManifestInvalid, read_sidecar

    grown = DEFAULT_LIMITS.for_pages(10_000)
    assert grown.manifest_bytes == 10_000 * 2048 and grown.manifest_values == 1_000_000
    assert DEFAULT_LIMITS.for_pages(80) == DEFAULT_LIMITS  # never below the caps set
    most = DEFAULT_LIMITS.for_pages(10**9)
    assert (most.manifest_bytes, most.manifest_values) == (64 << 20, 2_500_000)
    mine = DEFAULT_LIMITS.replace(manifest_bytes=1_000_000).for_pages(10_000)
    assert mine.manifest_bytes == 1_000_000  # --limit manifest_bytes=... is kept
    manifest = json.loads((built / "manifest.json").read_text())
    manifest["padding"] = "x" * (17 << 20)  # an unknown field: kept, not checked
    sidecar = tmp_path / "manifest.json"
    sidecar.write_text(json.dumps(manifest))
    assert read_sidecar(sidecar, DEFAULT_LIMITS, pages=10_000)["packet"] == manifest["packet"]
    with pytest.raises(ManifestInvalid, match="the limit is 16,777,216"):
        read_sidecar(sidecar, DEFAULT_LIMITS, pages=80)


def test_a_page_listed_many_times_does_not_raise_the_manifest_caps(tmp_path: Path) -> None:
    """A small file whose page tree lists one page 100,000 times (qpdf copies each repeat) counts
    no more pages for the manifest's caps than its size allows: it cannot buy a 200 MB
    manifest."""
    from cmpacket.verify import page_allowance
    from cmpacket.verify._packet import honest_pages

    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(10, 10))
    pdf.Root.Pages.Kids = pikepdf.Array([pdf.pages[0].obj] * 100_000)  # one page, repeated
    hostile = tmp_path / "hostile.pdf"
    pdf.save(hostile, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    assert hostile.stat().st_size < 50_000
    with pikepdf.open(hostile) as opened:
        assert len(opened.pages) == 100_000  # qpdf's page list: a copy per repeat
    with pikepdf.open(hostile) as opened:  # the embedded manifest's caps
        assert honest_pages(opened) == hostile.stat().st_size // 512 < 100
    assert page_allowance(hostile) == hostile.stat().st_size // 512  # a sidecar's


def test_stamp_glyph_codes_are_read_string_by_string() -> None:
    """Each hex string of a stamp holds whole two-byte codes; a partial code ends only its own
    string (a hostile stamp), never borrows digits from the next."""
    from cmpacket.pdfread._read import _glyph_texts

    mapping = {0x2004: "A", 0x0042: "B", 0x0043: "C", 0x0041: "a"}
    assert _glyph_texts([b"0041", b"0042", b"0043"], mapping) == ["a", "B", "C"]
    assert _glyph_texts([b"004", b"20043"], mapping) == ["A"]
    assert _glyph_texts([b"", b"00410042"], mapping) == ["a", "B"]
    assert _glyph_texts([b"FFFF"], mapping) == ["\ufffd"]


def test_pages_read_on_workers_are_the_pages_read_here(built: Path, tmp_path: Path) -> None:
    """A large packet's pages are shared out over workers by range; what they read (stamps,
    images, content hashes) is what reading every page in this process gives, in page order,
    and a file replaced after it was opened is read from the file this process opened."""
    from cmpacket.verify import DEFAULT_LIMITS
    from cmpacket.verify._pages import Sharing, file_identity, page_facts
    from cmpacket.workers import Pool

    packet = tmp_path / "packet.pdf"
    packet.write_bytes(packet_of(built).read_bytes())
    identity = file_identity(packet)
    assert identity is not None
    with pikepdf.open(packet) as pdf, Pool(size=2) as pool:
        n = len(pdf.pages)
        sharing = Sharing(pool, str(packet), identity)
        here = page_facts(pdf, n, DEFAULT_LIMITS, 2, frozenset({3}))
        shared = page_facts(pdf, n, DEFAULT_LIMITS, 2, frozenset({3}), sharing, shared_from=2)
        assert pool.started == 1  # the workers read them
        assert shared == here and len(here) == n
        assert here[2].digest is None and all(f.digest for i, f in enumerate(here) if i != 2)
        assert all(f.stamp and f"Page {i} of {n}" in f.stamp for i, f in enumerate(here, 1))
        other = tmp_path / "other.pdf"
        with pikepdf.open(packet_of(built)) as changed:
            del changed.pages[0]
            changed.save(other)
        other.replace(packet)  # another file at the path the packet was opened from
        again = page_facts(pdf, n, DEFAULT_LIMITS, 2, frozenset({3}), sharing, shared_from=2)
        assert again == here


def test_a_large_packet_s_changed_pages_are_named_when_read_on_workers(
    built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cmpacket.verify import _pages

    monkeypatch.setattr(_pages, "SHARED_FROM", 2)  # this packet counts as large
    with pikepdf.open(packet_of(built)) as pdf:
        n = len(pdf.pages)
    late = n - 2  # in the second worker's range

    def change(pdf: pikepdf.Pdf) -> None:
        for p in (2, late):
            pdf.pages[p - 1].contents_add(pdf.make_stream(b"q 0 0 m 9 9 l S Q"), prepend=False)

    result = api.verify(tamper(built, tmp_path, change))
    found = codes(result)
    assert not result.ok and len(found["stamp-wrong"]) == 2  # the stamp is no longer last
    assert any(f"page(s) {late}" in m for m in found["content-changed"])
    assert any("page(s) 2" in m for m in found["content-changed"])


def test_a_reviewer_s_commands_load_nothing_of_the_build(built: Path) -> None:
    """verify, inspect and diff go through `cmpacket.review`: the build's stages (pipeline,
    intake, validators, render, and WeasyPrint with them) are never imported."""
    import subprocess
    import sys

    packet = str(packet_of(built))
    for command in (["verify", packet], ["inspect", packet], ["diff", packet, packet]):
        run = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "cmpacket", *command],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert run.returncode == 0, run.stderr[-2000:]
        loaded = {line.rsplit("|", 1)[-1].strip() for line in run.stderr.splitlines()}
        assert "cmpacket.review" in loaded and "cmpacket.verify" in loaded
        build = {"cmpacket.api", "cmpacket.pipeline", "cmpacket.intake", "cmpacket.validators"}
        assert not loaded & (build | {"cmpacket.render", "weasyprint"}), command


def test_a_stream_already_decoded_hashes_as_when_decoded_again(built: Path) -> None:
    """verify decodes the stamp's stream once, for the stamp and for the page's hash."""
    from cmpacket.pdfread import page_digest, read_bounded

    with pikepdf.open(packet_of(built)) as pdf:
        for page in list(pdf.pages)[:5]:
            last = page.obj.Contents
            last = last[-1] if isinstance(last, pikepdf.Array) else last
            data = read_bounded(last, 1 << 20)
            assert page_digest(page, decoded={last.objgen: data}) == page_digest(page)
            other = page_digest(page, decoded={last.objgen: data + b" "})
            assert other != page_digest(page)  # the decoded bytes given are the ones hashed


def test_workers_started_for_a_large_file_end_when_verify_refuses_its_parts(
    built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import multiprocessing

    from cmpacket.errors import PacketError
    from cmpacket.verify import _pages

    monkeypatch.setattr(_pages, "SHARED_BYTES", 1)  # every file counts as large: workers start
    with pytest.raises(PacketError, match="no such file"):
        api.verify([packet_of(built), tmp_path / "part-2-missing.pdf"])
    assert multiprocessing.active_children() == []
