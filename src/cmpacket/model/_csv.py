"""`staff.csv`: one row per staff member, list fields flattened into numbered columns.

Columns (every one optional but `id`):

    id, name, position, hire_date, fte, email, case_management_experience_months,
    caseload, caseload_increase_limit, caseload_increase_approved, caseload_increase_basis,
    caseload_increase_file, competency_score, training_hours_12mo, mandated_reporter_training,
    exclusion_check_date, exclusion_check_lists, exclusion_check_file,
    experience_proof_file, experience_proof_attested_by, experience_proof_date,
    degree{N}_level, degree{N}_field, degree{N}_institution, degree{N}_year,
    license{N}_type, license{N}_number, license{N}_state, license{N}_expires, license{N}_file,
    license{N}_verified_date, license{N}_verified_file,
    bg_registry_check, bg_fingerprint, bg_status, bg_waiver_date, bg_file,
    bg_registry_recheck_date, bg_registry_recheck_file, bg_aps_registry_date, bg_aps_registry_file,
    training{N}_date, training{N}_hours, training{N}_topic, training{N}_provider,
    document{N}_kind, document{N}_title, document{N}_file,
    role{N}_title, role{N}_from, role{N}_to, role{N}_case_management

`role{N}_` columns are the roles of the experience letter (`experience_proof.roles`);
`license{N}_verified_*` the license's lookup (`verified: {date, file}`).

`N` counts from 1; as many numbered groups as needed may be added. `exclusion_check_lists`
names the lists searched, separated by semicolons (`LEIE; SAM; HFS-OIG`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Mapping, Sequence
from typing import Any

from cmpacket.errors import InputError
from cmpacket.model._cells import MAX_COLUMNS, MAX_ROWS
from cmpacket.model._text import decode_utf8

SCALARS = [
    "id", "name", "position", "hire_date", "fte", "email",
    "case_management_experience_months", "caseload", "competency_score", "training_hours_12mo",
    "mandated_reporter_training",
]  # fmt: skip
GROUPS = {
    "degree": ("degrees", ["level", "field", "institution", "year"]),
    "license": (
        "licenses",
        ["type", "number", "state", "expires", "file", "verified_date", "verified_file"],
    ),
    "training": ("training", ["date", "hours", "topic", "provider"]),
    "document": ("documents", ["kind", "title", "file"]),
    "role": ("experience_proof.roles", ["title", "from", "to", "case_management"]),
}
OBJECTS = {
    "bg": (
        "background_check",
        [
            "registry_check",
            "fingerprint",
            "status",
            "waiver_date",
            "file",
            "registry_recheck_date",
            "registry_recheck_file",
            "aps_registry_date",
            "aps_registry_file",
        ],
    ),  # fmt: skip
    "caseload_increase": ("caseload_increase", ["limit", "approved", "basis", "file"]),
    "exclusion_check": ("exclusion_check", ["date", "lists", "file"]),
    "experience_proof": ("experience_proof", ["file", "attested_by", "date"]),
}
SEPARATED = {("exclusion_check", "lists")}  # cells holding several values, split on ';'
#: columns of a value one level down: `bg_registry_recheck_date` is `registry_recheck: {date}`
NESTED = {
    f"{outer}_{inner}": (outer, inner)
    for outer in ("registry_recheck", "aps_registry", "verified")
    for inner in ("date", "file")
}
_NUMBERED = re.compile(r"^(degree|license|training|document|role)(\d+)_(\w+)$")


def _get(obj: Mapping[str, Any], name: str) -> Any:
    """The value a column names in one object of the data (one level down for NESTED)."""
    if name in NESTED:
        outer, inner = NESTED[name]
        return (obj.get(outer) or {}).get(inner)
    return obj.get(name)


def _nest(obj: dict[str, Any]) -> dict[str, Any]:
    """Flat column values with NESTED names put one level down."""
    out: dict[str, Any] = {}
    for name, value in obj.items():
        if name in NESTED:
            outer, inner = NESTED[name]
            out.setdefault(outer, {})[inner] = value
        else:
            out[name] = value
    return out


def _path(name: str) -> tuple[str, ...]:
    return NESTED.get(name, (name,))


def _items(person: Mapping[str, Any], key: str) -> list[Any]:
    """The list a group's key names (`experience_proof.roles` one level down)."""
    value: Any = person
    for part in key.split("."):
        value = (value or {}).get(part) if isinstance(value, Mapping) else None
    return list(value or [])


def header(groups: int = 2) -> list[str]:
    """Every column, with `groups` numbered groups of each list (what `init` writes)."""
    cols = list(SCALARS)
    for prefix, (_, names) in OBJECTS.items():
        cols += [f"{prefix}_{n}" for n in names]
    for prefix, (_, names) in GROUPS.items():
        for i in range(1, groups + 1):
            cols += [f"{prefix}{i}_{n}" for n in names]
    return cols


def flatten(staff: Sequence[Mapping[str, Any]]) -> tuple[list[str], list[dict[str, str]]]:
    """Staff as in agency.yaml -> (the columns they use, in header order; one row of cells each):
    the inverse of reading a roster, for writing one (init's example row, the xlsx sample)."""
    rows = [_cells(person) for person in staff]
    groups = max((int(m.group(2)) for r in rows for c in r if (m := _NUMBERED.match(c))), default=1)
    used = {c for r in rows for c in r}
    return [c for c in header(groups) if c in used], rows


