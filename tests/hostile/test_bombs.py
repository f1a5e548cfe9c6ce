"""Decompression bombs and damaged streams in uploads: intake decodes every stream a page uses,
within caps, so a bomb is `upload-too-large` and a damaged stream `upload-unreadable` naming the
page, with bounded memory (peak RSS measured in a subprocess) and never an internal error."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from pikepdf import Name

from cmpacket import api
from cmpacket.intake import Caps, check_pages, decoded_length
from cmpacket.intake._bounded import StreamDamaged, StreamTooLarge
from tests.conftest import corpus
from tests.hostile.test_hostile import finding, pdf_bytes, with_upload

MB = 2**20
GiB = 2**30
PEAK_MB = 300


def zeros_deflated(total: int, raw: bool = False) -> bytes:
    """zlib data that inflates to `total` zero bytes (a multiple of 1 MiB), made without ever
    compressing more than 1 MiB: after a full flush the compressor's state is reset, so each
    MiB of zeros compresses to the same bytes and the stream is that piece repeated."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    piece = c.compress(bytes(MB)) + c.flush(zlib.Z_FULL_FLUSH)
    body = piece * (total // MB) + c.flush()
    if raw:
        return body
    adler = ((total % 65521) << 16) | 1  # adler32 of `total` zeros
    return b"\x78\xda" + body + adler.to_bytes(4, "big")


def test_zeros_deflated_is_what_it_claims() -> None:
    data = zeros_deflated(8 * MB)
    assert zlib.decompress(data) == bytes(8 * MB)
    assert len(data) < 8 * MB // 500


def bomb_pdf(total: int) -> bytes:
    """A one-page PDF whose content stream inflates to `total` bytes of zeros."""
    pdf = pikepdf.new()
    pdf.add_blank_page()
    stream = pikepdf.Stream(pdf, b"")
    stream.write(zeros_deflated(total), filter=Name.FlateDecode)  # written as is, not re-encoded
    pdf.pages[0].obj.Contents = pdf.make_indirect(stream)
    return pdf_bytes(pdf)


def image_pdf(width: int, height: int, data: bytes, **extra: Any) -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    image = pikepdf.Stream(pdf, b"")
    image.write(data, filter=Name.FlateDecode)
    image.Type, image.Subtype = Name.XObject, Name.Image
    image.Width, image.Height = width, height
    image.ColorSpace, image.BitsPerComponent = Name.DeviceRGB, 8
    for key, value in extra.items():
        image[f"/{key}"] = value
    page = pdf.pages[0]
    page.obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image))
    page.obj.Contents = pdf.make_stream(b"q 612 0 0 792 0 0 cm /Im0 Do Q")
    return pdf_bytes(pdf)


