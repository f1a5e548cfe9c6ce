"""Receivers: a packet that fits where it is sent — parts, their verification, fit findings."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pikepdf
import pytest

from cmpacket import api
from cmpacket.assemble import choose_parts, segments
from cmpacket.receivers import load_receiver
from tests.conftest import copy_sample

PAGE = re.compile(r"Page (\d+) of (\d+)\s*\|\s*([A-Z]+)-(\d{6})")
CAP_MB = 0.4  # the sample packet is about 0.9 MB, its policy manual under 0.4 MB: parts at this cap


def _receiver(folder: Path, **fields: Any) -> Path:
    path = folder / "receiver.yaml"
    data = {"name": "small", "title": "A small mailbox", "split": "parts", **fields}
    path.write_text(json.dumps(data))  # JSON is YAML
    return path


def _text(pdf: Path, page: int) -> str:
    done = subprocess.run(
        ["pdftotext", "-f", str(page), "-l", str(page), str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


@pytest.fixture(scope="module")
def parts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample agency built for a 0.4 MB receiver; returns OUT."""
    import os

    os.environ["SOURCE_DATE_EPOCH"] = "1767225600"
    base = tmp_path_factory.mktemp("parts")
    folder = copy_sample(base)
    receiver = str(_receiver(base, max_file_mb=CAP_MB))
    api.build(folder, api.Options(quiet=True, receiver=receiver), out=base / "out")
    return base / "out"


def _files(out: Path) -> list[Path]:
    return api.packet_files(out)


# -- the data --------------------------------------------------------------------------------


def test_builtin_receivers_carry_their_sources() -> None:
    efile = load_receiver("il-efile")
    assert (efile.max_file_mb, efile.max_total_mb, efile.page_size) == (25, 50, "letter")
    assert efile.text_searchable and efile.split == "parts"
    for key in ("max_file_mb", "max_total_mb", "page_size", "text_searchable"):
        assert "eFileIL" in efile.sources[key]["citation"]
    default = load_receiver("default")
    assert default.max_file_bytes is None and default.split == "none"


def test_a_bad_receiver_file_names_every_problem(tmp_path: Path, cli: Any) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("max_file_mb: -3\nsplit: chunks\npage_size: tabloid\ncolour: blue\n")
    result = cli("receivers", "show", path)
    assert result.code == 2
    for part in ("max_file_mb: -3", "split: 'chunks'", "page_size: 'tabloid'", "colour: unknown"):
        assert part in result.err


def test_receivers_list_and_show(cli: Any) -> None:
    listed = cli("receivers", "list")
    assert listed.code == 0 and "il-efile" in listed.out and "default" in listed.out
    shown = cli("receivers", "show", "il-efile", "--format", "json")
    assert shown.json()["max_file_mb"] == 25


# -- choosing the cuts -----------------------------------------------------------------------


def test_cuts_are_as_few_as_fit_and_balanced() -> None:
    # ten 10-byte pieces in one section, 60 bytes a part: two parts of 50, not 60 + 40
    pieces = [("A", 1, 10)] * 10
    chosen = choose_parts(segments(pieces, 60), 60)
    assert [sum(s.size for s in part) for part in chosen] == [50, 50]
    # 25 pieces, 60 a part: five parts, none over the budget
    chosen = choose_parts(segments([("A", 1, 10)] * 25, 60), 60)
    sizes = [sum(s.size for s in part) for part in chosen]
    assert len(chosen) == 5 and max(sizes) <= 60 and sum(sizes) == 250


def test_a_section_boundary_wins_when_it_costs_no_balance() -> None:
    pieces = [("A", 1, 10)] * 5 + [("B", 1, 10)] * 5
    chosen = choose_parts(segments(pieces, 60), 60)
    assert [s.section for s in chosen[0]] == ["A"] * 5
    assert [s.section for s in chosen[1]] == ["B"] * 5


