"""Black-box fuzz corpus: seeded hostile inputs on both sides, run through the real `cmpacket`.

The agency side copies sample_inputs/prairie-care and mutates it (agency.yaml fields and bytes, a
staff.csv, the uploads, the response to the Department in responses/rfi-2027-01/), then runs
`cmpacket validate` on every case and `cmpacket build --draft` (and `respond --draft` where the
response was mutated) on every BUILD_EVERY-th. The packet side builds the sample once, mutates the
packet (bytes flipped, cut, spliced or truncated; objects swapped; manifest fields replaced; an
incremental update appended; another agency's manifest) and adds a fixed set of hostile packets,
then runs `verify`, `inspect` and `diff` on each.

Every run is the console script in its own process group, with a timeout; recorded: exit code,
whether stderr holds "internal error" or "Traceback", wall time, peak RSS (the largest process of
the tree, from wait4's rusage, and the sum over the tree, sampled from /proc every 50 ms), the
sha256 of every input file before and after (the tool must never alter its inputs) and whether
a work folder was left in TMPDIR.

    python benchmarks/fuzz.py --seed 2026 --cases 200 --packet-cases 120 --jobs 2 --out /tmp/fuzz
    python benchmarks/fuzz.py --summarize --out /tmp/fuzz      # the report again
    # what CI runs (tests/hostile/test_fuzz_corpus.py):
    python benchmarks/fuzz.py --seed 27 --cases 8 --packet-cases 6 --hostile 2 --out /tmp/fuzz-ci

Prints an exit-code histogram per command and the failures; exits 1 if any run had an internal
error, an exit code outside 0/1/2, a timeout, or altered an input. Results are also written to
OUT/results.jsonl (one line per run) and OUT/summary.json.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import hashlib
import io
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pikepdf
import yaml
from pikepdf import Array, Dictionary, Name

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_inputs" / "prairie-care"
RESPONSE = "responses/rfi-2027-01"
BASE_NAME = "prairie-care-coordination-inc-packet.pdf"
EPOCH = "1767225600"
MB = 1 << 20
OK_CODES = (0, 1, 2)


def cmpacket_command() -> list[str]:
    """The installed console script (next to this interpreter, else on PATH)."""
    beside = Path(sys.executable).parent / "cmpacket"
    if beside.exists():
        return [str(beside)]
    found = shutil.which("cmpacket")
    if found is None:
        raise SystemExit("fuzz: the cmpacket console script is not installed (pip install -e .)")
    return [found]


# ---------------------------------------------------------------------------------------------
# hostile values


def flate_zeros(total: int) -> bytes:
    """zlib data inflating to `total` (a multiple of 1 MiB) zero bytes, made in milliseconds."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    piece = c.compress(bytes(MB)) + c.flush(zlib.Z_FULL_FLUSH)
    body = piece * (total // MB) + c.flush()
    adler = ((total % 65521) << 16) | 1
    return b"\x78\xda" + body + adler.to_bytes(4, "big")


def bomb_pdf(total: int) -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    stream = pikepdf.Stream(pdf, b"")
    stream.write(flate_zeros(total), filter=Name.FlateDecode)
    pdf.pages[0].obj.Contents = pdf.make_indirect(stream)
    buf = io.BytesIO()
    pdf.save(buf)
    return buf.getvalue()


def jpeg_bytes(rng: random.Random) -> bytes:
    from PIL import Image

    img = Image.new(
        "RGB", (rng.randint(8, 400), rng.randint(8, 400)), (rng.randint(0, 255), 90, 40)
    )
    buf = io.BytesIO()
    img.save(buf, "JPEG")
    return buf.getvalue()


# a marker replaced in the dumped YAML by raw text PyYAML could not emit itself
RAW = "\x00fuzz-raw-{}\x00"


def laughs(levels: int = 9) -> str:
    """A flow sequence of nine anchored lists, each nine aliases of the one before: 9**9 values
    once expanded (the billion laughs), a few hundred bytes as written."""
    items = ["&l0 [" + ", ".join(["lol"] * 9) + "]"]
    for n in range(1, levels):
        items.append(f"&l{n} [" + ", ".join([f"*l{n - 1}"] * 9) + "]")
    return "[" + ", ".join(items) + "]"


def hostile_value(rng: random.Random, raws: list[str]) -> tuple[str, Any]:
    """(what it is, the value); raw YAML text is returned as a marker and listed in `raws`."""

    def raw(text: str) -> str:
        raws.append(text)
        return RAW.format(len(raws) - 1)

    depth = rng.choice([64, 1000, 20000])
    kinds: list[tuple[str, Callable[[], Any]]] = [
        ("int", lambda: rng.choice([0, 1, 42, 10**30])),
        ("negative", lambda: rng.choice([-1, -0.5, -(10**18), -999999])),
        ("float", lambda: rng.choice([3.5, 1e308, float("inf"), float("-inf")])),
        ("nan", lambda: float("nan")),
        ("bool", lambda: rng.choice([True, False])),
        ("null", lambda: None),
        ("list", lambda: rng.choice([[], [1, "a", None], [{"x": 1}]])),
        ("mapping", lambda: rng.choice([{}, {"unexpected": 1}, {"file": 3}])),
        ("huge string", lambda: raw("A" * rng.choice([70_000, 1_000_000, 5_000_000]))),
        ("control chars", lambda: rng.choice(["a\x00b", "\x1b[2J\x1b]0;owned\x07", "x\r\ny",
                                               "\u202eevil", "\ufeffbom", "tab\there", "\x7f"])),
        ("NUL", lambda: "nul\x00" * rng.randint(1, 3)),
        ("lone surrogate", lambda: rng.choice(["\ud800", "ok \udfff ok", "\udc80\udc81"])),
        ("bad date", lambda: rng.choice(["02/30/2025", "2025-02-30", "31/12/2024", "1/2/24",
                                         "0000-01-01", "9999-12-31", "yesterday", 20250230,
                                         "2025-13-01", "2025-01-01T25:61:00Z"])),
        ("far date", lambda: raw(rng.choice(["0001-01-01", "9999-12-31", "1900-02-28"]))),
        ("timestamp", lambda: raw("2025-01-01T10:00:00Z")),
        ("deep nesting", lambda: raw("[" * depth + "]" * depth)),
        ("deep mapping", lambda: raw("{a: " * depth + "1" + "}" * depth)),
        ("python tag", lambda: raw("!!python/object/apply:os.system ['true']")),
        ("binary tag", lambda: raw("!!binary aGVsbG8=")),
        ("alias bomb", lambda: raw(laughs())),
        ("unicode", lambda: rng.choice(["名前", "ⅣⅤ", "\u0301" * 50, "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "e\u0301" * 10])),
        ("path escape", lambda: rng.choice(["../../etc/passwd", "/etc/shadow", "~/x.pdf",
                                            "uploads/../../outside.pdf", "C:\\x.pdf", ""])),
    ]  # fmt: skip
    name, make = rng.choice(kinds)
    return name, make()


def walk(
    value: Any, path: tuple[Any, ...] = (), seen: set[int] | None = None
) -> list[tuple[Any, ...]]:
    """Every path into `value`; a list or mapping reached again (a YAML alias) is not entered
    again, so an alias bomb read back is walked in its written size."""
    seen = set() if seen is None else seen
    out = [path]
    if isinstance(value, dict | list):
        if id(value) in seen:
            return out
        seen.add(id(value))
    if isinstance(value, dict):
        for key, item in value.items():
            out += walk(item, (*path, key), seen)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            out += walk(item, (*path, i), seen)
    return out


def _get(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        data = data[part]
    return data


def set_path(data: Any, path: tuple[Any, ...], value: Any) -> None:
    for part in path[:-1]:
        data = data[part]
    data[path[-1]] = value


def dump(data: Any, raws: list[str]) -> bytes:
    """YAML with every non-ASCII or non-printable character escaped (so lone surrogates and NUL
    survive), then the raw markers substituted."""
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=False, width=1 << 30)
    for i, piece in enumerate(raws):
        marker = yaml.safe_dump(RAW.format(i), allow_unicode=False).removesuffix("\n...\n")
        text = text.replace(marker.strip(), piece)
    return text.encode()


def mutate_yaml(path: Path, rng: random.Random, notes: list[str], *, key: str = "") -> None:
    """Field mutations (1-3 fields replaced by hostile values, or deleted), or byte mutations."""
    raw_bytes = path.read_bytes()
    if rng.random() < 0.2:
        kind = rng.choice(["flip", "truncate", "invalid utf-8", "nul byte", "utf-16", "empty",
                           "not a mapping", "duplicate key", "two documents", "bom", "tab indent"])  # fmt: skip
        body = bytearray(raw_bytes)
        if kind == "flip":
            for _ in range(rng.randint(1, 20)):
                body[rng.randrange(len(body))] = rng.randrange(256)
        elif kind == "truncate":
            del body[rng.randrange(len(body)) :]
        elif kind == "invalid utf-8":
            at = rng.randrange(len(body))
            body[at:at] = rng.choice([b"\xff\xfe", b"\xc3", b"\xed\xa0\x80", b"\x80"])
        elif kind == "nul byte":
            at = rng.randrange(len(body))
            body[at:at] = b"\x00"
        elif kind == "utf-16":
            body = bytearray(raw_bytes.decode().encode("utf-16"))
        elif kind == "empty":
            body = bytearray()
        elif kind == "not a mapping":
            body = bytearray(rng.choice([b"- a\n- b\n", b"42\n", b"null\n", b'"text"\n', b"[]"]))
        elif kind == "duplicate key":
            first = raw_bytes.split(b"\n")
            lines = [ln for ln in first if re.match(rb"^[a-z_]+:", ln)]
            body += b"\n" + (rng.choice(lines) if lines else b"a: 1") + b"\n"
        elif kind == "two documents":
            body += b"\n---\nschema_version: 2\n"
        elif kind == "bom":
            body[0:0] = b"\xef\xbb\xbf"
        else:
            body = bytearray(raw_bytes.replace(b"\n  ", b"\n\t", 3))
        path.write_bytes(bytes(body))
        notes.append(f"{key}{path.name} bytes: {kind}")
        return
    try:
        data = yaml.safe_load(raw_bytes)
    except (yaml.YAMLError, UnicodeDecodeError, RecursionError):
        data = None  # an earlier mutation made it unreadable: mutate its bytes again
    try:
        paths = [p for p in walk(data) if p]
    except RecursionError:  # an earlier mutation nested it deeper than Python recurses
        paths = []
    if not paths:
        path.write_bytes(raw_bytes + b"\n\x00" + bytes(rng.randbytes(8)))
        notes.append(f"{key}{path.name} bytes: appended garbage")
        return
    raws: list[str] = []
    for _ in range(rng.randint(1, 3)):
        target = rng.choice(paths)
        try:
            if rng.random() < 0.15 and isinstance(target[-1], str):
                parent = data
                for part in target[:-1]:
                    parent = parent[part]
                del parent[target[-1]]
                notes.append(f"{key}{'.'.join(map(str, target))}: deleted")
            else:
                what, value = hostile_value(rng, raws)
                set_path(data, target, value)
                notes.append(f"{key}{'.'.join(map(str, target))}: {what}")
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation replaced this path
    path.write_bytes(dump(data, raws))


# ---------------------------------------------------------------------------------------------
# the agency side


def uploads_of(folder: Path) -> list[Path]:
    return sorted(p for p in (folder / "uploads").rglob("*.pdf") if p.is_file())


def mutate_upload(folder: Path, rng: random.Random, notes: list[str], outside: Path) -> None:
    target = rng.choice(uploads_of(folder))
    rel = target.relative_to(folder).as_posix()
    kinds = ["flip", "flip-stream", "truncate", "zero-length", "bomb-lite", "jpeg-in-pdf",
             "symlink-outside", "symlink-dangling", "symlink-loop", "control-chars-path",
             "directory", "fifo", "sparse-huge", "garbage", "splice", "encrypted", "javascript",
             "many-pages"]  # fmt: skip
    kind = rng.choice(kinds)
    body = bytearray(target.read_bytes())
    if kind == "flip":
        for _ in range(rng.randint(1, 30)):
            body[rng.randrange(len(body))] ^= 1 << rng.randrange(8)
    elif kind == "flip-stream":
        starts = [m.end() for m in re.finditer(rb"stream\r?\n", body)]
        for _ in range(rng.randint(1, 5)):
            at = min(rng.choice(starts) + rng.randint(0, 200), len(body) - 1)
            body[at] ^= 1 << rng.randrange(8)
    elif kind == "truncate":
        del body[rng.randrange(1, len(body)) :]
    elif kind == "zero-length":
        body = bytearray()
    elif kind == "bomb-lite":
        body = bytearray(bomb_pdf(rng.choice([96, 256, 1024]) * MB))
    elif kind == "jpeg-in-pdf":
        body = bytearray(jpeg_bytes(rng))
    elif kind == "garbage":
        body = bytearray(rng.randbytes(rng.randint(1, 5000)))
    elif kind == "splice":
        for _ in range(rng.randint(1, 5)):
            at = rng.randrange(len(body))
            body[at:at] = rng.randbytes(rng.randint(1, 64))
    elif kind == "encrypted":
        with pikepdf.open(io.BytesIO(bytes(body))) as pdf:
            buf = io.BytesIO()
            user = rng.choice(["", "secret"])
            pdf.save(buf, encryption=pikepdf.Encryption(user=user, owner="owner"))
        body = bytearray(buf.getvalue())
    elif kind == "javascript":
        with pikepdf.open(io.BytesIO(bytes(body))) as pdf:
            pdf.Root.OpenAction = Dictionary(S=Name.JavaScript, JS=pikepdf.String("app.alert(1)"))
            buf = io.BytesIO()
            pdf.save(buf)
        body = bytearray(buf.getvalue())
    elif kind == "many-pages":
        with pikepdf.open(io.BytesIO(bytes(body))) as pdf:
            for _ in range(rng.choice([300, 3000])):
                pdf.pages.append(pdf.pages[0])
            buf = io.BytesIO()
            pdf.save(buf)
        body = bytearray(buf.getvalue())
    if kind.startswith("symlink") or kind in ("directory", "fifo", "sparse-huge"):
        target.unlink()
        if kind == "symlink-outside":
            secret = outside / f"{folder.name}-outside.pdf"
            shutil.copy(uploads_of(folder)[0], secret)
            target.symlink_to(secret)
        elif kind == "symlink-dangling":
            target.symlink_to(outside / "does-not-exist.pdf")
        elif kind == "symlink-loop":
            target.symlink_to(target.name)
        elif kind == "directory":
            target.mkdir()
            (target / "inner.pdf").write_bytes(b"%PDF-1.4\n")
        elif kind == "fifo":
            os.mkfifo(target)
        else:
            with target.open("wb") as fh:  # sparse: 300 MB on paper, nothing on disk
                fh.truncate(300 * MB)
    elif kind == "control-chars-path":
        name = rng.choice(["ctl\x01name.pdf", "esc\x1b[31mred.pdf", "nl\nname.pdf", "del\x7f.pdf"])
        (target.parent / name).write_bytes(bytes(body))
        try:  # the field naming this upload now names the new file
            data = yaml.safe_load((folder / "agency.yaml").read_bytes())
            where = [p for p in walk(data) if p and _get(data, p) == rel]
        except (
            yaml.YAMLError,
            UnicodeDecodeError,
            RecursionError,
            TypeError,
            KeyError,
            IndexError,
        ):
            where = []
        if where:
            set_path(data, where[0], f"{target.parent.relative_to(folder).as_posix()}/{name}")
            (folder / "agency.yaml").write_bytes(dump(data, []))
    else:
        target.write_bytes(bytes(body))
    notes.append(f"{rel}: {kind}")


CSV_HEADER = (
    "id,name,position,hire_date,fte,license1_type,license1_number,license1_expires,license1_file"
)


def add_staff_csv(folder: Path, rng: random.Random, notes: list[str]) -> None:
    """The sample keeps its roster in agency.yaml: add a staff.csv of two more people, one cell
    (or the file's bytes) hostile."""
    rows = [
        ["S-100", "Jo Park", "case-manager", "2024-01-02", "1.0", "LSW", "150.1", "2027-11-30",
         "uploads/lopez-lsw.pdf"],
        ["S-101", "Ann Lee", "intake-coordinator", "03/04/2023", "0.5", "", "", "", ""],
    ]  # fmt: skip
    kind = rng.choice(["cell", "cell", "cell", "unknown column", "ragged", "quote", "bytes",
                       "many columns", "many rows", "duplicate id", "bom"])  # fmt: skip
    header = CSV_HEADER
    if kind == "cell":
        row, col = rng.randrange(2), rng.randrange(len(rows[0]))
        value = rng.choice(["02/30/2025", "31/12/2024", "1/2/24", "-3", "1e400", "nan", "A" * 200_000,
                            "x\x00y", "=cmd|' /C calc'!A0", "\x1b[2J", "../../etc/passwd", "", "  ",
                            "2025-02-30", "S-001", "𝔘", "\ud800"])  # fmt: skip
        rows[row][col] = value
        notes.append(f"staff.csv[{row + 2}][{header.split(',')[col]}]: {value[:20]!r}")
    elif kind == "unknown column":
        header += ",licence1_numbr"
        rows = [r + ["x"] for r in rows]
    elif kind == "ragged":
        rows[0] = rows[0][:3]
        rows[1] = rows[1] + ["extra", "more"]
    elif kind == "many columns":
        header += "".join(f",training{n}_date,training{n}_hours" for n in range(1, 2001))
        rows = [r + ["2026-01-01", "1"] * 2000 for r in rows]
    elif kind == "many rows":
        rows = [
            [f"S-{n:05}", f"P {n}", "case-manager", "2024-01-02", "1"] + [""] * 4
            for n in range(25_000)
        ]
    elif kind == "duplicate id":
        rows[1][0] = "S-004"
    text = header + "\n" + "\n".join(",".join(r) for r in rows) + "\n"
    if kind == "quote":
        text = text.replace("Jo Park", '"Jo Park', 1)
    raw = text.encode("utf-8", "surrogatepass")
    if kind == "bytes":
        raw = raw.replace(b"Ann", b"\xff\xfeAnn", 1)
    elif kind == "bom":
        raw = b"\xef\xbb\xbf" + raw
    (folder / "staff.csv").write_bytes(raw)
    if kind != "cell":
        notes.append(f"staff.csv: {kind}")


def mutate_response(
    folder: Path, rng: random.Random, notes: list[str], base: Path, outside: Path
) -> None:
    response = folder / RESPONSE / "response.yaml"
    kind = rng.choice(["fields", "fields", "base", "base", "exhibit", "gone"])
    if kind == "fields":
        mutate_yaml(response, rng, notes, key="response:")
    elif kind == "exhibit":
        pdfs = sorted((folder / RESPONSE).glob("*.pdf"))
        target = rng.choice(pdfs)
        body = bytearray(target.read_bytes())
        how = rng.choice(["flip", "truncate", "zero", "jpeg"])
        if how == "flip":
            for _ in range(rng.randint(1, 20)):
                body[rng.randrange(len(body))] ^= 0xFF
        elif how == "truncate":
            del body[rng.randrange(len(body)) :]
        elif how == "zero":
            body = bytearray()
        else:
            body = bytearray(jpeg_bytes(rng))
        target.write_bytes(bytes(body))
        notes.append(f"{RESPONSE}/{target.name}: {how}")
    elif kind == "gone":
        how = rng.choice(["deleted", "empty", "directory"])
        response.unlink()
        if how == "empty":
            response.write_bytes(b"")
        elif how == "directory":
            response.mkdir()
        notes.append(f"{RESPONSE}/response.yaml: {how}")
    else:
        # the base the response follows: present (a built packet), then pointed elsewhere
        (folder / "out").mkdir(exist_ok=True)
        shutil.copy(base, folder / "out" / BASE_NAME)
        how = rng.choice(["not a packet", "agency.yaml", "dev-zero", "outside", "directory",
                          "absolute", "nul", "huge", "mutated packet", "manifest.json", "itself",
                          "missing"])  # fmt: skip
        value: str
        if how == "not a packet":
            value = "uploads/articles.pdf"
        elif how == "agency.yaml":
            value = "agency.yaml"
        elif how == "dev-zero":
            value = "/dev/zero"
        elif how == "outside":
            value = "../../../../etc/passwd"
        elif how == "directory":
            value = "out"
        elif how == "absolute":
            value = str(outside / "absent-packet.pdf")
        elif how == "nul":
            value = "out/prairie\x00.pdf"
        elif how == "huge":
            value = "out/" + "a" * 100_000 + ".pdf"
        elif how == "mutated packet":
            body = bytearray(base.read_bytes())
            for _ in range(rng.randint(1, 10)):
                body[rng.randrange(len(body))] ^= 1 << rng.randrange(8)
            (folder / "out" / BASE_NAME).write_bytes(bytes(body))
            value = f"out/{BASE_NAME}"
        elif how == "manifest.json":
            (folder / "out" / "manifest.json").write_text('{"sections": 1, "lifecycle": []}')
            value = "out/manifest.json"
        elif how == "itself":
            value = f"{RESPONSE}/response.yaml"
        else:
            value = "out/missing.pdf"
        try:
            data = yaml.safe_load(response.read_bytes())
        except (yaml.YAMLError, UnicodeDecodeError, RecursionError):
            data = None
        if not isinstance(data, dict):
            data = {}
        data["base"] = value
        response.write_bytes(dump(data, []))
        notes.append(f"response base: {how}")


@dataclass
class Case:
    side: str
    name: str
    notes: list[str]
    inputs: list[Path]  # files and folders whose every file must be unchanged
    commands: list[tuple[str, list[str]]]  # (label, arguments after `cmpacket`)
    outputs: list[Path] = field(default_factory=list)  # removed after the case


def agency_case(i: int, seed: int, root: Path, base: Path, build_every: int, ocr: str) -> Case:
    rng = random.Random(f"{seed}:agency:{i}")
    name = f"agency-{i:04}"
    folder = root / "agency" / name
    outside = root / "outside" / name  # a case's own: runs in parallel never see another's
    outside.mkdir(parents=True, exist_ok=True)
    shutil.copytree(SAMPLE, folder, ignore=shutil.ignore_patterns("out"), symlinks=True)
    notes: list[str] = []
    sides = rng.choices(
        ["yaml", "upload", "response", "csv"], weights=[5, 4, 2, 1], k=rng.randint(1, 2)
    )
    for what in sides:
        if what == "yaml":
            mutate_yaml(folder / "agency.yaml", rng, notes)
        elif what == "upload":
            mutate_upload(folder, rng, notes, outside)
        elif what == "response":
            mutate_response(folder, rng, notes, base, outside)
        else:
            add_staff_csv(folder, rng, notes)
    commands = [("validate", ["validate", str(folder), "--ocr", ocr])]
    outputs = []
    if build_every and i % build_every == 0:
        out = root / "built" / name
        commands.append(
            ("build --draft", ["build", str(folder), "-o", str(out), "--draft", "--ocr", ocr])
        )
        outputs.append(out)
        if "response" in sides and (folder / "out" / BASE_NAME).exists():
            rout = root / "built" / f"{name}-respond"
            commands.append(
                (
                    "respond --draft",
                    ["respond", str(folder), "rfi-2027-01", "-o", str(rout), "--draft"],
                )
            )
            outputs.append(rout)
    return Case("agency", name, notes, [folder, outside], commands, outputs)


# ---------------------------------------------------------------------------------------------
# the packet side


def saved(pdf: pikepdf.Pdf, **kw: Any) -> bytes:
    buf = io.BytesIO()
    pdf.save(buf, **kw)
    return buf.getvalue()


def append_update(data: bytes, objects: dict[int, bytes]) -> bytes:
    """An incremental update replacing `objects` (number -> body), as an editing tool writes one."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        root = pdf.trailer.Root.objgen[0]
        size = max(int(pdf.trailer.Size), max(objects) + 1)
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


def manifest_of(pdf: pikepdf.Pdf) -> Any:
    return json.loads(pdf.attachments["manifest.json"].get_file().read_bytes())


def with_manifest_body(data: bytes, body: bytes) -> bytes:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        pdf.attachments["manifest.json"].get_file().obj.write(body)
        return saved(pdf)


JSON_HOSTILE: list[Any] = [None, True, 0, -1, 10**30, 1.5e308, "", "x" * 100_000, "\ud800",
                           "\x1b[2J", [], {}, [1, [2, [3]]], {"a": None}, "../../etc/passwd",
                           "2025-02-30", -(10**18)]  # fmt: skip


def mutate_packet(
    data: bytes, foreign: Callable[[], bytes], rng: random.Random, notes: list[str]
) -> bytes:
    kind = rng.choice(["flip", "truncate", "cut", "splice", "swap", "manifest", "manifest",
                       "update", "foreign manifest"])  # fmt: skip
    body = bytearray(data)
    if kind == "flip":
        for _ in range(rng.randint(1, 16)):
            body[rng.randrange(len(body))] ^= 1 << rng.randrange(8)
    elif kind == "truncate":
        del body[rng.randrange(len(body)) :]
    elif kind == "cut":
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(len(body))
            del body[at : at + rng.randint(1, 4000)]
    elif kind == "splice":
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(len(body))
            body[at:at] = rng.randbytes(rng.randint(1, 64))
    elif kind == "swap":
        with pikepdf.open(io.BytesIO(data)) as pdf:
            ids = sorted(obj.objgen for obj in pdf.objects if obj.is_indirect)
            for _ in range(rng.randint(1, 4)):
                a, b = rng.choice(ids), rng.choice(ids)
                if a != b:
                    pdf._swap_objects(a, b)
            try:
                body = bytearray(saved(pdf))
            except (pikepdf.PdfError, RecursionError, ValueError, TypeError):
                kind = "swap (unsavable: flip instead)"
                body[rng.randrange(len(body))] ^= 0xFF
    elif kind == "manifest":
        with pikepdf.open(io.BytesIO(data)) as pdf:
            manifest = manifest_of(pdf)
        paths = [p for p in walk(manifest) if p]
        changed = []
        for _ in range(rng.randint(1, 4)):
            target = rng.choice(paths)
            try:
                if rng.random() < 0.3 and isinstance(target[-1], str):
                    parent = manifest
                    for part in target[:-1]:
                        parent = parent[part]
                    del parent[target[-1]]
                    changed.append(f"{'.'.join(map(str, target))} deleted")
                else:
                    value = rng.choice(JSON_HOSTILE)
                    set_path(manifest, target, value)
                    changed.append(f"{'.'.join(map(str, target))}={str(value)[:20]!r}")
            except (KeyError, IndexError, TypeError):
                continue
        body = bytearray(
            with_manifest_body(data, json.dumps(manifest).encode("utf-8", "surrogatepass"))
        )
        kind = "manifest: " + "; ".join(changed)
    elif kind == "update":
        with pikepdf.open(io.BytesIO(data)) as pdf:
            page = pdf.pages[rng.randrange(len(pdf.pages))].obj
            contents = page.Contents
            first = contents[0] if isinstance(contents, Array) else contents
            num = first.objgen[0]
            how = rng.choice(["new text", "empty", "not a stream", "huge length"])
        if how == "new text":
            text = b"BT /F1 12 Tf 72 72 Td (PAID) Tj ET"
            obj = b"<< /Length %d >>\nstream\n%s\nendstream" % (len(text), text)
        elif how == "empty":
            obj = b"<< /Length 0 >>\nstream\n\nendstream"
        elif how == "not a stream":
            obj = b"(just a string)"
        else:
            obj = b"<< /Length 99999999999 >>\nstream\nxx\nendstream"
        body = bytearray(append_update(data, {num: obj}))
        kind = f"incremental update: object {num} {how}"
    else:
        with pikepdf.open(io.BytesIO(foreign())) as pdf:
            other = pdf.attachments["manifest.json"].get_file().read_bytes()
        body = bytearray(with_manifest_body(data, other))
    notes.append(kind)
    return bytes(body)


def hostile_packets(data: bytes) -> list[tuple[str, bytes]]:
    """A fixed set of hostile packets made from the real one (cheap to make, each a known threat)."""
    out: list[tuple[str, bytes]] = [
        ("empty file", b""),
        ("not a PDF", b"hello, reviewer\n" * 100),
        ("PDF header only", b"%PDF-1.7\n"),
        ("JPEG named .pdf", jpeg_bytes(random.Random(0))),
        ("two packets concatenated", data + data),
        ("garbage after %%EOF", data + b"\n" + bytes(range(256)) * 64),
    ]

    def edited(what: str, change: Callable[[pikepdf.Pdf], None], **save: Any) -> None:
        try:
            with pikepdf.open(io.BytesIO(data)) as pdf:
                change(pdf)
                out.append((what, saved(pdf, **save)))
        except Exception as exc:  # qpdf cannot write this one: say so, go on
            print(f"fuzz: hostile packet {what!r} not made: {exc}", file=sys.stderr)

    def manifest(body: bytes, **kw: Any) -> Callable[[pikepdf.Pdf], None]:
        return lambda pdf: pdf.attachments["manifest.json"].get_file().obj.write(body, **kw)

    edited("manifest not JSON", manifest(b"{not json"))
    edited("manifest a list", manifest(b"[1, 2, 3]"))
    edited("manifest 100000 deep", manifest(b"[" * 100_000 + b"]" * 100_000))
    edited("manifest 20 MB string", manifest(b'{"agency": "' + b"a" * (20 * MB) + b'"}'))
    edited("manifest invalid UTF-8", manifest(b'{"agency": "\xff\xfe"}'))
    edited("manifest lone surrogate", manifest(b'{"agency": "\\ud800"}'))
    edited("manifest a 1 GiB flate bomb", manifest(flate_zeros(1024 * MB), filter=Name.FlateDecode))

    def content_bomb(pdf: pikepdf.Pdf) -> None:
        stream = pikepdf.Stream(pdf, b"")
        stream.write(flate_zeros(1024 * MB), filter=Name.FlateDecode)
        pdf.pages[0].obj.Contents = pdf.make_indirect(stream)

    def no_names(pdf: pikepdf.Pdf) -> None:
        del pdf.Root.Names

    def tree_loop(pdf: pikepdf.Pdf) -> None:
        pdf.Root.Pages.Kids.append(pdf.Root.Pages)

    def outline_cycle(pdf: pikepdf.Pdf) -> None:
        pdf.Root.Outlines.First.Next = pdf.Root.Outlines.First

    def many_pages(pdf: pikepdf.Pdf) -> None:
        for _ in range(2000):
            pdf.pages.append(pdf.pages[0])

    def long_text(pdf: pikepdf.Pdf) -> None:
        pdf.pages[0].obj.Contents = pdf.make_stream(
            b"BT /F1 12 Tf (" + b"X" * (5 * MB) + b") Tj ET"
        )

    def javascript(pdf: pikepdf.Pdf) -> None:
        pdf.Root.OpenAction = Dictionary(S=Name.JavaScript, JS=pikepdf.String("app.alert(1)"))

    def no_change(pdf: pikepdf.Pdf) -> None:
        pass

    edited("content stream a 1 GiB flate bomb", content_bomb)
    edited("no attachments", no_names)
    edited("page tree loop", tree_loop)
    edited("outline cycle", outline_cycle)
    edited("2,000 extra pages", many_pages)
    edited("5 MB text on page 1", long_text)
    edited("JavaScript open action", javascript)
    edited(
        "encrypted (owner password)", no_change, encryption=pikepdf.Encryption(user="", owner="o")
    )
    edited(
        "encrypted (user password)", no_change, encryption=pikepdf.Encryption(user="u", owner="o")
    )
    edited("uncompressed", no_change, object_stream_mode=pikepdf.ObjectStreamMode.disable,
           compress_streams=False)  # fmt: skip
    edited("linearized", no_change, linearize=True)
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            pages = pdf.Root.Pages.objgen[0]
        update = {pages: b"<< /Type /Pages /Kids [] /Count 1000000000 >>"}
        out.append(("page count a billion (incremental update)", append_update(data, update)))
    except Exception as exc:
        print(f"fuzz: hostile packet 'page count' not made: {exc}", file=sys.stderr)
    return out


def packet_cases(
    n: int, hostile: int, seed: int, root: Path, base: Path, foreign: Callable[[], Path]
) -> list[Case]:
    data = base.read_bytes()
    other: list[bytes] = []

    def foreign_bytes() -> bytes:  # built only when a case needs it
        if not other:
            other.append(foreign().read_bytes())
        return other[0]

    folder = root / "packets"
    folder.mkdir(parents=True, exist_ok=True)
    made: list[tuple[str, bytes, list[str]]] = []
    for i in range(n):
        rng = random.Random(f"{seed}:packet:{i}")
        notes: list[str] = []
        made.append((f"packet-{i:04}", mutate_packet(data, foreign_bytes, rng, notes), notes))
    for j, (what, body) in enumerate(hostile_packets(data)[: hostile if hostile >= 0 else None]):
        made.append((f"hostile-{j:02}", body, [what]))
    cases = []
    for name, body, notes in made:
        target = folder / f"{name}.pdf"
        target.write_bytes(body)
        commands = [
            ("verify", ["verify", str(target), "--format", "json"]),
            ("inspect", ["inspect", str(target)]),
            ("diff", ["diff", str(base), str(target)]),
        ]
        cases.append(Case("packet", name, notes, [target, base], commands))
    return cases


# ---------------------------------------------------------------------------------------------
# running under the meters


def hashes(paths: list[Path]) -> dict[str, str]:
    """sha256 of every file under `paths` (symlinks as their target text, special files by kind)."""
    out: dict[str, str] = {}
    for top in paths:
        items = [top] if not top.is_dir() or top.is_symlink() else [top, *sorted(top.rglob("*"))]
        for p in items:
            key = str(p)
            if p.is_symlink():
                out[key] = "link:" + os.readlink(p)
            elif p.is_dir():
                out[key] = "dir"
            elif p.is_file():
                h = hashlib.sha256()
                with p.open("rb") as fh:
                    for chunk in iter(lambda: fh.read(MB), b""):
                        h.update(chunk)
                out[key] = h.hexdigest()
            elif p.exists():
                out[key] = "special"
    return out


def tree_rss_kb(pgid: int, but: int) -> int:
    """The resident memory of the process group `pgid` (all but the go-between `but`), in KB."""
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
            if int(fields[2]) != pgid or int(entry.name) == but:
                continue
            total += int(fields[21]) * os.sysconf("SC_PAGE_SIZE") // 1024
        except (OSError, IndexError, ValueError):
            continue
    return total


@dataclass
class Run:
    side: str
    case: str
    command: str
    notes: list[str]
    code: int | None
    timed_out: bool
    internal: bool
    altered: list[str]
    left_temp: list[str]
    seconds: float
    peak_mb: float  # the largest process of the tree (wait4's ru_maxrss)
    tree_mb: float  # the tree's sum, sampled
    stderr_tail: str


# A small go-between runs cmpacket and reports its tree's peak RSS: Linux keeps a process's peak
# across fork and exec (even vfork), so cmpacket started straight from this process (which holds
# pikepdf and the packets) would report this process's peak as its own.
METER = """
import json, os, resource, subprocess, sys
proc = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(proc.pid, 0)
code = os.waitstatus_to_exitcode(status)
with open(sys.argv[1], "w") as fh:
    json.dump({"code": code, "maxrss_kb": usage.ru_maxrss}, fh)
sys.exit(code if code >= 0 else 128 - code)
"""


def run_one(case: Case, label: str, args: list[str], root: Path, timeout: float) -> Run:
    tmp = root / "tmp" / f"{case.name}-{label.split()[0]}"
    tmp.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, SOURCE_DATE_EPOCH=EPOCH, TMPDIR=str(tmp), PYTHONIOENCODING="utf-8",
               XDG_CACHE_HOME=str(root / "cache"))  # fmt: skip
    before = hashes(case.inputs)
    err_path = tmp.parent / f"{case.name}-{label.replace(' ', '')}.err"
    meter = tmp.parent / f"{case.name}-{label.replace(' ', '')}.meter"
    start = time.monotonic()
    with open(os.devnull, "wb") as devnull, open(err_path, "wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-c", METER, str(meter), *cmpacket_command(), *args],
            stdin=subprocess.DEVNULL, stdout=devnull, stderr=err, env=env,
            start_new_session=True, cwd=root,
        )  # fmt: skip
        tree_kb, timed_out, status = 0, False, 0
        while True:
            pid, status = os.waitpid(proc.pid, os.WNOHANG)
            if pid:
                break
            tree_kb = max(tree_kb, tree_rss_kb(proc.pid, but=proc.pid))
            if time.monotonic() - start > timeout and not timed_out:
                timed_out = True
                os.killpg(proc.pid, signal.SIGKILL)
            time.sleep(0.05)
        proc.returncode = os.waitstatus_to_exitcode(status)
        with contextlib.suppress(ProcessLookupError):  # workers left behind by their parent
            os.killpg(proc.pid, signal.SIGKILL)
    seconds = time.monotonic() - start
    stderr = err_path.read_text("utf-8", "replace")
    measured: dict[str, Any] = {"code": None, "maxrss_kb": 0}
    if meter.exists():
        measured = json.loads(meter.read_text())
    meter.unlink(missing_ok=True)
    code = None if timed_out else measured["code"]
    after = hashes(case.inputs)
    altered = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    left = sorted(p.name for p in tmp.iterdir())
    shutil.rmtree(tmp, ignore_errors=True)
    internal = "internal error" in stderr or "Traceback" in stderr
    if not (internal or timed_out or altered or code not in OK_CODES):
        err_path.unlink()
    return Run(
        case.side, case.name, label, case.notes, code, timed_out, internal, altered, left,
        round(seconds, 2), round(measured["maxrss_kb"] / 1024, 1), round(tree_kb / 1024, 1),
        stderr[-600:],
    )  # fmt: skip


def run_case(case: Case, root: Path, timeout: float) -> list[Run]:
    runs = [run_one(case, label, args, root, timeout) for label, args in case.commands]
    for out in case.outputs:
        shutil.rmtree(out, ignore_errors=True)
    return runs


def failed(run: Run) -> bool:
    return run.internal or run.timed_out or bool(run.altered) or run.code not in OK_CODES


def build_reference(root: Path, name: str, ocr: str) -> Path:
    """The sample's packet ("sample": the base of mutations, of `diff` and of `respond`) or another
    agency's ("foreign": its manifest is put into the sample's packet), built once into ROOT."""
    out = root / "reference" / name
    if not list(out.glob("*-packet.pdf")):
        env = dict(os.environ, SOURCE_DATE_EPOCH=EPOCH, XDG_CACHE_HOME=str(root / "cache"))
        folder = root / "reference" / f"{name}-in"
        shutil.rmtree(folder, ignore_errors=True)
        shutil.copytree(SAMPLE, folder, ignore=shutil.ignore_patterns("out", "responses"))
        args = [*cmpacket_command(), "build", str(folder), "-o", str(out), "--ocr", ocr, "-q"]
        if name == "foreign":
            text = (folder / "agency.yaml").read_text()
            text = text.replace("Prairie Care Coordination, Inc.", "Lakeshore Case Services, LLC")
            (folder / "agency.yaml").write_text(
                text.replace("packet_prefix: PCC", "packet_prefix: LCS")
            )
            args.append("--draft")
        subprocess.run(args, env=env, check=True)
    return sorted(out.glob("*-packet.pdf"))[0]


def histogram(runs: list[Run]) -> str:
    table: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for r in runs:
        table[f"{r.side}: {r.command}"]["timeout" if r.timed_out else str(r.code)] += 1
    codes = sorted(
        {c for t in table.values() for c in t}, key=lambda c: (not c.lstrip("-").isdigit(), c)
    )
    width = max(len(k) for k in table) if table else 10
    lines = [
        f"{'command':<{width}}  " + "  ".join(f"{'exit ' + c:>8}" for c in codes) + "     runs"
    ]
    for key in sorted(table):
        row = table[key]
        lines.append(
            f"{key:<{width}}  "
            + "  ".join(f"{row.get(c, 0):>8}" for c in codes)
            + f"  {sum(row.values()):>7}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cases", type=int, default=100, help="mutated cases per side")
    parser.add_argument("--packet-cases", type=int, help="mutated packets (default: --cases)")
    parser.add_argument(
        "--base", type=Path, help="the sample's packet, built (default: built here)"
    )
    parser.add_argument("--hostile", type=int, default=-1, help="hostile packets (default: all)")
    parser.add_argument(
        "--build-every", type=int, default=4, help="build --draft every Nth agency case (0: never)"
    )
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds per run")
    parser.add_argument("--ocr", default="never", choices=["auto", "always", "never"])
    parser.add_argument("--sides", default="agency,packet")
    parser.add_argument(
        "--summarize", action="store_true", help="only print OUT/results.jsonl's report"
    )
    args = parser.parse_args(argv)
    if args.summarize:
        done = [Run(**json.loads(line)) for line in (args.out / "results.jsonl").open()]
        return report(done, len({(r.side, r.case) for r in done}), 0.0, args.out, args.seed)

    root: Path = args.out.resolve()
    for sub in ("agency", "packets", "built", "tmp", "outside"):
        shutil.rmtree(root / sub, ignore_errors=True)
    root.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    base = args.base.resolve() if args.base else build_reference(root, "sample", args.ocr)
    sides = args.sides.split(",")
    cases: list[Case] = []
    if "agency" in sides:
        cases += [
            agency_case(i, args.seed, root, base, args.build_every, args.ocr)
            for i in range(args.cases)
        ]
    if "packet" in sides:
        n = args.cases if args.packet_cases is None else args.packet_cases
        foreign = lambda: build_reference(root, "foreign", args.ocr)  # noqa: E731
        cases += packet_cases(n, args.hostile, args.seed, root, base, foreign)
    print(f"fuzz: seed {args.seed}, {len(cases)} cases, {sum(len(c.commands) for c in cases)} runs, "
          f"{args.jobs} job(s)", file=sys.stderr, flush=True)  # fmt: skip

    runs: list[Run] = []
    lock = threading.Lock()
    results = (root / "results.jsonl").open("w")

    def one(case: Case) -> None:
        done = run_case(case, root, args.timeout)
        with lock:
            for r in done:
                runs.append(r)
                results.write(json.dumps(asdict(r), ensure_ascii=True) + "\n")
                if failed(r):
                    print(
                        f"FAIL {r.case} {r.command}: code {r.code}, {r.notes}",
                        file=sys.stderr,
                        flush=True,
                    )
            results.flush()
            if len(runs) % 50 < len(done):
                print(
                    f"fuzz: {len(runs)} runs, {time.monotonic() - started:.0f} s",
                    file=sys.stderr,
                    flush=True,
                )

    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        list(pool.map(one, cases))
    results.close()

    return report(runs, len(cases), time.monotonic() - started, root, args.seed)


def report(runs: list[Run], cases: int, seconds: float, root: Path, seed: int) -> int:
    """Print the histogram and the failures, write OUT/summary.json; 1 if any run failed."""
    if not runs:
        print("fuzz: no runs")
        return 1
    bad = [r for r in runs if failed(r)]
    internal = [r for r in runs if r.internal]
    altered = [r for r in runs if r.altered]
    timeouts = [r for r in runs if r.timed_out]
    odd = [r for r in runs if not r.timed_out and r.code not in OK_CODES]
    left = [r for r in runs if r.left_temp]
    worst = max(runs, key=lambda r: r.peak_mb)
    worst_tree = max(runs, key=lambda r: r.tree_mb)
    slowest = max(runs, key=lambda r: r.seconds)
    print(histogram(runs))
    print()
    print(f"runs: {len(runs)} ({cases} cases) in {seconds:.0f} s")
    print(f"internal errors: {len(internal)}")
    print(f"inputs altered: {len(altered)}")
    print(f"timeouts: {len(timeouts)}")
    print(f"exit codes outside 0/1/2: {len(odd)}")
    print(f"work folders left in TMPDIR: {len(left)}")
    print(
        f"worst peak RSS (one process): {worst.peak_mb:.0f} MB ({worst.case} {worst.command}: {worst.notes})"
    )
    print(
        f"worst peak RSS (process tree, sampled): {worst_tree.tree_mb:.0f} MB ({worst_tree.case} {worst_tree.command})"
    )
    print(f"slowest: {slowest.seconds:.1f} s ({slowest.case} {slowest.command}: {slowest.notes})")
    for r in bad:
        print(f"\nFAILED {r.case} {r.command}: code {r.code}{' (timeout)' if r.timed_out else ''}; "
              f"mutations {r.notes}; altered {r.altered}\n  {r.stderr_tail.strip()[-300:]}")  # fmt: skip
    summary = {
        "seed": seed, "cases": cases, "runs": len(runs), "internal": len(internal),
        "altered": len(altered), "timeouts": len(timeouts), "odd_codes": len(odd), "left_temp": len(left),
        "worst_peak_mb": worst.peak_mb, "worst_tree_mb": worst_tree.tree_mb, "slowest_s": slowest.seconds,
        "failed": [asdict(r) for r in bad],
    }  # fmt: skip
    (root / "summary.json").write_text(json.dumps(summary, indent=1, ensure_ascii=True) + "\n")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
