"""Load an agency folder: `agency.yaml` (or `.json`) and an optional roster (`staff.csv`,
`staff.xlsx` or `staff.ods`) into `AgencyData`."""

from __future__ import annotations

import difflib
import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from marshmallow import ValidationError

from cmpacket.errors import InputError
from cmpacket.findings import Finding, format_path
from cmpacket.model import _types as t
from cmpacket.model._cells import cell_place, impossible, text_date
from cmpacket.model._csv import read_staff_csv
from cmpacket.model._field_paths import SCHEMAS
from cmpacket.model._headers import column_kind
from cmpacket.model._schema import AgencyFileSchema
from cmpacket.model._sheets import read_staff_sheet
from cmpacket.model._text import decode_utf8
from cmpacket.model._yaml import Path_, read_yaml

AGENCY_FILES = ("agency.yaml", "agency.yml", "agency.json")
ROSTER_FILES = ("staff.csv", "staff.xlsx", "staff.ods")
SCHEMA_CITATION = "see docs/data-format.md"
MAX_DATA_BYTES = 20 * 1024 * 1024
EXAMPLE_ID_PREFIX = "EXAMPLE"  # the id of init's example roster row starts with this


@dataclass
class Loaded:
    """The result of loading: `data` is None when schema errors prevent building the model."""

    data: t.AgencyData | None
    findings: list[Finding]
    raw: dict[str, Any]
    sources: _Sources | None = None

    def locate(self, path: str) -> str:
        """Where the user wrote the data at a finding's `path` (`staff[8].licenses[0].file`):
        `agency.yaml:LINE`, `staff.csv:ROW (column NAME)` or the roster workbook's cell; '' for
        a path that names no data (`uploads/x.pdf`, `packet`)."""
        return self.sources.where(path) if self.sources is not None else ""


@dataclass
class _Sources:
    """Where each path came from, so messages can name file and line (or the roster's CSV row
    and column, or its sheet and cell)."""

    filename: str
    lines: dict[Path_, int]
    inline_staff: int
    roster_name: str = "staff.csv"
    roster_rows: list[dict[str, Any]] | None = None

    def locate(self, path: Path_) -> tuple[str, str]:
        """(location, display path) for a schema path."""
        if path[:1] == ("staff",) and len(path) > 1 and isinstance(path[1], int):
            row = path[1] - self.inline_staff
            if row >= 0 and self.roster_rows is not None and row < len(self.roster_rows):
                return self._roster_place(self.roster_rows[row], path), format_path(path)
        probe = tuple(path)
        while probe and probe not in self.lines:
            probe = probe[:-1]
        line = self.lines.get(probe)
        return (f"{self.filename}:{line}" if line else self.filename), format_path(path)

    def _roster_place(self, info: dict[str, Any], path: Path_) -> str:
        """A roster row's place: its CSV line and column, or its sheet and cell."""
        col = info["columns"].get(tuple(path[2:]))
        if "sheet" in info:  # staff.xlsx: sheet 'staff', cell C7 (hire_date)
            ref = f"{info['letters'][col]}{info['line']}" if col else f"row {info['line']}"
            return cell_place(self.roster_name, info["sheet"], ref, col or "")
        column = f" (column {col})" if col else ""
        return f"{self.roster_name}:{info['line']}{column}"

    def where(self, text: str) -> str:
        """The location of a finding's path given as text; '' when it names no data here."""
        path = parse_path(text)
        if not path:
            return ""
        if path[:1] == ("staff",) and len(path) > 1 and isinstance(path[1], int):
            row = path[1] - self.inline_staff
            if row >= 0 and self.roster_rows is not None and row < len(self.roster_rows):
                columns = self.roster_rows[row]["columns"]
                probe = tuple(path)
                while len(probe) > 2 and tuple(probe[2:]) not in columns:
                    probe = probe[:-1]  # a field the roster has no column for: its nearest
                return self._roster_place(self.roster_rows[row], probe)
        probe = tuple(path)
        while probe and probe not in self.lines:
            probe = probe[:-1]
        return f"{self.filename}:{self.lines[probe]}" if probe else ""


_PART = re.compile(r"([^.\[\]]+)((?:\[\d+\])*)")


def parse_path(text: str) -> Path_:
    """'staff[2].hire_date' -> ('staff', 2, 'hire_date'); () for text that is no field path."""
    out: list[str | int] = []
    for piece in text.split("."):
        if piece and "[" not in piece and "]" not in piece:
            out.append(piece)  # most pieces: a plain name
            continue
        m = _PART.fullmatch(piece)
        if m is None:
            return ()
        out.append(m.group(1))
        if m.group(2):
            out += [int(i) for i in m.group(2)[1:-1].split("][")]
    return tuple(out)