def test_only_a_piece_over_the_budget_is_split_by_pages() -> None:
    segs = segments([("G", 10, 1000), ("G", 2, 20)], 300)
    big = [s for s in segs if s.index == 0]
    assert len(big) == 4 and not any(s.whole for s in big)
    assert (big[0].first, big[-1].last) == (1, 10)
    assert [s for s in segs if s.index == 1][0].whole


# -- the parts -------------------------------------------------------------------------------


def test_three_parts_each_under_the_cap_and_clean(parts: Path) -> None:
    files = _files(parts)
    assert len(files) >= 3
    assert [f.name for f in files] == [
        f"prairie-care-coordination-inc-packet-part-{k}-of-{len(files)}.pdf"
        for k in range(1, len(files) + 1)
    ]
    assert not list(parts.glob("*-packet.pdf"))
    for f in files:
        assert f.stat().st_size <= CAP_MB * 1_000_000
        check = subprocess.run(["qpdf", "--check", str(f)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr


def test_page_numbers_ids_and_labels_run_on_across_parts(parts: Path) -> None:
    files = _files(parts)
    manifest = json.loads((parts / "manifest.json").read_text())
    total = manifest["packet"]["pages"]
    seen = []
    for f in files:
        with pikepdf.open(f) as pdf:
            count = len(pdf.pages)
            start = pdf.Root.PageLabels.Nums[1].St
        for i in range(1, count + 1):
            match = PAGE.search(_text(f, i))
            assert match, f"{f.name} page {i}"
            n, of, _, ident = match.groups()
            assert int(of) == total and int(ident) == int(n)
            seen.append(int(n))
        assert start == seen[-count]
    assert seen == list(range(1, total + 1))


def test_each_part_starts_with_its_cover_and_has_its_own_outline(parts: Path) -> None:
    files = _files(parts)
    n = len(files)
    for k, f in enumerate(files, start=1):
        cover = _text(f, 1)
        assert f"Part {k} of {n}" in cover
        squeezed = "".join(cover.split())
        for other in files:
            assert other.name in squeezed  # every part's file is listed (the table may wrap it)
        with pikepdf.open(f) as pdf, pdf.open_outline() as outline:
            titles = [item.title for item in outline.root]
            assert titles, f.name
            assert "manifest.json" in pdf.attachments


def test_the_index_names_the_part_of_each_document(parts: Path) -> None:
    files = _files(parts)
    manifest = json.loads((parts / "manifest.json").read_text())
    index = next(d for s in manifest["sections"] for d in s["documents"] if d["kind"] == "index")
    pages = range(index["first_page"], index["last_page"] + 1)
    text = " ".join(" ".join(_text(files[0], p) for p in pages).split())
    people: dict[str, int] = {}
    for k, part in enumerate(manifest["parts"], start=1):
        for s in manifest["sections"]:
            for d in s["documents"]:
                if not part["first_page"] <= d["first_page"] <= part["last_page"]:
                    continue
                if d.get("staff_id"):
                    people.setdefault(d["title"].split(":")[0], k)
                elif d["kind"] != "part-cover":
                    assert f"{d['title']} (part {k})" in text
    # the staff proofs lie past the first part: each person's line names a part the index computed
    assert people and min(people.values()) > 1
    for name, k in people.items():
        assert re.search(
            re.escape(name)
            + r" — qualifications and licensure proofs \(\d+\) \(part "
            + str(k)
            + r"\)",
            text,
        )


def test_links_into_other_parts_open_that_file(parts: Path) -> None:
    first = _files(parts)[0]
    remote = set()
    with pikepdf.open(first) as pdf:
        for page in pdf.pages:
            for annot in page.obj.get("/Annots") or []:
                action = annot.get("/A")
                if action is not None and action.get("/S") == "/GoToR":
                    remote.add(str(action.F))
    assert {f.name for f in _files(parts)[1:]} <= remote


def test_manifest_lists_the_parts(parts: Path) -> None:
    files = _files(parts)
    manifest = json.loads((parts / "manifest.json").read_text())
    assert [p["file"] for p in manifest["parts"]] == [f.name for f in files]
    for entry, f in zip(manifest["parts"], files, strict=True):
        assert entry["bytes"] == f.stat().st_size
        assert entry["sha256"] == hashlib.sha256(f.read_bytes()).hexdigest()
    with pikepdf.open(files[1]) as pdf:
        embedded = json.loads(pdf.attachments["manifest.json"].get_file().read_bytes())
    assert all(p["sha256"] is None and p["bytes"] is None for p in embedded["parts"])
    assert [(p["first_page"], p["last_page"]) for p in embedded["parts"]] == [
        (p["first_page"], p["last_page"]) for p in manifest["parts"]
    ]


def test_verify_one_part_the_set_and_the_folder(parts: Path, cli: Any) -> None:
    files = _files(parts)
    sidecar = parts / "manifest.json"
    assert cli("verify", files[1]).code == 0
    checked = cli("verify", *files, "--manifest", sidecar)
    # the GoToR links between parts are cmpacket's own: no active content
    assert checked.code == 0 and "packet-active-content" not in checked.out
    assert cli("verify", parts).code == 0
    missing = cli("verify", files[0], files[2])
    assert missing.code == 1 and "[part-missing]" in missing.out
    swapped = cli("verify", files[1], files[0], *files[2:])
    assert swapped.code == 1 and "[parts-out-of-order]" in swapped.out


def test_a_changed_part_fails_against_the_sidecar(parts: Path, tmp_path: Path, cli: Any) -> None:
    files = [shutil.copy(f, tmp_path / f.name) for f in _files(parts)]
    with pikepdf.open(files[1], allow_overwriting_input=True) as pdf:
        pdf.docinfo["/Keywords"] = "edited"
        pdf.save(files[1])
    result = cli("verify", *files, "--manifest", parts / "manifest.json")
    assert result.code == 1 and "[packet-hash-mismatch]" in result.out


def test_inspect_and_diff_take_parts(parts: Path, built: Path, cli: Any) -> None:
    files = _files(parts)
    shown = cli("inspect", files[2], "--format", "json").json()
    assert [p["file"] for p in shown["parts"]] == [f.name for f in files]
    both = cli("inspect", *files)
    assert both.code == 0 and f"{len(files)} parts:" in both.out
    diff = cli("diff", built, parts, "--format", "json")
    assert diff.code == 0
    # the same documents, now in parts: part covers are navigation, not documents that changed
    ops = diff.json()["documents"]
    assert ops["new"] == [] and ops["delete"] == [] and ops["replace"] == []
    assert ops["moved"]  # documents after the first part cover moved on


def test_a_packet_under_the_cap_stays_one_file(tmp_path: Path) -> None:
    folder = copy_sample(tmp_path)
    receiver = str(_receiver(tmp_path, max_file_mb=25))
    options = api.Options(quiet=True, receiver=receiver)
    result = api.build(folder, options, out=tmp_path / "out")
    assert result.parts == [] and result.packet.name.endswith("-packet.pdf")
    assert "parts" not in json.loads(result.manifest.read_text())


def test_too_large_for_a_receiver_without_parts_is_a_finding(tmp_path: Path, cli: Any) -> None:
    folder = copy_sample(tmp_path)
    receiver = _receiver(tmp_path, max_file_mb=0.2, split="none")
    result = cli("build", folder, "-o", tmp_path / "out", "--receiver", receiver)
    assert result.code == 1
    assert "[receiver-file-too-large]" in result.err and "--compress-scans" in result.err
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").glob("*.pdf"))


def test_parts_over_the_total_are_a_finding(tmp_path: Path, cli: Any) -> None:
    folder = copy_sample(tmp_path)
    receiver = _receiver(tmp_path, max_file_mb=0.3, max_total_mb=0.25)
    result = cli("build", folder, "-o", tmp_path / "out", "--receiver", receiver)
    assert result.code == 1 and "[receiver-total-too-large]" in result.err


def _image_pdf(path: Path, label: str, pixels: bytes) -> None:
    """A page showing a 64x64 gray image (the same `pixels` make the same image) and a label."""
    pdf = pikepdf.new()
    image = pikepdf.Stream(pdf, pixels)
    image.Type, image.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
    image.Width, image.Height, image.BitsPerComponent = 64, 64, 8
    image.ColorSpace = pikepdf.Name.DeviceGray
    font = pikepdf.Dictionary(
        Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica
    )
    content = f"q 300 0 0 300 100 300 cm /Im0 Do Q BT /F1 12 Tf 100 200 Td ({label}) Tj ET".encode()
    page = pikepdf.Dictionary(
        Type=pikepdf.Name.Page,
        MediaBox=[0, 0, 612, 792],
        Resources=pikepdf.Dictionary(
            XObject=pikepdf.Dictionary(Im0=image), Font=pikepdf.Dictionary(F1=font)
        ),
        Contents=pikepdf.Stream(pdf, content),
    )
    pdf.pages.append(pikepdf.Page(page))
    pdf.save(path)


def test_an_image_two_uploads_share_is_stored_once(tmp_path: Path) -> None:
    pixels = bytes((x * 7 + y * 13) % 256 for y in range(64) for x in range(64))

    def edit(data: dict[str, Any]) -> None:
        data["attachments"] += [
            {"title": "Letter A", "file": "uploads/a.pdf", "section": "agency"},
            {"title": "Letter B", "file": "uploads/b.pdf", "section": "agency"},
        ]

    folder = copy_sample(tmp_path, edit)
    _image_pdf(folder / "uploads" / "a.pdf", "Letter A", pixels)
    _image_pdf(folder / "uploads" / "b.pdf", "Letter B", pixels)
    result = api.build(folder, api.Options(quiet=True), out=tmp_path / "out")
    with pikepdf.open(result.packet) as pdf:
        images = {
            obj.objgen
            for page in pdf.pages
            for obj in (page.Resources.get("/XObject") or {}).values()
            if obj.get("/Subtype") == "/Image"
        }
    assert len(images) == 1
    manifest = json.loads(result.manifest.read_text())
    pages = [
        d["first_page"]
        for s in manifest["sections"]
        for d in s["documents"]
        if d["title"] in ("Letter A", "Letter B")
    ]
    shots = []
    for p in pages:  # both pages still show the picture, pixel for pixel alike above the label
        out = tmp_path / f"shot-{p}"
        subprocess.run(
            ["pdftoppm", "-r", "20", "-gray", "-f", str(p), "-l", str(p), "-x", "0", "-y", "0",
             "-W", "170", "-H", "120", str(result.packet), str(out)],
            check=True,
        )  # fmt: skip
        shots.append(next(tmp_path.glob(f"shot-{p}*")).read_bytes())
    assert shots[0] == shots[1] and len(set(shots[0])) > 10


def _scan(path: Path, size: tuple[float, float] = (8.5, 11), dpi: int = 300) -> None:
    """An image-only page like a scan: a gradient with grain and dark bars, stored losslessly
    (PNG data through img2pdf, so it is large, as phone and scanner PDFs often are)."""
    import io
    import random

    import img2pdf
    from PIL import Image, ImageDraw

    w, h = int(size[0] * dpi), int(size[1] * dpi)
    rng = random.Random(7)
    img = Image.linear_gradient("L").resize((w, h)).convert("RGB")
    grain = Image.frombytes("L", (w, h), rng.randbytes(w * h)).point(lambda v: 255 - v % 24)
    img = Image.composite(img, Image.new("RGB", (w, h), "white"), grain)
    draw = ImageDraw.Draw(img)
    for y in range(dpi, h - dpi, dpi // 3):
        draw.rectangle([dpi, y, w - dpi, y + dpi // 12], fill=(20, 20, 20))
    png = io.BytesIO()
    img.save(png, "PNG")
    layout = img2pdf.get_fixed_dpi_layout_fun((dpi, dpi))
    path.write_bytes(img2pdf.convert(png.getvalue(), layout_fun=layout))


def test_a_page_without_text_is_a_finding_where_text_is_required(tmp_path: Path, cli: Any) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["attachments"].append(
            {"title": "Scan", "file": "uploads/scan.pdf", "section": "agency"}
        )

    folder = copy_sample(tmp_path, edit)
    _scan(folder / "uploads" / "scan.pdf", dpi=60)
    receiver = _receiver(tmp_path, text_searchable=True)
    result = cli("validate", folder, "--receiver", receiver, "--ocr", "never")
    assert result.code == 1
    assert "error [receiver-not-searchable] attachments" not in result.out  # the path is the file
    line = next(x for x in result.out.splitlines() if "[receiver-not-searchable]" in x)
    assert "uploads/scan.pdf" in line and "--ocr auto" in line
    assert cli("validate", folder, "--ocr", "never").code == 0  # no receiver: only a note


def test_compress_scans_brings_a_scan_heavy_packet_under_the_cap(tmp_path: Path, cli: Any) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["attachments"] += [
            {"title": f"Scan {i}", "file": f"uploads/scan-{i}.pdf", "section": "agency"}
            for i in range(2)
        ]

    folder = copy_sample(tmp_path, edit)
    for i in range(2):
        _scan(folder / "uploads" / f"scan-{i}.pdf")
    receiver = _receiver(tmp_path, max_file_mb=4, split="none")
    args = ["build", folder, "--receiver", receiver, "--ocr", "never"]
    over = cli(*args, "-o", tmp_path / "a")
    assert over.code == 1 and "[receiver-file-too-large]" in over.err
    fits = cli(*args, "-o", tmp_path / "b", "--compress-scans")
    assert fits.code == 0, fits.err
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text())
    packet = tmp_path / "b" / manifest["packet"]["file"]
    assert packet.stat().st_size <= 4_000_000
    assert {c["path"] for c in manifest["compressed_scans"]} == {
        "uploads/scan-0.pdf",
        "uploads/scan-1.pdf",
    }
    doc = next(d for s in manifest["sections"] for d in s["documents"] if d["title"] == "Scan 0")
    with pikepdf.open(packet) as pdf:
        images = [
            x for x in pdf.pages[doc["first_page"] - 1].Resources.XObject.values()
            if x.get("/Subtype") == "/Image"
        ]  # fmt: skip
        assert images and all(x.Filter == "/DCTDecode" and x.Width == 1700 for x in images)


def test_pages_over_the_receivers_page_size_are_fitted_to_it(
    tmp_path: Path, fake_renderer: None
) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["attachments"].append(
            {"title": "Legal", "file": "uploads/legal.pdf", "section": "agency"}
        )

    folder = copy_sample(tmp_path, edit)
    _scan(folder / "uploads" / "legal.pdf", size=(8.5, 14), dpi=40)
    receiver = _receiver(tmp_path, page_size="letter")
    cache = tmp_path / "cache"  # empty: the first build lays out everything, the second reuses it
    result = api.build(
        folder,
        api.Options(quiet=True, cache_dir=cache, receiver=str(receiver)),
        out=tmp_path / "out",
    )
    manifest = json.loads(result.manifest.read_text())
    doc = next(d for s in manifest["sections"] for d in s["documents"] if d["title"] == "Legal")
    with pikepdf.open(result.packet) as pdf:
        box = [float(v) for v in pdf.pages[doc["first_page"] - 1].mediabox]
    assert (box[2] - box[0], box[3] - box[1]) == (612.0, 792.0)
    plain = api.build(folder, api.Options(quiet=True, cache_dir=cache), out=tmp_path / "plain")
    with pikepdf.open(plain.packet) as pdf:
        box = [float(v) for v in pdf.pages[doc["first_page"] - 1].mediabox]
    assert (box[2] - box[0], box[3] - box[1]) == (612.0, 1008.0)  # no receiver: left as it is