def run_measured(*args: str | Path) -> tuple[int, str, float]:
    """`cmpacket ARGS` in a child of a child: returns exit code, output and the child's peak
    RSS in MB (ru_maxrss of the grandchildren only, so nothing else this session ran counts)."""
    script = (
        "import json, resource, subprocess, sys\n"
        "r = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
        "print(json.dumps([r.returncode, r.stdout + r.stderr, peak]))\n"
    )
    cmd = [sys.executable, "-c", script, sys.executable, "-m", "cmpacket", *map(str, args)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    code, output, peak = json.loads(done.stdout)
    return code, output, peak


def assert_refused(tmp_path: Path, body: bytes, code: str, *words: str) -> None:
    folder = with_upload(tmp_path, body)
    for command in ("validate", "build"):
        extra = ["-o", str(tmp_path / "out")] if command == "build" else []
        exit_code, output, peak = run_measured(command, folder, *extra)
        assert exit_code == 1, output
        assert code in output and "hostile.pdf" in output, output
        for word in words:
            assert word in output, output
        assert "internal error" not in output and "Traceback" not in output, output
        assert peak < PEAK_MB, f"{command} peaked at {peak:.0f} MB"
    assert not (tmp_path / "out").exists()


@pytest.mark.e2e
@pytest.mark.parametrize("size", [GiB, 10 * GiB], ids=["1GiB", "10GiB"])
def test_flate_bomb_is_refused_in_bounded_memory(tmp_path: Path, size: int) -> None:
    body = bomb_pdf(size)
    assert len(body) < size // 1000  # about 1 MB (10 MB) on disk
    assert_refused(
        tmp_path, body, "upload-too-large", "page 1", "more than 64.0 MB", "max_stream_mb"
    )


@pytest.mark.e2e
def test_oversized_image_xobject_is_refused_in_bounded_memory(tmp_path: Path) -> None:
    body = image_pdf(20000, 20000, zeros_deflated(20000 * 20000 * 3 // MB * MB))
    assert_refused(tmp_path, body, "upload-too-large", "20,000 × 20,000", "400.0 megapixels")


def test_image_whose_data_inflates_past_its_declared_size_is_refused(tmp_path: Path) -> None:
    body = image_pdf(100, 100, zeros_deflated(256 * MB))  # declares 30 KB, holds 256 MB
    (f,) = finding(with_upload(tmp_path, body))
    assert f.code == "upload-too-large" and "page 1" in f.message
    assert "an image declared as 29 KB of pixels decodes to more than 64.0 MB" in f.message


def test_caps_come_from_the_limits_and_the_command_line(tmp_path: Path, cli: Any) -> None:
    folder = with_upload(tmp_path, bomb_pdf(32 * MB))
    assert finding(folder) == []  # under the 64 MB default
    (f,) = [
        f
        for f in api.validate(folder, limits={"max_stream_mb": 16}).findings
        if f.path == "attachments[3].file"
    ]
    assert f.code == "upload-too-large" and "16 MB limit for a stream" in f.message
    result = cli("validate", folder, "--max-stream-mb", "16", "--format", "json")
    assert result.code == 1 and "16 MB limit for a stream" in result.out
    result = cli("validate", folder, "--max-page-mb", "8")
    assert result.code == 1 and "8 MB limit for a page" in result.out
    pic = with_upload(tmp_path / "pic", image_pdf(3000, 2000, zeros_deflated(18 * MB)))
    assert finding(pic) == []
    result = cli("validate", pic, "--max-image-megapixels", "5")
    assert result.code == 1 and "6.0 megapixels" in result.out and "5-megapixel" in result.out


def damaged_copy(name: str, page_index: int) -> bytes:
    """A real PDF with bytes flipped inside one page's flate content stream, so that inflating it
    fails (a deterministic search for a flip zlib rejects)."""
    pdf = pikepdf.open(corpus(name))
    stream = pdf.pages[page_index].obj.Contents
    stream = stream[0] if isinstance(stream, pikepdf.Array) else stream
    assert stream.Filter == Name.FlateDecode
    raw = bytearray(stream.read_raw_bytes())
    for at in range(len(raw) // 3, len(raw) - 8):
        bad = bytearray(raw)
        bad[at] ^= 0xFF
        bad[at + 1] ^= 0x5A
        try:
            zlib.decompress(bytes(bad))
        except zlib.error as exc:
            if "invalid" in str(exc):
                break
    else:
        raise AssertionError("no flip made the stream undecodable")
    stream.write(bytes(bad), filter=Name.FlateDecode)
    return pdf_bytes(pdf)


def test_damaged_stream_is_unreadable_at_validate_naming_the_page(tmp_path: Path) -> None:
    body = damaged_copy("004-", 2)
    with pikepdf.open(io.BytesIO(body)) as pdf, pytest.raises(pikepdf.PdfError):
        pdf.pages[2].Contents.read_bytes()  # qpdf cannot read it either
    (f,) = finding(with_upload(tmp_path, body))
    assert f.code == "upload-unreadable"
    assert "page 3: the page's content stream is damaged (invalid" in f.message
    assert "Export or scan the document again" in f.message


@pytest.mark.e2e
def test_damaged_stream_never_reaches_the_build(tmp_path: Path, cli: Any) -> None:
    folder = with_upload(tmp_path, damaged_copy("004-", 2))
    result = cli("build", folder, "-o", tmp_path / "out", "-q")
    assert result.code == 1, result.err
    assert "upload-unreadable" in result.out + result.err
    assert "internal error" not in result.out + result.err
    result = cli("build", folder, "-o", tmp_path / "draft", "--draft", "-q")
    assert result.code == 0, result.err
    assert "internal error" not in result.out + result.err
    (packet,) = (tmp_path / "draft").glob("*.pdf")
    text = subprocess.run(["pdftotext", packet, "-"], capture_output=True, text=True).stdout
    assert "page 3: the page's content stream is damaged" in " ".join(text.split())
    assert api.verify(packet).ok


# --- the decoder on its own ----------------------------------------------------------------------


_OWNER = pikepdf.new()  # streams made below live in this PDF for the whole session


def _stream(data: bytes, filters: list[Name], **extra: Any) -> pikepdf.Stream:
    stream = pikepdf.Stream(_OWNER, b"")
    stream.write(data, filter=pikepdf.Array(filters) if len(filters) > 1 else filters[0])
    for key, value in extra.items():
        stream[f"/{key}"] = value
    return stream


def test_decoded_length_agrees_with_qpdf_for_every_corpus_stream() -> None:
    from cmpacket.intake._bounded import page_streams

    checked = 0
    for name in ("003-", "004-", "007-", "008-", "011-", "015-", "019-", "022-"):
        with pikepdf.open(corpus(name)) as pdf:
            assert check_pages(pdf, None) == []
            for page in pdf.pages:
                for _, stream in page_streams(page.obj):
                    length, codec = decoded_length(stream, GiB)
                    if codec is None and "/DecodeParms" not in stream:
                        assert length == len(stream.read_bytes())
                        checked += 1
    assert checked > 20


def test_lzw_run_length_and_ascii_filters_decode_as_qpdf_does() -> None:
    from PIL import Image

    rows = bytes((x * y) % 7 for y in range(200) for x in range(300))
    tiff = io.BytesIO()
    Image.frombytes("L", (300, 200), rows).save(
        tiff, "TIFF", compression="tiff_lzw", rowsperstrip=200
    )
    img = Image.open(io.BytesIO(tiff.getvalue()))
    start, count = img.tag_v2[273][0], img.tag_v2[279][0]
    lzw = _stream(tiff.getvalue()[start : start + count], [Name.LZWDecode])
    assert decoded_length(lzw, MB) == (len(rows), None) and lzw.read_bytes() == rows
    run = _stream(b"\x02abc\xfbz\x00q\x80", [Name.RunLengthDecode])
    specialized = pikepdf.StreamDecodeLevel.specialized
    assert decoded_length(run, MB)[0] == len(run.read_bytes(specialized)) == 10
    a85 = _stream(
        __import__("base64").a85encode(zlib.compress(rows)) + b"~>",
        [Name.ASCII85Decode, Name.FlateDecode],
    )
    assert decoded_length(a85, MB)[0] == len(rows)
    hexed = _stream(
        zlib.compress(rows).hex().encode() + b">", [Name.ASCIIHexDecode, Name.FlateDecode]
    )
    assert decoded_length(hexed, MB)[0] == len(rows)


def test_every_filter_stops_at_the_cap() -> None:
    zeros = zeros_deflated(64 * MB)
    with pytest.raises(StreamTooLarge, match="decodes to more than 1.0 MB"):
        decoded_length(_stream(zeros, [Name.FlateDecode]), MB)
    run = b"\x81\x00" * 20000  # 128 zeros per two bytes: 2.4 MB
    with pytest.raises(StreamTooLarge):
        decoded_length(_stream(run, [Name.RunLengthDecode]), MB)
    a85 = b"z" * 400_000 + b"~>"  # four zero bytes per z
    with pytest.raises(StreamTooLarge, match="ASCII85"):
        decoded_length(_stream(a85, [Name.ASCII85Decode]), MB)
    with pytest.raises(StreamDamaged, match="unknown compression"):
        decoded_length(_stream(b"x", [Name("/BrotliDecode")]), MB)


def test_jpeg_is_checked_by_its_own_header_not_decoded() -> None:
    from PIL import Image

    jpeg = io.BytesIO()
    Image.new("RGB", (4000, 3000)).save(jpeg, "JPEG")
    stream = _stream(jpeg.getvalue(), [Name.DCTDecode], Subtype=Name.Image, Width=40, Height=30)
    stream.BitsPerComponent, stream.ColorSpace = 8, Name.DeviceRGB
    from cmpacket.intake._bounded import image_size

    assert image_size(stream, Caps()) == 4000 * 3000 * 3
    with pytest.raises(StreamTooLarge, match="4,000 × 3,000 pixels"):
        image_size(stream, Caps(image_megapixels=10))


# --- image files as uploads ----------------------------------------------------------------------


def png_of(width: int, height: int) -> bytes:
    """A greyscale PNG of width × height zeros, deflated row block by row block (a few hundred
    KB for 400 megapixels)."""
    import struct

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    c = zlib.compressobj(9)
    rows = bytes(width + 1) * 256
    idat = [c.compress(rows) for _ in range(height // 256)]
    idat += [c.compress(bytes(width + 1) * (height % 256)), c.flush()]
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", b"".join(idat))
        + chunk(b"IEND", b"")
    )


def jpeg_of(width: int, height: int) -> bytes:
    """A small real JPEG whose frame header declares width × height (a bomb's header: Pillow and
    every decoder read the size from there)."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (16, 16), "white").save(out, "JPEG")
    data = bytearray(out.getvalue())
    at = data.index(b"\xff\xc0")
    data[at + 5 : at + 9] = height.to_bytes(2, "big") + width.to_bytes(2, "big")
    return bytes(data)


def test_jpeg_of_declares_its_size() -> None:
    from PIL import Image

    Image.MAX_IMAGE_PIXELS, before = None, Image.MAX_IMAGE_PIXELS
    try:
        assert Image.open(io.BytesIO(jpeg_of(20000, 20000))).size == (20000, 20000)
    finally:
        Image.MAX_IMAGE_PIXELS = before


@pytest.mark.e2e
@pytest.mark.parametrize("kind", ["png", "jpg"])
def test_400_megapixel_image_upload_is_refused_in_bounded_memory(tmp_path: Path, kind: str) -> None:
    body = png_of(20000, 20000) if kind == "png" else jpeg_of(20000, 20000)
    assert len(body) < 2 * MB
    folder = with_upload(tmp_path, body, name=f"scan.{kind}")
    for command in ("validate", "build"):
        extra = ["-o", str(tmp_path / "out")] if command == "build" else []
        exit_code, output, peak = run_measured(command, folder, *extra)
        assert exit_code == 1 and "upload-too-large" in output and "pixels" in output, output
        assert "internal error" not in output and "Traceback" not in output, output
        assert peak < PEAK_MB, f"{command} peaked at {peak:.0f} MB"


def test_image_file_check_reads_the_header_only(tmp_path: Path) -> None:
    from cmpacket.intake import check_image_file

    big = tmp_path / "big.png"
    big.write_bytes(png_of(20000, 20000))
    (problem,) = check_image_file(big, None)
    assert problem[0] == "too-large" and "megapixel" in problem[1]
    jpeg = tmp_path / "big.jpg"
    jpeg.write_bytes(jpeg_of(20000, 20000))
    (problem,) = check_image_file(jpeg, None)
    assert problem[0] == "too-large" and "megapixel" in problem[1]
    jpeg.write_bytes(jpeg_of(10000, 9000))  # 90 MP: under Pillow's guard, over the 80 MP cap
    (problem,) = check_image_file(jpeg, None)
    assert problem == (
        "too-large",
        "an image of 10,000 × 9,000 pixels (90.0 megapixels) is over the 80-megapixel limit. "
        "Scan at a lower resolution (300 dpi is plenty) or raise limits.max_image_megapixels "
        "(--max-image-megapixels).",
    )
    small = tmp_path / "small.png"
    small.write_bytes(png_of(2550, 3300))  # 300 dpi letter
    assert check_image_file(small, None) == []


def test_self_referencing_forms_and_bogus_image_sizes_end_in_findings() -> None:
    pdf = pikepdf.new()
    for _ in range(2):
        pdf.add_blank_page()
    form = pdf.make_stream(b"/F0 Do", Type=Name.XObject, Subtype=Name.Form, BBox=[0, 0, 1, 1])
    form.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(F0=form))  # a loop
    pdf.pages[0].obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(F0=form))
    assert check_pages(pdf, None) == []
    image = pdf.make_stream(b"", Type=Name.XObject, Subtype=Name.Image, Width=-5, Height=7)
    pdf.pages[1].obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(I=image))
    ((kind, message),) = check_pages(pdf, None)
    assert kind == "unreadable"
    assert message.startswith("page 2: an image is damaged (it declares no usable size: width -5")
