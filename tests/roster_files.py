"""Real roster workbooks for the tests and benchmarks/bench_roster_bombs.py: well-formed ones
(openpyxl, a hand-written ODS) and hostile ones (bombs, damaged, encrypted), written to disk."""

from __future__ import annotations

import io
import random
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import openpyxl

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SHEET_PART = "xl/worksheets/sheet1.xml"
SST_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"


# --- xlsx --------------------------------------------------------------------------------------


def xlsx(path: Path, rows: Iterable[Iterable[object]], title: str = "staff") -> Path:
    """A workbook made by openpyxl with `rows` on sheet `title` (None: an empty cell)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for row in rows:
        ws.append(list(row))
    wb.save(path)
    return path


def replace_parts(path: Path, parts: dict[str, Iterable[bytes] | bytes], drop: tuple = ()) -> Path:
    """Rewrite the package at `path` with `parts` replaced or added (a part may be streamed as
    chunks, so a bomb is never held in memory)."""
    src = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            if info.filename not in parts and info.filename not in drop:
                out.writestr(info.filename, src.read(info.filename))
        for name, data in parts.items():
            with out.open(name, "w", force_zip64=False) as dest:
                for chunk in [data] if isinstance(data, bytes) else data:
                    dest.write(chunk)
    return path


def sheet_xml(rows: Iterable[bytes], dimension: str | None = None) -> Iterator[bytes]:
    """A worksheet part: `rows` are `<row>` elements, streamed."""
    yield f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}">'.encode()
    if dimension:
        yield f'<dimension ref="{dimension}"/>'.encode()
    yield b"<sheetData>"
    yield from rows
    yield b"</sheetData></worksheet>"


def inline_row(number: int, values: Iterable[object]) -> bytes:
    """One `<row>` with inline strings and numbers from column A on."""
    cells = []
    for col, value in enumerate(values, start=1):
        ref = f"{openpyxl.utils.get_column_letter(col)}{number}"
        if isinstance(value, int | float):
            cells.append(f'<c r="{ref}"><v>{value}</v></c>')
        elif value is not None:
            cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{escape(str(value))}</t></is></c>')
    return f'<row r="{number}">{"".join(cells)}</row>'.encode()


def million_rows(path: Path, rows: int, cols: int = 6, declare: bool | str = True) -> Path:
    """A workbook whose roster sheet has `rows` rows of random numbers (incompressible enough to
    make a large file), declaring its size in <dimension> when `declare` (a string: that range,
    a lie)."""
    rng = random.Random(7)

    def body() -> Iterator[bytes]:
        yield inline_row(
            1, ["id", "name", "fte", "caseload", "training_hours_12mo", "email"][:cols]
        )
        batch = []
        for n in range(2, rows + 1):
            values = [rng.randrange(10**9) / 1000 for _ in range(cols)]
            cells = "".join(
                f'<c r="{openpyxl.utils.get_column_letter(c)}{n}"><v>{v}</v></c>'
                for c, v in enumerate(values, start=1)
            )
            batch.append(f'<row r="{n}">{cells}</row>')
            if len(batch) == 5000:
                yield "".join(batch).encode()
                batch = []
        yield "".join(batch).encode()

    xlsx(path, [["id"]])
    last = f"{openpyxl.utils.get_column_letter(cols)}{rows}"
    claim = declare if isinstance(declare, str) else (f"A1:{last}" if declare else None)
    return replace_parts(path, {SHEET_PART: sheet_xml(body(), claim)})


def far_cell(path: Path, declare: bool) -> Path:
    """A1 holds the header, XFD1048576 a value: the range spans the whole grid."""
    rows = [inline_row(1, ["id"]), inline_row(2, ["S-1"])]
    far = b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    xlsx(path, [["id"]])
    return replace_parts(
        path, {SHEET_PART: sheet_xml([*rows, far], "A1:XFD1048576" if declare else None)}
    )


def zip_bomb(path: Path, megabytes: int) -> Path:
    """The sheet part is `megabytes` MB of spaces inside <sheetData> (compresses ~1000:1)."""
    spaces = b" " * 2**20
    xlsx(path, [["id"]])
    return replace_parts(path, {SHEET_PART: sheet_xml([spaces] * megabytes)})


def shared_strings(path: Path, count: int) -> Path:
    """A shared-strings part of `count` distinct short strings (openpyxl keeps each as an object)."""

    def body() -> Iterator[bytes]:
        yield f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}" count="{count}">'.encode()
        for start in range(0, count, 10000):
            end = min(count, start + 10000)
            yield "".join(f"<si><t>{i:x}</t></si>" for i in range(start, end)).encode()
        yield b"</sst>"

    return _with_sst(xlsx(path, [["id"], ["S-1"]]), body())


def entity_bomb(path: Path) -> Path:
    """Billion laughs in the shared-strings part."""
    lol = ['<!ENTITY a0 "lol">'] + [f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10)]
    doc = f'<?xml version="1.0"?><!DOCTYPE sst [{"".join(lol)}]><sst xmlns="{MAIN}"><si><t>&a9;</t></si></sst>'
    return _with_sst(xlsx(path, [["id"], ["S-1"]]), doc.encode())


def _with_sst(path: Path, body: Iterable[bytes] | bytes) -> Path:
    types = zipfile.ZipFile(path).read("[Content_Types].xml").decode()
    override = f'<Override PartName="/xl/sharedStrings.xml" ContentType="{SST_TYPE}"/>'
    types = types.replace("</Types>", override + "</Types>")
    return replace_parts(
        path, {"xl/sharedStrings.xml": body, "[Content_Types].xml": types.encode()}
    )


def many_entries(path: Path, count: int) -> Path:
    xlsx(path, [["id"]])
    return replace_parts(path, {f"junk/{i}.bin": b"" for i in range(count)})


def encrypted(path: Path, source: Path, password: str = "secret") -> Path:
    """`source` encrypted with `password` as Excel does (an OLE compound file)."""
    from msoffcrypto.format.ooxml import OOXMLFile

    with source.open("rb") as fh, path.open("wb") as out:
        OOXMLFile(fh).encrypt(password, out)
    return path


# --- ods ---------------------------------------------------------------------------------------

ODS_NS = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "calcext": "urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0",
}
ODS_MIME = b"application/vnd.oasis.opendocument.spreadsheet"


def ods_cell(value: object = None, *, repeat: int = 1, raw: str | None = None) -> str:
    """A table:table-cell: str -> string, int/float -> float, date -> date, None -> empty;
    `raw` gives the whole element as written."""
    import datetime as dt

    rep = f' table:number-columns-repeated="{repeat}"' if repeat > 1 else ""
    if raw is not None:
        return raw
    if value is None:
        return f"<table:table-cell{rep}/>"
    if isinstance(value, bool):
        v = "true" if value else "false"
        return f'<table:table-cell{rep} office:value-type="boolean" office:boolean-value="{v}"><text:p>{v.upper()}</text:p></table:table-cell>'
    if isinstance(value, int | float):
        return f'<table:table-cell{rep} office:value-type="float" office:value="{value}"><text:p>{value}</text:p></table:table-cell>'
    if isinstance(value, dt.date):
        return f'<table:table-cell{rep} office:value-type="date" office:date-value="{value.isoformat()}"><text:p>{value:%m/%d/%Y}</text:p></table:table-cell>'
    return f'<table:table-cell{rep} office:value-type="string"><text:p>{escape(str(value))}</text:p></table:table-cell>'


def ods_row(cells: Iterable[object], repeat: int = 1) -> str:
    rep = f' table:number-rows-repeated="{repeat}"' if repeat > 1 else ""
    body = "".join(c if isinstance(c, str) and c.startswith("<") else ods_cell(c) for c in cells)
    return f"<table:table-row{rep}>{body}</table:table-row>"


def ods(
    path: Path,
    tables: dict[str, Iterable[str]],
    *,
    encrypted: bool = False,
) -> Path:
    """An ODS package: `tables` maps a sheet name to its rows (ods_row strings), streamed."""
    ns = " ".join(f"xmlns:{k}={quoteattr(v)}" for k, v in ODS_NS.items())
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
        '<manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml">'
        + ("<manifest:encryption-data manifest:checksum-type='SHA1'/>" if encrypted else "")
        + "</manifest:file-entry></manifest:manifest>"
    )

    def content() -> Iterator[bytes]:
        if encrypted:
            yield random.Random(1).randbytes(4096)
            return
        yield f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ns}><office:body><office:spreadsheet>'.encode()
        for name, rows in tables.items():
            yield f"<table:table table:name={quoteattr(name)}>".encode()
            for row in rows:
                yield row.encode()
            yield b"</table:table>"
        yield b"</office:spreadsheet></office:body></office:document-content>"

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), ODS_MIME)  # stored, first: as ODF requires
        zf.writestr("META-INF/manifest.xml", manifest)
        with zf.open("content.xml", "w") as dest:
            for chunk in content():
                dest.write(chunk)
    return path
