"""Hostile packets in a reviewer's hands: each is made from a real built packet, and `verify`,
`inspect` and `diff` must end with a finding or a clean error, never an internal error, and stay
under 300 MB of memory (measured in a subprocess with `resource`, never timed)."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import tracemalloc
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from pikepdf import Array, Dictionary, Name

from cmpacket.pdfread import StreamTooLarge, decoded_chunks
from cmpacket.verify._manifest import ManifestInvalid, parse_manifest
from tests.conftest import ROOT, packet_of

pytestmark = pytest.mark.e2e

MB = 1 << 20
GiB = 1 << 30
MEMORY_CAP_MB = 300
# Runs one command in a child and reports the child's peak memory (this process's children
# include every builder and converter the session started, so measure in a fresh process).
MEASURE = (
    "import json, resource, subprocess, sys\n"
    "r = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
    "print(json.dumps({'code': r.returncode, 'out': r.stdout, 'err': r.stderr, 'peak_mb': peak}))\n"
)


def measured(*args: str | Path) -> dict[str, Any]:
    """`python -m cmpacket ARGS` in a subprocess: exit code, stdout, stderr and peak RSS in MB."""
    cmd = [sys.executable, "-c", MEASURE, sys.executable, "-m", "cmpacket", *map(str, args)]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=True)
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def flate_zeros(total: int, chunk: int = MB) -> bytes:
    """zlib data that inflates to `total` zero bytes, built in milliseconds whatever the size.

    Each full-flushed chunk of zeros compresses to the same bytes, so the stream is the first
    chunk, that block repeated, the remainder, and the Adler-32 of `total` zeros (a = 1,
    b = total mod 65521).
    """
    c = zlib.compressobj(9)
    first = c.compress(bytes(chunk)) + c.flush(zlib.Z_FULL_FLUSH)
    block = c.compress(bytes(chunk)) + c.flush(zlib.Z_FULL_FLUSH)
    assert c.compress(bytes(chunk)) + c.flush(zlib.Z_FULL_FLUSH) == block
    count, rest = divmod(total, chunk)
    tail = c.compress(bytes(rest)) + c.flush()
    adler = ((total % 65521) << 16) | 1
    return first + block * (count - 1) + tail[:-4] + adler.to_bytes(4, "big")


def test_flate_zeros_is_what_it_claims() -> None:
    for total in (3 * MB, 5 * MB + 123):
        assert zlib.decompress(flate_zeros(total)) == bytes(total)


@pytest.fixture(scope="module")
def packet(built: Path) -> Path:
    return packet_of(built)


def changed(packet: Path, dest: Path, change: Callable[[pikepdf.Pdf], None]) -> Path:
    """A copy of the packet changed with pikepdf (streams written as given, not re-encoded)."""
    with pikepdf.open(packet) as pdf:
        change(pdf)
        pdf.save(dest)
    return dest


def with_manifest(packet: Path, dest: Path, body: bytes) -> Path:
    """A copy of the packet whose embedded manifest.json holds `body`."""

    def swap(pdf: pikepdf.Pdf) -> None:
        pdf.attachments["manifest.json"].get_file().obj.write(body)

    return changed(packet, dest, swap)


def edited_manifest(packet: Path, dest: Path, edit: Callable[[dict[str, Any]], None]) -> Path:
    with pikepdf.open(packet) as pdf:
        manifest = json.loads(pdf.attachments["manifest.json"].get_file().read_bytes())
    edit(manifest)
    return with_manifest(packet, dest, json.dumps(manifest).encode())


def append_update(data: bytes, objects: dict[int, bytes], size: int | None = None) -> bytes:
    """An incremental update replacing `objects` (number -> body), as an editing tool writes one.

    qpdf normalizes some things on save (a page tree's /Count); an update keeps them as given.
    """
    with pikepdf.open(io.BytesIO(data)) as pdf:
        root = pdf.trailer.Root.objgen[0]
        size = size or max(int(pdf.trailer.Size), max(objects) + 1)
    prev = int(re.findall(rb"startxref\s+(\d+)", data)[-1])
    out = bytearray(data if data.endswith(b"\n") else data + b"\n")
    offsets = {}
    for num, body in sorted(objects.items()):
        offsets[num] = len(out)
        out += b"%d 0 obj\n" % num + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n"
    for num in sorted(offsets):
        out += b"%d 1\n%010d 00000 n \n" % (num, offsets[num])
    out += b"trailer\n<< /Size %d /Root %d 0 R /Prev %d >>\n" % (size, root, prev)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def codes(report: dict[str, Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for f in report["findings"]:
        out.setdefault(f["code"], []).append(f"{f['path']}: {f['message']}")
    return out


def verify_fails(target: Path, code: str, *extra: str | Path) -> list[str]:
    """verify exits 1 with finding `code`, cleanly and under the memory cap; returns its messages."""
    r = measured("verify", target, "--format", "json", *extra)
    assert "internal error" not in r["err"] and "Traceback" not in r["err"], r["err"]
    assert r["code"] == 1, (r["code"], r["err"], r["out"][:2000])
    found = codes(json.loads(r["out"]))
    assert code in found, found
    assert r["peak_mb"] < MEMORY_CAP_MB, r["peak_mb"]
    return found[code]


def clean(r: Any, allowed: tuple[int, ...]) -> None:
    assert r.code in allowed, (r.code, r.err)
    assert "internal error" not in r.err and "Traceback" not in r.err, r.err


# -- decompression bombs ----------------------------------------------------------------------


@pytest.mark.parametrize("size", [GiB, 10 * GiB], ids=["1GiB", "10GiB"])
def test_flate_bomb_in_a_content_stream(packet: Path, tmp_path: Path, size: int, cli: Any) -> None:
    def bomb(pdf: pikepdf.Pdf) -> None:
        stream = pdf.make_stream(b"")
        stream.write(flate_zeros(size), filter=Name.FlateDecode)  # zeros are PDF whitespace
        pdf.pages[5].contents_add(stream, prepend=True)

    target = changed(packet, tmp_path / "bomb.pdf", bomb)
    assert target.stat().st_size < 20 * MB
    (message,) = verify_fails(target, "packet-stream-too-large")
    assert message.startswith("page 6:") and "268,435,456" in message
    # inspect and diff read only the manifest, which is intact: a clean table, bounded memory
    r = measured("inspect", target)
    assert r["code"] == 0 and r["peak_mb"] < MEMORY_CAP_MB
    clean(cli("diff", packet, target), (0,))


@pytest.mark.parametrize("size", [GiB, 10 * GiB], ids=["1GiB", "10GiB"])
def test_flate_bomb_as_the_embedded_manifest(
    packet: Path, tmp_path: Path, size: int, cli: Any
) -> None:
    def bomb(pdf: pikepdf.Pdf) -> None:
        pdf.attachments["manifest.json"].get_file().obj.write(
            flate_zeros(size), filter=Name.FlateDecode
        )

    target = changed(packet, tmp_path / "bomb.pdf", bomb)
    (message,) = verify_fails(target, "manifest-invalid")
    assert "more than 16,777,216 bytes" in message
    r = measured("inspect", target)
    assert r["code"] == 2 and "manifest-invalid" in r["err"] and r["peak_mb"] < MEMORY_CAP_MB
    assert "internal error" not in r["err"]
    r2 = cli("diff", packet, target)
    clean(r2, (2,))
    assert "16,777,216" in r2.err


def test_400_megapixel_image(packet: Path, tmp_path: Path) -> None:
    width = height = 20_000

    def image(pdf: pikepdf.Pdf) -> None:
        rows = flate_zeros((width + 1) * height)  # PNG-style: a filter byte before each row
        img = pdf.make_stream(b"")
        img.write(
            rows,
            filter=Name.FlateDecode,
            decode_parms=Dictionary(Predictor=15, Colors=1, Columns=width, BitsPerComponent=8),
        )
        img.Type, img.Subtype = Name.XObject, Name.Image
        img.Width, img.Height, img.BitsPerComponent = width, height, 8
        img.ColorSpace = Name.DeviceGray
        page = pdf.pages[7]
        page.obj.Resources.XObject = page.obj.Resources.get("/XObject", Dictionary())
        page.obj.Resources.XObject.Bomb = img
        page.contents_add(pdf.make_stream(b"q 612 0 0 792 0 0 cm /Bomb Do Q"), prepend=True)

    target = changed(packet, tmp_path / "image.pdf", image)
    (message,) = verify_fails(target, "packet-image-too-large")
    assert (
        message.startswith("page 8:")
        and "20,000 x 20,000" in message
        and "400 megapixels" in message
    )


# -- hostile manifests ------------------------------------------------------------------------


def test_manifest_nested_100000_deep(packet: Path, tmp_path: Path, cli: Any) -> None:
    deep = b'{"packet": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    target = with_manifest(packet, tmp_path / "deep.pdf", deep)
    (message,) = verify_fails(target, "manifest-invalid")
    assert "more than 32 deep" in message
    r = cli("inspect", target)
    clean(r, (2,))
    assert "manifest-invalid" in r.err and "deep" in r.err
    clean(cli("diff", target, packet), (2,))


def test_deep_sidecar_is_a_finding(packet: Path, built: Path, tmp_path: Path) -> None:
    sidecar = tmp_path / "manifest.json"
    sidecar.write_text("[" * 100_000 + "]" * 100_000)
    messages = verify_fails(packet, "manifest-invalid", "--manifest", sidecar)
    assert any(m.startswith("sidecar manifest.json:") and "deep" in m for m in messages)


def test_manifest_with_wrong_types(packet: Path, tmp_path: Path, cli: Any) -> None:
    def edit(m: dict[str, Any]) -> None:
        m["packet"]["pages"] = "sixty-five"
        m["sections"][1]["documents"][0]["first_page"] = True
        m["agency"] = ["not", "an", "object"]
        m["data"]["staff"][0]["licenses"][0]["type"] = {"a": 1}

    target = edited_manifest(packet, tmp_path / "types.pdf", edit)
    messages = verify_fails(target, "manifest-invalid")
    text = "\n".join(messages)
    assert "packet.pages: 'sixty-five' is text; expected a whole number" in text
    assert "sections[1].documents[0].first_page: True is true/false" in text
    assert "agency: is not an object" in text
    assert "data.staff[0].licenses[0].type:" in text
    for args in (("inspect", target), ("diff", packet, target), ("diff", target, packet)):
        r = cli(*args)
        clean(r, (2,))
        assert "manifest-invalid" in r.err and "packet.pages" in r.err


def test_manifest_with_missing_keys(packet: Path, tmp_path: Path, cli: Any) -> None:
    def edit(m: dict[str, Any]) -> None:
        del m["sections"][2]["documents"][0]["content_sha256"]
        del m["packet"]["pages"]
        del m["data"]["staff"][1]["id"]

    target = edited_manifest(packet, tmp_path / "missing.pdf", edit)
    text = "\n".join(verify_fails(target, "manifest-invalid"))
    for path in ("sections[2].documents[0].content_sha256", "packet.pages", "data.staff[1].id"):
        assert f"{path}: is missing" in text
    clean(cli("inspect", target), (2,))
    clean(cli("diff", packet, target), (2,))


def test_manifest_that_is_not_an_object_or_not_json(packet: Path, tmp_path: Path, cli: Any) -> None:
    for i, body in enumerate([b"[1, 2, 3]", b'{"packet": ', b"\xff\xfe{}", b'{"a": NaN}']):
        target = with_manifest(packet, tmp_path / f"m{i}.pdf", body)
        r = cli("verify", target, "--format", "json")
        clean(r, (1,))
        assert codes(r.json()).keys() == {"manifest-invalid"}
        clean(cli("inspect", target), (2,))


def test_manifest_that_lies_about_page_ranges(packet: Path, tmp_path: Path, cli: Any) -> None:
    def shift(m: dict[str, Any]) -> None:  # move one page from a document to the one before it
        docs = m["sections"][1]["documents"]
        docs[0]["last_page"] += 1
        docs[1]["first_page"] += 1

    target = edited_manifest(packet, tmp_path / "shift.pdf", shift)
    found = verify_fails(target, "content-changed")
    assert len(found) == 2 and all(m.startswith("section A:") for m in found)

    def overlap(m: dict[str, Any]) -> None:  # one document claims the whole packet, many times
        doc = m["sections"][-1]["documents"][0]
        beyond = m["packet"]["pages"] + 7  # past the packet's last page, however long it grows
        m["sections"][-1]["documents"] += [dict(doc, first_page=1, last_page=65)] * 5000
        m["sections"][-1]["documents"] += [dict(doc, first_page=66, last_page=beyond)] * 5000
        m["packet"]["pages"] = 10_000_000

    target = edited_manifest(packet, tmp_path / "overlap.pdf", overlap)
    r = cli("verify", target, "--format", "json")
    clean(r, (1,))
    found_codes = codes(r.json())
    assert "section-range-mismatch" in found_codes and "page-count-mismatch" in found_codes
    assert any(
        "more documents are out of place" in m for m in found_codes["section-range-mismatch"]
    )
    missing = found_codes["content-changed"]  # 5,000 claims of missing pages, listed 50 at most
    assert len(missing) == 51 and missing[-1] == "packet: 4950 more like the above."
    clean(cli("inspect", target), (0,))


# -- hostile structure ------------------------------------------------------------------------


def test_truncated_packets(packet: Path, tmp_path: Path, cli: Any) -> None:
    body = packet.read_bytes()
    for i, end in enumerate([len(body) // 3, len(body) // 2, len(body) - 500]):
        target = tmp_path / f"cut{i}.pdf"
        target.write_bytes(body[:end])
        r = cli("verify", target, "--format", "json")
        clean(r, (1,))
        (message,) = codes(r.json())["packet-damaged"]
        assert "cut short (truncated)" in message
        clean(cli("inspect", target), (2,))
        clean(cli("diff", packet, target), (2,))


def test_stamp_text_5_mb_long(packet: Path, tmp_path: Path) -> None:
    def long_stamp(pdf: pikepdf.Pdf) -> None:
        last = pdf.pages[2].obj.Contents[-1]  # the stamp's own stream, 5 MB longer
        text = b" (Page 3 of 89 " + b"(" * 1000 + b"x" * (5 * MB) + b") Tj"
        last.write(last.read_bytes() + text)

    target = changed(packet, tmp_path / "stamp.pdf", long_stamp)
    messages = verify_fails(target, "stamp-wrong")
    assert any(m.startswith("page 3:") and "16,384" in m for m in messages)


def test_outline_pointing_outside_the_document(packet: Path, tmp_path: Path) -> None:
    def outside(pdf: pikepdf.Pdf) -> None:
        stray = pdf.make_indirect(Dictionary(Type=Name.Page, MediaBox=Array([0, 0, 612, 792])))
        first = pdf.Root.Outlines.First
        first.Dest = Array([stray, Name.Fit])
        first.Next.Dest = Array([999, Name.Fit])

    target = changed(packet, tmp_path / "outside.pdf", outside)
    messages = verify_fails(target, "outline-invalid")
    assert any("'Cover sheet'" in m and "does not point to a page" in m for m in messages)
    assert any("'Index'" in m for m in messages)


def test_outline_cycle(packet: Path, tmp_path: Path, cli: Any) -> None:
    def cycle(pdf: pikepdf.Pdf) -> None:
        outlines = pdf.Root.Outlines
        outlines.Last.Next = outlines.First  # siblings loop
        section = outlines.First
        while "/First" not in section:
            section = section.Next
        section.First.First = outlines.First  # and a child points back to the top
        section.First.Last = outlines.First

    target = changed(packet, tmp_path / "cycle.pdf", cycle)
    messages = verify_fails(target, "outline-invalid")
    assert sum("(a cycle)" in m for m in messages) == 2
    clean(cli("inspect", target), (0,))


def test_page_tree_loop(packet: Path, tmp_path: Path, cli: Any) -> None:
    target = changed(
        packet, tmp_path / "loop.pdf", lambda pdf: pdf.Root.Pages.Kids.append(pdf.Root.Pages)
    )
    (message,) = verify_fails(target, "page-tree-invalid")
    assert "Loop detected in /Pages structure" in message and "<_io" not in message
    r = cli("inspect", target, "--format", "json")  # the manifest is still readable
    clean(r, (0,))
    with pikepdf.open(packet) as pdf:
        assert r.json()["packet"]["pages"] == len(pdf.pages)


def test_huge_page_count(packet: Path, tmp_path: Path) -> None:
    data = packet.read_bytes()
    with pikepdf.open(packet) as pdf:
        pages = pdf.Root.Pages
        num, body = pages.objgen[0], pages.unparse(resolved=True)
    body = re.sub(rb"/Count \d+", b"/Count 2147483647", body)
    target = tmp_path / "count.pdf"
    target.write_bytes(append_update(data, {num: body}))
    (message,) = verify_fails(target, "page-tree-invalid")
    with pikepdf.open(packet) as pdf:
        assert "2147483647" in message and f"it holds {len(pdf.pages)}" in message


def test_absurd_object_count(packet: Path, tmp_path: Path) -> None:
    data = packet.read_bytes()
    with pikepdf.open(packet) as pdf:
        num, body = pdf.Root.objgen[0], pdf.Root.unparse(resolved=True)
    target = tmp_path / "objects.pdf"
    target.write_bytes(append_update(data, {num: body}, size=2_000_000_000))
    (message,) = verify_fails(target, "packet-too-large")
    assert "2,000,000,000 objects" in message


def test_damaged_content_stream(packet: Path, tmp_path: Path) -> None:
    def damage(pdf: pikepdf.Pdf) -> None:
        stream = pdf.pages[10].obj.Contents[2]
        raw = bytearray(stream.read_raw_bytes())
        raw[2:12] = b"\xff" * 10  # right after the zlib header: an invalid block type
        stream.write(bytes(raw), filter=Name.FlateDecode)

    target = changed(packet, tmp_path / "damaged.pdf", damage)
    found = verify_fails(target, "page-unreadable")
    assert found[0].startswith("page 11:") and "Flate data is damaged" in found[0]


# -- the bounded readers themselves -----------------------------------------------------------


def test_bounded_parse_refuses_before_building_anything() -> None:
    with pytest.raises(ManifestInvalid, match="values"):
        parse_manifest(b"[" + b"0," * 1_100_000 + b"0]")
    with pytest.raises(ManifestInvalid, match="bytes"):
        parse_manifest(b" " * (17 * MB))
    with pytest.raises(ManifestInvalid, match="deep"):  # brackets inside strings do not count
        parse_manifest(b'{"a": "' + b"[" * 100 + b'", "b": ' + b"[" * 40 + b"]" * 40 + b"}")


def test_a_manifest_of_many_lines_is_scanned_a_window_at_a_time() -> None:
    """Windows end at line ends (no JSON string holds a raw newline): a string full of brackets
    in one window does not count, nesting that goes too deep three windows on is found where it
    is (its character in the text), and the scan holds about a window's pieces, not the whole
    text's."""
    from cmpacket.verify._limits import DEFAULT_LIMITS
    from cmpacket.verify._manifest import WINDOW, _prescan

    lines = [f'  "k{i:07d}": "[[[[{{{{{{{{ a string, with, commas ]]]]",' for i in range(120_000)]
    deep = "[" * 40 + "0" + "]" * 40
    text = "{\n" + "\n".join(lines) + '\n  "deep": ' + deep + "\n}"
    assert len(text) > 3 * WINDOW
    tracemalloc.start()
    try:
        with pytest.raises(ManifestInvalid, match="deep") as exc:
            _prescan(text, DEFAULT_LIMITS)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    found = re.search(r"at character ([\d,]+)", str(exc.value))
    assert found is not None
    at = int(found.group(1).replace(",", ""))
    assert text[at] == "[" and text[:at].endswith('"deep": ' + "[" * (at - text.index(deep)))
    assert peak < len(text), f"the scan held {peak / len(text):.1f} times the text"
    shallow = text.replace(deep, "[[0]]")  # 120,000 values and commas in strings: accepted
    _prescan(shallow, DEFAULT_LIMITS)


def test_decoding_stops_at_the_cap_and_matches_qpdf_below_it() -> None:
    pdf = pikepdf.new()
    stream = pdf.make_stream(b"")
    stream.write(flate_zeros(64 * MB), filter=Name.FlateDecode)
    with pytest.raises(StreamTooLarge):
        for _ in decoded_chunks(stream, 8 * MB):
            pass
    assert b"".join(decoded_chunks(stream, 64 * MB)) == bytes(stream.read_bytes())
    # a broken checksum and trailing bytes are ignored, as qpdf ignores them
    body = zlib.compress(b"BT (x) Tj ET " * 1000)[:-4] + b"\0\0\0\0 trailing"
    stream.write(body, filter=Name.FlateDecode)
    assert b"".join(decoded_chunks(stream, MB)) == bytes(stream.read_bytes())


def _digest_as_released(page: pikepdf.Page) -> str:
    """page_digest as release 1 defined it: content streams decoded whole by qpdf."""
    import contextlib
    import hashlib

    h = hashlib.sha256()
    obj = page.obj
    for key in ("/MediaBox", "/CropBox", "/Rotate"):
        value = obj.get(key)
        shown = repr([float(v) for v in value]) if isinstance(value, Array) else str(value)
        h.update(key.encode() + shown.encode())
    contents = obj.get("/Contents")
    streams = list(contents) if isinstance(contents, Array) else [contents] if contents else []
    for stream in streams:
        h.update(b"C")
        h.update(stream.read_bytes())
    resources = obj.get("/Resources")
    xobjects = resources.get("/XObject") if isinstance(resources, Dictionary) else None
    if isinstance(xobjects, Dictionary):
        for name in sorted(xobjects.keys()):
            h.update(name.encode())
            with contextlib.suppress(pikepdf.PdfError, AttributeError):
                h.update(xobjects[name].read_raw_bytes())
    return h.hexdigest()


def test_chunked_page_digest_is_the_released_digest(packet: Path) -> None:
    from cmpacket.pdfread import page_digest
    from tests.conftest import CORPUS

    files = [packet, *(p for p in sorted(CORPUS.glob("*.pdf")) if "password" not in p.name)]
    checked = 0
    for path in files:
        with pikepdf.open(path) as pdf:
            for page in pdf.pages:
                try:
                    want = _digest_as_released(page)
                except pikepdf.PdfError:
                    continue  # a stream qpdf cannot decode either
                # version 1: the released digest, which verify still applies to older packets
                got = page_digest(page, 256 * MB, 512 * MB, version=1)
                assert got == want, (path.name, page.index)
                checked += 1
    assert checked > 65


def test_the_manifest_fast_check_accepts_nothing_the_schema_refuses(built: Path) -> None:
    """`check_manifest` answers a valid manifest without marshmallow's per-field work; every
    field of a real manifest replaced by each wrong kind of value, or deleted, must still be
    refused exactly when the schema (marshmallow) refuses it, with the schema's words."""
    from cmpacket.verify._manifest import _SCHEMA, check_manifest

    original = json.loads((built / "manifest.json").read_text())
    assert check_manifest(json.loads(json.dumps(original))) == original

    def paths(value: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        found = [at] if at else []
        if isinstance(value, dict):
            for key, inner in value.items():
                found += paths(inner, (*at, key))
        elif isinstance(value, list):
            for i, inner in enumerate(value[:1]):  # the first of each list: every field kind
                found += paths(inner, (*at, i))
        return found

    replacements: list[Any] = [None, True, -1, "x", [], {}]
    tried = refused = 0
    for path in paths(original):
        for new in [*replacements, KeyError]:
            m = json.loads(json.dumps(original))
            parent = m
            for key in path[:-1]:
                parent = parent[key]
            if new is KeyError:
                del parent[path[-1]]
            else:
                parent[path[-1]] = new
            errors = _SCHEMA.validate(m)
            tried += 1
            try:
                check_manifest(m)
            except ManifestInvalid as exc:
                refused += 1
                assert errors, (path, new, exc.problems)
            else:
                assert not errors, (path, new, errors)
    assert tried > 600 and 0 < refused < tried


def test_an_unterminated_string_of_escaped_quotes_is_refused_at_once() -> None:
    """`"\\"\\"\\"...`: the prescan's string pattern started again at every quote inside it, in
    time quadratic in the length (60 KB: 13 s; 1 MB: about 40 minutes) before JSON could refuse
    it. It is refused as not JSON; the child is given a minute, a thousand times what it needs."""
    code = (
        "from cmpacket.verify._manifest import parse_manifest, ManifestInvalid\n"
        "try:\n    parse_manifest(b'\"' + b'\\\\\"' * 200_000)\n"
        "except ManifestInvalid as exc:\n    print(exc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert "not valid JSON" in done.stdout and "Unterminated string" in done.stdout
