"""The packet's file written a source at a time (assemble._writer): what every reader needs of
it, checked with qpdf and pikepdf on the written file."""

from __future__ import annotations

import shutil
import subprocess
import zlib
from pathlib import Path

import pikepdf
import pytest
from pikepdf import Array, Dictionary, Name

from cmpacket.assemble._packet import _placed_pages
from cmpacket.assemble._writer import CATALOG, PAGE_TREE, PacketWriter

RESOURCES = Path(__file__).parent / "resources"


def source(path: Path, labels: list[str], image: bytes | None = None) -> Path:
    """A PDF with one page per label (its text drawn), pages inheriting their box and resources
    from the page tree node, the same image on every page when `image` is given."""
    pdf = pikepdf.new()
    font = pdf.make_indirect(
        Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica)
    )
    resources = Dictionary(Font=Dictionary(F1=font))
    if image is not None:
        resources.XObject = Dictionary(
            Im1=pdf.make_stream(
                zlib.compress(image),
                Type=Name.XObject,
                Subtype=Name.Image,
                Width=8,
                Height=8,
                ColorSpace=Name.DeviceGray,
                BitsPerComponent=8,
                Filter=Name.FlateDecode,
            )
        )
    for label in labels:
        draw = f"BT /F1 12 Tf 72 700 Td ({label}) Tj ET".encode()
        if image is not None:
            draw += b" q 50 0 0 50 72 600 cm /Im1 Do Q"
        page = pikepdf.Page(Dictionary(Type=Name.Page, Contents=pdf.make_stream(draw)))
        pdf.pages.append(page)
    tree = pdf.Root.Pages
    tree.MediaBox = Array([0, 0, 300, 400])  # inherited, not on the pages
    tree.Resources = pdf.make_indirect(resources)
    for page in pdf.pages:
        for key in ("/MediaBox", "/Resources"):
            if key in page.obj:
                del page.obj[key]
    pdf.save(path)
    return path


def write(target: Path, files: list[Path], links: dict[int, int] | None = None) -> None:
    """Pages of `files` in order; `links`: packet page -> the packet page a link on it goes to."""
    total = sum(len(pikepdf.open(f).pages) for f in files)
    with PacketWriter(target, total) as writer:
        first = 1
        for path in files:
            with pikepdf.open(path) as src:
                pages = list(src.pages)
                preset = _placed_pages(pages, first)  # pushes down what pages inherit
                roots = []
                for k, page in enumerate(pages):
                    n = first + k
                    if links and n in links:
                        stand_in = src.make_indirect(Dictionary())
                        preset[stand_in.objgen] = writer.page(links[n])
                        page.obj.Annots = Array(
                            [
                                src.make_indirect(
                                    Dictionary(
                                        Type=Name.Annot,
                                        Subtype=Name.Link,
                                        Rect=[0, 0, 10, 10],
                                        Contents=pikepdf.String("see 12 0 R (here)"),
                                        Dest=Array([stand_in, Name.Fit]),
                                    )
                                )
                            ]
                        )
                    roots.append((writer.page(n), page.obj))
                writer.copy(src, roots, preset)
                first += len(src.pages)
        with pikepdf.new() as skeleton:
            info = writer.number()
            skeleton.docinfo["/Title"] = "written"
            writer.copy(
                skeleton,
                [(CATALOG, skeleton.Root), (info, skeleton.docinfo)],
                {skeleton.Root.Pages.objgen: PAGE_TREE},
            )
        writer.close(info)


def page_texts(path: Path) -> list[str]:
    with pikepdf.open(path) as pdf:
        return [
            page.obj.Contents.read_bytes().decode().split("(")[1].split(")")[0]
            for page in pdf.pages
        ]