def _cells(person: Mapping[str, Any]) -> dict[str, str]:
    out = {name: _cell(person[name]) for name in SCALARS if person.get(name) is not None}
    for prefix, (key, names) in OBJECTS.items():
        obj = person.get(key) or {}
        for n in names:
            value = _get(obj, n)
            if value is not None:
                seq = (key, n) in SEPARATED and isinstance(value, list | tuple)
                out[f"{prefix}_{n}"] = "; ".join(map(str, value)) if seq else _cell(value)
    for prefix, (key, names) in GROUPS.items():
        for i, item in enumerate(_items(person, key), start=1):
            out.update(
                {
                    f"{prefix}{i}_{n}": _cell(_get(item, n))
                    for n in names
                    if _get(item, n) is not None
                }
            )
    return out


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def read_staff_csv(raw: bytes, filename: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Rows as staff mappings, plus for each a {path-suffix: (row, column)} map for messages."""
    text = decode_utf8(raw, filename, hint="Export the spreadsheet as 'CSV UTF-8'.")
    # the csv module's own cap (131,072 characters a cell) stops with a bare csv.Error; read
    # any cell the file can hold, then refuse one over CELL_LIMIT naming its row and column
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
    reader = csv.DictReader(io.StringIO(text, newline=""))
    fields = [f.strip() for f in (reader.fieldnames or [])]
    if len(fields) > MAX_COLUMNS:
        raise InputError(
            f"{filename}:1: the header has {len(fields):,} columns; a roster may have at most "
            f"{MAX_COLUMNS:,}.",
            hint=_HINT,
        )
    if "id" not in fields:
        raise InputError(f"{filename}:1: the header has no 'id' column.", hint=_HINT)
    unknown = [f for f in fields if f and not _known(f)]
    if unknown:
        raise InputError(f"{filename}:1: unknown column(s) {', '.join(unknown)}.", hint=_HINT)
    rows: list[dict[str, Any]] = []
    where: list[dict[str, Any]] = []
    for row in reader:
        line = reader.line_num
        if len(rows) >= MAX_ROWS:  # a roster workbook has the same cap (docs/data-format.md)
            raise InputError(
                f"{filename}:{line}: more than {MAX_ROWS:,} staff rows; a roster may have at "
                f"most {MAX_ROWS:,}.",
                hint="Check that the file is the staff roster, one row per staff member.",
            )
        cells = {(k or "").strip(): (v or "").strip() for k, v in row.items() if k}
        _check_cells(cells, filename, line)
        if not any(cells.values()):
            continue
        staff, cols = row_to_staff(cells)
        rows.append(staff)
        where.append({"line": line, "columns": cols})
    return rows, where


_HINT = "See docs/data-format.md for the columns; `cmpacket init` writes a header row."
CELL_LIMIT = 10_000  # characters in one cell: a long note fits, a pasted document does not


def _check_cells(cells: dict[str, str], filename: str, line: int) -> None:
    for column, value in cells.items():
        if len(value) > CELL_LIMIT:
            raise InputError(
                f"{filename}:{line}: column {column}: the cell holds {len(value):,} characters; "
                f"a cell may hold at most {CELL_LIMIT:,}.",
                hint="A cell holds one value (a name, a date, a file path): check that the row "
                "was not pasted into one cell, and that every quote in the row is closed.",
            )


def _known(col: str) -> bool:
    if col in SCALARS:
        return True
    if any(col == f"{p}_{n}" for p, (_, names) in OBJECTS.items() for n in names):
        return True
    m = _NUMBERED.match(col)
    return m is not None and m.group(3) in GROUPS[m.group(1)][1]


def row_to_staff(cells: dict[str, str]) -> tuple[dict[str, Any], dict[tuple[Any, ...], str]]:
    """One row's non-empty cells {column: text} as a staff mapping, plus {path suffix: column}."""
    staff: dict[str, Any] = {}
    cols: dict[tuple[Any, ...], str] = {}
    for name in SCALARS:
        if cells.get(name):
            staff[name] = cells[name]
            cols[(name,)] = name
    for prefix, (key, names) in OBJECTS.items():
        obj: dict[str, Any] = {
            n: cells[f"{prefix}_{n}"] for n in names if cells.get(f"{prefix}_{n}")
        }
        for name in obj:
            if (key, name) in SEPARATED:
                obj[name] = [v.strip() for v in obj[name].split(";") if v.strip()]
        if obj:
            staff[key] = _nest(obj)
            cols.update({(key, *_path(name)): f"{prefix}_{name}" for name in obj})
    groups: dict[str, dict[int, dict[str, str]]] = {}
    for col, value in cells.items():
        m = _NUMBERED.match(col)
        if m and value:
            groups.setdefault(m.group(1), {}).setdefault(int(m.group(2)), {})[m.group(3)] = value
    for prefix, numbered in groups.items():
        *outer, key = GROUPS[prefix][0].split(".")
        home = staff
        for part in outer:  # experience_proof.roles: the list inside experience_proof
            home = home.setdefault(part, {})
        home[key] = []
        for pos, n in enumerate(sorted(numbered)):
            home[key].append(_nest(numbered[n]))
            cols.update({(*outer, key, pos, *_path(f)): f"{prefix}{n}_{f}" for f in numbered[n]})
    return staff, cols