def find_agency_file(folder: Path) -> Path:
    if not folder.is_dir():
        raise InputError(
            f"{folder}: no such folder.",
            hint="Give the agency folder, or create one with `cmpacket init`.",
        )
    for name in AGENCY_FILES:
        if (folder / name).is_file():
            return folder / name
    raise InputError(
        f"{folder}: no agency.yaml (or agency.json) in this folder.",
        hint="Run `cmpacket init` to create one.",
    )


def read_text(path: Path, display: str) -> str:
    if path.stat().st_size > MAX_DATA_BYTES:
        raise InputError(
            f"{display}: larger than {MAX_DATA_BYTES // 2**20} MB; not an agency file."
        )
    return decode_utf8(
        path.read_bytes(),
        display,
        hint="Save the file as UTF-8 (most editors: 'Save with Encoding' > UTF-8; Notepad: "
        "Save As, Encoding: UTF-8), then check the character on that line.",
    )


def load_folder(folder: Path) -> Loaded:
    """Read and schema-check an agency folder. Raises InputError if a file cannot be parsed."""
    folder = folder.resolve()
    agency_file = find_agency_file(folder)
    text = read_text(agency_file, agency_file.name)
    lines: dict[Path_, int] = {}
    if agency_file.suffix == ".json":
        raw = _read_json(text, agency_file.name)
    else:
        raw, lines = read_yaml(text, agency_file.name)
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise InputError(
            f"{agency_file.name}:1: the file holds {type(raw).__name__}, not fields.",
            hint="Start from `cmpacket init`'s agency.yaml: it is a mapping of fields.",
        )
    staff = raw.get("staff")
    inline = len(staff) if isinstance(staff, list) else 0
    roster = find_roster(folder)
    sources = _Sources(agency_file.name, lines, inline, roster.name if roster else "staff.csv")
    problems: list[Finding] = []
    if roster is not None:
        rows, where, problems = _read_roster(roster, sources)
        if rows:
            raw = {**raw, "staff": (staff if isinstance(staff, list) else []) + rows}
            sources.roster_rows = where
    findings = _unknown_fields(raw, sources) + problems + _example_rows(raw, sources)
    try:
        loaded = AgencyFileSchema().load(raw)
    except ValidationError as err:
        told = {f.path for f in problems}  # a cell already reported: not twice
        more = _schema_findings(err.messages, raw, sources)
        return Loaded(None, findings + [f for f in more if f.path not in told], raw, sources)
    inputs = [agency_file.name] + ([roster.name] if roster else [])
    data = t.AgencyData(folder=folder, source_files=tuple(inputs), **loaded)
    return Loaded(data, findings, raw, sources)


def find_roster(folder: Path) -> Path | None:
    """The folder's roster file, if any; two of them are an InputError naming both."""
    found = [folder / name for name in ROSTER_FILES if (folder / name).is_file()]
    if len(found) > 1:
        names = " and ".join(p.name for p in found)
        raise InputError(
            f"{folder.name}: two rosters, {names}; cmpacket reads one.",
            hint="Keep the one you maintain and move the other out of the folder.",
        )
    if not found and (folder / "staff.xls").is_file():
        raise InputError(
            "staff.xls: Excel 97-2003 workbooks are not read.",
            hint="Open it in Excel or LibreOffice Calc and save it as staff.xlsx.",
        )
    return found[0] if found else None


def _read_roster(
    path: Path, sources: _Sources
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[Finding]]:
    """Rows, where each came from, and value problems (findings naming the cell)."""
    if path.suffix == ".csv":
        if path.stat().st_size > MAX_DATA_BYTES:
            raise InputError(f"{path.name}: larger than {MAX_DATA_BYTES // 2**20} MB.")
        rows, where = read_staff_csv(path.read_bytes(), path.name)
        sources.roster_rows = where
        return rows, where, _csv_dates(rows, where, sources)

    got = read_staff_sheet(path, path.name)
    sources.roster_rows = got.where
    findings = []
    for index, suffix, message in got.problems:
        location, shown = sources.locate(("staff", sources.inline_staff + index, *suffix))
        findings.append(
            Finding("schema-invalid", "error", shown, message, SCHEMA_CITATION, location)
        )
    return got.rows, got.where, findings