def test_pages_of_every_source_in_order_inheritance_kept_and_qpdf_finds_nothing(
    tmp_path: Path,
) -> None:
    a = source(tmp_path / "a.pdf", ["a1", "a2"])
    b = source(tmp_path / "b.pdf", ["b1"])
    out = tmp_path / "out.pdf"
    write(out, [a, b, a])
    assert page_texts(out) == ["a1", "a2", "b1", "a1", "a2"]
    with pikepdf.open(out) as pdf:
        assert pdf.docinfo["/Title"] == "written"
        for page in pdf.pages:
            assert [float(v) for v in page.obj.MediaBox] == [0, 0, 300, 400]
            assert "/F1" in page.obj.Resources.Font
        # dictionaries in object streams, the cross-reference a stream, as qpdf generates them
        assert pdf.trailer.get("/Type") == Name.XRef
        kinds = {str(obj.get("/Type")) for obj in pdf.objects if isinstance(obj, pikepdf.Stream)}
        assert "/ObjStm" in kinds
    if shutil.which("qpdf"):
        check = subprocess.run(["qpdf", "--check", str(out)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
        assert "No syntax or stream encoding errors" in check.stdout


def test_links_reach_pages_of_other_sources_and_strings_that_look_like_references_stay(
    tmp_path: Path,
) -> None:
    a = source(tmp_path / "a.pdf", ["a1", "a2"])
    b = source(tmp_path / "b.pdf", ["b1", "b2"])
    out = tmp_path / "out.pdf"
    write(out, [a, b], links={1: 4, 4: 2})  # forward into a source not yet written, and back
    with pikepdf.open(out) as pdf:
        pages = list(pdf.pages)
        for on, to in ((1, 4), (4, 2)):
            annot = pages[on - 1].obj.Annots[0]
            assert annot.Dest[0].objgen == pages[to - 1].obj.objgen
            assert str(annot.Contents) == "see 12 0 R (here)"


def test_the_same_image_in_two_sources_is_written_once_and_the_same_input_the_same_bytes(
    tmp_path: Path,
) -> None:
    pixels = bytes(range(64))
    a = source(tmp_path / "a.pdf", ["a1"], image=pixels)
    b = source(tmp_path / "b.pdf", ["b1"], image=pixels)
    c = source(tmp_path / "c.pdf", ["c1"], image=bytes(reversed(pixels)))
    out, again = tmp_path / "out.pdf", tmp_path / "again.pdf"
    write(out, [a, b, c])
    write(again, [a, b, c])
    assert out.read_bytes() == again.read_bytes()
    with pikepdf.open(out) as pdf:
        images = [p.obj.Resources.XObject.Im1 for p in pdf.pages]
        assert images[0].objgen == images[1].objgen != images[2].objgen
        assert images[0].read_bytes() == pixels and images[2].read_bytes() != pixels


def test_a_real_world_file_copies_whole(tmp_path: Path) -> None:
    """A producer's file (indirect lengths, a structure tree, fonts): every page and what it
    shows survives, text extraction included."""
    original = RESOURCES / "002-trivial-libre-office-writer--002-trivial-libre-office-writer.pdf"
    out = tmp_path / "out.pdf"
    with pikepdf.open(original) as src:
        count = len(src.pages)
    with PacketWriter(out, count) as writer, pikepdf.open(original) as src:
        preset = {page.obj.Parent.objgen: PAGE_TREE for page in src.pages}
        writer.copy(src, [(writer.page(k + 1), p.obj) for k, p in enumerate(src.pages)], preset)
        catalog = src.make_indirect(Dictionary(Type=Name.Catalog, Pages=src.Root.Pages))
        info = writer.number()
        writer.copy(src, [(CATALOG, catalog), (info, src.docinfo)], preset)
        writer.close(info)
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")

    def text(path: Path) -> str:
        return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout

    assert text(out).split() == text(original).split() != []


@pytest.mark.skipif(not shutil.which("qpdf"), reason="qpdf is not installed")
def test_page_dictionaries_share_object_streams_only_with_each_other(tmp_path: Path) -> None:
    """A reader walking the page tree opens the streams holding pages; fonts, contents'
    dictionaries and annotations are not parsed with them."""
    a = source(tmp_path / "a.pdf", ["a1", "a2", "a3"])
    b = source(tmp_path / "b.pdf", ["b1", "b2"])
    out = tmp_path / "out.pdf"
    write(out, [a, b, a], links={1: 6})
    xref = subprocess.run(
        ["qpdf", "--show-xref", str(out)], capture_output=True, text=True, check=True
    ).stdout
    stream_of: dict[int, int] = {}
    for line in xref.splitlines():  # "12/0: compressed; stream = 3, index = 0"
        head, _, rest = line.partition(": ")
        if rest.startswith("compressed"):
            stream_of[int(head.split("/")[0])] = int(rest.split("stream = ")[1].split(",")[0])
    with pikepdf.open(out) as pdf:
        pages = {page.obj.objgen[0] for page in pdf.pages}
    assert len(pages) == 8 and pages <= stream_of.keys()
    page_streams = {stream_of[n] for n in pages}
    others = {n for n, s in stream_of.items() if s in page_streams and n not in pages}
    assert others == set()
    assert set(stream_of.values()) - page_streams  # the rest sit in streams of their own