def _csv_dates(
    rows: list[dict[str, Any]], where: list[dict[str, Any]], sources: _Sources
) -> list[Finding]:
    """The date cells of a `staff.csv` read as a roster sheet's text cells are (`text_date`:
    YYYY-MM-DD, or MM/DD/YYYY in US order), rewritten as YYYY-MM-DD; a cell that is no date is a
    finding naming its row and column (day-first dates are never guessed)."""
    out = []
    for i, (staff, info) in enumerate(zip(rows, where, strict=True)):
        for suffix, column in info["columns"].items():
            if column_kind(column) != "date":
                continue
            holder: Any = staff
            for part in suffix[:-1]:
                holder = holder[part]
            text = holder[suffix[-1]]
            day = text_date(text)
            if day is not None:
                holder[suffix[-1]] = day
                continue
            location, shown = sources.locate(("staff", sources.inline_staff + i, *suffix))
            why = impossible(text)
            msg = (
                f"{text!r} is not a date{f' ({why})' if why else ''}. Write YYYY-MM-DD, or "
                f"MM/DD/YYYY with the month first (day-first dates are never guessed)."
            )
            out.append(Finding("schema-invalid", "error", shown, msg, SCHEMA_CITATION, location))
    return out


def _example_rows(raw: dict[str, Any], sources: _Sources) -> list[Finding]:
    """The example row `cmpacket init --roster xlsx` writes (id EXAMPLE-...), left in place."""
    staff = raw.get("staff")
    out = []
    for i, person in enumerate(staff if isinstance(staff, list) else []):
        ident = person.get("id") if isinstance(person, dict) else None
        if isinstance(ident, str) and ident.strip().upper().startswith(EXAMPLE_ID_PREFIX):
            location, shown = sources.locate(("staff", i))
            msg = (
                f"{ident!r} is the example row `cmpacket init` wrote, not a staff member. "
                "Delete that row and enter your staff."
            )
            out.append(Finding("example-row", "error", shown, msg, SCHEMA_CITATION, location))
    return out


def _read_json(text: str, filename: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{filename}:{exc.lineno}: JSON syntax error: {exc.msg}.") from None


def _schema_findings(messages: Any, raw: Any, sources: _Sources) -> list[Finding]:
    out = []
    for path, message in _flatten(messages, ()):
        value = _value_at(raw, path)
        if message == "Missing data for required field.":
            message = "is required but missing. Add it."
        elif message in ("Invalid input type.", "Not a valid list.", "Not a valid mapping type."):
            want = "a list" if message == "Not a valid list." else "a group of fields"
            message = f"{_short(value)} has the wrong shape: expected {want} here."
        location, shown = sources.locate(path)
        out.append(Finding("schema-invalid", "error", shown, message, SCHEMA_CITATION, location))
    return out


def _flatten(messages: Any, path: Path_) -> list[tuple[Path_, str]]:
    if isinstance(messages, list):
        return [(path, str(m)) for m in messages if not isinstance(m, dict | list)] + [
            item for m in messages if isinstance(m, dict) for item in _flatten(m, path)
        ]
    out: list[tuple[Path_, str]] = []
    for key, value in messages.items():
        sub = path if key == "_schema" else (*path, key)
        out += _flatten(value, sub)
    return out


def _value_at(raw: Any, path: Path_) -> Any:
    for part in path:
        try:
            raw = raw[part]
        except (KeyError, IndexError, TypeError):
            return None
    return raw


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


@functools.cache
def _known_fields(schema_key: str) -> list[str]:
    # as the data spells them: `from:` for a field declared with data_key="from"
    return [f.data_key or name for name, f in SCHEMAS[schema_key]().fields.items()]


def _unknown_fields(raw: dict[str, Any], sources: _Sources) -> list[Finding]:
    out: list[Finding] = []

    def visit(value: Any, schema_key: str, path: Path_) -> None:
        if schema_key not in SCHEMAS or not isinstance(value, dict):
            return
        known = _known_fields(schema_key)
        for key, sub in value.items():
            if key not in known:
                guess = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
                fix = (
                    f"Did you mean {guess[0]!r}?" if guess else f"Known fields: {', '.join(known)}."
                )
                location, shown = sources.locate((*path, key))
                msg = f"unknown field {key!r} is ignored. {fix}"
                if schema_key == "signatures" and "pass" in str(key).lower():  # SPEC §18
                    msg = (
                        f"{key!r} is ignored: the certificate's password is never read from "
                        f"this file. Delete it here and set CMPACKET_SIGN_PASSWORD (or type it "
                        f"when asked)."
                    )
                out.append(
                    Finding("unknown-field", "warning", shown, msg, SCHEMA_CITATION, location)
                )
                continue
            child = f"{schema_key}.{key}" if schema_key else str(key)
            if isinstance(sub, list):
                for i, item in enumerate(sub):
                    visit(item, f"{child}[]", (*path, key, i))
            else:
                visit(sub, child, (*path, key))

    visit(raw, "", ())
    return out
